"""The production server's own parts: waitress's refusals in JSON, the WORKERS pre-fork
(workers share one socket, are replaced when they die, stop with the parent) and sign-in
backoff counted across worker processes. Throughput is measured by bench/serve.py."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from indexer.backend import SETTING
from tests.common.backend import backend_for_tests
from webui import limits
from webui.config import SettingsError

from .anno_support import build_data_dir, make_test_app

ROOT = Path(__file__).resolve().parents[2]


def settings(data: Path, **extra) -> dict:
    return {
        "DATA_DIR": str(data),
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{data / 'glossa.db'}",
        "BASE_URL": "http://glossa.test",
        **extra,
    }


@pytest.fixture
def data(tmp_path):
    return build_data_dir(tmp_path / "data")


@pytest.fixture
def live(data):
    """The port of the app served by waitress (create_server) in a thread."""
    from webui.server import build_app, create_server

    app = build_app(
        host="127.0.0.1",
        **settings(data, MAX_CONTENT_LENGTH="64K", THREADS=2, UPLOAD_MAX_TOTAL_SIZE="16K", UPLOAD_MAX_FILES=1),
    )
    server = create_server(app, "127.0.0.1", 0)
    stop = threading.Event()

    def run():
        while not stop.is_set():
            server.asyncore.loop(timeout=0.1, map=server._map, count=1)
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield server.effective_port
    stop.set()
    thread.join(timeout=10)


def raw(port: int, data: bytes) -> tuple[int, dict, bytes]:
    """Send ``data`` as it is; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


# waitress's refusals -------------------------------------------------------------------


def test_a_declared_body_over_the_limit_gets_the_json_413_unread(live):
    head = (
        "POST /api/annotations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
    ).encode()
    status, headers, body = raw(live, head)  # not one byte of the 300 MB is sent or awaited
    assert status == 413
    assert headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["status"] == 413 and answer["error"] == "Request Entity Too Large"
    # waitress's own limit is the larger of MAX_CONTENT_LENGTH and the upload routes' limit
    # (UPLOAD_MAX_TOTAL_SIZE with room for the form parts): 81 KB here; the app checks each route's
    assert "82,944 bytes (MAX_CONTENT_LENGTH" in answer["message"] and "UPLOAD_MAX_TOTAL_SIZE" in answer["message"]


def test_a_chunked_body_over_the_limit_gets_the_json_413(live):
    chunk = b"x" * 8192
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"  # 160 KB
    head = b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    status, headers, answer = raw(live, head + body)
    assert status == 413 and headers["content-type"] == "application/json"
    assert "MAX_CONTENT_LENGTH" in json.loads(answer)["message"]


