"""Catalogue pages: the footnote lookup redirect, the entity index, works cited, help."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from corpus.works import to_bibtex, to_csl_json
from indexer import gazetteer
from indexer.gazetteer import fold

from .. import entity_corrections as corrections
from .. import services
from ..labels import LABELS, label_name
from ..params import MAX_FILTER, MAX_PAGE, int_param
from ..render import DocumentLinks, note_id
from ..roles import check_role

bp = Blueprint("catalog", __name__)


#: documents /cite lists when the words typed name several; /documents/pick answers at most
PICK_LIMIT = 50


@bp.get("/cite")
def cite():
    """The footnote lookup form's target: redirect to the footnote page.

    ``doc`` is a document id, or (without a script, when the form shows a text field) words
    of a title: one document holding them is taken, several are listed to choose from.
    """
    doc_id = request.args.get("doc", "").strip()[:MAX_FILTER]
    number = request.args.get("n", "").strip().lstrip("#")
    if not doc_id or not number:
        abort(400, description="Choose a document and type a footnote number to look it up.")
    store = services.get_store()
    if store.entry(doc_id) is None:
        found, total = store.find(doc_id, limit=PICK_LIMIT)
        if len(found) == 1:
            doc_id = found[0].doc_id
        elif found:
            return render_template("pick.html", words=doc_id, number=number, found=found, total=total)
    return redirect(url_for("reader.footnote", doc_id=doc_id, number=number))


@bp.get("/documents/pick")
def pick_documents():
    """Documents whose title, id or file name hold every word of ``q`` (JSON, for the lookup
    form's picker): ``{"documents": [{doc_id, title, footnotes}], "total": n}``, at most ``limit``."""
    words = request.args.get("q", "").strip()[:MAX_FILTER]
    limit = int_param("limit", 20, 1, PICK_LIMIT, clamp=True)
    found, total = services.get_store().find(words, limit=limit)
    rows = [{"doc_id": d.doc_id, "title": d.title, "footnotes": d.footnotes} for d in found]
    return jsonify(documents=rows, total=total)


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
    _, records, _ = corrections.current()  # entity corrections: marked rows, the list, undo
    return render_template(
        "entities.html",
        rows=rows[:limit],
        total=len(rows),
        limit=limit,
        label=label,
        name=name,
        types=types,
        corrected=_rules_by_entity(records),
        rules=records,
        describe=rule_description,
        fold=fold,
        saved=request.args.get("saved", type=int),
        pending=bool(request.args.get("pending")),
    )


#: works listed per page of /works, and citing notes listed per work (the rest: a search link)
WORKS_PER_PAGE = 50
CITING_SHOWN = 10


def _works_index():
    """The corpus's works index (corpus.works.WorksIndex, kept by ingest in DATA/works.db and
    checked against the document list once per manifest version by the store)."""
    return services.get_store().works_index()


def _matching_works(name: str) -> list:
    """The works (most cited first, in full) whose title, key or an author contains ``name``
    (case-insensitive; all of them for an empty ``name``)."""
    return _works_index().works(name)


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
    items = _matching_works(name)
    doc_id = request.args.get("doc", "").strip()
    if doc_id:
        if services.get_store().entry(doc_id) is None:
            abort(404, description=f"No document {doc_id[:MAX_FILTER]!r}.")
        items = [w for w in items if any(cited_in == doc_id for cited_in, _ in w.citations)]
    as_csl = fmt == "csl-json"
    text = json.dumps(to_csl_json(items), ensure_ascii=False, indent=2) + "\n" if as_csl else to_bibtex(items)
    mime, ext = WORKS_EXPORTS[fmt]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", doc_id).strip("-.") if doc_id else "works"
    response = Response(text, mimetype=mime.split(";")[0], content_type=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem or "works"}-cited.{ext}"'
    return response


class _DocumentLinks:
    """Titles and links of the documents a page of works cites: the routes are built once per
    document, each note's link from its document's, so a page costs one ``url_for`` per document."""

    def __init__(self, store) -> None:
        self.store = store
        self.links = DocumentLinks()
        self.titles: dict[str, str] = {}

    def _title(self, doc_id: str) -> str:
        found = self.titles.get(doc_id)
        if found is None:
            found = self.titles[doc_id] = (self.store.entry(doc_id) or {}).get("title") or doc_id
        return found

    def note(self, doc_id: str, number: str) -> dict[str, str]:
        """A citing note: its document's title, the note page and the mark in the text."""
        number = str(number)
        return {
            "title": self._title(doc_id),
            "number": number,
            "url": self.links.note(doc_id, number),
            "in_text": f"{self.links.document(doc_id)}#fnref-{note_id(number)}-1",
        }

    def entry(self, doc_id: str, ordinal: int) -> dict[str, str]:
        """A reference-list entry: its document's title and the passage."""
        return {"title": self._title(doc_id), "url": self.links.passage(doc_id, ordinal)}


@bp.get("/works")
def works():
    """Works cited in the corpus with counts and the notes citing them, a page at a time."""
    name = request.args.get("name", "").strip()[:MAX_FILTER]
    index = _works_index()
    page = int_param("page", 1, 1, MAX_PAGE, clamp=True)
    shown, total = index.page(name, (page - 1) * WORKS_PER_PAGE, WORKS_PER_PAGE)
    pages = max(1, -(-total // WORKS_PER_PAGE))
    if page > pages:  # past the end: the last page
        page = pages
        shown, total = index.page(name, (page - 1) * WORKS_PER_PAGE, WORKS_PER_PAGE)
    links = _DocumentLinks(services.get_store())
    rows = [
        (
            w,
            [links.note(doc_id, number) for doc_id, number in w.citations[:CITING_SHOWN]],
            [links.entry(doc_id, ordinal) for doc_id, ordinal in w.listed],
        )
        for w in shown
    ]
    link = lambda n: url_for("catalog.works", name=name or None, page=n if n > 1 else None)  # noqa: E731
    pagination = {
        "page": page,
        "pages": pages,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
        "window": [(n, link(n)) for n in range(max(1, page - 3), min(pages, page + 3) + 1)],
    }
    return render_template(
        "works.html",
        works=rows,
        total=total,
        name=name,
        pagination=pagination,
        start=(page - 1) * WORKS_PER_PAGE + 1,
        citing_shown=CITING_SHOWN,
    )


@bp.get("/help")
def help_page():
    """The query syntax help."""
    return render_template("help.html")


# entity corrections (webui/entity_corrections.py): the correction page and its forms ------


def _entity_key(label: str, name: str) -> tuple[str, str]:
    return label, fold(name)


def _rules_by_entity(records) -> dict[tuple[str, str], list]:
    """(label, folded name) -> the rules in force that made or touch that entry."""
    found: dict[tuple[str, str], list] = {}
    for record in records:
        rule = corrections.to_rule(record)
        found.setdefault(rule.key, []).append(record)
        target = rule.target
        if target is not None:
            found.setdefault(_entity_key(*target), []).append(record)
    return found


def _aliases(label: str, name: str) -> list[str]:
    """The other ways the text writes this entity (what a split may detach)."""
    _, _, rules = corrections.current()
    key = _entity_key(label, name)
    seen: dict[str, str] = {}
    store = services.get_store()
    for (raw_label, canonical, _), (surface, _, _) in corrections.raw_mentions(getattr(store, "raw", store)).items():
        found = rules.resolve(raw_label, canonical, surface)
        if found is not None and _entity_key(*found) == key and fold(surface) != key[1]:
            seen.setdefault(fold(surface), surface)
    return sorted(seen.values(), key=str.casefold)


def _safe_next(value: str | None) -> str | None:
    """A local path to go back to after a form, or None."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 2000:
        return value
    return None


def rule_description(record) -> str:
    """A correction in words."""
    name = f"{label_name(record.label)} “{record.name}”"
    if record.action == "retype":
        return f"{name} is a {label_name(record.new_label).lower()}"
    if record.action == "rename":
        return f"{name} renamed “{record.new_name}”"
    if record.action == "merge":
        return f"{name} merged into {label_name(record.new_label).lower()} “{record.new_name}”"
    if record.action == "split":
        return f"“{record.surface}” detached from {name}"
    return f"{name} hidden (not an entity)"


@bp.get("/entities/correct")
def correct_entity():
    """The corrections an editor can make to one entity, and those already made."""
    check_role("editor")
    label = request.args.get("type", "").strip().upper()[:32]
    name = " ".join(request.args.get("name", "").split())[:MAX_FILTER]
    if not label or not name:
        abort(400, description="Choose an entity from the entity index or a document's entity panel.")
    _, records, _ = corrections.current()
    rows = [r for r in services.get_store().entity_index() if _entity_key(r.label, r.canonical) == (label, fold(name))]
    names = [r.canonical for r in services.get_store().entity_index()[:2000] if r.label == label]
    return render_template(
        "entity_correct.html",
        label=label,
        name=rows[0].canonical if rows else name,
        row=rows[0] if rows else None,
        aliases=_aliases(label, name),
        rules=_rules_by_entity(records).get((label, fold(name)), []),
        describe=rule_description,
        labels=LABELS,
        names=names,
        next=_safe_next(request.args.get("next")),
        message=None,
    )


@bp.post("/entities/rules")
def add_entity_rule():
    """The correction form's target: store the rule, re-index, go back."""
    check_role("editor")
    form = {k: request.form.get(k, "") for k in ("action", "label", "name", "new_label", "new_name", "surface")}
    back = _safe_next(request.form.get("next"))
    try:
        record, status = corrections.add(form, corrections.author_name())
    except (corrections.RuleError, corrections.AnnotationError) as exc:
        code, message = corrections.error_status(exc)
        abort(code, description=f"The correction was not saved: {message}.")
    label, name = corrections.to_rule(record).target or (record.label, record.name)
    params = {"type": label, "name": name, "saved": record.id}
    if status.get("state") == "running":
        params["pending"] = 1
    return redirect(back or url_for("catalog.entities", **params))


@bp.post("/entities/rules/<rule_id>/undo")
def undo_entity_rule(rule_id: str):
    """Undo a correction (the rule is kept in the history) and go back."""
    check_role("editor")
    try:
        record, _ = corrections.delete(corrections.rule_number(rule_id), corrections.author_name())
    except corrections.AnnotationError as exc:
        abort(exc.status, description=f"Nothing was undone: {exc.message}.")
    back = _safe_next(request.form.get("next"))
    return redirect(back or url_for("catalog.entities", type=record.label, name=record.name, undone=record.id))
