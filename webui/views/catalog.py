"""Catalogue pages: the footnote lookup redirect, the entity index, works cited, help."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from flask import Blueprint, abort, redirect, render_template, request, url_for

from corpus.works import build_works
from indexer import gazetteer
from indexer.gazetteer import fold

from .. import entity_corrections as corrections
from .. import services
from ..caches import cache
from ..labels import LABELS, label_name
from ..params import MAX_FILTER
from ..roles import check_role
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


def _works() -> list:
    """Works cited in the corpus, rebuilt only when the stored documents change."""
    store = services.get_store()
    summaries = store.list()
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


# entity corrections (webui/entity_corrections.py): the correction page and its forms ------


@bp.app_context_processor
def _entity_roles() -> dict:
    from ..roles import has_role

    return {"has_role": has_role}


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
