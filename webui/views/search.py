"""The search page: the box, results grouped by document, facets, active filters, pages."""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from flask import Blueprint, current_app, g, render_template, request

from .. import entity_corrections, labels, render, services
from ..params import MAX_PAGE, group_param, int_param, query_too_long
from .helpers import current_filters, doc_picker, documents, search_url

bp = Blueprint("search", __name__)


@bp.get("/")
def search():
    """The search page: the box, results grouped by document, facets, pagination."""
    q = request.args.get("q", "").strip()
    filters = current_filters()
    page = int_param("page", 1, 1, MAX_PAGE, clamp=True)
    group = group_param(clamp=True)
    context = {"q": q, "filters": filters, "group": group, "documents": [], "results": None, "error": None}
    if not q and not filters:
        context.update(_landing_documents())
        return render_template("search.html", **context)
    too_long = query_too_long(q)
    if too_long:
        context["error"] = too_long
        return render_template("search.html", **context), 400
    from indexer.search import QueryError

    # Dates and numbers stay plain in snippets and out of "Top entities", as in the reader,
    # unless the person asked for that type.
    quiet = labels.QUIET_TYPES - set(filters.get("type", []))
    context["quiet_types"] = sorted(quiet)
    started = time.perf_counter()
    try:
        results = entity_corrections.ruled(services.get_searcher()).search(
            q,
            page=page,
            pagelen=current_app.config.get("PAGE_SIZE") or 10,
            filters=filters or None,
            quiet_labels=quiet,
            group=group,
        )
    except QueryError as exc:
        context["error"] = str(exc) or "This query could not be understood."
        return render_template("search.html", **context), 400
    context.update(
        results=results,
        active=_active_filters(filters, results),
        pagination=_pagination(results),
        views=_views(q, filters, group),
        toggle=_toggle_url,
        in_document=lambda doc_id: search_url(q, **{**filters, "doc": [doc_id]}),
        clear_url=search_url(q, group=group),
        links=render.DocumentLinks(q),
        server_ms=(time.perf_counter() - started) * 1000,
    )
    return render_template("search.html", **context)


#: documents listed per page of the landing page's document list
LANDING_DOCS = 50


def _landing_documents() -> dict:
    """One page of the document list (``?docs=N``), its page links, and the lookup's picker."""
    every = documents()
    pages = max(1, -(-len(every) // LANDING_DOCS))
    page = int_param("docs", 1, 1, MAX_PAGE, clamp=True)
    page = min(page, pages)
    link = lambda n: search_url(docs=n if n > 1 else None) + "#documents"  # noqa: E731
    return {
        "documents": every[(page - 1) * LANDING_DOCS : page * LANDING_DOCS],
        "doc_total": len(every),
        "doc_pages": {
            "page": page,
            "pages": pages,
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None,
        },
        "picker": doc_picker() if every else None,
    }


def _active_filters(filters: dict[str, list[str]], results) -> list[dict]:
    """The filters in force, each with a readable label and the URL that removes it."""
    names = {}
    for key, facet in (("doc", "documents"), ("tag", "tags")):
        for item in results.facets.get(facet, []):
            names[(key, str(item["value"]))] = item.get("label") or str(item["value"])
    q = request.args.get("q", "").strip()
    active = []
    for key, values in filters.items():
        for value in values:
            rest = {k: [v for v in vs if (k, v) != (key, value)] for k, vs in filters.items()}
            label = names.get((key, value), value)
            if key == "type":
                label = labels.label_name(value)
            active.append(
                {
                    "key": key,
                    "value": value,
                    "label": label,
                    "url": search_url(q, **rest, group=group_param(clamp=True)),
                }
            )
    return active


def _pagination(results) -> dict:
    """Page links for the results (a window around the current page)."""
    q = request.args.get("q", "").strip()
    filters = current_filters()
    pages = max(results.pages, 1)
    window = range(max(1, results.page - 3), min(pages, results.page + 3) + 1)
    group = group_param(clamp=True)
    base = search_url(q, **filters, group=group)  # the page number goes last: one URL built
    joiner = "&" if "?" in base else "?"
    link = lambda n: f"{base}{joiner}page={n}" if n > 1 else base  # noqa: E731
    return {
        "pages": [(n, link(n)) for n in window],
        "prev": link(results.page - 1) if results.page > 1 else None,
        "next": link(results.page + 1) if results.page < pages else None,
        "first": link(1),
        "last": link(pages),
        "past_end": results.page > pages and results.total > 0,
    }


def _views(q: str, filters: dict[str, list[str]], group: str | None) -> list[dict]:
    """The two ways of listing results (by passage, by document), each a link to the first page."""
    return [
        {"label": "By passage", "url": search_url(q, **filters), "current": group is None},
        {"label": "By document", "url": search_url(q, **filters, group="document"), "current": group == "document"},
    ]


def _toggle_url(param: str, value) -> str:
    """URL of the current search with one facet value chosen, or no longer chosen when it was
    (other values of the facet stay chosen: OR; other facets stay: AND), from its first page.

    The page's own part of the URL is encoded once per request (as ``helpers.facet_url``); a
    value not chosen adds its own pair, so a page of facets costs what it shows."""
    base = getattr(g, "_glossa_toggle_base", None)
    if base is None:
        q = request.args.get("q", "").strip()
        filters = current_filters()
        group = group_param(clamp=True)
        tail = "&" + urlencode([("group", group)]) if group else ""
        base = g._glossa_toggle_base = (q, filters, group, search_url(q, **filters), tail)
    q, filters, group, url, tail = base
    text = str(value)
    values = filters.get(param, [])
    if text in values:  # a chosen value: the URL without it (a few per page)
        return search_url(q, **{**filters, param: [v for v in values if v != text]}, group=group)
    extra = urlencode([(param, text)], quote_via=quote, safe=":*")
    return f"{url}{'&' if '?' in url else '?'}{extra}{tail}"
