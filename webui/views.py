"""HTML pages: search, reader, footnote lookup, entity index, works, help."""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from . import render, services

bp = Blueprint("views", __name__)

FILTER_PARAMS = ("doc", "type", "entity", "tag")
MAX_QUERY = 1000
MAX_PAGE = 10_000
PANEL_LIMIT = 40  # entities listed per type in the reader's side panel


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter, clamped; junk gives the default."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def search_url(q: str | None = None, **params) -> str:
    """URL of the search page for a query and optional filters (lists allowed)."""
    pairs = [("q", q)] if q else []
    for key, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item not in (None, ""):
                pairs.append((key, item))
    return url_for("views.search") + ("?" + urlencode(pairs, quote_via=quote, safe=":*") if pairs else "")


def facet_url(param: str, value) -> str:
    """URL of the current search narrowed by one more filter value."""
    filters = _current_filters()
    values = filters.setdefault(param, [])
    if str(value) not in values:
        values.append(str(value))
    return search_url(request.args.get("q", "").strip(), **filters)


def entity_query(canonical: str) -> str:
    """The search query that finds mentions of one entity."""
    name = canonical.replace('"', " ").strip()
    return f'entity:"{name}"'


@bp.record_once
def _register_globals(state) -> None:
    state.app.jinja_env.globals.update(
        LABELS=render.LABELS,
        label_name=render.label_name,
        safe_label=render.safe_label,
        search_url=search_url,
        facet_url=facet_url,
        entity_query=entity_query,
        note_id=render.note_id,
    )


def _documents() -> list:
    """Summaries of every stored document (for the lookup box and the landing page)."""
    try:
        return services.get_store().list()
    except Exception:  # an empty or missing data directory is not an error for the UI
        current_app.logger.exception("cannot list documents")
        return []


def _current_filters() -> dict[str, list[str]]:
    return {k: request.args.getlist(k) for k in FILTER_PARAMS if request.args.getlist(k)}


@bp.get("/")
def search():
    """The search page: the box, results grouped by document, facets, pagination."""
    q = request.args.get("q", "").strip()
    filters = _current_filters()
    page = _int_arg("page", 1, 1, MAX_PAGE)
    context = {"q": q, "filters": filters, "documents": _documents(), "results": None, "error": None}
    if not q and not filters:
        return render_template("search.html", **context)
    if len(q) > MAX_QUERY:
        context["error"] = f"That query is too long ({len(q)} characters; at most {MAX_QUERY})."
        return render_template("search.html", **context), 400
    from indexer.search import QueryError

    started = time.perf_counter()
    try:
        results = services.get_searcher().search(
            q, page=page, pagelen=current_app.config.get("PAGE_SIZE") or 10, filters=filters or None
        )
    except QueryError as exc:
        context["error"] = str(exc) or "This query could not be understood."
        return render_template("search.html", **context), 400
    context.update(
        results=results,
        active=_active_filters(filters, results),
        pagination=_pagination(results),
        server_ms=(time.perf_counter() - started) * 1000,
    )
    return render_template("search.html", **context)


def _active_filters(filters: dict[str, list[str]], results) -> list[dict]:
    """The filters in force, each with a readable label and the URL that removes it."""
    labels = {}
    for key, facet in (("doc", "documents"), ("tag", "tags")):
        for item in results.facets.get(facet, []):
            labels[(key, str(item["value"]))] = item.get("label") or str(item["value"])
    q = request.args.get("q", "").strip()
    active = []
    for key, values in filters.items():
        for value in values:
            rest = {k: [v for v in vs if (k, v) != (key, value)] for k, vs in filters.items()}
            label = labels.get((key, value), value)
            if key == "type":
                label = render.label_name(value)
            active.append({"key": key, "value": value, "label": label, "url": search_url(q, **rest)})
    return active


def _pagination(results) -> dict:
    """Page links for the results (a window around the current page)."""
    q = request.args.get("q", "").strip()
    filters = _current_filters()
    pages = max(results.pages, 1)
    window = range(max(1, results.page - 3), min(pages, results.page + 3) + 1)
    link = lambda n: search_url(q, **filters, page=n if n > 1 else None)  # noqa: E731
    return {
        "pages": [(n, link(n)) for n in window],
        "prev": link(results.page - 1) if results.page > 1 else None,
        "next": link(results.page + 1) if results.page < pages else None,
        "first": link(1),
        "last": link(pages),
        "past_end": results.page > pages and results.total > 0,
    }


