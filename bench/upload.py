"""Benchmark uploads: upload-to-searchable time, and search latency while an upload ingests.

Serves Glossa with waitress (``webui.server``, single-user mode) in this process on a loopback
port (default 18150), over a fresh data directory holding the bundled sample corpus, then:

1. uploads the five sample documents (renamed, so they are new documents) through
   ``POST /api/documents`` and times until the job is done and every file is found by a search;
2. uploads ``--files`` (default 100) text files made from the sample corpus's paragraphs, each
   carrying a word of its own, and times the same, while ``--searchers`` threads search the
   whole time; search latency before the upload (idle) and during it is printed (p50, p95, max).

The ingest runs in the job runner process (``webui.job_runner``), as in production.

Run: .venv/bin/python -m bench.upload [--files 100] [--searchers 2] [--port 18150] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = ROOT / "webui" / "sample_corpus"
QUERIES = ["frontex", "asylum", '"european union"', "readmission", "border", "person:merkel", "migration policy"]


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                return response.status, data, response
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kw):
        status, data, _ = self.request(method, path, **kw)
        return status, json.loads(data or b"{}")


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, body in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + body
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def csrf(client: Client) -> tuple[str, str]:
    """(token, cookie) from the upload page (single-user mode: the session holds the token)."""
    import re

    status, data, response = client.request("GET", "/upload")
    assert status == 200, status
    token = re.search(rb'name="csrf_token" value="([^"]+)"', data).group(1).decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    return token, cookie


def upload(client: Client, files: list[tuple[str, bytes]], token: str, cookie: str) -> tuple[str, float]:
    body, ctype = multipart(files)
    began = time.perf_counter()
    status, job = client.json(
        "POST", "/api/documents", body=body, headers={"Content-Type": ctype, "X-CSRF-Token": token, "Cookie": cookie}
    )
    assert status == 202, (status, job)
    return job["id"], began


def wait_searchable(client: Client, job_id: str, words: list[str], began: float) -> tuple[float, float, dict]:
    """(seconds until the job was done, seconds until every word was found, the job)."""
    while True:
        status, job = client.json("GET", f"/api/jobs/{job_id}")
        assert status == 200, job
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    done = time.perf_counter() - began
    pending = list(words)
    while pending:
        status, result = client.json("GET", f"/api/search?q={quote(pending[0])}&pagelen=1")
        if status == 200 and result["total"]:
            pending.pop(0)
        else:
            time.sleep(0.1)
        if time.perf_counter() - began > done + 120:
            raise AssertionError(f"not searchable: {pending[:3]}")
    return done, time.perf_counter() - began, job


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def describe(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no searches"
    ms = [v * 1000 for v in values]
    return (
        f"{label}: {len(ms)} searches, p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
        f"max {max(ms):.1f} ms"
    )


class Searchers:
    """Threads searching until stopped, each on its own connection; latencies kept per phase."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.phase = "idle"
        self.latencies: dict[str, list[float]] = {"idle": [], "ingest": []}
        self.errors = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(count)]

    def run(self, number: int) -> None:
        client = Client(self.port)
        i = number
        while not self.stop.is_set():
            query = QUERIES[i % len(QUERIES)]
            i += 1
            phase = self.phase
            began = time.perf_counter()
            status, _, _ = client.request("GET", f"/api/search?q={quote(query)}&pagelen=10")
            elapsed = time.perf_counter() - began
            if status != 200:
                self.errors += 1
            elif phase == self.phase:
                self.latencies[phase].append(elapsed)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def hundred_files(n: int) -> list[tuple[str, bytes]]:
    """n text files cut from the sample corpus's paragraphs, each with a word of its own."""
    paragraphs = []
    for path in sorted(SAMPLE.glob("*.txt")):
        paragraphs.extend(p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 200)
    files = []
    per = max(1, len(paragraphs) // n)
    for i in range(n):
        chunk = paragraphs[(i * per) % len(paragraphs) : (i * per) % len(paragraphs) + max(per, 3)]
        text = f"Bench file {i}\n\nbenchword{i:04d} marks this file.\n\n" + "\n\n".join(chunk)
        files.append((f"bench-{i:04d}.txt", text.encode()))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--searchers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18150)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    from indexer.pipeline import ingest
    from webui.server import build_app, create_server

    tmp = Path(tempfile.mkdtemp(prefix="glossa-bench-upload-"))
    data = tmp / "data"
    t0 = time.perf_counter()
    ingest(sorted(SAMPLE.glob("*.txt")), data, progress=False)
    print(f"setup: sample corpus ingested by the CLI pipeline in {time.perf_counter() - t0:.1f} s")
    app = build_app(host="127.0.0.1", DATA_DIR=str(data), SECRET_KEY="bench", THREADS=8)
    server = create_server(app, "127.0.0.1", args.port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    client = Client(args.port)
    try:
        token, cookie = csrf(client)

        # 1. the sample corpus, as new files
        sample = [(f"upload-{p.name}", p.read_bytes()) for p in sorted(SAMPLE.glob("*.txt"))]
        sample_words = []
        for i, (name, body) in enumerate(sample):
            sample[i] = (name, body + f"\n\nsamplemark{i}\n".encode())
            sample_words.append(f"samplemark{i}")
        job_id, began = upload(client, sample, token, cookie)
        done, searchable, job = wait_searchable(client, job_id, sample_words, began)
        counts = {k: v for k, v in job["summary"].items() if v}
        size = sum(len(b) for _, b in sample) / 1024
        print(
            f"sample corpus ({len(sample)} files, {size:.0f} KB): job done in {done:.1f} s, "
            f"all searchable {searchable:.1f} s after the upload began; {counts}"
        )

        # 2. many files, with searches running all along
        searchers = Searchers(args.port, args.searchers)
        searchers.start()
        time.sleep(args.idle_seconds)
        files = hundred_files(args.files)
        words = [f"benchword{i:04d}" for i in range(len(files))]
        searchers.phase = "ingest"
        job_id, began = upload(client, files, token, cookie)
        done, searchable, job = wait_searchable(client, job_id, words[-1:] + words[:1], began)
        searchers.finish()
        counts = {k: v for k, v in job["summary"].items() if v}
        size = sum(len(b) for _, b in files) / 1024
        print(
            f"{len(files)} files ({size:.0f} KB): job done in {done:.1f} s "
            f"({done / len(files) * 1000:.0f} ms per file), searchable {searchable:.1f} s after the upload began; {counts}"
        )
        print(describe(f"search latency idle ({args.searchers} searcher threads)", searchers.latencies["idle"]))
        print(describe("search latency while the upload ingests", searchers.latencies["ingest"]))
        print(f"search errors (non-200): {searchers.errors}")
    finally:
        client.conn.close()
        time.sleep(0.5)  # let waitress finish the last answers before it closes
        server.close()
        if args.keep:
            print(f"data kept in {data}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
