"""The entity correction API (blueprint ``bp``, mounted at /api).

* ``GET /api/entity-rules`` -> 200 ``{"rules": [Rule...], "version": [added, undone]}``: the
  rules in force, oldest first (``?history=1`` also lists undone ones, with ``deleted``).
* ``POST /api/entity-rules`` with one Rule ``{"action", "label", "name", ...}`` -> 201
  ``{"rule": Rule, "reindex": {...}}``, or with ``{"rules": [Rule...]}`` (an import: all or
  none; rules already in force are skipped) -> 201 ``{"rules": [...], "reindex": {...}}``.
  400 bad field, 409 the entity already has a correction or the rule would make a loop.
* ``DELETE /api/entity-rules/<id>`` -> 200 ``{"rule": Rule, "reindex": {...}}`` (the rule
  undone, kept in the history); 404 no such rule in force.

Actions: ``retype`` (``new_label``), ``rename`` (``new_name``), ``merge`` (``new_label``,
``new_name``: the entity it joins), ``split`` (``surface``: the alias to detach), ``hide``.
``reindex`` says whether the affected passages are re-indexed yet (``state`` done, with
``passages`` and ``documents``, or running). Writes need the editor role.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from .. import entity_corrections as corrections
from ..roles import require_role
from .annotations import read_json

bp = Blueprint("api_entity_rules", __name__)


def _refuse(exc: Exception):
    status, message = corrections.error_status(exc)
    abort(status, description=message)


@bp.get("/entity-rules")
def list_rules():
    """The entity rules in force (``history=1``: every rule ever made)."""
    store = corrections.rule_store()
    history = request.args.get("history", "").strip().lower() in ("1", "true", "yes")
    records = store.history() if history else store.active()
    return jsonify(rules=[r.to_dict() for r in records], version=list(store.version()))


@bp.post("/entity-rules")
@require_role("editor")
def create_rule():
    """Add one rule, or import several (``{"rules": [...]}``)."""
    data = read_json()
    author = corrections.author_name()
    try:
        if "rules" in data:
            made, status = corrections.add_many(data["rules"], author)
            return jsonify(rules=[r.to_dict() for r in made], reindex=status), 201
        record, status = corrections.add(data, author)
    except (corrections.RuleError, corrections.AnnotationError) as exc:
        _refuse(exc)
    return jsonify(rule=record.to_dict(), reindex=status), 201


@bp.delete("/entity-rules/<rule_id>")
@require_role("editor")
def delete_rule(rule_id: str):
    """Undo a rule."""
    try:
        record, status = corrections.delete(corrections.rule_number(rule_id), corrections.author_name())
    except corrections.AnnotationError as exc:
        _refuse(exc)
    return jsonify(rule=record.to_dict(), reindex=status)
