"""The annotation API (blueprint ``bp``, mounted at /api): W3C Web Annotations as JSON-LD.

Responses have the content type
``application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"``; errors are JSON
``{"error", "message", "status"}`` saying what is wrong. Who you are: see webui/auth.py
(session cookie + ``X-CSRF-Token`` header for writes, or ``Authorization: Bearer <token>``).

* ``GET /api/annotations?doc=&tag=&author=&q=&visibility=private|shared&status=anchored|review|orphaned&limit=&offset=``
  -> 200 AnnotationCollection ``{"@context", "id", "type": "AnnotationCollection", "label",
  "total", "first": {"type": "AnnotationPage", "items": [Annotation...]}}`` of the
  annotations you may see (yours and shared ones), in document order.
* ``POST /api/annotations`` with an Annotation: ``{"type": "Annotation", "body": [
  {"type": "TextualBody", "purpose": "commenting", "value": "..."},
  {"type": "TextualBody", "purpose": "tagging", "value": "pushbacks"}],
  "target": {"source": "<BASE_URL>/doc/<doc_id>", "selector": [
  {"type": "TextQuoteSelector", "exact", "prefix", "suffix"},
  {"type": "TextPositionSelector", "start", "end"}]}, "glossa:visibility": "private"|"shared"}``
  An annotation on a footnote's text has the note as source,
  ``"<BASE_URL>/doc/<doc_id>/fn/<number>"``, its selectors counting in the note's text
  (as ``GET /api/documents/<doc_id>/footnotes/<number>`` gives it); 404 unknown note.
  -> 201 the stored Annotation (with ``id``, ``creator``, ``created``, ``modified``,
  ``glossa:status``), ``Location`` header. 400 malformed JSON or bad field, 404 unknown
  document, 400/422 selector outside the text or quote not in the text, 413 too large.
* ``GET /api/annotations/<id>`` -> 200 Annotation; 404 unknown or not visible to you.
* ``PATCH /api/annotations/<id>`` with any of ``body`` (replaces comment and tags),
  ``glossa:visibility``, ``target`` (re-places the annotation, e.g. an orphan) -> 200
  Annotation; 403 not the author; 404 unknown or invisible.
* ``DELETE /api/annotations/<id>`` -> 204; 403 not the author.
* ``POST /api/annotations/<id>/accept`` (no body) -> 200 Annotation, now ``anchored``: the
  author accepts where re-anchoring put an annotation under ``review`` (moved onto text
  that differs from its quote, ``glossa:previousQuote``); 403 not the author; 404 unknown
  or invisible; 409 not under review.
* ``GET /api/annotations/<id>/history`` -> 200 ``{"id", "glossa:status", "glossa:history":
  [{"glossa:event", "glossa:method", "glossa:score", "created", "creator", "glossa:from",
  "glossa:to", ...}]}`` (every step of its anchor, oldest first); 404 unknown or invisible.
* ``GET /api/annotations/tags?doc=`` -> 200 ``{"tags": [{"tag", "count"}]}`` (tags you can
  see, most used first; feeds autocomplete).
* ``GET /api/annotations/export?format=jsonld|csv|markdown`` (same filters as the list) ->
  a download of the annotations you may see (JSON-LD with each one's ``glossa:history``).
"""

from __future__ import annotations

import dataclasses
import json

from flask import Blueprint, Response, abort, g, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from annotations import export, model
from annotations.base import AnnotationError
from annotations.models import STATUSES, VISIBILITIES
from annotations.validation import MAX_DOC_ID, place_quote

from .. import services
from ..annotation_lists import base_url, export_payload, removed_documents, visible_annotations
from ..params import MAX_LIMIT, int_param

bp = Blueprint("api_annotations", __name__)


class AnnotationIdConverter(BaseConverter):
    """An annotation id: any path segment but the fixed names of sibling routes, so that
    /annotations/export and /annotations/tags do not also match the id routes (whose
    PATCH and DELETE an OPTIONS request would then advertise for them)."""

    regex = r"(?!(?:export|tags)$)[^/]+"


def _add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("annotation_id", AnnotationIdConverter)


bp.record_once(_add_converter)


LD_JSON = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
MAX_BODY = 256 * 1024


def ld_response(data, status: int = 200, headers=None) -> Response:
    """A JSON-LD response with the Web Annotation profile."""
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, mimetype=None, content_type=LD_JSON, headers=headers
    )


def require_user():
    """The signed-in user, or a 401 error."""
    if g.get("user") is None:
        abort(401, description="Sign in (or send an API token) to use annotations.")
    return g.user


