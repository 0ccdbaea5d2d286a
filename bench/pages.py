"""Benchmark: the pages and writes around the engine on the sample corpus scaled up (prints figures).

Builds (or reuses, ``--data DIR``) a data directory holding the sample documents replicated
under distinct ids until ``--passages`` passages (100,000: 2,555 documents), with the document
store, the manifest and the index as an ingest leaves them. Then, through the WSGI app:

- the search page (server-side ms, p50/p95, and bytes), the landing page, the reader and
  ``/works`` (first request and warm);
- what one request pays for the document list (``DocumentStore.manifest()``);
- the next search after an annotation write, and after an ingest of one document;
- ingesting one document into the big index: seconds, and the index's size on disk before
  and after (a block shared by two generations through a hard link counts once).

Usage: python -m bench.pages [--passages N] [--data DIR] [--repeat N] [--backend whoosh|tantivy]
(``--backend tantivy`` on a data directory indexed by Whoosh first rebuilds its index for tantivy
from the stored documents, as ``glossa reindex --backend tantivy`` does, and prints how long.)
Bars at 100,000 passages: search page < 50 ms server-side and < 150 KB, /works < 200 ms,
one document ingested in < 2 s without doubling the index on disk.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent

CORPUS = ROOT / "webui" / "sample_corpus"
QUERIES = ["Frontex", "migration policy", "place:Serbia visa", 'org:"European Commission"', "border* AND NOT Croatia"]
BARS = {"search_ms": 50.0, "search_kb": 150.0, "works_ms": 200.0, "ingest_s": 2.0}


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def build(data: Path, target: int) -> int:
    """A data directory of replicated sample documents until ``target`` passages; documents."""
    from whoosh import index as whoosh_index

    from corpus import read_document
    from corpus.works import WorksIndex, document_parts
    from indexer.ner import EntityTagger
    from indexer.store import StoredDocument, doc_version, write_json
    from indexer.writer import activate, add_document, new_generation

    docs = [read_document(p) for p in sorted(CORPUS.glob("0*.txt"))]
    entities = EntityTagger().tag(docs)
    per_round = sum(len(d.passages) for d in docs)
    rounds = -(-target // per_round)
    index_dir = data / "index"
    generation = new_generation(index_dir, copy=False)
    writer = whoosh_index.open_dir(str(generation)).writer(limitmb=256)
    manifest = {}
    works = {}  # the works index, as an ingest's generation leaves it
    now = datetime.now(UTC).isoformat(timespec="seconds")
    (data / "docs").mkdir(parents=True, exist_ok=True)
    for r in range(rounds):
        for doc, ents in zip(docs, entities, strict=True):
            copy = replace(doc, doc_id=f"{doc.doc_id}-r{r:04d}", title=f"{doc.title} (copy {r})")
            add_document(writer, copy, ents)
            stored = StoredDocument(copy, ents, now, f"{r:04d}{doc.doc_id}")
            write_json(data / "docs" / f"{copy.doc_id}.json", stored.to_dict())
            entry = stored.summary().to_dict()
            entry["source_path"] = str(data / "gone" / f"{copy.doc_id}.txt")
            manifest[copy.doc_id] = entry
            works[copy.doc_id] = (doc_version(stored), document_parts(copy))
    writer.commit()
    WorksIndex(data / "works.db").update(works)
    write_json(data / "manifest.json", {"version": 1, "documents": manifest})
    activate(index_dir, generation)
    return len(manifest)


def disk_bytes(path: Path) -> int:
    """Bytes of the files under ``path``, each inode once (hard links share their blocks)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for item in path.rglob("*"):
        try:
            info = item.lstat()
        except FileNotFoundError:
            continue
        if item.is_file() and (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            total += info.st_size
    return total


def get(client, url: str, cpu: list[float] | None = None) -> tuple[float, int, str]:
    """(ms, bytes, html) of one GET; its CPU ms (this process) appended to ``cpu`` when given."""
    began, began_cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    body = response.get_data()
    ms = (time.perf_counter() - began) * 1000
    if cpu is not None:
        cpu.append((time.process_time() - began_cpu) * 1000)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return ms, len(body), body.decode("utf-8", "replace")


def row(label: str, times: list[float], size: int, cpu: list[float] | None = None) -> None:
    line = f"{label:<44} {statistics.median(times):8.1f} {percentile(times, 95):8.1f} {size / 1024:9.1f}"
    if cpu:
        line += f" {statistics.median(cpu):8.1f} {percentile(cpu, 95):8.1f}"
    print(line)


class Pauses:
    """The cyclic collector's passes while it is on (``gc.callbacks``): count and CPU ms, per
    generation."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, float]] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.runs.append((info["generation"], (time.process_time() - self._began) * 1000))

    def summary(self) -> str:
        full = [ms for gen, ms in self.runs if gen == 2]
        return (
            f"{len(self.runs)} collections, {sum(ms for _g, ms in self.runs):.0f} CPU ms in all; "
            f"{len(full)} full, the longest {max(full, default=0.0):.1f} ms"
        )


def main() -> int:
    """Run the benchmark and print the figures; exit 1 if a bar is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="keep the built data directory here and reuse it later")
    parser.add_argument("--repeat", type=int, default=20, help="requests per URL (default 20)")
    parser.add_argument("--no-ingest", action="store_true", help="skip the one-document ingest")
    parser.add_argument("--only-ingest", action="store_true", help="only the one-document ingest")
    parser.add_argument("--backend", choices=("whoosh", "tantivy"), default="whoosh", help="search backend")
    args = parser.parse_args()
    from indexer import backend as backends
    from indexer.pipeline import reindex
    from indexer.store import DocumentStore
    from webui.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="glossa-bench-pages-"))
    try:
        data = args.data or tmp / "data"
        if (data / "manifest.json").exists():
            print(f"reusing {data}")
        else:
            began = time.perf_counter()
            n = build(data, args.passages)
            print(f"built {n} documents in {time.perf_counter() - began:.1f} s")
        live = backends.live_backend(data / "index") or "whoosh"
        if live != args.backend:
            began = time.perf_counter()
            report = reindex(data, args.backend)
            print(
                f"reindexed {report.documents} documents ({report.passages} passages) from {live} to "
                f"{args.backend} in {time.perf_counter() - began:.1f} s"
            )
        store = DocumentStore(data)
        if not (data / "works.db").exists():
            began = time.perf_counter()
            store.works_index()
            print(
                f"works index built from the stored documents (a data directory older than works.db): "
                f"{time.perf_counter() - began:.1f} s, once"
            )
        ndocs = len(store.manifest())
        began = time.perf_counter()
        for _ in range(20):
            store.manifest()
        manifest_ms = (time.perf_counter() - began) * 1000 / 20
        print(f"{ndocs} documents; DocumentStore.manifest(): {manifest_ms:.2f} ms per call")
        config = {"DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench"}
        app = create_app({**config, "SEARCH_BACKEND": args.backend})
        print(f"backend: {args.backend}")
        from webui.server import settle

        began = time.perf_counter()
        settle(app)  # as `glossa serve` does before it serves: the index warm, the heap frozen
        print(f"settled (warm, gc.freeze) as glossa serve does: {time.perf_counter() - began:.1f} s")
        client = app.test_client()
        if args.only_ingest:
            get(client, "/?" + urlencode({"q": "Frontex"}))
            return 1 if _ingest_one(data, tmp, client, args.backend) else 0
        print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'KB':>9} {'CPU p50':>8} {'CPU p95':>8}")
        missed: list[str] = []
        search_times: list[float] = []
        search_sizes: list[int] = []
        some = sorted(store.manifest())[:2]
        urls = [("search " + q, "/?" + urlencode({"q": q})) for q in QUERIES]
        # results by document, and facets with several values chosen (issue 13)
        urls += [
            (f"by document {q}", "/?" + urlencode({"q": q, "group": "document"}))
            for q in ("Frontex", "migration policy")
        ]
        urls.append(
            ("by document, page 5: border*", "/?" + urlencode({"q": "border*", "group": "document", "page": 5}))
        )
        chosen = [("q", "Frontex"), *(("doc", d) for d in some), ("type", "ORG"), ("type", "GPE")]
        urls.append(("2 documents + 2 types chosen: Frontex", "/?" + urlencode(chosen)))
        urls.append(("the same by document", "/?" + urlencode([*chosen, ("group", "document")])))
        pauses = Pauses()
        gc.callbacks.append(pauses)
        search_cpu: list[float] = []
        for label, url in urls:
            get(client, url)
            times, size, cpu = [], 0, list[float]()
            for _ in range(args.repeat):
                ms, size, _html = get(client, url, cpu)
                times.append(ms)
            search_times += times
            search_cpu += cpu
            search_sizes.append(size)
            row(label[:44], times, size, cpu)
        gc.callbacks.remove(pauses)
        print(f"garbage collector during the search pages: {pauses.summary()}")
        print(f"search page CPU ms: p50 {statistics.median(search_cpu):.1f}, p95 {percentile(search_cpu, 95):.1f}")
        for label, url in (("landing page", "/"), ("reader", f"/doc/{sorted(store.manifest())[0]}")):
            get(client, url)
            times = []
            for _ in range(max(3, args.repeat // 4)):
                ms, size, _html = get(client, url)
                times.append(ms)
            row(label, times, size)
        first, size, _html = get(client, "/works")
        print(f"{'/works first request':<44} {first:8.1f} {'':>8} {size / 1024:9.1f}")
        works: list[float] = []
        for url in ("/works", "/works?page=2", "/works?name=commission"):
            times = []
            for _ in range(max(3, args.repeat // 4)):
                ms, size, _html = get(client, url)
                times.append(ms)
            works += times
            row(url, times, size)
        _after_annotation(app, client, store)
        p95, kb = percentile(search_times, 95), max(search_sizes) / 1024
        for name, value, ok in (
            ("search page p95 ms", p95, p95 < BARS["search_ms"]),
            ("search page KB (largest)", kb, kb < BARS["search_kb"]),
            ("/works p95 ms (warm)", percentile(works, 95), percentile(works, 95) < BARS["works_ms"]),
        ):
            print(f"{name}: {value:.1f} ({'met' if ok else 'MISSED'})")
            if not ok:
                missed.append(name)
        if not args.no_ingest:
            missed += _ingest_one(data, tmp, client, args.backend)
        return 1 if missed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _after_annotation(app, client, store) -> None:
    """The next search after an annotation write (a shared tag), then once more."""
    from webui import services

    doc_id = sorted(store.manifest())[0]
    text = store.get(doc_id).document.text
    url = "/?" + urlencode({"q": "Frontex"})
    get(client, url)
    with app.app_context():
        service = services.get_annotation_service()
        user = service.add_user("bench", "bench-password-123")
        start = max(0, text.find("Frontex"))
        service.create(
            user, doc_id, text, text[start : start + 7], start, start + 7, tags=["bench"], visibility="shared"
        )
    times = [get(client, url)[0] for _ in range(2)]
    print(f"{'search after an annotation write (next, again)':<44} {times[0]:8.1f} {times[1]:8.1f}")


INGEST_CODE = """
import json, sys, time
from indexer.pipeline import ingest
began = time.perf_counter()
report = ingest([sys.argv[1]], sys.argv[2], progress=False, backend=sys.argv[3])
print(json.dumps({"passages": report.passages, "seconds": time.perf_counter() - began}))
"""


def _ingest_one(data: Path, tmp: Path, client, backend: str = "whoosh") -> list[str]:
    """Ingest one new document into the big index: seconds, disk before and after, next search.

    The ingest runs in a process of its own, as the upload job runner does (``glossa ingest``
    too): the serving process never loads spaCy, whose objects would make its next garbage
    collection pass slow."""
    import json
    import subprocess
    import sys

    source = tmp / "new-report.txt"
    text = (CORPUS / sorted(p.name for p in CORPUS.glob("0*.txt"))[1]).read_text(encoding="utf-8")
    source.write_text(f"A new report written at {time.time()}.\n\n{text}", encoding="utf-8")
    url = "/?" + urlencode({"q": "Frontex"})
    warm = [get(client, url)[0] for _ in range(2)]  # the caches as a running server has them
    before = disk_bytes(data / "index")
    done = subprocess.run(
        [sys.executable, "-c", INGEST_CODE, str(source), str(data), backend],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    took = report["seconds"]
    after = disk_bytes(data / "index")
    times = [get(client, url)[0] for _ in range(2)]
    works = [get(client, "/works")[0] for _ in range(2)]
    print(
        f"ingest of one document ({report['passages']} passages): {took:.2f} s; index on disk "
        f"{before / 1e6:.1f} MB before, {after / 1e6:.1f} MB after ({after / before:.2f}x)"
    )
    print(f"{'search before the ingest (first, again)':<44} {warm[0]:8.1f} {warm[1]:8.1f}")
    print(f"{'search after the ingest (next, again)':<44} {times[0]:8.1f} {times[1]:8.1f}")
    print(f"{'/works after the ingest (next, again)':<44} {works[0]:8.1f} {works[1]:8.1f}")
    missed = []
    if took >= BARS["ingest_s"]:
        missed.append("ingest one document")
    if after >= 1.5 * before:
        missed.append("index on disk after one ingest")
    print(f"ingest of one document: {'met' if not missed else 'MISSED'}")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
