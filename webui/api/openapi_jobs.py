"""OpenAPI description of uploading and removing documents (webui/api/documents.py) and of the
jobs that do it (webui/api/jobs.py)."""

from __future__ import annotations

from typing import Any

from ..intake import MAX_DEPTH
from ..jobs import JOB_STATES
from .openapi_schemas import INT, OPT_STR, STR, array, obj, ref

FILE_STATES = ["queued", "processing", "added", "unchanged", "updated", "failed", "removed"]

JOB_FILE = obj(
    {"name": STR, "status": {"enum": FILE_STATES}, "reason": STR},
    {
        "sent_as": STR,
        "size": INT,
        "zip": STR,
        "doc_id": OPT_STR,
        "hash": STR,
        "annotations_kept": INT,
    },
    description="One file of an upload (name: where it is kept in the corpus folder; sent_as: as it "
    "was sent) or one document of a removal, with its result and, for failed, why.",
)
SUMMARY = obj({name: INT for name in (*FILE_STATES[2:], "pending")}, description="Files per result.")
JOB = obj(
    {
        "id": STR,
        "kind": {"enum": ["upload", "remove"]},
        "status": {"enum": list(JOB_STATES)},
        "user": STR,
        "created": STR,
        "started": OPT_STR,
        "finished": OPT_STR,
        "message": STR,
        "files": array(ref("JobFile")),
        "summary": ref("JobSummary"),
    },
    {"total_size": INT, "tagger": STR, "reanchored": {"type": "object"}},
    description="An upload or removal job: queued, then running (one at a time, in the background), "
    "then done or failed. Poll GET /api/jobs/{job_id} until it is done.",
)
JOB_SCHEMAS: dict[str, Any] = {
    "Job": JOB,
    "JobFile": JOB_FILE,
    "JobSummary": SUMMARY,
    "JobList": obj({"jobs": array(ref("Job"))}),
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


#: a file's relative name in a folder upload, as the spec promises it is accepted: each part
#: starts with a letter, digit or _ (never "/", "C:", "." or ".."), at most MAX_DEPTH parts;
#: the server takes more (webui.intake.safe_name) and refuses absolute names and ".." (400)
_PART = "[\\w][\\w .()+,&'@-]*"
RELATIVE_NAME = {
    "type": "string",
    "pattern": f"^{_PART}(/{_PART}){{0,{MAX_DEPTH - 1}}}$",
    "description": "The file's name relative to the uploaded folder, e.g. reports/2021/brief.pdf.",
}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def _accepted(description: str) -> dict[str, Any]:
    answer = _json("Job", description)
    answer["headers"] = {"Location": {"description": "The job's URL (GET /api/jobs/{job_id}).", "schema": STR}}
    return answer


ROLE_ERRORS = {
    "401": _error("Not signed in (AUTH=accounts) and no valid API token."),
    "403": _error("The account's role is not editor or admin (or the CSRF token is missing)."),
}


def job_paths(doc_id_param: dict) -> dict[str, Any]:
    """The upload, removal and job paths (the caller merges them with the GETs of the same paths)."""
    job_id = {
        "name": "job_id",
        "in": "path",
        "required": True,
        "description": "Job id, as returned by POST /api/documents or DELETE /api/documents/{doc_id}.",
        "schema": STR,
        "example": "20261201T230501-0a1b2c3d",
    }
    return {
        "/api/documents": {
            "post": {
                "operationId": "uploadDocuments",
                "summary": "Upload files, or a zip of them, into the corpus (editors)",
                "description": "Multipart: one or more `files` parts (a .zip is expanded), optionally `paths` "
                "parts giving each file's relative name (a folder upload). Every limit (UPLOAD_* settings) is "
                "checked before anything is written; a file of a type not accepted, or whose content does not "
                "look like its type, fails alone. The files are ingested in the background: follow the job.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["files"],
                                "properties": {
                                    "files": array({"type": "string", "contentMediaType": "application/octet-stream"})
                                    | {"minItems": 1},
                                    "paths": array(RELATIVE_NAME),
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "202": _accepted("The upload is queued: its job."),
                    "400": _error("No file, an unsafe name (absolute, '..'), or an unsafe or unreadable zip."),
                    "413": _error("Over a limit: file size, total size, number of files, zip entries or expansion."),
                    "415": _error("No file of the upload is of an accepted type."),
                    **ROLE_ERRORS,
                },
            }
        },
        "/api/documents/{doc_id}": {
            "delete": {
                "operationId": "removeDocument",
                "summary": "Remove a document (editors); its annotations are kept",
                "description": "Queues the removal: the document leaves the index and the store in the "
                "background. Its annotations are never deleted: they are listed and exported as belonging "
                "to a removed document, and come back with it when the same file is uploaded again.",
                "parameters": [
                    doc_id_param,
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "description": "The document's ETag from GET /api/documents/{doc_id} (the version you "
                        "mean to remove), or * for whatever version is current.",
                        "schema": STR,
                    },
                ],
                "responses": {
                    "202": _accepted("The removal is queued: its job."),
                    "404": _error("No such document."),
                    "412": _error("The document changed since (it was ingested again): its ETag differs."),
                    "428": _error("No If-Match header: say which version you remove."),
                    **ROLE_ERRORS,
                },
            }
        },
        "/api/jobs": {
            "get": {
                "operationId": "listJobs",
                "summary": "Upload and removal jobs, newest first (editors)",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "How many (1-200, default 20).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    }
                ],
                "responses": {"200": _json("JobList", "The jobs."), **ROLE_ERRORS},
            }
        },
        "/api/jobs/{job_id}": {
            "get": {
                "operationId": "getJob",
                "summary": "One job: its status and each file's result (editors)",
                "parameters": [job_id],
                "responses": {
                    "200": _json("Job", "The job."),
                    "404": _error("No such job."),
                    **ROLE_ERRORS,
                },
            }
        },
    }