def test_a_malformed_request_gets_a_json_400(live):
    status, headers, body = raw(live, b"POST /api/annotations HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json"
    assert json.loads(body)["status"] == 400


def test_a_body_at_the_limit_reaches_the_app(live):
    body = b"{" + b" " * (64 * 1024 - 2) + b"}"
    assert len(body) == 64 * 1024
    status, response, answer = request(live, "POST", "/api/annotations", body, {"Content-Type": "application/json"})
    assert status != 413  # the app read it and answered for itself, in JSON
    assert response.getheader("Content-Type") == "application/json" and json.loads(answer)["status"] == status
    status, _, answer = request(live, "POST", "/api/annotations", body + b" ", {"Content-Type": "application/json"})
    assert status == 413 and "MAX_CONTENT_LENGTH" in json.loads(answer)["message"]


# the loop and the request threads ----------------------------------------------------


def _bare_app(threads: int):
    """A Flask app with no routes yet and the settings create_server reads."""
    from flask import Flask

    app = Flask("loop-test")
    app.config.update(
        THREADS=threads,
        CONNECTION_LIMIT=100,
        MAX_CONTENT_LENGTH=1 << 20,
        UPLOAD_MAX_TOTAL_SIZE=1 << 20,
        UPLOAD_MAX_FILES=1,
    )
    return app


class _Loop:
    """A Flask app of its own ``routes`` served by create_server (``threads`` request
    threads), its loop run here round by round, each round one poll, counted; each round
    waits for an event at most ``wait`` seconds."""

    def __init__(self, threads: int, wait: float = 0.1, **options) -> None:
        from webui.server import create_server

        self.app = _bare_app(threads)
        self.options, self.wait, self.rounds = options, wait, 0
        self.create_server = create_server

    def __enter__(self) -> _Loop:
        self.server = self.create_server(self.app, "127.0.0.1", 0, **self.options)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            self.server.asyncore.loop(timeout=self.wait, map=self.server._map, count=1)
            self.rounds += 1
        self.server.close()

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.server.pull_trigger()
        self.thread.join(timeout=10)

    @property
    def port(self) -> int:
        return int(self.server.effective_port)


def test_the_loop_waits_while_request_threads_send_their_answers():
    """Four request threads busy in Python (the GIL passing between them) and four keep-alive
    clients: the loop wakes a few times per request, not once for each turn a request thread
    waits for the GIL while it holds its answer's output (about 70 per request before)."""
    body = b"x" * 20_000
    with _Loop(threads=8) as loop:

        @loop.app.get("/work")
        def work():
            total = 0
            for _ in range(10):  # Python, then a call that lets the GIL go (as a search does)
                for i in range(3_000):
                    total += i * i
                time.sleep(0)
            return body + str(total % 7).encode()

        errors: list[BaseException] = []

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", loop.port, timeout=30)
            try:
                for _ in range(25):
                    conn.request("GET", "/work")
                    response = conn.getresponse()
                    assert response.status == 200 and response.read().startswith(body)
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
            finally:
                conn.close()

        before = loop.rounds
        clients = [threading.Thread(target=client) for _ in range(8)]
        for each in clients:
            each.start()
        for each in clients:
            each.join(timeout=60)
        rounds = loop.rounds - before
    assert not errors
    assert rounds / 200 < 5, f"{rounds} rounds of the loop for 200 requests"


def test_output_a_request_thread_is_sending_is_left_to_it():
    """What the loop does with a channel whose request is running: output waiting while the
    request thread holds the output lock is not the loop's to send (it would only poll again);
    the same output with the lock free, or past the high watermark (where the request thread
    waits for the loop), is. And output a request thread's write leaves unsent wakes the
    loop once the lock is free."""
    from webui.server import create_server

    app = _bare_app(threads=1)
    release = threading.Event()
    app.add_url_rule("/hold", "hold", lambda: "done" if release.wait(10) else "late")
    server = create_server(app, "127.0.0.1", 0, outbuf_high_watermark=1 << 20)
    client = socket.create_connection(("127.0.0.1", int(server.effective_port)), timeout=10)
    try:
        client.sendall(b"GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        channel = None
        for _ in range(100):  # accept, then read the request (the app now waits in its thread)
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
            channel = next((c for c in server._map.values() if getattr(c, "requests", None)), None)
            if channel is not None:
                break
        assert channel is not None
        held, done = threading.Event(), threading.Event()

        def hold_the_lock():
            with channel.outbuf_lock:
                held.set()
                done.wait(10)

        with channel.outbuf_lock:  # output waiting, as a write leaves it
            channel.outbufs[-1].append(b"x" * 10)
            channel.total_outbufs_len += 10
        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        held.wait(10)
        assert not channel.writable()
        channel.total_outbufs_len += 2 << 20  # past the high watermark: waitress's rule
        assert channel.writable()
        channel.total_outbufs_len -= 2 << 20
        done.set()
        holder.join(10)
        assert channel.writable()

        pulls: list[bool] = []  # for each wake-up: was the output lock free?
        pull = server.pull_trigger

        def pull_trigger():
            free = channel.outbuf_lock.acquire(False)
            if free:
                channel.outbuf_lock.release()
            pulls.append(free)
            pull()

        server.pull_trigger = pull_trigger
        channel.write_soon(b"y" * (16 << 20))  # more than the sockets take: some left unsent
        assert channel.total_outbufs_len > 0
        assert pulls and pulls[-1], pulls
    finally:
        release.set()
        client.close()
        server.close()


def _slow_reader(port: int, path: str, received: threading.Event, first: int) -> bytes:
    """GET ``path`` on a socket with a small receive buffer; ``received`` is set once
    ``first`` bytes of the body are in."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    try:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data.partition(b"\r\n\r\n")[2]
            data += chunk
            if len(data.partition(b"\r\n\r\n")[2]) >= first:
                received.set()
    finally:
        sock.close()


@pytest.mark.parametrize("watermark", [None, 256 * 1024])
def test_an_answer_the_socket_cannot_take_at_once_is_sent_while_the_app_still_works(watermark):
    """A streamed answer whose first part fills the socket: the loop sends the rest of that
    part while the app waits (here: for the client to have it), with no wake-up from a timer
    (the loop waits up to 30 s per round), whether or not the part is over waitress's output
    high watermark (past it the request thread waits for the loop)."""
    part = os.urandom(4 << 20)
    options = {} if watermark is None else {"outbuf_high_watermark": watermark}
    received = threading.Event()
    with _Loop(threads=2, wait=30, **options) as loop:

        @loop.app.get("/stream")
        def stream():
            def parts():
                yield part
                got = received.wait(timeout=10)
                yield b"in time" if got else b"late"

            return loop.app.response_class(parts(), mimetype="application/octet-stream")

        body = _slow_reader(loop.port, "/stream", received, len(part))
    assert body == part + b"in time"


# WORKERS ------------------------------------------------------------------------------

SERVER = textwrap.dedent(
    """
    import json, sys
    from webui.server import Prefork, build_app
    config = json.loads(sys.argv[1])
    app = build_app(host="127.0.0.1", **config)
    server = Prefork(app, "127.0.0.1", 0, app.config["WORKERS"])
    server.run(ready=lambda s: print(s.port, flush=True))
    """
)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def _wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def prefork(data):
    """Start a WORKERS server in a process of its own: a function of the settings giving
    (process, port); stopped (SIGTERM) after the test."""
    started = []

    def start(**extra):
        # no GLOSSA_ setting but the search backend the suite runs on (tests/common/backend.py)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSA_") or k == SETTING}
        env["PYTHONPATH"] = str(ROOT)
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, json.dumps(settings(data, **extra))],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        port = int(proc.stdout.readline())
        return proc, port

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        proc.stdout.close()


def test_workers_share_the_socket_are_replaced_and_stop_with_the_parent(prefork):
    proc, port = prefork(WORKERS=2, THREADS=2)
    workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid))
    results = []

    def search():
        status, _, body = request(port, "GET", "/api/search?q=border")
        results.append((status, json.loads(body)["total"]))

    threads = [threading.Thread(target=search) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 12 and all(status == 200 and total >= 1 for status, total in results)

    os.kill(workers[0], signal.SIGKILL)  # a worker dies: another takes its place
    replaced = _wait_for(lambda: (now := _children(proc.pid)) and len(now) == 2 and workers[0] not in now and now)
    assert workers[1] in replaced
    assert request(port, "GET", "/api/search?q=border")[0] == 200

    proc.terminate()  # SIGTERM: the workers stop with it
    assert proc.wait(timeout=90) == 0
    for pid in replaced:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def _connections_of(pid: int, port: int) -> int:
    """How many established TCP connections to ``port`` the process ``pid`` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                held += 1
    return held


def test_workers_share_keep_alive_connections_evenly(prefork):
    proc, port = prefork(WORKERS=2, THREADS=2)
    workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid))
    conns = []
    try:
        for _ in range(16):  # one after another: each kept open after its first answer
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/search?q=border", headers={"Host": f"127.0.0.1:{port}"})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            conns.append(conn)
            time.sleep(0.25)  # every worker's loop has looked at the counts since
        held = sorted(_connections_of(pid, port) for pid in workers)
        assert held == [8, 8], held  # not left to the race for accept (could be 16 and 0)
        for conn in conns:  # and each connection is still served, by its own worker
            conn.request("GET", "/api/search?q=border", headers={"Host": f"127.0.0.1:{port}"})
            response = conn.getresponse()
            assert response.status == 200 and json.loads(response.read())["total"] >= 1
    finally:
        for conn in conns:
            conn.close()


