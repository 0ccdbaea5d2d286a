"""Users and access for the web layer: who is asking (``g.user``), and CSRF protection.

Two modes, chosen by the AUTH setting (env GLOSSA_AUTH):

* ``single`` (default, for ``glossa demo``): every request acts as the local user
  ``local`` (created on first use); there is no login.
* ``accounts``: local accounts (``glossa user add NAME``); people sign in at ``/login``.
  The whole site needs a signed-in user (HTML pages redirect to ``/login``, the API
  answers 401), because shared annotations and their tags are for signed-in users only.

Sessions are signed cookies that also carry the user's *session version* (a number kept in
the database): signing out, or a password change, increments it, which ends every session of
that user, on every browser, at once. Sign-in attempts are rate limited per name and per
client address (see :mod:`webui.limits`).

Everywhere, a request carrying ``Authorization: Bearer <token>`` (``glossa token create
NAME``) acts as that token's user; a bad token is a 401.

CSRF: each session holds a random token, given to pages as ``csrf_token()`` (meta tag
``<meta name="csrf-token">`` and hidden ``csrf_token`` form fields). Every POST, PUT,
PATCH and DELETE that is not authenticated by an API token must send it back, in the
``X-CSRF-Token`` header or the ``csrf_token`` form field; otherwise it is refused (403).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from annotations.base import AnnotationError

from . import limits, services

LOCAL_USER = "local"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: endpoints reachable without signing in when AUTH is "accounts"
PUBLIC_ENDPOINTS = frozenset({"static", "health", "annotate.login", "annotate.logout"})


def auth_mode() -> str:
    """'single' or 'accounts' (unknown values fall back to 'single')."""
    mode = str(current_app.config.get("AUTH") or "single").strip().lower()
    return "accounts" if mode == "accounts" else "single"


def current_user():
    """The user of this request (an ``annotations.base.UserRecord``) or None."""
    return g.get("user")


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    token = session.get("csrf_token")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf_token"] = token
    return token


def attempt_login(name: str, password: str) -> tuple[object | None, int]:
    """(user, 0) for a right password; (None, 0) for a wrong one; (None, seconds) while this
    name or client address is locked out (then no password is checked at all)."""
    limiter = limits.login_limiter(current_app)
    address = limits.client_address()
    wait = limiter.retry_after(name, address)
    if wait:
        return None, wait
    user = services.get_annotation_service().authenticate(name, password)
    if user is None:
        limiter.failed(name, address)
        return None, 0
    limiter.succeeded(name)
    return user, 0


def login_user(user) -> None:
    """Start a fresh session for ``user`` (new CSRF token, no fixation) under its session version."""
    version = services.get_annotation_service().session_version(user)
    session.clear()
    session["user"] = user.name
    session["sv"] = version
    session["csrf_token"] = secrets.token_urlsafe(32)
    g.user = user


def logout_user() -> None:
    """Forget the signed-in user here, and end every session of that user on the server."""
    user = g.get("user")
    session.clear()
    g.user = None
    if user is not None and auth_mode() == "accounts" and not g.get("token_auth"):
        services.get_annotation_service().end_sessions(user)


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _local_user():
    service = services.get_annotation_service()
    user = service.get_user(LOCAL_USER)
    if user is not None:
        return user
    try:  # first use: create it; a failed write (full disk) must not stop reading
        return service.ensure_user(LOCAL_USER)
    except AnnotationError as exc:
        current_app.logger.warning("cannot create the local user: %s", exc.message)
        return None


def _load_user() -> None:
    g.user = None
    g.token_auth = False
    if request.endpoint in ("static", "health"):  # no user needed (and /healthz must not need the database)
        return
    token = _bearer_token()
    if token is not None:
        user = services.get_annotation_service().user_for_token(token)
        if user is None:
            abort(401, description="The API token is unknown or was revoked.")
        g.user = user
        g.token_auth = True
        return
    if auth_mode() == "single":
        g.user = _local_user()
        return
    name = session.get("user")
    if name is not None:
        version = session.get("sv")
        user = services.get_annotation_service().session_user(name, version) if isinstance(version, int) else None
        if user is None:  # signed out elsewhere, password changed, or the account was removed
            session.clear()
        g.user = user


def _check_csrf() -> None:
    # a request that matched no route (404, or 405 for a read-only route) changes nothing:
    # let routing answer it rather than claim a CSRF failure
    if request.method not in WRITE_METHODS or g.get("token_auth") or request.routing_exception is not None:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf_token") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, description="Missing or invalid CSRF token: reload the page and try again.")


def _require_login():
    if auth_mode() != "accounts" or g.get("user") is not None:
        return None
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if request.path.startswith("/api/"):
        abort(401, description="Sign in (or send an API token) to use this service.")
    return redirect(url_for("annotate.login", next=request.full_path.rstrip("?")))


def _before_request():
    _load_user()
    _check_csrf()
    return _require_login()


def _template_context() -> dict:
    return {"current_user": current_user(), "auth_mode": auth_mode(), "csrf_token": csrf_token}


def init_app(app: Flask) -> None:
    """Register the user-loading, login-required and CSRF hooks on the app."""
    app.before_request(_before_request)
    app.context_processor(_template_context)
