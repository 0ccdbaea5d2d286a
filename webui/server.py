"""The production server: the app built from settings, migrated, then served by waitress.

``WORKERS`` processes, each with ``THREADS`` worker threads (waitress). With one worker
(the default) one process serves every request; the search caches (postings arrays, facet
postings, result caches) are built once and shared by every thread, but Python runs one
thread at a time, so searches use one core. With ``WORKERS`` > 1 the server is a small
pre-fork: the parent builds the app, migrates the database, opens the listening socket and
opens the index and builds its big read-only arrays (facet postings, field lengths, the
postings of the commonest words: :func:`warm`), then forks the workers, which share that
socket and those pages copy-on-write; each worker decodes what else its queries need in
its own (bounded) cache. The parent only supervises: it replaces a worker that dies and
stops them all on SIGTERM or SIGINT. Sign-in backoff counts are kept in memory shared by
every worker (:mod:`webui.limits`), so more workers never mean more guesses.

``CONNECTION_LIMIT`` bounds the connections each worker keeps open, and
``MAX_CONTENT_LENGTH`` the request bodies: the app answers a body over it with its JSON
413 (waitress's own limit is set a little above it, only as a backstop that stops reading
a body with no Content-Length header that goes on past it).

:func:`build_app` is also what the WSGI entry point (:mod:`webui.wsgi`) uses, so any other
WSGI server gets an app that is migrated before its first request.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import socket
import time
import weakref
from typing import Any

from flask import Flask

from indexer.query import QueryError

from . import services
from .app import allow_host, create_app
from .intake import upload_body_limit

log = logging.getLogger(__name__)

#: common words of the index whose postings :func:`warm` decodes before the workers fork
WARM_WORDS = 50
#: a worker that dies this soon after it started is not replaced at once (seconds)
RESTART_BACKOFF = 1.0


def build_app(host: str | None = None, **config: Any) -> Flask:
    """The app from settings (and ``config``), with its database migrated, ready to serve.

    :param host: the address the server listens on, accepted as a Host header too.
    """
    app = create_app(config or None)
    services.migrate(app)
    if host:
        allow_host(app, host)
    _dispose_after_fork(app)
    return app


def _dispose_after_fork(app: Flask) -> None:
    """In a process forked from this one (a worker of :class:`Prefork`, or of gunicorn
    --preload), drop the database connections pooled here: they belong to the parent."""
    ref = weakref.ref(app)

    def in_child() -> None:
        found = ref()
        engine = found.extensions["glossa"].get("engine") if found is not None else None
        if engine is not None:
            engine.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


def _error_task_class():
    """waitress's error response (a request it refuses before the app runs: a body over
    the size limit, headers over 256 KB, a malformed request line or chunked body, an
    unknown Transfer-Encoding), in the app's JSON error shape instead of plain text."""
    from waitress.task import ErrorTask

    class JSONErrorTask(ErrorTask):
        def execute(self) -> None:
            error = self.request.error
            message = {
                413: "The request body is larger than the limit of {limit:,} bytes (MAX_CONTENT_LENGTH, "
                "or for uploads UPLOAD_MAX_TOTAL_SIZE).",
                431: "The request headers are larger than the server accepts.",
            }.get(error.code, "The server could not read this request: {body}.")
            limit = self.channel.server.adj.max_request_body_size - 1
            text = message.format(limit=limit, body=str(error.body).rstrip("."))
            body = json.dumps({"error": error.reason, "message": text, "status": error.code}).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    return JSONErrorTask


def _channel_class():
    from waitress.channel import HTTPChannel

    class JSONErrorChannel(HTTPChannel):
        error_task_class = _error_task_class()

    return JSONErrorChannel