def test_balance_leaves_a_connection_to_the_worker_holding_fewest():
    from webui.server import Balance

    balance = Balance(3)
    assert balance.may_accept(0, 0)  # nobody else has reported: take it
    assert balance.may_accept(1, 2) is False  # worker 0 holds fewer
    assert balance.may_accept(2, 1) is False
    assert balance.may_accept(0, 1)  # 1 is the fewest live: worker 0 may
    assert balance.may_accept(2, 1)  # so may another at the same count
    balance.rows[0, 1] -= Balance.STALE + 1  # worker 0's loop went quiet (hung, or gone)
    balance.rows[2, 1] -= Balance.STALE + 1
    assert balance.may_accept(1, 2)  # not waited for
    balance.clear(1)
    assert balance.holding() == [1, 0, 1]
    pid = os.fork()  # shared with forked processes
    if pid == 0:
        balance.may_accept(2, 7)
        os._exit(0)
    os.waitpid(pid, 0)
    assert balance.holding()[2] == 7


def test_the_queue_depth_warning_is_logged_at_most_once_per_interval():
    import logging

    from webui.server import QUEUE_LOGGER, OncePerInterval, quiet_queue_warnings

    quiet_queue_warnings()
    quiet_queue_warnings()  # once per process, however many servers are made
    logger = logging.getLogger(QUEUE_LOGGER)
    filters = [f for f in logger.filters if isinstance(f, OncePerInterval)]
    assert len(filters) == 1
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    once = OncePerInterval(0.5)
    handler = Keep()
    handler.addFilter(once)
    for n in range(1000):
        handler.handle(
            logger.makeRecord(QUEUE_LOGGER, logging.WARNING, __file__, 1, "Task queue depth is %d", (n,), None)
        )
    assert len(seen) == 1 and seen[0].startswith("Task queue depth is 0")
    time.sleep(0.6)
    handler.handle(logger.makeRecord(QUEUE_LOGGER, logging.WARNING, __file__, 1, "Task queue depth is %d", (5,), None))
    assert len(seen) == 2 and seen[1].startswith("Task queue depth is 5") and "999 more" in seen[1]


