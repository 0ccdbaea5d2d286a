"""The reader (a document with entities, terms and footnote popovers) and the footnote page."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, render_template, request, url_for

from annotations.validation import MAX_DOC_ID

from .. import labels, presenters, render, services
from ..caches import cache
from ..params import MAX_QUERY
from .helpers import doc_picker, entity_query

bp = Blueprint("reader", __name__)

PANEL_LIMIT = 40  # entities listed per type in the reader's side panel


def _stored_or_404(doc_id: str):
    """The stored document (cached until it is re-ingested), or a 404 page."""
    store = services.get_store()
    entry = store.entry(doc_id) if len(doc_id) <= MAX_DOC_ID else None
    stored = None
    if entry is not None:
        key = (str(store.root), doc_id, entry.get("ingested_at"), entry.get("source_hash"))
        documents_cache = cache("reader.documents", 8)
        stored = documents_cache.get(key)
        if stored is None:
            stored = store.get(doc_id)
            if stored is not None:
                documents_cache.put(key, stored)
    if stored is None:
        abort(404, description=f"There is no document with the id “{doc_id}”.")
    return stored


def _doc_facts(stored) -> dict:
    """What the reader shows besides the text (entity counts, notes), computed once per version."""
    key = (id(stored), stored.document.doc_id, stored.ingested_at)
    return cache("reader.facts", 8).get_or_make(key, lambda: _make_facts(stored))


def _make_facts(stored) -> dict:
    doc = stored.document
    counts = Counter((e.label, e.canonical or e.text) for e in stored.entities)
    order = list(labels.LABELS)
    present = sorted({label for label, _ in counts}, key=lambda lab: (order.index(lab) if lab in order else 99, lab))
    search_base = url_for("search.search")
    top: dict[str, list] = {}
    for (label, canonical), n in counts.most_common():
        if len(top.setdefault(label, [])) < PANEL_LIMIT:
            query = urlencode([("q", entity_query(canonical))], quote_via=quote, safe=":*")
            top[label].append(
                {"name": canonical, "count": n, "key": f"{label}:{canonical}", "search_url": f"{search_base}?{query}"}
            )
    note_base = url_for("reader.footnote", doc_id=doc.doc_id, number="0")[:-1]
    backrefs = render.note_backrefs(doc)
    by_number = {n.number: n for n in doc.footnotes}

    def refers(n) -> dict | None:
        """The note an Ibid./op. cit. repeats (shown with it, as on the note page)."""
        target = by_number.get(n.refers_to) if n.refers_to and n.refers_to != n.number else None
        if target is None:
            return None
        return {"number": target.number, "nid": render.note_id(target.number), "html": render.linkify(target.text)}

    notes = [
        {
            "number": n.number,
            "kind": n.kind,
            "refers": refers(n),
            "nid": render.note_id(n.number),
            "html": render.linkify(n.text),
            "backrefs": backrefs.get(n.number, []),
            "url": note_base + quote(n.number, safe=""),
        }
        for n in doc.footnotes
    ]
    return {
        "present": present,
        "top": top,
        "notes": notes,
        "type_counts": Counter(e.label for e in stored.entities),
        "type_distinct": Counter(label for label, _ in counts),
    }


def _passages_html(stored, entities, terms, focus, shown) -> list:
    """Rendered passages of a document, cached per document version and display options."""
    doc = stored.document
    key = (id(stored), doc.doc_id, stored.ingested_at, tuple(sorted(shown)), tuple(terms), focus)
    return cache("reader.passages", 32).get_or_make(key, lambda: render.render_passages(doc, entities, terms, focus))


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    """The reader: cleaned text, highlighted entities and terms, footnote popovers and notes."""
    stored = _stored_or_404(doc_id)
    doc = stored.document
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    facts = _doc_facts(stored)
    present = facts["present"]
    if request.args.get("types"):
        shown = set(request.args.getlist("show")) & set(present)
    else:
        # Dates and numbers are everywhere in policy papers; highlighted by default they drown
        # the names. They stay one checkbox away.
        shown = set(present) - labels.QUIET_TYPES
    entities = [e for e in stored.entities if e.label in shown] if shown != set(present) else stored.entities
    focus = request.args.get("ent", "")[:300] or None
    base = url_for("reader.document", doc_id=doc.doc_id)
    by_type: dict[str, list] = {}
    for label, items in facts["top"].items():
        by_type[label] = [
            dict(
                item,
                mark_url=base
                + "?"
                + urlencode([("q", q)] * bool(q) + [("ent", item["key"])], quote_via=quote, safe=":"),
            )
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
        picker=doc_picker(doc.doc_id),
    )


@bp.get("/doc/<doc_id>/fn/<path:number>")
def footnote(doc_id: str, number: str):
    """One footnote: its text, the sentences citing it, its references, its Ibid. target."""
    stored = _stored_or_404(doc_id)
    doc = stored.document
    number = number.strip()
    try:
        # the same data (and citing sentences) as GET /api/documents/<id>/footnotes/<n> and `glossa cite`
        note = presenters.footnote_detail(stored, number, spans=True)
    except presenters.LookupFailed:
        valid = presenters.note_numbers(doc)
        shown = number if len(number) <= 20 else number[:20] + "…"
        message = (
            f"Note {shown} does not exist; this document has notes {valid}."
            if valid
            else f"Note {shown} does not exist; this document has no footnotes."
        )
        return render_template("footnote.html", doc=doc, note=None, message=message, picker=doc_picker(doc.doc_id)), 404
    nid = render.note_id(note["number"])
    citing = [
        {
            "passage": c["passage"],
            "page": c["page"],
            "anchor": f"fnref-{nid}-{i}",
            "sentence": render.sentence_with_mark(doc.text, c["start"], c["end"], c["offset"], note["number"]),
        }
        for i, c in enumerate(note["citing"], start=1)
    ]
    numbers = [n.number for n in doc.footnotes]
    i = numbers.index(note["number"])
    # the page a reader cites: where the text cites the note, else where the note is printed
    page = next((c["page"] for c in citing if c["page"]), None) or note.get("page")
    cite_as = f"{doc.title}, " + (f"p. {page}, " if page else "") + f"n. {note['number']}"
    return render_template(
        "footnote.html",
        doc=doc,
        note=note,
        citing=citing,
        target=note["ibid_target"],
        page=page,
        cite_as=cite_as,
        linkify=render.linkify,
        prev=numbers[i - 1] if i > 0 else None,
        next=numbers[i + 1] if i + 1 < len(numbers) else None,
        picker=doc_picker(doc.doc_id),
        message=None,
    )
