"""The production server: the app built from settings, migrated, then served by waitress.

One process with ``THREADS`` worker threads (waitress), not several processes: the search
caches (postings arrays, result caches) are built once and shared by every thread, where N
worker processes would hold N copies of them. ``CONNECTION_LIMIT`` bounds the connections
waitress keeps open, and ``MAX_CONTENT_LENGTH`` the request bodies it reads (larger ones
get 413 from waitress before the app sees them; the app checks the same limit for servers
that do not).

:func:`build_app` is also what the WSGI entry point (:mod:`webui.wsgi`) uses, so any other
WSGI server gets an app that is migrated before its first request.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from . import services
from .app import allow_host, create_app
from .intake import upload_body_limit

log = logging.getLogger(__name__)


def build_app(host: str | None = None, **config: Any) -> Flask:
    """The app from settings (and ``config``), with its database migrated, ready to serve.

    :param host: the address the server listens on, accepted as a Host header too.
    """
    app = create_app(config or None)
    services.migrate(app)
    if host:
        allow_host(app, host)
    return app


def create_server(app: Flask, host: str, port: int, **options: Any):
    """A waitress server for ``app`` bound to host:port (port 0: a free one, see
    ``server.effective_port``); ``run()`` serves until ``close()``."""
    from waitress.server import create_server as waitress_server

    settings = {
        "threads": app.config["THREADS"],
        "connection_limit": app.config["CONNECTION_LIMIT"],
        # the upload routes take up to UPLOAD_MAX_TOTAL_SIZE; the app checks each route's own limit
        "max_request_body_size": max(app.config["MAX_CONTENT_LENGTH"], upload_body_limit(app.config)),
        # Glossa reads forwarded headers itself when PROXY_FIX says how many proxies to trust
        "trusted_proxy": None,
        "clear_untrusted_proxy_headers": False,
        "channel_timeout": 60,
        "ident": "glossa",
        "expose_tracebacks": False,
    }
    settings.update(options)
    return waitress_server(app, host=host, port=port, **settings)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted."""
    server = create_server(app, host, port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
