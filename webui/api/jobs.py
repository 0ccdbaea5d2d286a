"""Upload and removal jobs in the JSON API (mounted at /api), for editors: ``GET /api/jobs``
(the newest first) and ``GET /api/jobs/<id>`` (status and per-file results; poll it)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify

from .. import jobs
from ..params import int_param
from ..roles import require_role

bp = Blueprint("api_jobs", __name__)


@bp.get("/jobs")
@require_role("editor")
def job_list():
    """The newest jobs first (``limit``, default 20)."""
    limit = int_param("limit", 20, 1, 200)
    store = jobs.JobStore(current_app.config["DATA_DIR"])
    return jsonify(jobs=[jobs.public(j) for j in store.recent(limit)])


@bp.get("/jobs/<job_id>")
@require_role("editor")
def job(job_id: str):
    """One job: status, message, and each file's result."""
    store = jobs.JobStore(current_app.config["DATA_DIR"])
    found = store.get(job_id)
    if found is None:
        abort(404, description=jobs.gone_message(current_app, job_id))
    if found.get("status") in ("queued", "running"):
        jobs.ensure_runner(current_app._get_current_object())  # type: ignore[attr-defined]  # e.g. after a server restart
    return jsonify(jobs.public(found))
