"""Catalogue pages: the footnote lookup redirect, the entity index, works cited, help."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from flask import Blueprint, abort, redirect, render_template, request, url_for

from corpus.works import build_works
from indexer import gazetteer
from indexer.gazetteer import fold

from .. import services
from ..caches import cache
from ..params import MAX_FILTER
from .helpers import documents

bp = Blueprint("catalog", __name__)


@bp.get("/cite")
def cite():
    """The footnote lookup form's target: redirect to the footnote page."""
    doc_id = request.args.get("doc", "").strip()
    number = request.args.get("n", "").strip().lstrip("#")
    if not doc_id or not number:
        abort(400, description="Choose a document and type a footnote number to look it up.")
    return redirect(url_for("reader.footnote", doc_id=doc_id, number=number))


@lru_cache(maxsize=1)
def _alias_names() -> dict[tuple[str, str], tuple[str, ...]]:
    """(label, canonical) -> the folded names the gazetteer knows it by (as search does)."""
    names: dict[tuple[str, str], set[str]] = {}
    for entry in gazetteer.entries():
        key = (entry["label"], entry["canonical"])
        names.setdefault(key, set()).update(fold(a) for a in [entry["canonical"], *entry["aliases"]])
    return {key: tuple(sorted(found)) for key, found in names.items()}


def _name_matches(needle: str, label: str, canonical: str) -> bool:
    """The entity index filter: the folded text in the canonical name or in one of its aliases
    ("zuparic" finds "Župarić", "BiH" finds "Bosnia and Herzegovina")."""
    if needle in fold(canonical):
        return True
    return any(needle in alias for alias in _alias_names().get((label, canonical), ()))


@bp.get("/entities")
def entities():
    """The entity index: every entity with mention and document counts, filterable."""
    label = request.args.get("type", "").strip()
    name = request.args.get("name", "").strip()[:MAX_FILTER]
    rows = services.get_store().entity_index()
    types = Counter(r.label for r in rows)
    if label:
        rows = [r for r in rows if r.label == label]
    if name:
        rows = [r for r in rows if _name_matches(fold(name), r.label, r.canonical)]
    rows = sorted(rows, key=lambda r: (-r.mentions, r.canonical.casefold()))
    limit = 500
    return render_template(
        "entities.html", rows=rows[:limit], total=len(rows), limit=limit, label=label, name=name, types=types
    )


def _works() -> list:
    """Works cited in the corpus, rebuilt only when the stored documents change."""
    store = services.get_store()
    summaries = store.summaries()
    key = tuple((s.doc_id, s.ingested_at, s.source_hash) for s in summaries)

    def make() -> list:
        docs = [stored.document for s in summaries if (stored := store.get(s.doc_id)) is not None]
        return sorted(build_works(docs), key=lambda w: (-len(w.citations), w.key))

    return cache("catalog.works", 1).get_or_make(key, make)


@bp.get("/works")
def works():
    """Works cited in the corpus with counts and the notes citing them."""
    items = _works()
    name = request.args.get("name", "").strip()[:MAX_FILTER]
    if name:
        needle = name.casefold()
        items = [
            w
            for w in items
            if needle in (w.title or "").casefold() or needle in w.key or any(needle in a.casefold() for a in w.authors)
        ]
    titles = {s.doc_id: s.title for s in documents()}
    return render_template("works.html", works=items, name=name, titles=titles)


@bp.get("/help")
def help_page():
    """The query syntax help."""
    return render_template("help.html")
