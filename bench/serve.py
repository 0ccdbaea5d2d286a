"""Benchmark the real server: readers alone, then readers with annotation writers; or
search throughput by number of clients.

Starts the server in its own process on a free loopback port (``glossa serve``'s waitress
through ``webui.server``: WORKERS processes of THREADS threads; or werkzeug's threaded
development server for comparison), then runs the searching clients against ``/api/search``:
one keep-alive connection each, all driven by one thread of one separate process (raw
sockets and a selector, a few tens of microseconds of CPU per request, so the clients take
little of the cores they share with the server; :func:`search_clients`). Annotation writers
are threads of this process (http.client).

The machine's cores are shared by the server, the clients and whatever else runs, so a
throughput figure alone says little: after each phase the bench prints the CPU time the
server's processes (the parent and each worker, from /proc/PID/stat) and the clients spent
per request, the load average, and the throughput the server's CPU cost per request allows
on the machine's cores (cores / server CPU per request), an upper bound no client count
passes.

* load (the default): phase 1, ``--readers`` (default: as many as phase 2) searching for
  ``--duration`` seconds (default 60); phase 2, ``--load-readers`` (default 32) searching
  plus ``--writers`` (default 4) each creating an annotation with a tag and deleting it
  again, for the same time. Prints requests/s, p50 and p99 latency and the 5xx and failed
  requests per kind, then the three figures of the bar: 5xx (0), phase-2 read throughput
  over phase 1's (at least 0.5), phase-2 read p99 (under 1 s).
* ``--clients 1,8``: search only, each number of clients in turn for ``--duration``
  seconds; prints requests/s and latency per count and each count's throughput over the
  first's (the bar: at least 1.7 at 8 clients over 1, on 2 cores, at 100,000 passages).

``--passages N`` serves an index of the sample corpus replicated to N passages
(bench/query.py's build; kept in ``--data DIR`` and reused on later runs when given).
After each phase it prints the memory of the server's processes from
/proc/PID/smaps_rollup: Rss, Pss (shared pages split between the processes that map
them) and Uss (pages no other process shares), so N workers can be checked for N copies.

Run: .venv/bin/python -m bench.serve [--data DIR] [--passages 100000] [--workers 2]
     [--threads 8] [--clients 1,8] [--duration 60] [--server waitress|werkzeug]
     [--root /work/main]   (--root: serve that checkout's code, for a before/after)
     [--first-requests 10]   (start-up race: N starts each on a new and an existing database)
Without --data the bundled sample corpus is ingested into a temporary directory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "frontex",
    '"european union"',
    "migration",
    "border AND libya",
    "asylum",
    "return OR readmission",
    "smuggling",
    '"member states"',
    "refugees",
    "place:Libya",
]

SERVER_CODE = textwrap.dedent(
    """
    import logging, sys
    # waitress says "Task queue depth is N" whenever every thread is busy: under a load
    # test, that is thousands of lines (glossa serve shows it at most once a minute)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    kind, data, threads, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    config = {"DATA_DIR": data, "THREADS": threads, "SEARCH_BACKEND": sys.argv[5]}
    if kind == "waitress" and workers > 1:
        from webui.server import Prefork, build_app
        app = build_app(host="127.0.0.1", WORKERS=workers, **config)
        server = Prefork(app, "127.0.0.1", 0, workers)
        server.run(ready=lambda s: print(s.port, s.warmed, flush=True))
    elif kind == "waitress":
        from webui.server import build_app, create_server
        app = build_app(host="127.0.0.1", **config)
        server = create_server(app, "127.0.0.1", 0)
        print(server.effective_port, flush=True)
        server.run()
    else:
        from werkzeug.serving import make_server
        from webui.app import create_app
        config.pop("THREADS")
        app = create_app(config)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        print(server.port, flush=True)
        server.serve_forever()
    """
)


def glossa(root: Path, *args: str, env: dict | None = None) -> str:
    """Run a glossa command from ``root``'s code; its standard output."""
    code = "import sys; from webui.cli import cli; sys.exit(cli())"
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def server_env(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSA_")}
    env["PYTHONPATH"] = str(root)
    return env


def smaps_mb(pid: int) -> dict[str, float]:
    """Rss, Pss and Uss (private) memory of a process in MB, from /proc/PID/smaps_rollup."""
    values: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
            values[key] = int(rest.split()[0]) / 1024
    values["Uss"] = values.get("Private_Clean", 0.0) + values.get("Private_Dirty", 0.0)
    return values


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def memory_lines(pid: int) -> list[str]:
    """The memory of the server process and of each of its workers."""
    lines = []
    procs = [("server", pid)] + [(f"worker {i + 1}", child) for i, child in enumerate(children(pid))]
    total_pss = 0.0
    for label, each in procs:
        m = smaps_mb(each)
        total_pss += m.get("Pss", 0.0)
        lines.append(
            f"  {label:9s} pid {each}: Rss {m.get('Rss', 0):6.0f} MB  Pss {m.get('Pss', 0):6.0f} MB  "
            f"Uss {m.get('Uss', 0):6.0f} MB"
        )
    lines.append(f"  all processes: Pss {total_pss:.0f} MB")
    return lines


class Stats:
    """Latencies and failures of one kind of request, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.server_errors = 0
        self.failures = 0
        self.other: dict[int, int] = {}

    def add(self, seconds: float, status: int | None) -> None:
        with self.lock:
            if status is None:
                self.failures += 1
                return
            self.times.append(seconds)
            if status >= 500:
                self.server_errors += 1
            elif status >= 400:
                self.other[status] = self.other.get(status, 0) + 1

    def line(self, label: str, duration: float) -> str:
        times = sorted(self.times)
        if not times:
            return f"{label}: no request completed; {self.failures} failed"
        p50 = times[len(times) // 2]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        extra = f", 4xx {self.other}" if self.other else ""
        return (
            f"{label}: {len(times) / duration:7.1f} req/s  p50 {p50 * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms  "
            f"5xx {self.server_errors}  failed {self.failures}{extra}"
        )

    def rate(self, duration: float) -> float:
        return len(self.times) / duration

    def p99(self) -> float:
        times = sorted(self.times)
        return times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("inf")


class Client:
    """One keep-alive connection, reopened after an error."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int | None, bytes]:
        headers = {"Host": "127.0.0.1"}
        data = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close" or response.version == 10:
                    self.conn.close()
                    self.conn = None
                return response.status, payload
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    return None, b""
        return None, b""


def search_paths() -> list[bytes]:
    """The raw HTTP/1.1 requests the searching clients send (one per query)."""
    return [
        f"GET /api/search?{urlencode({'q': q, 'page': 1})} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        for q in QUERIES
    ]


class _Conn:
    """One client's keep-alive connection in :func:`search_clients`."""

    __slots__ = ("sock", "buf", "sent", "head", "length", "status", "close")

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.sent = 0.0
        self.head = -1  # where the body starts once the headers are read
        self.length = 0
        self.status = 0
        self.close = False

    def parse_head(self) -> bool:
        """True once the status line and headers are in (then ``status``, ``length``, ``close``)."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self.buf[:end]).split(b"\r\n")
        self.status = int(lines[0].split(None, 2)[1])
        self.length, self.close = -1, lines[0].startswith(b"HTTP/1.0")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                self.length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.close = True
        if self.length < 0:
            raise ValueError("a response without Content-Length")
        self.head = end + 4
        return True


def search_clients(port: int, clients: int, duration: float, seed: int) -> dict:
    """``clients`` keep-alive connections each searching in a loop (the next request as soon
    as the last answer is in) for ``duration`` seconds, all on one thread with a selector.
    Latencies, statuses, failures and this process's CPU seconds."""
    rnd = random.Random(seed)
    requests = search_paths()
    sel = selectors.DefaultSelector()
    times: list[float] = []
    statuses: dict[int, int] = {}
    failures = 0
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    deadline = time.perf_counter() + duration

    def send(conn: _Conn) -> None:
        conn.buf.clear()
        conn.head = -1
        conn.sent = time.perf_counter()
        conn.sock.setblocking(True)  # a request is far smaller than the socket buffer
        conn.sock.sendall(rnd.choice(requests))
        conn.sock.setblocking(False)

    def open_one() -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            try:
                conn = _Conn(port)
                send(conn)
            except OSError:
                failures += 1
                time.sleep(0.05)
                continue
            sel.register(conn.sock, selectors.EVENT_READ, conn)
            return

    for _ in range(clients):
        open_one()
    while sel.get_map():
        left = deadline - time.perf_counter()
        events = sel.select(timeout=max(0.0, min(left, 1.0)) if left > 0 else 30.0)
        if not events and left <= 0:
            break  # answers still out 30 s after the end: given up on
        for key, _ in events:
            conn = key.data
            try:
                chunk = conn.sock.recv(262144)
                if not chunk:
                    raise ConnectionError("closed by the server")
                conn.buf += chunk
                if conn.head < 0 and not conn.parse_head():
                    continue
                if len(conn.buf) - conn.head < conn.length:
                    continue
                if len(conn.buf) - conn.head > conn.length:
                    raise ValueError("more bytes than Content-Length")
            except (OSError, ValueError):
                failures += 1
                sel.unregister(conn.sock)
                conn.sock.close()
                if time.perf_counter() < deadline:
                    open_one()
                continue
            times.append(time.perf_counter() - conn.sent)
            statuses[conn.status] = statuses.get(conn.status, 0) + 1
            if conn.close or time.perf_counter() >= deadline:
                sel.unregister(conn.sock)
                conn.sock.close()
                if conn.close and time.perf_counter() < deadline:
                    open_one()
                continue
            try:
                send(conn)
            except OSError:
                failures += 1
                sel.unregister(conn.sock)
                conn.sock.close()
                open_one()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"times": times, "statuses": statuses, "failures": failures, "cpu": cpu}


