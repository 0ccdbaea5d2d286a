"""The JSON API for scripts (mounted at /api): search, documents, footnotes, entities, works;
uploading (``POST /api/documents``, multipart, 202 with a job: see ``/api/jobs/<id>``) and removing
(``DELETE /api/documents/<id>``, 202 with a job) documents, for editors.

Errors are JSON ``{"error", "message", "status"}`` (see app.py's handlers), never HTML.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request, url_for

from .. import entity_corrections, intake, jobs, presenters, services
from ..params import FILTER_PARAMS, MAX_PAGE, MAX_PAGELEN, group_param, int_param, query_too_long
from ..roles import require_role
from .openapi import build_spec

bp = Blueprint("api", __name__)
# an upload may be larger than MAX_CONTENT_LENGTH (UPLOAD_MAX_TOTAL_SIZE bounds it instead)
bp.record_once(lambda state: intake.register_upload_endpoint(state.app, "api.upload_documents"))


def search_filters(args) -> dict[str, str | list[str]]:
    """The filters present in the query string (empty values ignored); a filter given several
    times is a list of its values (any of them)."""
    filters: dict[str, str | list[str]] = {}
    for name in FILTER_PARAMS:
        values = list(dict.fromkeys(v.strip() for v in args.getlist(name) if v and v.strip()))
        if values:
            filters[name] = values[0] if len(values) == 1 else values
    return filters


def _short(query: str, limit: int = 80) -> str:
    """A query quoted for an error message, shortened if long."""
    return repr(query if len(query) <= limit else query[:limit] + "…")


def run_search(searcher, query: str, page: int, pagelen: int, filters: dict, group: str | None = None) -> dict:
    """Run a search and return SearchResults.to_dict(); a query error becomes LookupFailed(400).

    A page past the last one is no error (as with search engines, and as a client paging
    on while the index shrinks expects): it has no hits, and the true ``total`` and
    ``pages`` say where the results end.
    """
    from indexer.search import QueryError

    try:
        results = entity_corrections.ruled(searcher).search(
            query, page=page, pagelen=pagelen, filters=filters or None, group=group
        )
    except QueryError as exc:
        raise presenters.LookupFailed(400, f"Cannot understand the query {_short(query)}: {exc}") from None
    return results.to_dict()


def _fail(exc: presenters.LookupFailed):
    abort(exc.status, description=exc.message)


@bp.get("/search")
def search():
    """Search passages; hits grouped by document, facets, suggestion."""
    query = (request.args.get("q") or "").strip()
    if not query:
        abort(400, description="Parameter 'q' (the query) is required, e.g. /api/search?q=frontex.")
    too_long = query_too_long(query)
    if too_long:
        abort(400, description=too_long)
    page = int_param("page", 1, 1, MAX_PAGE)
    pagelen = int_param("pagelen", int(current_app.config.get("PAGE_SIZE") or 10), 1, MAX_PAGELEN)
    group = group_param()
    try:
        return jsonify(run_search(services.get_searcher(), query, page, pagelen, search_filters(request.args), group))
    except presenters.LookupFailed as exc:
        _fail(exc)


def for_readers(data: dict) -> dict:
    """A document's data without the server's file path: only the file name (``source_name``)."""
    path = data.pop("source_path", None) or ""
    data["source_name"] = path.replace("\\", "/").rsplit("/", 1)[-1]
    return data


@bp.get("/documents")
def documents():
    """Every document with its metadata."""
    return jsonify(documents=[for_readers(d) for d in presenters.document_summaries(services.get_store())])


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    """One document in full."""
    try:
        response = jsonify(for_readers(presenters.document_detail(presenters.get_stored(services.get_store(), doc_id))))
    except presenters.LookupFailed as exc:
        _fail(exc)
    _, version = intake.document_version(doc_id)
    if version:  # what DELETE /api/documents/<id> sends back as If-Match
        response.headers["ETag"] = f'"{version}"'
    return response


def accepted(job: dict):
    """202 with the job and where to follow it."""
    response = jsonify(jobs.public(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api_jobs.job", job_id=job["id"])
    return response


@bp.post("/documents")
@require_role("editor")
def upload_documents():
    """Upload files (multipart field ``files``; a zip is expanded): 202 with the ingest job."""
    try:
        return accepted(intake.upload_from_request())
    except intake.UploadRefused as exc:
        abort(exc.status, description=exc.message)


@bp.delete("/documents/<doc_id>")
@require_role("editor")
def remove_document(doc_id: str):
    """Remove a document (its annotations are kept): 202 with the removal job."""
    try:
        return accepted(intake.removal_from_request(doc_id, request.headers.get("If-Match")))
    except LookupError:
        abort(404, description=f"There is no document {doc_id!r}; see /api/documents.")
    except intake.UploadRefused as exc:
        abort(exc.status, description=exc.message)


@bp.get("/documents/<doc_id>/footnotes/<number>")
def footnote(doc_id: str, number: str):
    """One footnote: text, citing sentences, references, Ibid. target."""
    try:
        stored = presenters.get_stored(services.get_store(), doc_id)
        return jsonify(presenters.footnote_detail(stored, number))
    except presenters.LookupFailed as exc:
        _fail(exc)


@bp.get("/entities")
def entities():
    """The entity index: label, canonical name, mentions, documents."""
    try:
        rows = presenters.entity_index(services.get_store(), request.args.get("type"), request.args.get("q"))
    except presenters.LookupFailed as exc:
        _fail(exc)
    return jsonify(entities=rows)


@bp.get("/works")
def works():
    """Every work cited in the corpus's footnotes."""
    return jsonify(works=presenters.works_index(services.get_store()))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_spec(current_app))
