"""Helpers the HTML blueprints share: search URLs, the active filters, the document list,
and the template globals (registered on the app by :func:`init_app`)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, current_app, request, url_for

from .. import labels, render, services
from ..params import FILTER_PARAMS


def search_url(q: str | None = None, **params) -> str:
    """URL of the search page for a query and optional filters (lists allowed)."""
    pairs = [("q", q)] if q else []
    for key, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item not in (None, ""):
                pairs.append((key, item))
    return url_for("search.search") + ("?" + urlencode(pairs, quote_via=quote, safe=":*") if pairs else "")


def facet_url(param: str, value) -> str:
    """URL of the current search narrowed by one more filter value."""
    filters = current_filters()
    values = filters.setdefault(param, [])
    if str(value) not in values:
        values.append(str(value))
    return search_url(request.args.get("q", "").strip(), **filters)


def entity_query(canonical: str) -> str:
    """The search query that finds mentions of one entity."""
    name = canonical.replace('"', " ").strip()
    return f'entity:"{name}"'


def init_app(app: Flask) -> None:
    """Give the templates the helpers they call (labels, search and facet URLs)."""
    app.jinja_env.globals.update(
        LABELS=labels.LABELS,
        label_name=labels.label_name,
        safe_label=render.safe_label,
        search_url=search_url,
        facet_url=facet_url,
        entity_query=entity_query,
        note_id=render.note_id,
    )


def documents() -> list:
    """Summaries of every stored document (for the lookup box and the landing page)."""
    try:
        return services.get_store().summaries()
    except Exception:  # an empty or missing data directory is not an error for the UI
        current_app.logger.exception("cannot list documents")
        return []


def current_filters() -> dict[str, list[str]]:
    """The search filters of this request (each may be given several times)."""
    return {k: request.args.getlist(k) for k in FILTER_PARAMS if request.args.getlist(k)}
