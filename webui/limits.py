"""Limits on what one client can make the server do: sign-in attempts and request sizes.

Sign-in attempts (:class:`Backoff`): wrong passwords are counted per account name and per
client address. The first ``free`` failures of a key cost nothing; after that the key is
locked for a time that doubles with every further failure (1 s, 2 s, 4 s, ... up to
``cap``). While a key is locked, ``/login`` answers 429 with ``Retry-After`` and checks no
password at all (so a locked-out guesser also costs no hashing). A failure is forgotten
``forget`` seconds after the last one; a successful sign-in clears the name's count (never
the address's, so one valid account does not reset a guesser's counter). Counts live in
memory shared by the processes forked after the app was made: the worker processes of
``glossa serve`` with WORKERS > 1 count every attempt together, whichever worker answers it.

Host header (:func:`check_host`): a request must be addressed to one of the TRUSTED_HOSTS
(a name starting with "." also allows its subdomains), else 400, so a page on another site
cannot reach a server on localhost through DNS rebinding.

Writes (:class:`WriteGate`): at most ``WRITE_CONCURRENCY`` write requests (POST, PUT, PATCH,
DELETE) run at once; the others wait for their turn (503 with Retry-After after
``WRITE_WAIT`` seconds). The database and the index take one writer at a time anyway, and
an annotation write is mostly pure-Python index work: run side by side, writers take the
interpreter lock from the readers in turn and starve them. One at a time, a writer gets
about the share of one thread.

Request size: ``MAX_CONTENT_LENGTH`` (the upload routes: their own limit, :data:`BODY_LIMITS`)
is enforced from the ``Content-Length`` header before the
body is read (413), and Werkzeug stops reading a body without one at the same limit. Under
``glossa serve``, waitress refuses a larger body itself, before the app runs (a declared
length over the limit, unread; a chunked body once it passes it), and so does a request
with headers over 256 KB (431) or a malformed request line, header or chunk (400): those
answers are JSON in the app's error shape too (``webui.server``).

Writes (:class:`WriteGate`) are gated per process: with WORKERS > 1 each worker runs up to
``WRITE_CONCURRENCY`` writes; the gate is there because threads of one process share its
interpreter lock, which processes do not.
"""

from __future__ import annotations

import hashlib
import math
import mmap
import multiprocessing
import threading
import time
from collections.abc import Callable

import numpy as np
from flask import Flask, abort, request

#: failures allowed per account name / per client address before backoff starts
NAME_FREE, ADDRESS_FREE = 5, 20
#: longest lockout, and how long after its last failure a key is forgotten (seconds)
MAX_LOCK, FORGET_AFTER = 15 * 60, 60 * 60
#: keys remembered at most (the oldest are dropped), so many names cannot exhaust memory
MAX_KEYS = 20_000


#: one remembered key: its hash (0: a free slot), its failures, when the last one was
_SLOT = np.dtype([("key", "<u8"), ("failures", "<u4"), ("last", "<f8")])