_doc_cache: OrderedDict = OrderedDict()
_html_cache: OrderedDict = OrderedDict()


def _remember(cache: OrderedDict, key, value, size: int):
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)
    return value


def _stored_or_404(doc_id: str):
    """The stored document (cached until it is re-ingested), or a 404 page."""
    store = services.get_store()
    entry = store.manifest().get(doc_id) if len(doc_id) < 200 else None
    stored = None
    if entry is not None:
        key = (str(store.root), doc_id, entry.get("ingested_at"), entry.get("source_hash"))
        stored = _doc_cache.get(key)
        if stored is None:
            stored = store.get(doc_id)
            if stored is not None:
                _remember(_doc_cache, key, stored, 8)
    if stored is None:
        abort(404, description=f"There is no document with the id “{doc_id}”.")
    return stored


_facts_cache: OrderedDict = OrderedDict()


def _doc_facts(stored) -> dict:
    """What the reader shows besides the text (entity counts, notes), computed once per version."""
    key = (id(stored), stored.document.doc_id, stored.ingested_at)
    if key in _facts_cache:
        return _facts_cache[key]
    doc = stored.document
    counts = Counter((e.label, e.canonical or e.text) for e in stored.entities)
    order = list(render.LABELS)
    present = sorted({label for label, _ in counts}, key=lambda l: (order.index(l) if l in order else 99, l))
    search_base = url_for("views.search")
    top: dict[str, list] = {}
    for (label, canonical), n in counts.most_common():
        if len(top.setdefault(label, [])) < PANEL_LIMIT:
            query = urlencode([("q", entity_query(canonical))], quote_via=quote, safe=":*")
            top[label].append({"name": canonical, "count": n, "key": f"{label}:{canonical}",
                               "search_url": f"{search_base}?{query}"})
    note_base = url_for("views.footnote", doc_id=doc.doc_id, number="0")[:-1]
    backrefs = render.note_backrefs(doc)
    notes = [
        {"number": n.number, "nid": render.note_id(n.number), "html": render.linkify(n.text),
         "backrefs": backrefs.get(n.number, []), "url": note_base + quote(n.number, safe="")}
        for n in doc.footnotes
    ]
    facts = {
        "present": present, "top": top, "notes": notes,
        "type_counts": Counter(e.label for e in stored.entities),
        "type_distinct": Counter(label for label, _ in counts),
    }
    return _remember(_facts_cache, key, facts, 8)


def _passages_html(stored, entities, terms, focus, shown) -> list:
    """Rendered passages of a document, cached per document version and display options."""
    doc = stored.document
    key = (id(stored), doc.doc_id, stored.ingested_at, tuple(sorted(shown)), tuple(terms), focus)
    cached = _html_cache.get(key)
    if cached is not None:
        _html_cache.move_to_end(key)
        return cached
    return _remember(_html_cache, key, render.render_passages(doc, entities, terms, focus), 32)


@bp.get("/doc/<doc_id>")
def reader(doc_id: str):
    """The reader: cleaned text, highlighted entities and terms, footnote popovers and notes."""
    stored = _stored_or_404(doc_id)
    doc = stored.document
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    facts = _doc_facts(stored)
    present = facts["present"]
    if request.args.get("types"):
        shown = set(request.args.getlist("show")) & set(present)
    else:
        shown = set(present)
    entities = [e for e in stored.entities if e.label in shown] if shown != set(present) else stored.entities
    focus = request.args.get("ent", "")[:300] or None
    base = url_for("views.reader", doc_id=doc.doc_id)
    by_type: dict[str, list] = {}
    for label, items in facts["top"].items():
        by_type[label] = [
            dict(item, mark_url=base + "?" + urlencode([("q", q)] * bool(q) + [("ent", item["key"])], quote_via=quote, safe=":"))
            for item in items
        ]
    return render_template(
        "doc.html",
        stored=stored,
        doc=doc,
        q=q,
        passages=_passages_html(stored, entities, render.query_terms(q), focus, shown),
        notes=facts["notes"],
        present=present,
        shown=shown,
        type_counts=facts["type_counts"],
        by_type=by_type,
        type_distinct=facts["type_distinct"],
        panel_limit=PANEL_LIMIT,
        focus=focus,
        documents=_documents(),
    )


def _note_range(doc) -> str:
    numbers = [n.number for n in doc.footnotes]
    ints = sorted(int(n) for n in numbers if n.isdigit())
    others = [n for n in numbers if not n.isdigit()]
    parts = [f"{ints[0]}-{ints[-1]}" if len(ints) > 1 else str(ints[0])] if ints else []
    parts += others
    return ", ".join(parts)