def _search_process(port: int, clients: int, duration: float, seed: int, out) -> None:
    out.send(search_clients(port, clients, duration, seed))
    out.close()


def writer(port: int, token: str, quotes: list[tuple[str, str]], stop: threading.Event, stats: Stats, seed: int):
    rnd = random.Random(seed)
    client = Client(port, token)
    while not stop.is_set():
        doc_id, exact = rnd.choice(quotes)
        body = {
            "type": "Annotation",
            "body": [{"type": "TextualBody", "purpose": "tagging", "value": f"bench{rnd.randrange(5)}"}],
            "target": {
                "source": f"http://127.0.0.1:5000/doc/{doc_id}",
                "selector": [{"type": "TextQuoteSelector", "exact": exact}],
            },
        }
        t0 = time.perf_counter()
        status, payload = client.request("POST", "/api/annotations", body)
        stats.add(time.perf_counter() - t0, status)
        if status == 201:
            ident = json.loads(payload)["id"].rsplit("/", 1)[-1]
            t0 = time.perf_counter()
            status, _ = client.request("DELETE", f"/api/annotations/{ident}")
            stats.add(time.perf_counter() - t0, status)


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time (user + system, seconds) of ``pid`` and of each of its child processes."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for each in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[each] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return found


class Phase:
    """What one phase measured: the reads, the writes, and the CPU time spent on them."""

    def __init__(self, reads: Stats, writes: Stats, server_cpu: dict[int, float], pid: int, client_cpu: float):
        self.reads, self.writes = reads, writes
        self.server_cpu, self.pid, self.client_cpu = server_cpu, pid, client_cpu
        self.load = os.getloadavg()[0]

    def cpu_line(self) -> str:
        """Server CPU per request (parent, workers), client CPU per request, the load, and
        the throughput the server's CPU per request allows on this machine's cores."""
        done = len(self.reads.times) + len(self.writes.times)
        if not done:
            return "  CPU: no request completed"
        total = sum(self.server_cpu.values())
        parent = self.server_cpu.get(self.pid, 0.0)
        per = total * 1000 / done
        workers = [
            f"{seconds * 1000 / done:.1f}" for each, seconds in sorted(self.server_cpu.items()) if each != self.pid
        ]
        cores = os.cpu_count() or 1
        bound = f"{cores * 1000 / per:.0f} req/s" if per else "unbounded"
        return (
            f"  CPU per request: server {per:.1f} ms (parent {parent * 1000 / done:.2f} ms, workers "
            f"{' + '.join(workers) or '0'} ms), clients {self.client_cpu * 1000 / done:.2f} ms; "
            f"load average {self.load:.1f}; the server's CPU allows at most {bound} on {cores} cores"
        )