class Backoff:
    """Failure counts with exponential lockout, bounded in size, safe across threads and
    across the processes forked after it is made.

    The counts are a fixed table of ``max_keys`` slots in an anonymous shared memory map
    (keys are kept as 64-bit hashes, never as text), guarded by a process-shared lock; when
    the table is full, the key whose last failure is the oldest is dropped.
    """

    def __init__(
        self,
        free: int,
        cap: float = MAX_LOCK,
        forget: float = FORGET_AFTER,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.cap, self.forget, self.max_keys = free, cap, forget, max_keys
        self._clock = clock
        self._memory = mmap.mmap(-1, max_keys * _SLOT.itemsize)  # MAP_SHARED: forked children see it
        self._slots = np.frombuffer(self._memory, dtype=_SLOT)
        self._lock = multiprocessing.Lock()

    @staticmethod
    def _hash(key: str) -> int:
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return int.from_bytes(digest, "little") or 1

    def _live(self, key: int, now: float) -> int | None:
        """The slot of ``key``, or None (a key not failed for ``forget`` seconds is dropped)."""
        found = np.flatnonzero(self._slots["key"] == key)
        if not len(found):
            return None
        slot = int(found[0])
        if now - float(self._slots["last"][slot]) > self.forget:
            self._slots[slot] = (0, 0, 0.0)
            return None
        return slot

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            now = self._clock()
            slot = self._live(self._hash(key), now)
            if slot is None:
                return 0.0
            failures, last = int(self._slots["failures"][slot]), float(self._slots["last"][slot])
            if failures < self.free:
                return 0.0
            lock = min(self.cap, 2.0 ** (failures - self.free))
            return max(0.0, last + lock - now)

    def failure(self, key: str) -> None:
        """Count one failure of ``key``."""
        hashed = self._hash(key)
        with self._lock:
            now = self._clock()
            slot = self._live(hashed, now)
            if slot is None:  # a free slot, else the one failed longest ago
                keys = self._slots["key"]
                slot = int(np.argmin(np.where(keys == 0, -np.inf, self._slots["last"])))
                self._slots[slot] = (hashed, 0, now)
            self._slots["failures"][slot] += 1
            self._slots["last"][slot] = now

    def success(self, key: str) -> None:
        """Forget the failures of ``key``."""
        hashed = self._hash(key)
        with self._lock:
            self._slots[self._slots["key"] == hashed] = (0, 0, 0.0)


class LoginLimiter:
    """Per-name and per-address backoff of sign-in attempts."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.names = Backoff(NAME_FREE, clock=clock)
        self.addresses = Backoff(ADDRESS_FREE, clock=clock)

    @staticmethod
    def _name_key(name: str) -> str:
        return name.strip().lower()[:64]

    def retry_after(self, name: str, address: str) -> int:
        """Whole seconds to wait before this attempt may be checked (0: check it now)."""
        wait = max(self.names.retry_after(self._name_key(name)), self.addresses.retry_after(address))
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, name: str, address: str) -> None:
        self.names.failure(self._name_key(name))
        self.addresses.failure(address)

    def succeeded(self, name: str) -> None:
        self.names.success(self._name_key(name))


#: seconds a write request waits for its turn before it is refused with 503
WRITE_WAIT = 30.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteGate:
    """A bounded semaphore that write requests pass one (or ``size``) at a time."""

    def __init__(self, size: int, wait: float = WRITE_WAIT) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self.wait = wait

    def enter(self) -> bool:
        return self._slots.acquire(timeout=self.wait)

    def leave(self) -> None:
        self._slots.release()


def _enter_write() -> None:
    from flask import current_app, g

    if request.method not in WRITE_METHODS or request.endpoint in (None, "static"):
        return
    if not current_app.extensions["glossa_write_gate"].enter():
        abort(503, description="The server is busy with other changes; try again in a few seconds.")
    g.glossa_write_slot = True


def _leave_write(_exc: BaseException | None) -> None:
    from flask import current_app, g

    if g.pop("glossa_write_slot", False):
        current_app.extensions["glossa_write_gate"].leave()


def login_limiter(app: Flask) -> LoginLimiter:
    """The app's sign-in limiter."""
    return app.extensions["glossa_login_limiter"]


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For when PROXY_FIX trusts it)."""
    return request.remote_addr or "unknown"


def host_name(host: str) -> str:
    """The name part of a Host header value: 'Example.org:80' -> 'example.org', '[::1]:5000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host: str, trusted: list[str] | None) -> bool:
    """True when the Host header names one of ``trusted`` (None: any host)."""
    if trusted is None:
        return True
    name = host_name(host)
    if not name:
        return False
    return any(name == t or (t.startswith(".") and (name == t[1:] or name.endswith(t))) for t in trusted)


def check_host() -> None:
    """400 for a request addressed to a host name this server does not serve."""
    from flask import current_app

    trusted = current_app.extensions.get("glossa_hosts")
    # /healthz answers any host: load balancers call it by address, and it tells nothing private
    if request.endpoint != "health" and not host_allowed(request.host, trusted):
        shown = request.host[:100]
        abort(400, description=f"This server does not serve the host {shown!r}: add it to TRUSTED_HOSTS to allow it.")


#: app.extensions key: endpoint -> function(app) -> (body limit, form parts limit, setting name), for
#: the routes that take larger bodies than MAX_CONTENT_LENGTH (uploads, see webui.views.upload)
BODY_LIMITS = "glossa_body_limits"


def _check_length() -> None:
    from flask import current_app

    setting = "MAX_CONTENT_LENGTH"
    own = current_app.extensions.get(BODY_LIMITS, {}).get(request.endpoint)
    if own is not None:
        request.max_content_length, request.max_form_parts, setting = own(current_app)
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        abort(413, description=f"The request body is larger than the limit of {limit:,} bytes ({setting}).")


def init_app(app: Flask) -> None:
    """The sign-in limiter, the write gate, and the host and request-size checks that run
    before anything reads a body."""
    app.extensions["glossa_login_limiter"] = LoginLimiter()
    app.extensions["glossa_write_gate"] = WriteGate(app.config.get("WRITE_CONCURRENCY") or 1)
    # first of the before_request hooks: no user lookup, CSRF check or view runs before them;
    # the write slot is taken last, after the cheap refusals
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks[0:0] = [check_host, _check_length]
    app.before_request(_enter_write)
    app.teardown_request(_leave_write)