@bp.get("/doc/<doc_id>/fn/<path:number>")
def footnote(doc_id: str, number: str):
    """One footnote: its text, the sentences citing it, its references, its Ibid. target."""
    stored = _stored_or_404(doc_id)
    doc = stored.document
    number = number.strip()
    note = doc.footnote(number)
    if note is None:
        valid = _note_range(doc)
        shown = number if len(number) <= 20 else number[:20] + "…"
        message = (
            f"Note {shown} does not exist; this document has notes {valid}."
            if valid
            else f"Note {shown} does not exist; this document has no footnotes."
        )
        return render_template("footnote.html", doc=doc, note=None, message=message, documents=_documents()), 404
    citing = []
    for mark in sorted(doc.marks, key=lambda m: m.offset):
        if mark.number != note.number:
            continue
        passage = doc.passages[mark.passage] if 0 <= mark.passage < len(doc.passages) else None
        if passage is None:
            continue
        s, e = render.citing_sentence(doc.text, passage.start, passage.end, mark.offset)
        sentence = render.sentence_with_mark(doc.text, s, e, mark.offset, note.number)
        citing.append({"passage": passage.ordinal, "sentence": sentence, "anchor": f"fnref-{render.note_id(note.number)}-{len(citing) + 1}"})
    target = doc.footnote(note.refers_to) if note.refers_to else None
    numbers = [n.number for n in doc.footnotes]
    i = numbers.index(note.number)
    return render_template(
        "footnote.html",
        doc=doc,
        note=note,
        citing=citing,
        target=target,
        linkify=render.linkify,
        prev=numbers[i - 1] if i > 0 else None,
        next=numbers[i + 1] if i + 1 < len(numbers) else None,
        documents=_documents(),
        message=None,
    )


@bp.get("/cite")
def cite():
    """The footnote lookup form's target: redirect to the footnote page."""
    doc_id = request.args.get("doc", "").strip()
    number = request.args.get("n", "").strip().lstrip("#")
    if not doc_id or not number:
        abort(400, description="Choose a document and type a footnote number to look it up.")
    return redirect(url_for("views.footnote", doc_id=doc_id, number=number))


@bp.get("/entities")
def entities():
    """The entity index: every entity with mention and document counts, filterable."""
    label = request.args.get("type", "").strip()
    name = request.args.get("name", "").strip()[:200]
    rows = services.get_store().entity_index()
    types = Counter(r.label for r in rows)
    if label:
        rows = [r for r in rows if r.label == label]
    if name:
        needle = name.casefold()
        rows = [r for r in rows if needle in r.canonical.casefold()]
    rows = sorted(rows, key=lambda r: (-r.mentions, r.canonical.casefold()))
    limit = 500
    return render_template(
        "entities.html", rows=rows[:limit], total=len(rows), limit=limit, label=label, name=name, types=types
    )


_works_cache: dict = {}


def _build_works_function():
    """corpus' build_works (its module is still settling: corpus.works or corpus.references)."""
    try:
        from corpus.works import build_works
    except ImportError:
        try:
            from corpus.references import build_works
        except ImportError:
            return None
    return build_works


def _works() -> list | None:
    """Works cited in the corpus, rebuilt only when the stored documents change."""
    build_works = _build_works_function()
    if build_works is None:
        return None
    store = services.get_store()
    summaries = store.list()
    key = (current_app.config["DATA_DIR"], tuple((s.doc_id, s.ingested_at, s.source_hash) for s in summaries))
    if _works_cache.get("key") != key:
        docs = [stored.document for s in summaries if (stored := store.get(s.doc_id)) is not None]
        found = sorted(build_works(docs), key=lambda w: (-len(w.citations), w.key))
        _works_cache.update(key=key, works=found)
    return _works_cache["works"]


@bp.get("/works")
def works():
    """Works cited in the corpus with counts and the notes citing them."""
    items = _works()
    if items is None:
        abort(503, description="The works index is not available in this installation.")
    name = request.args.get("name", "").strip()[:200]
    if name:
        needle = name.casefold()
        items = [w for w in items if needle in (w.title or "").casefold() or needle in w.key
                 or any(needle in a.casefold() for a in w.authors)]
    titles = {s.doc_id: s.title for s in _documents()}
    return render_template("works.html", works=items, name=name, titles=titles)


@bp.get("/help")
def help_page():
    """The query syntax help."""
    return render_template("help.html")

