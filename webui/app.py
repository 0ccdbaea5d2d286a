"""The Flask application factory: the composition root of Glossa."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from annotations.base import DISK_FULL, is_disk_full
from indexer.whoosh_internals import check_at_start

from . import config as settings
from .services import DatabaseUnavailable

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _secret_key(data_dir: Path) -> str:
    """Read the session secret kept in the data directory, creating it once."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


class InsufficientStorage(HTTPException):
    """507: the disk is full, so a change could not be saved (Werkzeug has no class for it)."""

    code = 507
    name = "Insufficient Storage"
    description = "The disk is full, so the change was not saved."


#: hosts a single-user server on this machine is reached by
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def trusted_hosts(config: dict[str, Any]) -> list[str] | None:
    """The Host names to accept (Flask's TRUSTED_HOSTS); None accepts any ('*')."""
    hosts = config.get("TRUSTED_HOSTS")
    if hosts is None:
        hosts = list(LOCAL_HOSTS)
        base = urlsplit(str(config.get("BASE_URL") or "")).hostname
        if base and base not in hosts:
            hosts.append(base)
    return None if list(hosts) == ["*"] else list(hosts)


def allow_host(app: Flask, host: str) -> None:
    """Also accept requests addressed to ``host`` (the address the server listens on)."""
    host = host.strip().strip("[]").lower()
    hosts = app.extensions.get("glossa_hosts")
    if hosts is not None and host and host not in ("0.0.0.0", "::") and host not in hosts:
        hosts.append(host)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Glossa app.

    :param config: settings that win over defaults, the instance file and the environment.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.aborter.mapping[507] = InsufficientStorage  # abort(507) from AnnotationError(507)
    # Order matters: defaults, then the optional instance file, then GLOSSA_* variables,
    # then what the caller passed (so tests win).
    app.config.from_mapping(settings.defaults())
    app.config.from_pyfile("glossa.cfg", silent=True)
    app.config.update(settings.from_environment())
    if config:
        app.config.update(config)
    # a setting that cannot be used stops here with a message, before anything is created
    app.config.update(settings.check(app.config))

    data_dir = settings.resolve_data_dir(app.config.get("DATA_DIR"))
    app.config["DATA_DIR"] = str(data_dir)
    app.config["INDEX_DIR"] = app.config.get("INDEX_DIR") or str(data_dir / "index")
    app.config["DATABASE_URL"] = app.config.get("DATABASE_URL") or f"sqlite:///{data_dir / 'glossa.db'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(data_dir)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    # JSON bodies keep the order they are built in (Flask 3 reads this, not JSON_SORT_KEYS):
    # sorting every key of every search answer is work no client needs
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Host names are checked by webui.limits (Werkzeug's own TRUSTED_HOSTS check cannot
    # match IPv6 literals such as [::1]), so Flask's is left off
    app.extensions["glossa_hosts"] = trusted_hosts(app.config)
    app.config["TRUSTED_HOSTS"] = None
    proxies = app.config.get("PROXY_FIX") or 0
    if proxies:
        # Flask's documented way to wrap the WSGI app, which its type hints do not allow for
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    from . import caches, health, limits, services

    check_at_start()  # Whoosh's private parts checked once per process (said when they fall back)
    services.init_app(app)
    caches.init_app(app)
    from .entity_corrections import CorrectedStore

    app.extensions["glossa"]["store_view"] = CorrectedStore  # entity corrections on every page and route
    _register_blueprints(app)
    limits.init_app(app)  # after the user and CSRF hooks: a write is refused before it queues
    _register_errors(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.add_url_rule("/healthz", "health", health.healthz)
    return app


def _register_blueprints(app: Flask) -> None:
    from . import annotate, auth, roles
    from .api import annotations as api_annotations
    from .api import documents as api_documents
    from .api import entity_rules as api_entity_rules
    from .api import jobs as api_jobs
    from .views import catalog, helpers, reader, search, upload

    auth.init_app(app)
    roles.init_app(app)
    helpers.init_app(app)
    for module in (search, reader, catalog, annotate, upload):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_documents.bp, url_prefix="/api")
    app.register_blueprint(api_annotations.bp, url_prefix="/api")
    app.register_blueprint(api_jobs.bp, url_prefix="/api")
    app.register_blueprint(api_entity_rules.bp, url_prefix="/api")


def wants_json() -> bool:
    """True for API requests, whose errors must be JSON."""
    return request.path == "/api" or request.path.startswith("/api/")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # keep headers such as Allow (405) and WWW-Authenticate (401), not the content type
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if wants_json():
            return jsonify(error=exc.name, message=exc.description, status=exc.code), exc.code, headers
        page = render_template("error.html", status=exc.code, title=exc.name, message=exc.description)
        return page, exc.code, headers

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(exc: DatabaseUnavailable):
        app.logger.error("%s", exc)
        message = "The annotation database is unavailable; the error was logged."
        if wants_json():
            return jsonify(error="Service Unavailable", message=message, status=503), 503
        return render_template("error.html", status=503, title="Service unavailable", message=message), 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if is_disk_full(exc):  # SQLite's "database or disk is full", OSError ENOSPC
            app.logger.error("disk full: %s", exc)
            message = DISK_FULL[0].upper() + DISK_FULL[1:] + "."
            return http_error(InsufficientStorage(message))
        app.logger.exception("unhandled error")
        message = "Something went wrong on our side; the error was logged."
        if wants_json():
            return jsonify(error="Internal Server Error", message=message, status=500), 500
        return render_template("error.html", status=500, title="Internal error", message=message), 500
