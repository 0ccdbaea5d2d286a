"""Catalogue pages: the footnote lookup redirect, the entity index, works cited, help."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from corpus.works import build_works, to_bibtex, to_csl_json
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


def _filter_works(items: list, name: str) -> list:
    """The works whose title, key or an author contains `name` (case-insensitive)."""
    if not name:
        return items
    needle = name.casefold()
    return [
        w
        for w in items
        if needle in (w.title or "").casefold() or needle in w.key or any(needle in a.casefold() for a in w.authors)
    ]


#: format parameter -> (content type, file extension) of the works export
WORKS_EXPORTS = {
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}


@bp.get("/works/export")
def works_export():
    """The works cited (all, those matching `name`, or those cited in document `doc`) as a
    BibTeX or CSL-JSON download, for Zotero, BibDesk or pandoc --citeproc."""
    fmt = request.args.get("format", "bibtex")
    if fmt not in WORKS_EXPORTS:
        abort(400, description="Parameter 'format' must be bibtex or csl-json.")
    name = request.args.get("name", "").strip()[:MAX_FILTER]
    items = _filter_works(_works(), name)
    doc_id = request.args.get("doc", "").strip()
    if doc_id:
        if not any(s.doc_id == doc_id for s in documents()):
            abort(404, description=f"No document {doc_id[:MAX_FILTER]!r}.")
        items = [w for w in items if any(cited_in == doc_id for cited_in, _ in w.citations)]
    as_csl = fmt == "csl-json"
    text = json.dumps(to_csl_json(items), ensure_ascii=False, indent=2) + "\n" if as_csl else to_bibtex(items)
    mime, ext = WORKS_EXPORTS[fmt]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", doc_id).strip("-.") if doc_id else "works"
    response = Response(text, mimetype=mime.split(";")[0], content_type=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem or "works"}-cited.{ext}"'
    return response


@bp.get("/works")
def works():
    """Works cited in the corpus with counts and the notes citing them."""
    name = request.args.get("name", "").strip()[:MAX_FILTER]
    items = _filter_works(_works(), name)
    titles = {s.doc_id: s.title for s in documents()}
    return render_template("works.html", works=items, name=name, titles=titles)


@bp.get("/help")
def help_page():
    """The query syntax help."""
    return render_template("help.html")
