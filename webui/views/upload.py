"""The upload pages (editors): send files, a folder or a zip; follow each file's result; remove
a document. Every page works without JavaScript (``upload.js`` adds drag and drop, a folder
picker and live results by polling ``/api/jobs/<id>``).

``GET /upload``, ``POST /upload`` (the plain form: 303 to the job's page), ``GET
/upload/jobs/<id>``, ``GET /documents/<id>/remove`` (the confirmation, which says what happens
to the annotations) and ``POST /documents/<id>/remove``.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from .. import intake, jobs, services
from ..roles import require_role

bp = Blueprint("upload", __name__)
bp.record_once(lambda state: intake.register_upload_endpoint(state.app, "upload.upload_post"))

RESULT_LABELS = {
    "queued": "waiting",
    "processing": "reading",
    "added": "added",
    "unchanged": "unchanged",
    "updated": "updated",
    "failed": "failed",
    "removed": "removed",
}


def _page(error: str = "", status: int = 200):
    config = current_app.config
    limits = intake.Limits.from_config(config)
    recent = jobs.JobStore(config["DATA_DIR"]).recent(10)
    page = render_template(
        "upload.html",
        limits=limits,
        size_text=intake.size_text,
        accept=",".join([f".{t}" for t in limits.types] + [".zip"]),
        recent=[jobs.public(j) for j in recent],
        error=error,
    )
    return page, status


@bp.get("/upload", endpoint="upload_page")
@require_role("editor")
def upload_page():
    """The upload form, the limits, and the latest jobs."""
    return _page()


@bp.post("/upload", endpoint="upload_post")
@require_role("editor")
def upload_post():
    """The plain form's upload: queue it and show its job (or say why it was refused)."""
    try:
        job = intake.upload_from_request()
    except intake.UploadRefused as exc:
        return _page(exc.message, exc.status)
    return redirect(url_for("upload.job", job_id=job["id"]), code=303)


@bp.get("/upload/jobs/<job_id>", endpoint="job")
@require_role("editor")
def job_page(job_id: str):
    """One job's files and results; the page follows it (script, or a refresh without one)."""
    found = jobs.JobStore(current_app.config["DATA_DIR"]).get(job_id)
    if found is None:
        abort(404, description=jobs.gone_message(current_app, job_id))
    if found.get("status") in ("queued", "running"):
        jobs.ensure_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    return render_template("upload_job.html", job=jobs.public(found), labels=RESULT_LABELS)


@bp.get("/documents/<doc_id>/remove", endpoint="remove_confirm")
@require_role("editor")
def remove_confirm(doc_id: str):
    """Ask before removing; say what happens to the document's annotations."""
    entry, version = intake.document_version(doc_id)
    if entry is None:
        abort(404, description=f"There is no document {doc_id!r}.")
    count = services.get_annotation_service().count(viewer=g.get("user"), doc_id=doc_id)
    title = str(entry.get("title") or doc_id)
    return render_template("remove.html", doc_id=doc_id, title=title, annotations=count, version=version)


@bp.post("/documents/<doc_id>/remove", endpoint="remove")
@require_role("editor")
def remove(doc_id: str):
    """Queue the removal and show its job."""
    try:
        job = intake.removal_from_request(doc_id, request.form.get("version"))
    except LookupError:
        abort(404, description=f"There is no document {doc_id!r}.")
    except intake.UploadRefused as exc:
        abort(exc.status, description=exc.message)
    return redirect(url_for("upload.job", job_id=job["id"]), code=303)
