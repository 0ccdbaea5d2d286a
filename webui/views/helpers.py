"""Helpers the HTML blueprints share: search URLs, the active filters, the document list,
and the template globals (registered on the app by :func:`init_app`)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, request, url_for

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
    """URL of the current search narrowed by one more filter value.

    The page's own part of the URL (path, query, filters) is encoded once per request; each
    facet entry adds only its own pair, so a page of facets costs what it shows.
    """
    base = getattr(g, "_glossa_facet_base", None)
    if base is None:
        q = request.args.get("q", "").strip()
        filters = current_filters()
        pairs = [("q", q)] if q else []
        pairs += [(k, v) for k, vs in filters.items() for v in vs if v not in (None, "")]
        if request.args.get("group") == "document":  # the page's view (webui.params.group_param)
            pairs.append(("group", "document"))
        encoded = urlencode(pairs, quote_via=quote, safe=":*")
        base = g._glossa_facet_base = (url_for("search.search"), encoded, filters)
    path, encoded, filters = base
    text = str(value)
    if text in ("",) or text in filters.get(param, []):
        return path + ("?" + encoded if encoded else "")
    extra = urlencode([(param, text)], quote_via=quote, safe=":*")
    return f"{path}?{encoded}&{extra}" if encoded else f"{path}?{extra}"


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
    """Summaries of every stored document (parsed once per manifest version, see
    indexer.store); pages show a bounded part of it (:func:`doc_picker`, the landing list)."""
    try:
        return services.get_store().summaries()
    except Exception:  # an empty or missing data directory is not an error for the UI
        current_app.logger.exception("cannot list documents")
        return []


def doc_picker(selected: str | None = None) -> dict:
    """What the footnote lookup's document field shows: every document in a ``<select>``
    while there are at most DOC_SELECT_MAX, else a text field (a document id or words of
    its title, resolved by ``/cite``) that ``picker.js`` turns into a search of the titles
    through ``/documents/pick``; ``selected`` (default: the document with most notes)."""
    docs = documents()
    limit = current_app.config.get("DOC_SELECT_MAX")
    limit = 50 if limit is None else int(limit)
    if selected is None and docs:
        selected = max(reversed(docs), key=lambda d: d.footnotes).doc_id
    title = ""
    if selected:
        entry = services.get_store().entry(selected) or {}
        title = entry.get("title") or ""
    return {
        "options": docs if len(docs) <= limit else None,
        "count": len(docs),
        "selected": selected,
        "selected_title": title,
    }


def current_filters() -> dict[str, list[str]]:
    """The search filters of this request (each may be given several times)."""
    return {k: request.args.getlist(k) for k in FILTER_PARAMS if request.args.getlist(k)}