def _login_attempt(port: int, password: str) -> int:
    """One sign-in over a connection of its own (so any worker may answer it)."""
    status, response, page = request(port, "GET", "/login")
    assert status == 200
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form = f"name=alice&password={password}&csrf_token={token}&next=/".encode()
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    return request(port, "POST", "/login", form, headers)[0]


def test_sign_in_backoff_counts_across_workers(data, prefork):
    app = make_test_app(data, AUTH="accounts")
    with app.app_context():
        from webui import services

        services.get_annotation_service().add_user("alice", "alice's password")
    proc, port = prefork(WORKERS=3, THREADS=2, AUTH="accounts")
    _wait_for(lambda: len(_children(proc.pid)) == 3)
    statuses = [_login_attempt(port, f"wrong{i}") for i in range(30)]
    assert 429 in statuses[:9], statuses  # one worker alone would allow 5 per name: 3 workers, 15
    first = statuses.index(429)
    assert all(s == 401 for s in statuses[:first]), statuses  # the form again, with "wrong password"


def test_backoff_counts_are_shared_with_forked_processes():
    backoff = limits.Backoff(free=2, max_keys=64)
    pid = os.fork()
    if pid == 0:  # the child fails three times; the parent must see it
        for _ in range(3):
            backoff.failure("alice")
        os._exit(0)
    os.waitpid(pid, 0)
    assert backoff.retry_after("alice") > 0
    assert backoff.retry_after("bob") == 0
    backoff.success("alice")
    assert backoff.retry_after("alice") == 0


def test_backoff_table_drops_the_oldest_key_when_full():
    now = [0.0]
    backoff = limits.Backoff(free=1, max_keys=4, clock=lambda: now[0])
    for i in range(5):
        now[0] = i / 10  # every lockout (1 s) still running at the end
        backoff.failure(f"name{i}")
    assert backoff.retry_after("name0") == 0  # dropped: the oldest
    assert all(backoff.retry_after(f"name{i}") > 0 for i in range(1, 5))


@pytest.mark.parametrize("bad", ["0", "two", "65", "-1"])
def test_workers_is_checked(data, bad):
    with pytest.raises(SettingsError, match="WORKERS"):
        make_test_app(data, WORKERS=bad)


@pytest.mark.parametrize("backend", ["whoosh", "tantivy"])
def test_warming_before_the_fork_works_on_either_backend(data, backend):
    from indexer.pipeline import reindex
    from webui.server import warm

    if backend != backend_for_tests():  # (the data directory holds the suite's backend's index)
        reindex(data, backend)
    warmed = warm(make_test_app(data, SEARCH_BACKEND=backend))
    assert warmed["passages"] > 0
    assert (warmed["words"] > 0) == (backend == "whoosh")  # Whoosh's commonest words decoded