def run_phase(port, duration, readers, writers, token, quotes, pid=None) -> Phase:
    """``readers`` searching clients (one process, :func:`search_clients`) and ``writers``
    annotation writers (threads) for ``duration`` seconds."""
    before = cpu_seconds(pid) if pid else {}
    reads, writes = Stats(), Stats()
    stop = threading.Event()
    here, there = multiprocessing.get_context("fork").Pipe(duplex=False)
    clients = None
    if readers:
        clients = multiprocessing.get_context("fork").Process(
            target=_search_process, args=(port, readers, duration, 1, there), daemon=True
        )
        clients.start()
    threads = [
        threading.Thread(target=writer, args=(port, token, quotes, stop, writes, 1000 + i)) for i in range(writers)
    ]
    for t in threads:
        t.start()
    found: dict = {"times": [], "statuses": {}, "failures": 0, "cpu": 0.0}
    if clients is not None:
        found = here.recv()  # sent when the clients are done, after ``duration``
        clients.join()
    else:
        time.sleep(duration)
    stop.set()
    for t in threads:
        t.join()
    after = cpu_seconds(pid) if pid else {}
    reads.times = found["times"]
    reads.failures = found["failures"]
    for status, count in found["statuses"].items():
        if status >= 500:
            reads.server_errors += count
        elif status >= 400:
            reads.other[status] = reads.other.get(status, 0) + count
    spent = {each: seconds - before.get(each, 0.0) for each, seconds in after.items()}
    return Phase(reads, writes, spent, pid or 0, found["cpu"])