def create_server(app: Flask, host: str | None = None, port: int | None = None, **options: Any):
    """A waitress server for ``app`` bound to host:port (port 0: a free one, see
    ``server.effective_port``), or on the listening sockets of ``sockets=[...]``; ``run()``
    serves until ``close()``."""
    from waitress.server import create_server as waitress_server

    settings = {
        "threads": app.config["THREADS"],
        "connection_limit": app.config["CONNECTION_LIMIT"],
        # waitress refuses a body of this size or more without reading it (413, in JSON:
        # _error_task_class); the app answers the same for what passes (webui.limits). The
        # upload routes take up to UPLOAD_MAX_TOTAL_SIZE: the app checks each route's own limit.
        "max_request_body_size": max(app.config["MAX_CONTENT_LENGTH"], upload_body_limit(app.config)) + 1,
        # Glossa reads forwarded headers itself when PROXY_FIX says how many proxies to trust
        "trusted_proxy": None,
        "clear_untrusted_proxy_headers": False,
        "channel_timeout": 60,
        "ident": "glossa",
        "expose_tracebacks": False,
    }
    if "sockets" not in options:
        settings.update(host=host, port=port)
    settings.update(options)
    server = waitress_server(app, **settings)
    channel = _channel_class()
    listeners = [server] if hasattr(server, "channel_class") else list(server.map.values())
    for each in listeners:
        if hasattr(each, "channel_class"):
            each.channel_class = channel
    return server


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted: in this process (WORKERS 1), else in WORKERS forked
    worker processes (:class:`Prefork`)."""
    if app.config.get("WORKERS", 1) > 1:
        Prefork(app, host, port, app.config["WORKERS"]).run()
        return
    server = create_server(app, host, port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one), to hand to the workers."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(address)
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def warm(app: Flask) -> dict[str, Any]:
    """Open the index and build its big read-only arrays in this process (before the
    workers fork, so they share the pages): the facet postings, the vocabulary, the field
    lengths and the postings of the ``WARM_WORDS`` commonest body words. What it did."""
    with app.app_context():
        searcher = services.get_searcher()
        began = time.perf_counter()
        state = searcher._current()
        if state is None:
            return {"passages": 0, "words": 0, "seconds": 0.0}
        reader = state[0].reader()
        words = [w.decode("utf-8") for _, w in reader.most_frequent_terms("text", WARM_WORDS)]
        for word in words:
            try:
                searcher.search(word, pagelen=1)
            except QueryError:  # a word the query language reads as an operator or stop word
                continue
        return {
            "passages": reader.doc_count(),
            "words": len(words),
            "seconds": round(time.perf_counter() - began, 2),
        }


class Prefork:
    """``workers`` processes forked from this one, each a waitress server with THREADS
    threads on one shared listening socket; this process supervises them."""

    def __init__(self, app: Flask, host: str, port: int, workers: int, sock: socket.socket | None = None) -> None:
        self.app, self.workers = app, workers
        self.sock = sock if sock is not None else listen(host, port)
        self.port = self.sock.getsockname()[1]
        self.children: dict[int, float] = {}  # pid -> when it started
        self.stopping = False
        self.warmed: dict[str, Any] = {}

    def _spawn(self) -> int:
        pid = os.fork()
        if pid == 0:  # the worker: serve until told to stop, then leave without cleanup
            code = 0
            try:
                self._worker()
            except BaseException:
                log.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                os._exit(code)
        self.children[pid] = time.monotonic()
        return pid

    def _worker(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        server = create_server(self.app, sockets=[self.sock])

        def stop(_sig, _frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        with contextlib.suppress(KeyboardInterrupt):
            server.run()

    def _stop(self, _sig=None, _frame=None) -> None:
        self.stopping = True

    def run(self, ready=None) -> None:
        """Fork the workers and supervise them until SIGTERM or SIGINT (then stop them)."""
        self.warmed = warm(self.app)  # before the fork: the workers share these pages
        # the objects made so far are left out of the collector's passes, which would
        # otherwise write to every one of them and so copy their pages into each worker
        gc.collect()
        gc.freeze()
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self.workers):
                self._spawn()
            if ready is not None:
                ready(self)
            while not self.stopping:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    pid = 0
                if pid and pid in self.children:
                    started = self.children.pop(pid)
                    log.warning("worker %d ended (status %d); starting another", pid, status)
                    if time.monotonic() - started < RESTART_BACKOFF:
                        time.sleep(RESTART_BACKOFF)
                    if not self.stopping:
                        self._spawn()
                    continue
                time.sleep(0.2)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.shutdown()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.pop(pid, None)
        deadline = time.monotonic() + timeout
        while self.children:
            for pid in list(self.children):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    self.children.pop(pid, None)
            if self.children and time.monotonic() > deadline:
                for pid in self.children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)
        self.sock.close()
