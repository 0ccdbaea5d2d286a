"""HTML pages for annotations (blueprint ``bp``): /annotations, /login, /logout; and
:func:`reanchor_documents`, which the ingest command calls after re-ingesting documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, url_for

from annotations import model
from annotations.base import AnnotationError
from annotations.models import STATUSES, VISIBILITIES

from . import auth, services
from .annotation_lists import visible_annotations
from .params import MAX_FILTER

bp = Blueprint("annotate", __name__)

FILTER_KEYS = ("tag", "doc", "author", "q", "visibility", "status")
#: how /annotations names each status
STATUS_LABELS = {"anchored": "anchored", "review": "needs review", "orphaned": "orphaned"}


@bp.app_template_global()
def annotation_source_iri(doc_id: str) -> str:
    """The IRI annotations use as target source for a document."""
    return model.document_iri(str(current_app.config.get("BASE_URL") or request.host_url), doc_id)


def _filters() -> dict:
    out = {k: (request.args.get(k) or "").strip()[:MAX_FILTER] or None for k in FILTER_KEYS}
    if out["visibility"] not in VISIBILITIES:
        out["visibility"] = None
    if out["status"] not in STATUSES:
        out["status"] = None
    return out


@bp.get("/annotations", endpoint="annotations")
def annotations_page():
    """Every annotation you may see, filtered, with tag counts and export links."""
    if g.get("user") is None:
        return redirect(url_for("annotate.login", next=request.full_path.rstrip("?")))
    filters = _filters()
    service = services.get_annotation_service()
    items = visible_annotations(filters)
    store = services.get_store()
    titles = {s.doc_id: s.title for s in store.summaries()}
    # documents taken out of the corpus: their annotations are kept and marked (webui.jobs)
    removed = {r.doc_id: r for r in service.removed_documents() if r.doc_id not in titles}
    export_args = {k: v for k, v in filters.items() if v}
    return render_template(
        "annotations.html",
        items=items,
        filters=filters,
        titles=titles,
        removed=removed,
        authors=sorted({a.creator for a in service.find(viewer=g.user)}),
        tag_counts=service.tag_counts(viewer=g.user, doc_id=filters["doc"]),
        # anchored / review (moved with changes, to accept or re-place) / orphaned
        status_counts={s: service.count(viewer=g.user, doc_id=filters["doc"], status=s) for s in STATUSES},
        status_labels=STATUS_LABELS,
        export_links=[
            (label, url_for("api_annotations.export_annotations", format=fmt, **export_args))
            for fmt, label in (("jsonld", "JSON-LD"), ("csv", "CSV"), ("markdown", "Markdown"))
        ],
    )


@bp.post("/annotations/<annotation_id>/accept", endpoint="accept")
def accept_page(annotation_id: str):
    """Accept where re-anchoring put your annotation under review, then back to the list."""
    if g.get("user") is None:
        return redirect(url_for("annotate.login", next=url_for("annotate.annotations")))
    try:
        services.get_annotation_service().accept_anchor(annotation_id, g.user)
    except AnnotationError as exc:
        abort(exc.status, description=exc.message)
    target = request.form.get("next")
    return redirect(_safe_next(target) if target else url_for("annotate.annotations"))


def _safe_next(target: str | None) -> str:
    """A same-site path to go to after login (never another host)."""
    if not target:
        return url_for("search.search")
    parts = urlsplit(target)
    # browsers read "/\evil.example" as "//evil.example": no backslashes or control characters
    unsafe = "\\" in target or any(ord(c) < 32 for c in target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or unsafe:
        return url_for("search.search")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a local account (AUTH=accounts)."""
    if auth.auth_mode() != "accounts":
        return redirect(_safe_next(request.values.get("next")))
    error = None
    name = ""
    status, headers = 200, {}
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        password = request.form.get("password") or ""
        user, wait = auth.attempt_login(name, password) if name else (None, 0)
        if user is not None:
            auth.login_user(user)
            return redirect(_safe_next(request.form.get("next")))
        if wait:
            error = f"Too many failed sign-ins for this name or from this address: try again in {wait} seconds."
            status, headers = 429, {"Retry-After": str(wait)}
        else:
            error, status = "Unknown user name or wrong password.", 401
    page = render_template("login.html", error=error, name=name, next=request.values.get("next", ""))
    return page, status, headers


@bp.post("/logout")
def logout():
    """Sign out (POST with the CSRF token)."""
    auth.logout_user()
    return redirect(url_for("annotate.login") if auth.auth_mode() == "accounts" else url_for("search.search"))


REANCHOR_KEYS = ("kept", "moved_unchanged", "moved_changed", "orphaned")


def reanchor_documents(app: Flask, doc_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """Re-anchor the annotations of re-ingested documents to their new text (their tags
    follow: search reads them from the database); returns doc_id -> {"kept",
    "moved_unchanged", "moved_changed", "orphaned"} for the documents that have annotations.
    Call after ingest."""
    out: dict[str, dict[str, int]] = {}
    with app.app_context():
        service = services.get_annotation_service()
        store = services.get_store()
        for doc_id in doc_ids:
            stored = store.get(doc_id)
            if stored is None:
                continue
            try:
                notes = [(n.number, n.text) for n in stored.document.footnotes]
                summary = service.reanchor(doc_id, stored.document.text, notes)
            except AnnotationError as exc:
                app.logger.warning("re-anchoring %s failed: %s", doc_id, exc.message)
                continue
            counts = summary.to_dict()
            out[doc_id] = {k: counts[k] for k in REANCHOR_KEYS}
    return out


def describe_reanchoring(doc_id: str, counts: dict[str, int]) -> str:
    """One line for the ingest summary: what happened to a document's annotations."""
    line = (
        f"Annotations of {doc_id}: {counts['kept']} kept, {counts['moved_unchanged']} moved unchanged, "
        f"{counts['moved_changed']} moved with changes, {counts['orphaned']} orphaned."
    )
    todo = []
    if counts["moved_changed"]:
        todo.append("moved with changes: to review (/annotations?status=review)")
    if counts["orphaned"]:
        todo.append("orphaned: to re-place (/annotations?status=orphaned)")
    return line + (f" ({'; '.join(todo)})" if todo else "")