def sample_quotes(port: int) -> list[tuple[str, str]]:
    """Word runs from the served documents, to annotate."""
    client = Client(port)
    _, payload = client.request("GET", "/api/documents")
    quotes = []
    rnd = random.Random(7)
    for doc in json.loads(payload)["documents"]:
        _, text = client.request("GET", f"/api/documents/{doc['doc_id']}")
        words = json.loads(text)["text"].split()
        for _ in range(20):
            start = rnd.randrange(0, max(1, len(words) - 8))
            quotes.append((doc["doc_id"], " ".join(words[start : start + 6])))
    return quotes


def build_scaled(data: Path, passages: int) -> None:
    """An index of the sample corpus replicated to ``passages`` passages in ``data``/index
    (bench/query.py's build), unless one is there already."""
    index_dir = data / "index"
    if (index_dir / "CURRENT").exists():
        print(f"reusing the index in {index_dir}", flush=True)
        return
    from bench.query import build

    began = time.perf_counter()
    count = build(index_dir, passages, procs=2)
    print(f"indexed {count} passages into {index_dir} in {time.perf_counter() - began:.0f} s", flush=True)


def load_bar(args, port, token, quotes, pid) -> None:
    readers = args.readers or args.load_readers
    alone = run_phase(port, args.duration, readers, 0, token, quotes, pid)
    reads1 = alone.reads
    print(reads1.line(f"{readers:2d} readers alone      reads ", args.duration))
    print(alone.cpu_line())
    print("\n".join(memory_lines(pid)), flush=True)
    loaded = run_phase(port, args.duration, args.load_readers, args.writers, token, quotes, pid)
    reads2, writes2 = loaded.reads, loaded.writes
    label = f"{args.load_readers:2d} readers + {args.writers} writers"
    print(reads2.line(f"{label} reads ", args.duration))
    print(writes2.line(f"{label} writes", args.duration))
    print(loaded.cpu_line())
    print("\n".join(memory_lines(pid)))
    ratio = reads2.rate(args.duration) / max(reads1.rate(args.duration), 1e-9)
    errors = reads1.server_errors + reads2.server_errors + writes2.server_errors
    ok = errors == 0 and ratio >= 0.5 and reads2.p99() < 1.0
    print(
        f"bar: 5xx {errors} (0); loaded/alone read throughput {reads2.rate(args.duration):.1f}/"
        f"{reads1.rate(args.duration):.1f} = {ratio:.2f} (>= 0.5); loaded read p99 "
        f"{reads2.p99() * 1000:.0f} ms (< 1000): {'PASS' if ok else 'FAIL'}"
    )


def scaling(args, port, token, quotes, pid) -> None:
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    rates = []
    for count in counts:
        phase = run_phase(port, args.duration, count, 0, token, quotes, pid)
        rates.append(phase.reads.rate(args.duration))
        print(phase.reads.line(f"{count:2d} clients searching", args.duration))
        print(phase.cpu_line(), flush=True)
    print("\n".join(memory_lines(pid)))
    for count, rate in zip(counts[1:], rates[1:], strict=True):
        print(f"throughput at {count} clients / at {counts[0]}: {rate / max(rates[0], 1e-9):.2f}")