def fail(exc: AnnotationError):
    """Turn a service refusal into an HTTP error with its message."""
    abort(exc.status, description=exc.message)


def read_json() -> dict:
    """The request body as a JSON object, or a 4xx saying what is wrong with it."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413, description=f"The request body is larger than {MAX_BODY // 1024} KB.")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        abort(413, description=f"The request body is larger than {MAX_BODY // 1024} KB.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        abort(400, description=f"The request body is not valid JSON: {exc}")
    except RecursionError:  # e.g. 100,000 nested arrays: valid JSON no annotation looks like
        abort(400, description="The request body nests arrays or objects too deeply to be an annotation.")
    if not isinstance(data, dict):
        abort(400, description="The request body must be a JSON object (one Annotation).")
    return data


def document_text(doc_id: str) -> str:
    """The canonical text of a stored document, or a 404 naming it."""
    text = services.get_document_text(doc_id) if len(doc_id) <= MAX_DOC_ID else None
    if text is None:
        abort(
            404,
            description=f"Unknown document {doc_id[:MAX_DOC_ID]!r}: annotate a document listed by GET /api/documents.",
        )
    return text


def document_notes(doc_id: str) -> list[tuple[str, str]]:
    """The notes of a stored document as (number, text) pairs in order, or a 404 naming it."""
    stored = services.get_store().get(doc_id) if len(doc_id) <= MAX_DOC_ID else None
    if stored is None:
        abort(
            404,
            description=f"Unknown document {doc_id[:MAX_DOC_ID]!r}: annotate a document listed by GET /api/documents.",
        )
    return [(n.number, n.text) for n in stored.document.footnotes]


def note_text(notes: list[tuple[str, str]], number: str) -> str:
    """The text of note `number`, or a 404 naming the notes there are."""
    for n, text in notes:
        if n == number:
            return text
    have = ", ".join(n for n, _ in notes[:20]) or "none"
    abort(404, description=f"The document has no note {number[:20]!r} (its notes: {have}).")


def list_filters() -> dict:
    """The list/export filters of the query string, checked."""
    args = request.args
    out = {k: (args.get(k) or "").strip() or None for k in ("doc", "tag", "author", "q", "visibility", "status")}
    for name, allowed in (("visibility", VISIBILITIES), ("status", STATUSES)):
        if out[name] not in (None, *allowed):
            abort(400, description=f"Parameter {name!r} must be " + " or ".join(map(repr, allowed)) + ".")
    return out


@bp.get("/annotations")
def collection():
    """The annotations you may see, as an AnnotationCollection."""
    require_user()
    filters = list_filters()
    limit = int_param("limit", 1000, 0, MAX_LIMIT)
    offset = int_param("offset", 0, 0, 10**9)
    items = visible_annotations(filters, limit, offset)
    cid = base_url() + request.full_path.rstrip("?")
    collection = model.collection_jsonld(items, base_url(), collection_id=cid)
    return ld_response(export.mark_removed_jsonld(collection, items, removed_documents(items)))


def position_hint(inp: model.AnnotationInput, text: str | None) -> model.AnnotationInput:
    """``inp`` without its TextPositionSelector when that cannot hold in ``text`` (an empty
    range, or one past the end: a peer's offsets into another version of the text). A
    position is a hint where the quote is, as W3C annotators (Hypothesis) treat it: the
    quote decides, and anchors wherever it is (model.from_jsonld drops an end before start)."""
    if text is None or inp.start is None or inp.end is None or 0 <= inp.start < inp.end <= len(text):
        return inp
    return dataclasses.replace(inp, start=None, end=None)


@bp.post("/annotations")
def create():
    """Create an annotation from W3C JSON-LD."""
    user = require_user()
    data = read_json()
    try:
        inp = model.from_jsonld(data)
    except model.JsonLdError as exc:
        abort(400, description=f"Invalid annotation: {exc}")
    notes = None
    if inp.note is not None:
        notes = document_notes(inp.doc_id)
        note_text(notes, inp.note)
        text = None
    else:
        text = document_text(inp.doc_id)
    inp = position_hint(inp, note_text(notes, inp.note) if notes is not None else text)
    try:
        rec = services.get_annotation_service().create_input(user, inp, text, notes)
    except AnnotationError as exc:
        fail(exc)
    body = model.to_jsonld(rec, base_url())
    return ld_response(body, 201, headers={"Location": body["id"]})


@bp.get("/annotations/<annotation_id:annotation_id>")
def get_one(annotation_id: str):
    """One annotation."""
    require_user()
    try:
        rec = services.get_annotation_service().get(annotation_id, viewer=g.user)
    except AnnotationError as exc:
        fail(exc)
    body = model.to_jsonld(rec, base_url())
    removed = removed_documents([rec]).get(rec.doc_id)
    if removed is not None:  # marked as in the collections and exports
        body[export.REMOVED_KEY] = export.removed_jsonld(removed)
    return ld_response(body)


def _patch_body(data: dict) -> tuple[str | None, list[str] | None]:
    if "body" not in data and "bodyValue" not in data:
        return None, None
    probe = dict(
        data, target={"source": "x" + model.DOC_PATH + "x", "selector": {"type": "TextQuoteSelector", "exact": "x"}}
    )
    try:
        inp = model.from_jsonld(probe)
    except model.JsonLdError as exc:
        abort(400, description=f"Invalid annotation: {exc}")
    return inp.comment, inp.tags


@bp.patch("/annotations/<annotation_id:annotation_id>")
def patch(annotation_id: str):
    """Change comment, tags, visibility or place of your annotation."""
    user = require_user()
    data = read_json()
    service = services.get_annotation_service()
    try:
        old = service.get(annotation_id, viewer=user)
        comment, tags = _patch_body(data)
        visibility = data.get(model.VISIBILITY_KEY)
        if "target" not in data and comment is None and visibility is None:
            abort(400, description="Nothing to change: send body, target or glossa:visibility.")
        if "target" in data:
            inp = model.from_jsonld({"type": "Annotation", "target": data["target"]})
            if inp.doc_id != old.doc_id:
                abort(400, description="target.source: an annotation cannot move to another document.")
            notes = None
            if inp.note is not None:
                notes = document_notes(old.doc_id)
                text = note_text(notes, inp.note)
            else:
                text = document_text(old.doc_id)
            inp = position_hint(inp, text)
            start, end = place_quote(text, inp.exact, inp.start, inp.end, inp.prefix, inp.suffix)
            if notes is None:
                rec = service.replace_anchor(annotation_id, user, start, end, text)
            else:
                rec = service.replace_anchor(annotation_id, user, start, end, None, note=inp.note, notes=notes)
        if comment is not None or visibility is not None:
            rec = service.update(annotation_id, user, comment=comment, tags=tags, visibility=visibility)
    except model.JsonLdError as exc:
        abort(400, description=f"Invalid annotation: {exc}")
    except AnnotationError as exc:
        fail(exc)
    return ld_response(model.to_jsonld(rec, base_url()))


@bp.delete("/annotations/<annotation_id:annotation_id>")
def delete(annotation_id: str):
    """Delete your annotation."""
    user = require_user()
    service = services.get_annotation_service()
    try:
        service.delete(annotation_id, user)
    except AnnotationError as exc:
        fail(exc)
    return Response(status=204)


@bp.post("/annotations/<annotation_id>/accept")
def accept(annotation_id: str):
    """Accept the place re-anchoring gave your annotation under review."""
    user = require_user()
    try:
        rec = services.get_annotation_service().accept_anchor(annotation_id, user)
    except AnnotationError as exc:
        fail(exc)
    return ld_response(model.to_jsonld(rec, base_url()))


@bp.get("/annotations/<annotation_id>/history")
def history(annotation_id: str):
    """Every step of an annotation's anchor, oldest first."""
    require_user()
    service = services.get_annotation_service()
    try:
        rec = service.get(annotation_id, viewer=g.user)
        steps = service.history(annotation_id, viewer=g.user)
    except AnnotationError as exc:
        fail(exc)
    return ld_response(
        {
            "@context": model.CONTEXT,
            "id": model.annotation_iri(base_url(), rec.id),
            model.STATUS_KEY: rec.status,
            model.HISTORY_KEY: model.history_jsonld(steps, base_url()),
        }
    )


@bp.get("/annotations/tags")
def tags():
    """Tags in use that you can see, most used first (for autocomplete)."""
    require_user()
    doc = (request.args.get("doc") or "").strip() or None
    counts = services.get_annotation_service().tag_counts(viewer=g.user, doc_id=doc)
    return {"tags": [{"tag": t, "count": n} for t, n in counts]}


@bp.get("/annotations/export")
def export_annotations():
    """Download the annotations you may see (jsonld, csv or markdown)."""
    require_user()
    fmt = (request.args.get("format") or "jsonld").strip().lower()
    items = visible_annotations(list_filters())
    histories = None
    if fmt == "jsonld":
        histories = services.get_annotation_service().histories([a.id for a in items], g.user)
    text, mime, name = export_payload(fmt, items, histories)
    return Response(text, content_type=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})
