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

A keep-alive connection stays with the worker that accepted it, and which worker accepts
a new one is a race the kernel settles: 8 connections could go 6 to one worker and 2 to
the other, leaving a core idle while one worker's threads queue. So the workers balance
their connections (:class:`Balance`): each says in shared memory how many it holds, and a
worker holding more than the fewest any live worker holds leaves the next connection to
the others (a worker whose loop has not reported for ``Balance.STALE`` seconds, hung or
gone, is not waited for).

waitress's loop leaves output that a request thread is sending (holding the channel's output
lock) to that thread, rather than polling again and again while the thread waits for the GIL
(:func:`_channel_class`); a write that leaves output unsent wakes the loop.

waitress warns "Task queue depth is N" whenever a request waits for a thread, which under
load is many lines a second; ``glossa serve`` logs it at most once a minute, with how many
were held back (:class:`OncePerInterval`).

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
import math
import mmap
import os
import signal
import socket
import threading
import time
import weakref
from typing import Any

import numpy as np
from flask import Flask

from indexer.query import QueryError

from . import services
from .app import allow_host, create_app
from .intake import upload_body_limit

log = logging.getLogger(__name__)

#: common words of the index whose postings :func:`warm` decodes before the workers fork
WARM_WORDS = 50
#: how often (seconds) a worker's loop wakes at least, to see whether it may accept (Balance)
LOOP_TIMEOUT = 0.1
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

        def writable(self) -> bool:
            # While a request thread appends to the output and sends it (holding outbuf_lock,
            # and giving up the GIL in send()), waitress's loop sees output waiting, cannot
            # take the lock, and polls again at once: with several request threads, whose
            # turns at the GIL keep that thread waiting, the loop spun about 70 times per
            # request and cost 20% more CPU per request (bench.serve at 8 clients). So
            # output a request thread is sending is its own to send; the loop is woken for
            # what it leaves (write_soon). Past the high watermark a request thread may be
            # waiting for this loop to drain the output, so there waitress's rule stands.
            if (
                self.requests
                and 0 < self.total_outbufs_len <= self.adj.outbuf_high_watermark
                and not (self.will_close or self.close_when_flushed)
            ):
                if not self.outbuf_lock.acquire(False):
                    return False
                self.outbuf_lock.release()
            return bool(super().writable())

        def write_soon(self, data) -> int:
            written = super().write_soon(data)
            if self.total_outbufs_len:  # left unsent, the lock now free: the loop sends it
                self.server.pull_trigger()
            return written

    return JSONErrorChannel


class OncePerInterval(logging.Filter):
    """Lets one record through per ``seconds``; the next one says how many were held back."""

    def __init__(self, seconds: float = 60.0) -> None:
        super().__init__()
        self.seconds = seconds
        self._last = -math.inf
        self._held = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.seconds:
                self._held += 1
                return False
            self._last, held, self._held = now, self._held, 0
        record.msg = f"{record.msg}: every thread busy, requests wait (raise THREADS or WORKERS?)"
        if held:
            record.msg += f"; {held} more such warnings since the last one"
        return True


#: the logger of waitress's "Task queue depth is N" warning
QUEUE_LOGGER = "waitress.queue"


def quiet_queue_warnings(seconds: float = 60.0) -> None:
    """waitress's queue-depth warning at most once per ``seconds`` (set once per process)."""
    logger = logging.getLogger(QUEUE_LOGGER)
    if not any(isinstance(f, OncePerInterval) for f in logger.filters):
        logger.addFilter(OncePerInterval(seconds))


class Balance:
    """How many connections each worker of a :class:`Prefork` holds, in memory shared by
    the processes forked after it was made: a row per worker of (connections, when its loop
    last said so, on the system-wide monotonic clock)."""

    #: a worker whose loop has not reported for this long (seconds) is not waited for
    STALE = 5.0

    def __init__(self, workers: int) -> None:
        self._memory = mmap.mmap(-1, max(1, workers) * 16)  # anonymous, MAP_SHARED: seen across fork
        self.rows = np.ndarray((max(1, workers), 2), dtype=np.float64, buffer=self._memory)
        self.rows[:] = 0.0

    def clear(self, slot: int) -> None:
        """The worker of ``slot`` is gone."""
        self.rows[slot] = 0.0

    def may_accept(self, slot: int, holding: int) -> bool:
        """Record that the worker of ``slot`` holds ``holding`` connections; True when it
        holds no more than the fewest any live worker holds (so it may take another)."""
        now = time.monotonic()
        self.rows[slot] = (holding, now)
        live = self.rows[:, 1] > now - self.STALE
        return holding <= float(self.rows[live, 0].min())

    def holding(self) -> list[int]:
        """Connections per worker, as last reported."""
        return [int(n) for n in self.rows[:, 0].tolist()]


