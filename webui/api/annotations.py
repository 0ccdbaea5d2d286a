"""The annotation API (blueprint ``bp``, mounted at /api): W3C Web Annotations as JSON-LD.

Responses have the content type
``application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"``; errors are JSON
``{"error", "message", "status"}`` saying what is wrong. Who you are: see webui/auth.py
(session cookie + ``X-CSRF-Token`` header for writes, or ``Authorization: Bearer <token>``).

* ``GET /api/annotations?doc=&tag=&author=&q=&visibility=private|shared&status=anchored|orphaned&limit=&offset=``
  -> 200 AnnotationCollection ``{"@context", "id", "type": "AnnotationCollection", "label",
  "total", "first": {"type": "AnnotationPage", "items": [Annotation...]}}`` of the
  annotations you may see (yours and shared ones), in document order.
* ``POST /api/annotations`` with an Annotation: ``{"type": "Annotation", "body": [
  {"type": "TextualBody", "purpose": "commenting", "value": "..."},
  {"type": "TextualBody", "purpose": "tagging", "value": "pushbacks"}],
  "target": {"source": "<BASE_URL>/doc/<doc_id>", "selector": [
  {"type": "TextQuoteSelector", "exact", "prefix", "suffix"},
  {"type": "TextPositionSelector", "start", "end"}]}, "glossa:visibility": "private"|"shared"}``
  -> 201 the stored Annotation (with ``id``, ``creator``, ``created``, ``modified``,
  ``glossa:status``), ``Location`` header. 400 malformed JSON or bad field, 404 unknown
  document, 400/422 selector outside the text or quote not in the text, 413 too large.
* ``GET /api/annotations/<id>`` -> 200 Annotation; 404 unknown or not visible to you.
* ``PATCH /api/annotations/<id>`` with any of ``body`` (replaces comment and tags),
  ``glossa:visibility``, ``target`` (re-places the annotation, e.g. an orphan) -> 200
  Annotation; 403 not the author; 404 unknown or invisible.
* ``DELETE /api/annotations/<id>`` -> 204; 403 not the author.
* ``GET /api/annotations/tags?doc=`` -> 200 ``{"tags": [{"tag", "count"}]}`` (tags you can
  see, most used first; feeds autocomplete).
* ``GET /api/annotations/export?format=jsonld|csv|markdown`` (same filters as the list) ->
  a download of the annotations you may see.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, g, request

from annotations import export, model
from annotations.base import AnnotationError
from annotations.models import STATUSES, VISIBILITIES
from annotations.validation import MAX_DOC_ID, place_quote

from .. import services
from ..params import MAX_LIMIT, int_param

bp = Blueprint("api_annotations", __name__)

LD_JSON = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
MAX_BODY = 256 * 1024
EXPORT_TYPES = {
    "jsonld": ("application/ld+json", "annotations.jsonld"),
    "csv": ("text/csv; charset=utf-8", "annotations.csv"),
    "markdown": ("text/markdown; charset=utf-8", "annotations.md"),
}


def base_url() -> str:
    """The public base URL used in annotation and document IRIs."""
    return str(current_app.config.get("BASE_URL") or request.host_url).rstrip("/")


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
    stored = services.get_store().get(doc_id) if len(doc_id) <= MAX_DOC_ID else None
    if stored is None:
        abort(
            404,
            description=f"Unknown document {doc_id[:MAX_DOC_ID]!r}: annotate a document listed by GET /api/documents.",
        )
    return stored.document.text


def list_filters() -> dict:
    """The list/export filters of the query string, checked."""
    args = request.args
    out = {k: (args.get(k) or "").strip() or None for k in ("doc", "tag", "author", "q", "visibility", "status")}
    for name, allowed in (("visibility", VISIBILITIES), ("status", STATUSES)):
        if out[name] not in (None, *allowed):
            abort(400, description=f"Parameter {name!r} must be " + " or ".join(map(repr, allowed)) + ".")
    return out


def visible_annotations(filters: dict, limit: int | None = None, offset: int = 0) -> list:
    """The annotations the current user may see, filtered."""
    service = services.get_annotation_service()
    items = service.list(
        viewer=g.user,
        doc_id=filters["doc"],
        tag=filters["tag"],
        author=filters["author"],
        q=filters["q"],
        status=filters["status"],
    )
    if filters["visibility"]:
        items = [a for a in items if a.visibility == filters["visibility"]]
    end = None if limit is None else offset + limit
    return items[offset:end]


def _sync_index(*records) -> None:
    """Reflect tag changes in the search index; a failure is logged, the annotation is kept."""
    try:
        services.get_tag_index().sync_for(records)
    except Exception:  # noqa: BLE001 - the annotation is saved; the index can be re-synced
        current_app.logger.exception("could not update passage tags in the index")


@bp.get("/annotations")
def collection():
    """The annotations you may see, as an AnnotationCollection."""
    require_user()
    filters = list_filters()
    limit = int_param("limit", 1000, 0, MAX_LIMIT)
    offset = int_param("offset", 0, 0, 10**9)
    items = visible_annotations(filters, limit, offset)
    cid = base_url() + request.full_path.rstrip("?")
    return ld_response(model.collection_jsonld(items, base_url(), collection_id=cid))


@bp.post("/annotations")
def create():
    """Create an annotation from W3C JSON-LD."""
    user = require_user()
    data = read_json()
    try:
        inp = model.from_jsonld(data)
    except model.JsonLdError as exc:
        abort(400, description=f"Invalid annotation: {exc}")
    text = document_text(inp.doc_id)
    try:
        rec = services.get_annotation_service().create_input(user, inp, text)
    except AnnotationError as exc:
        fail(exc)
    _sync_index(rec)
    body = model.to_jsonld(rec, base_url())
    return ld_response(body, 201, headers={"Location": body["id"]})


@bp.get("/annotations/<annotation_id>")
def get_one(annotation_id: str):
    """One annotation."""
    require_user()
    try:
        rec = services.get_annotation_service().get(annotation_id, viewer=g.user)
    except AnnotationError as exc:
        fail(exc)
    return ld_response(model.to_jsonld(rec, base_url()))


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


@bp.patch("/annotations/<annotation_id>")
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
            text = document_text(old.doc_id)
            start, end = place_quote(text, inp.exact, inp.start, inp.end, inp.prefix, inp.suffix)
            rec = service.replace_anchor(annotation_id, user, start, end, text)
        if comment is not None or visibility is not None:
            rec = service.update(annotation_id, user, comment=comment, tags=tags, visibility=visibility)
    except model.JsonLdError as exc:
        abort(400, description=f"Invalid annotation: {exc}")
    except AnnotationError as exc:
        fail(exc)
    _sync_index(old, rec)
    return ld_response(model.to_jsonld(rec, base_url()))


@bp.delete("/annotations/<annotation_id>")
def delete(annotation_id: str):
    """Delete your annotation."""
    user = require_user()
    service = services.get_annotation_service()
    try:
        old = service.get(annotation_id, viewer=user)
        service.delete(annotation_id, user)
    except AnnotationError as exc:
        fail(exc)
    _sync_index(old)
    return Response(status=204)


@bp.get("/annotations/tags")
def tags():
    """Tags in use that you can see, most used first (for autocomplete)."""
    require_user()
    doc = (request.args.get("doc") or "").strip() or None
    counts = services.get_annotation_service().tag_counts(viewer=g.user, doc_id=doc)
    return {"tags": [{"tag": t, "count": n} for t, n in counts]}


def passage_for(doc_id: str, offset: int) -> int | None:
    """Ordinal of the passage holding a text offset (for the CSV export)."""
    stored = services.get_store().get(doc_id)
    if stored is None:
        return None
    for p in stored.document.passages:
        if p.start <= offset < max(p.end, p.start + 1):
            return p.ordinal
    return None


def doc_info(doc_id: str) -> dict | None:
    """Title and offset -> page lookup of a document (for the Markdown export)."""
    stored = services.get_store().get(doc_id)
    if stored is None:
        return None
    doc = stored.document

    def page_for(offset: int):
        return next((p.page for p in doc.passages if p.start <= offset < max(p.end, p.start + 1)), None)

    return {"title": doc.title, "page_for": page_for}


def export_payload(fmt: str, items: list) -> tuple[str, str, str]:
    """(text, content type, file name) of the annotations in one export format."""
    if fmt not in EXPORT_TYPES:
        abort(400, description="Parameter 'format' must be jsonld, csv or markdown.")
    mime, name = EXPORT_TYPES[fmt]
    if fmt == "jsonld":
        text = json.dumps(export.export_jsonld(items, base_url()), ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = export.export_csv(items, base_url(), passage_for)
    else:
        text = export.export_markdown(items, base_url(), doc_info)
    return text, mime, name


@bp.get("/annotations/export")
def export_annotations():
    """Download the annotations you may see (jsonld, csv or markdown)."""
    require_user()
    fmt = (request.args.get("format") or "jsonld").strip().lower()
    text, mime, name = export_payload(fmt, visible_annotations(list_filters()))
    return Response(text, content_type=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})