def _first_wave(port: int, count: int, deadline: float) -> list[int | None]:
    """``count`` threads that connect as soon as the port accepts and send their first
    request at once (a search, an annotation list, a page, the health check); statuses."""
    paths = ["/api/search?q=frontex", "/api/annotations", "/", "/healthz"]
    statuses: list[int | None] = [None] * count

    def one(i: int) -> None:
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.connect()
            except OSError:
                time.sleep(0.01)
                continue
            try:
                conn.request("GET", paths[i % len(paths)], headers={"Host": "127.0.0.1"})
                statuses[i] = conn.getresponse().status
            except (OSError, http.client.HTTPException):
                statuses[i] = None
            finally:
                conn.close()
            return

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def first_requests(args, root: Path, env: dict, sample: Path) -> None:
    """``--first-requests N``: N starts of `glossa serve` on a new database (a data directory
    without one) and N on an existing one, each met by 48 concurrent first requests."""
    port = args.port
    for kind in ("new", "existing"):
        good = 0
        for start in range(args.first_requests):
            with tempfile.TemporaryDirectory(prefix="glossa-bench-first-") as tmp:
                data = Path(tmp) / "data"
                skip = shutil.ignore_patterns("glossa.db*") if kind == "new" else None
                shutil.copytree(sample, data, ignore=skip)
                command = "import sys; from webui.cli import cli; sys.exit(cli())"
                proc = subprocess.Popen(
                    [sys.executable, "-c", command, "--data", str(data), "serve", "--port", str(port)],
                    cwd=root,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                statuses = _first_wave(port, 48, time.monotonic() + 180)
                alive = proc.poll() is None
                # usable afterwards: the health check opens the database and the index
                after = _first_wave(port, 4, time.monotonic() + 30) if alive else [None]
                proc.terminate()
                try:
                    _, err = proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, err = proc.communicate()
                errors = sum(1 for s in statuses if s is None or s >= 500)
                usable = all(s is not None and s < 500 for s in after)
                crashed = not alive or "Traceback" in (err or "")
                ok = errors == 0 and not crashed and usable
                good += ok
                shown = {s: statuses.count(s) for s in sorted(set(statuses), key=str)}
                print(
                    f"{kind} database, start {start + 1}: statuses {shown}, errors {errors}, "
                    f"{'crashed' if crashed else 'alive'}, {'usable' if usable else 'NOT usable'} after",
                    flush=True,
                )
            port += 1
        print(f"{kind} database: {good} of {args.first_requests} starts with 0 errors, 0 crashes, usable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an ingested data directory (default: the sample corpus)")
    parser.add_argument("--passages", type=int, help="serve the sample corpus replicated to this many passages")
    parser.add_argument("--server", choices=["waitress", "werkzeug"], default="waitress")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per worker (THREADS)")
    parser.add_argument(
        "--workers", type=int, help="worker processes (WORKERS; default: glossa serve's, one per core, at most 4)"
    )
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--backend", choices=["whoosh", "tantivy"], help="search backend (default: the one the index was built by)"
    )
    parser.add_argument("--readers", type=int, help="phase 1 readers (default: --load-readers)")
    parser.add_argument("--load-readers", type=int, default=32)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--clients", help="search throughput at these numbers of clients, e.g. 1,8 (no writers)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code serves")
    parser.add_argument(
        "--first-requests",
        type=int,
        metavar="N",
        help="start `glossa serve` N times on a new and N times on an existing database, each met by "
        "48 concurrent first requests (instead of the load phases)",
    )
    parser.add_argument("--port", type=int, default=18400, help="first port of the --first-requests starts")
    args = parser.parse_args()

    root = args.root.resolve()
    env = server_env(root)
    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.TemporaryDirectory(prefix="glossa-bench-serve-")
        data = Path(tmp.name) / "data"
    data = data.resolve()
    if args.passages:
        data.mkdir(parents=True, exist_ok=True)
        build_scaled(data, args.passages)
    elif not (data / "index" / "CURRENT").exists():
        print(f"ingesting the sample corpus into {data} ...", flush=True)
        glossa(root, "--data", str(data), "ingest", str(ROOT / "webui" / "sample_corpus"), env=env)
    if args.first_requests:
        try:
            first_requests(args, root, env, data)
        finally:
            if tmp is not None:
                tmp.cleanup()
        return
    if args.workers is None:  # what `glossa serve` starts unless WORKERS says otherwise
        from webui.config import default_workers

        args.workers = default_workers()
    token = glossa(root, "--data", str(data), "token", "create", "local", "--label", "bench", env=env).strip()
    from indexer.backend import live_backend

    backend = args.backend or live_backend(data / "index") or "whoosh"
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE, args.server, str(data), str(args.threads), str(args.workers), backend],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline().split(maxsplit=1)
        port = int(first[0])
        quotes = sample_quotes(port) if not args.clients else []
        print(
            f"server: {args.server} (workers {args.workers}, threads "
            f"{args.threads if args.server == 'waitress' else 'one per request'}), backend {backend}, code {root}, "
            f"data {data}, "
            f"port {port}, {os.cpu_count()} cores"
            + (f"; warmed before the fork: {first[1].strip()}" if first[1:] else "")
        )
        run_phase(port, min(5.0, args.duration), 2, 0, token, quotes)  # warm the caches
        if args.clients:
            scaling(args, port, token, quotes, proc.pid)
        else:
            load_bar(args, port, token, quotes, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