def balance_accepts(server: Any, balance: Balance, slot: int) -> None:
    """Make the waitress ``server`` (one listening socket) accept a connection only while
    :meth:`Balance.may_accept` allows it; its loop asks before every select."""
    own = server.readable  # waitress's: cleanup, and the CONNECTION_LIMIT check

    def readable() -> bool:
        allowed = own()
        return balance.may_accept(slot, len(server.active_channels)) and allowed

    server.readable = readable


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
    quiet_queue_warnings()
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
    settle(app)
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
    lengths and the postings of the ``WARM_WORDS`` commonest body words (Whoosh; tantivy's
    generation is opened, its files mapped, nothing more to build). What it did."""
    with app.app_context():
        searcher = services.get_searcher()
        began = time.perf_counter()
        if searcher.name != "whoosh":  # tantivy maps its files at open and builds no arrays
            return {"passages": searcher.passage_count(), "words": 0, "seconds": 0.0}
        state = searcher._current()
        if state is None:
            return {"passages": 0, "words": 0, "seconds": 0.0}
        reader = state[0].reader()  # Whoosh's (searcher, facets, parser, vocabulary)
        words = [w.decode("utf-8") for _, w in reader.most_frequent_terms("text", WARM_WORDS)]
        for word in words:
            try:
                searcher.search(word, pagelen=1)
            except QueryError:  # a word the query language reads as an operator or stop word
                continue
        return {
            "passages": searcher.passage_count(),
            "words": len(words),
            "seconds": round(time.perf_counter() - began, 2),
        }


def settle(app: Flask) -> dict[str, Any]:
    """Make this process ready to serve: :func:`warm` the index, then leave every object
    made so far (the modules, the app, the open index) out of the cyclic collector's passes
    (``gc.freeze()``, after one collection, so no garbage is kept): a full collection, which
    would otherwise walk them all and stall a request for tens of milliseconds at 100,000
    passages, walks only what requests made since. Before a fork it also keeps the
    collector from writing to, and so copying, the pages the workers share. What
    :func:`warm` did."""
    warmed = warm(app)
    gc.collect()
    gc.freeze()
    return warmed


class Prefork:
    """``workers`` processes forked from this one, each a waitress server with THREADS
    threads on one shared listening socket; this process supervises them."""

    def __init__(self, app: Flask, host: str, port: int, workers: int, sock: socket.socket | None = None) -> None:
        self.app, self.workers = app, workers
        self.sock = sock if sock is not None else listen(host, port)
        self.port = self.sock.getsockname()[1]
        self.children: dict[int, float] = {}  # pid -> when it started
        self.slots: dict[int, int] = {}  # pid -> its row in self.balance
        self.balance = Balance(workers)
        self.stopping = False
        self.warmed: dict[str, Any] = {}

    def _spawn(self) -> int:
        slot = min(set(range(self.workers)) - set(self.slots.values()))
        self.balance.clear(slot)
        pid = os.fork()
        if pid == 0:  # the worker: serve until told to stop, then leave without cleanup
            code = 0
            try:
                self._worker(slot)
            except BaseException:
                log.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                os._exit(code)
        self.children[pid] = time.monotonic()
        self.slots[pid] = slot
        return pid

    def _reaped(self, pid: int) -> None:
        self.children.pop(pid, None)
        slot = self.slots.pop(pid, None)
        if slot is not None:
            self.balance.clear(slot)

    def _worker(self, slot: int = 0) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        server = create_server(self.app, sockets=[self.sock])
        # a worker that leaves a connection to the others looks again at least this often
        # (waitress's default is 1 s, and its setting takes whole seconds only), so a
        # connection never waits long on a loop asleep since it said "not me"
        server.adj.asyncore_loop_timeout = LOOP_TIMEOUT
        for each in [server] if hasattr(server, "active_channels") else list(server.map.values()):
            if hasattr(each, "active_channels"):
                balance_accepts(each, self.balance, slot)

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
        self.warmed = settle(self.app)  # before the fork: the workers share these pages
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
                    started = self.children[pid]
                    self._reaped(pid)
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
                self._reaped(pid)
        deadline = time.monotonic() + timeout
        while self.children:
            for pid in list(self.children):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    self._reaped(pid)
            if self.children and time.monotonic() > deadline:
                for pid in self.children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)
        self.sock.close()
