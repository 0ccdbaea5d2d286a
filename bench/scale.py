"""Benchmark: both search backends on the sample corpus scaled up (prints figures, asserts nothing).

Usage: python -m bench.scale [--passages 100000] [--backends whoosh,tantivy] [--queries 300]
                             [--index-root DIR] [--pagelen 10] [--warmup 1] [--best-of 1]

The sample corpus is tagged once (real spaCy model), then its documents are copied under new
ids until there are ``--passages`` passages, and each backend builds its index from the same
records through its own generation writer (what ``glossa ingest`` and ``glossa reindex`` use;
tagging is not part of the build time). Each backend's queries then run in a fresh process, so
its figures are its own: the first query after opening the index, p50/p95 per query kind over
a reproducible mix (bench/query.py's kinds, plus fuzzy words, natural questions and slop
phrases), and the process's peak memory. Printed per backend:

* build: passages per CPU-second (the process's CPU time, all threads and children);
* index bytes per passage (the live generation on disk);
* the query process's resident memory at the end, its own (anonymous) and the pages of the
  memory-mapped index files it touched (file-backed, shared with the page cache);
* first query after open (ms, wall and CPU: opening the live generation, its stored
  vocabulary, and the first search; the backend's modules are imported before, and their
  import time is printed apart), p50/p95 per kind (ms: wall time, and the query process's CPU
  time, which a loaded machine changes less), peak RSS of the query process (MB: its own
  high-water mark, ``VmHWM``, which the process that started it does not raise);
* unless ``--no-ingest``, ingesting one more document into the built index through
  the backend's generation writer (what ``glossa ingest`` does): wall and CPU seconds, the bytes
  the new generation added on disk (hard links to unchanged files count once), and the next
  search of a searcher that was open before (it opens the new generation);
* whether both backends gave the same total for every query of the mix;
* with ``--profile``, a second pass under cProfile (CPU clock): per kind, the mean CPU ms per
  query spent inside the engine's own calls (tantivy's search, aggregate, doc and fast-field
  reads; the aggregate includes turning its result into Python dicts; Whoosh has none, it is
  Python), and the rest of the kind's mean CPU time in the timed pass (Python: query reading,
  translation, expansion, facet lists, hits and snippets), so what dominates is measured.

With ``--index-root DIR`` the indexes are kept there and reused by later runs of the same size.
With ``--best-of N`` the mix is timed N times and each query counts its least time: a
structural change shows through the machine's noise (one pass of the same code varies by
10-20% in p95 between runs), while the default single pass is what a user meets.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib.util
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: bench/query.py's kinds, then ours
KINDS = ("term", "two terms", "phrase", "field", "doc", "wildcard", "fuzzy", "natural", "slop phrase")
FUZZY = ["migraton~", "frontx~", "asylym~", "readmision~", "smugling~", "serbai~"]
NATURAL = [
    "what did frontex do at the serbian border",
    "returns of rejected asylum seekers to the western balkans",
    "EU funding for border surveillance equipment",
    "pushed back migrants in bosnia",
    "visa policy alignment of serbia",
    "biometric data of migrants in eurodac",
]
SLOP = ['"border control"~3', '"migration management"~2', '"asylum seekers"~3', '"status agreement"~2']


def bench_query():
    """bench/query.py as a module (imported by the parent only: it loads spaCy, which would
    count in the query process's memory)."""
    spec = importlib.util.spec_from_file_location("bench_query", ROOT / "bench" / "query.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def mix(n: int, doc_ids: list[str]) -> list[tuple[str, str]]:
    """bench/query.py's reproducible mix, with fuzzy, natural and slop-phrase queries added."""
    base = bench_query().queries(n, doc_ids)
    rng = random.Random(11)
    extra = []
    for i in range(n // 6):
        kind = ("fuzzy", "natural", "slop phrase")[i % 3]
        pool = {"fuzzy": FUZZY, "natural": NATURAL, "slop phrase": SLOP}[kind]
        extra.append((kind, rng.choice(pool)))
    return base + extra


def records(target: int) -> tuple[list, list]:
    """(documents, entities) of the sample corpus, tagged once."""
    from corpus import read_document
    from indexer.ner import EntityTagger

    docs = [read_document(p) for p in sorted((ROOT / "webui" / "sample_corpus").glob("0*.txt"))]
    return docs, EntityTagger().tag(docs)


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def build(index_dir: Path, backend: str, target: int, docs: list, entities: list) -> dict:
    """Index copies of the tagged sample documents until ``target`` passages; the figures."""
    from indexer.backend import open_writer
    from indexer.writer import activate

    per_round = sum(len(d.passages) for d in docs)
    rounds = -(-target // per_round)
    wall, cpu = time.perf_counter(), cpu_seconds()
    writer = open_writer(index_dir, backend, copy=False)
    count = 0
    for r in range(rounds):
        for doc, ents in zip(docs, entities, strict=True):
            count += writer.add_document(replace(doc, doc_id=f"{doc.doc_id}-r{r:04d}"), ents)
    writer.commit()
    activate(index_dir, writer.generation)
    cpu = cpu_seconds() - cpu
    wall = time.perf_counter() - wall
    return {"passages": count, "cpu_s": round(cpu, 1), "wall_s": round(wall, 1), "per_cpu_s": round(count / cpu)}


def index_bytes(index_dir: Path) -> int:
    """Bytes of the live generation."""
    from indexer.writer import current_generation

    gen = current_generation(index_dir)
    return sum(f.stat().st_size for f in gen.rglob("*") if f.is_file()) if gen else 0


def disk_bytes(index_dir: Path) -> int:
    """Bytes of every generation under ``index_dir``, a file hard-linked into several once."""
    seen: dict[tuple[int, int], int] = {}
    for f in index_dir.rglob("*"):
        if f.is_file():
            st = f.stat()
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


def ingest_one(index_dir: Path, backend: str, docs: list, entities: list) -> dict:
    """Ingest one more document into the live index (a new generation, made live); the figures."""
    from indexer.backend import open_searcher, open_writer
    from indexer.writer import activate

    searcher = open_searcher(index_dir, backend)
    searcher.search("migration")
    before = disk_bytes(index_dir)
    doc = max(zip(docs, entities, strict=True), key=lambda p: len(p[0].passages))
    wall, cpu = time.perf_counter(), cpu_seconds()
    writer = open_writer(index_dir, backend, copy=True)
    added = writer.add_document(replace(doc[0], doc_id=f"{doc[0].doc_id}-ingested-{time.time_ns()}"), doc[1])
    writer.commit()
    activate(index_dir, writer.generation)
    cpu = cpu_seconds() - cpu
    wall = time.perf_counter() - wall
    t0, c0 = time.perf_counter(), time.process_time()
    searcher.search("returns of rejected asylum seekers")
    next_ms = ((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000)
    searcher.close()
    return {
        "passages": added,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "added_mb": round((disk_bytes(index_dir) - before) / 1e6, 1),
        "index_mb": round(before / 1e6, 1),
        "next_search_ms": f"{next_ms[0]:.0f} ({next_ms[1]:.0f} CPU)",
        "vocabulary": getattr(writer, "vocab_counts", None),
    }


def rss_parts() -> str:
    """This process's resident memory now, anonymous (its own) and file-backed (pages of the
    memory-mapped index files, shared with the page cache), in MB (Linux; "" elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
    except OSError:
        return ""
    kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Rss")}
    return f"{kb.get('RssAnon', 0) // 1024} + {kb.get('RssFile', 0) // 1024}"


def peak_rss_mb() -> int:
    """This process's peak resident memory, in MB: the kernel's high-water mark of its own
    address space (``VmHWM``). Not ``ru_maxrss``: Linux carries that across ``exec`` from the
    process that forked it, so a query process started by this script would report this
    script's own peak (the tagger, the build) whenever it was the larger."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def engine_split(profile: cProfile.Profile, runs: int, cpu_ms: float) -> dict[str, float]:
    """CPU ms per query inside each engine call (tantivy's methods, by name), and the rest of
    ``cpu_ms`` (the kind's mean CPU ms in the unprofiled pass: the profiler slows Python calls
    several times over, calls into the engine hardly)."""
    import pstats

    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    out: dict[str, float] = {}
    for (_file, _line, name), row in stats.items():
        if "tantivy.tantivy" in name:
            method = name.split("'")[1] if "'" in name else name
            out[method] = out.get(method, 0.0) + row[2]
    split = {k: round(v / runs * 1000, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v}
    split["python"] = round(max(0.0, cpu_ms - sum(split.values())), 2)
    return split


def run_queries(
    backend: str,
    index_dir: Path,
    queries: list[tuple[str, str]],
    pagelen: int,
    warmup: int,
    profile: bool = False,
    best_of: int = 1,
) -> dict:
    """In this (fresh) process: import, open, first query, warm-up, ``best_of`` timed passes
    (each query's figures its least wall and least CPU time over them); the figures."""
    t0, c0 = time.perf_counter(), time.process_time()
    import importlib

    from indexer.backend import open_searcher
    from indexer.query import QueryError

    importlib.import_module(f"indexer.backend.{backend}_backend")
    import_ms = (time.perf_counter() - t0) * 1000
    began, c1 = time.perf_counter(), time.process_time()
    searcher = open_searcher(index_dir, backend)
    searcher.search("migration", pagelen=pagelen)
    first_ms = (time.perf_counter() - began) * 1000
    first_cpu_ms = (time.process_time() - c1) * 1000
    import_cpu_ms = (c1 - c0) * 1000
    for _ in range(warmup):
        for _kind, text in queries:
            with contextlib.suppress(QueryError):
                searcher.search(text, pagelen=pagelen)
    times: dict[str, list[float]] = {}
    totals: list[int | str] = []
    load = os.getloadavg()[0]
    cpu: dict[str, list[float]] = {}
    best: list[tuple[float, float]] = [(math.inf, math.inf)] * len(queries)
    for _ in range(max(1, best_of)):
        totals = []
        for i, (_kind, text) in enumerate(queries):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                total: int | str = searcher.search(text, pagelen=pagelen).total
            except QueryError as exc:
                total = f"error: {exc.message}"
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
            totals.append(total)
            best[i] = (min(best[i][0], elapsed), min(best[i][1], used))
    for (kind, _text), (elapsed, used) in zip(queries, best, strict=True):
        for key in (kind, "all"):
            times.setdefault(key, []).append(elapsed)
            cpu.setdefault(key, []).append(used)
    split: dict[str, dict[str, float]] = {}
    if profile:  # a second pass, profiled (its times are cProfile's, not the figures above)
        profiles: dict[str, cProfile.Profile] = {}
        runs: dict[str, int] = {}
        for kind, text in queries:
            prof = profiles.setdefault(kind, cProfile.Profile(time.process_time))
            runs[kind] = runs.get(kind, 0) + 1
            prof.enable()
            with contextlib.suppress(QueryError):
                searcher.search(text, pagelen=pagelen)
            prof.disable()
        mean = {kind: sum(cpu[kind]) / len(cpu[kind]) * 1000 for kind in profiles}
        split = {kind: engine_split(prof, runs[kind], mean[kind]) for kind, prof in profiles.items()}
    return {
        "backend": backend,
        "passages": searcher.passage_count(),
        "split": split,
        "first_query_ms": round(first_ms, 1),
        "first_query_cpu_ms": round(first_cpu_ms, 1),
        "import_ms": f"{import_ms:.0f} ({import_cpu_ms:.0f} CPU)",
        "kinds": {k: [round(pct(v, 50), 2), round(pct(v, 95), 2), len(v)] for k, v in times.items()},
        "cpu": {k: [round(pct(v, 50), 2), round(pct(v, 95), 2), len(v)] for k, v in cpu.items()},
        "peak_rss_mb": peak_rss_mb(),
        "rss_anon_file_mb": rss_parts(),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
        "queries": [text for _kind, text in queries],
        "totals": totals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--backends", default="whoosh,tantivy")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--pagelen", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes over the mix before the timed one")
    parser.add_argument("--index-root", type=Path, help="keep the indexes here and reuse them")
    parser.add_argument("--no-ingest", action="store_true", help="skip the one-document ingest")
    parser.add_argument("--profile", action="store_true", help="print where each kind's CPU time goes")
    parser.add_argument(
        "--best-of",
        type=int,
        default=1,
        help="timed passes over the mix; each query's figure is its best (least) time of them, "
        "which a noisy machine changes less than one pass (default 1: one pass, as a user sees it)",
    )
    parser.add_argument("--query-run", nargs=3, metavar=("BACKEND", "INDEX_DIR", "MIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_run:
        backend, index_dir, mix_file = args.query_run
        queries = [tuple(q) for q in json.loads(Path(mix_file).read_text(encoding="utf-8"))]
        figures = run_queries(backend, Path(index_dir), queries, args.pagelen, args.warmup, args.profile, args.best_of)
        print(json.dumps(figures))
        return
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    root = args.index_root or Path(tempfile.mkdtemp(prefix="glossa-bench-scale-"))
    print(
        f"{args.passages} passages; backends {', '.join(backends)}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    try:
        docs = entities = None
        builds = {}
        for backend in backends:
            index_dir = root / f"{backend}-{args.passages}" / "index"
            if (index_dir / "CURRENT").exists():
                print(f"{backend}: reusing {index_dir}")
                continue
            if docs is None or entities is None:
                docs, entities = records(args.passages)
            builds[backend] = build(index_dir, backend, args.passages, docs, entities)
            b = builds[backend]
            print(
                f"{backend}: built {b['passages']} passages in {b['wall_s']} s wall, {b['cpu_s']} s CPU: "
                f"{b['per_cpu_s']} passages per CPU-second"
            )
        results = {}
        from indexer.backend import open_searcher

        probe = open_searcher(root / f"{backends[0]}-{args.passages}" / "index", backends[0])
        doc_ids = sorted({d["value"] for d in probe.search("migration").facets["documents"]})
        probe.close()
        mix_file = root / "mix.json"
        mix_file.write_text(json.dumps(mix(args.queries, doc_ids)), encoding="utf-8")
        for backend in backends:
            index_dir = root / f"{backend}-{args.passages}" / "index"
            command = [sys.executable, __file__, "--query-run", backend, str(index_dir), str(mix_file)]
            command += ["--pagelen", str(args.pagelen), "--warmup", str(args.warmup), "--best-of", str(args.best_of)]
            command += ["--profile"] if args.profile else []
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[backend] = json.loads(out.strip().splitlines()[-1])
            results[backend]["bytes_per_passage"] = round(index_bytes(index_dir) / max(1, results[backend]["passages"]))
        print()
        if args.best_of > 1:
            print(f"(each query's best of {args.best_of} timed passes)")
        for title, key in (("wall p50 / p95", "kinds"), ("CPU p50 / p95", "cpu")):
            print(f"{title:16s}" + "".join(f" | {b:>21s}" for b in backends))
            for kind in (*KINDS, "all"):
                row = ""
                for b in backends:
                    p50, p95, _n = results[b][key].get(kind, [0.0, 0.0, 0])
                    row += f" | {p50:8.2f} / {p95:8.2f} ms"
                print(f"{kind:16s}{row}")
        rows = (
            ("import ms", "import_ms"),
            ("first query ms", "first_query_ms"),
            ("  of it CPU ms", "first_query_cpu_ms"),
            ("peak RSS MB", "peak_rss_mb"),
            ("RSS anon+file MB", "rss_anon_file_mb"),
            ("bytes/passage", "bytes_per_passage"),
        )
        for label, key in rows:
            print(f"{label:16s}" + "".join(f" | {results[b][key]:>21}" for b in backends))
        for b in backends:
            if results[b].get("split"):
                print(f"{b}: mean CPU ms per query in the engine's calls (cProfile) and the rest (Python):")
                for kind in KINDS:
                    parts = results[b]["split"].get(kind)
                    if parts:
                        print(f"  {kind:14s} " + ", ".join(f"{k} {v}" for k, v in parts.items()))
        if builds:
            print(
                f"{'passages/CPU-s':16s}"
                + "".join(f" | {builds.get(b, {}).get('per_cpu_s', 'reused'):>21}" for b in backends)
            )
        if not args.no_ingest:
            if docs is None or entities is None:
                docs, entities = records(args.passages)
            for backend in backends:
                index_dir = root / f"{backend}-{args.passages}" / "index"
                one = ingest_one(index_dir, backend, docs, entities)
                print(
                    f"{backend}: ingested one document ({one['passages']} passages) in {one['wall_s']} s wall, "
                    f"{one['cpu_s']} s CPU; {one['added_mb']} MB more on disk (index {one['index_mb']} MB); "
                    f"next search of an open searcher {one['next_search_ms']} ms; vocabulary {one['vocabulary']}; "
                    f"load {os.getloadavg()[0]:.2f}"
                )
        print("load average during the timed pass: " + ", ".join(f"{b} {results[b]['load']}" for b in backends))
        if len(backends) > 1:
            ref = results[backends[0]]
            for other in backends[1:]:
                same = sum(a == b for a, b in zip(ref["totals"], results[other]["totals"], strict=True))
                print(f"totals {backends[0]} = {other}: {same} of {len(ref['totals'])} queries")
                for q, a, b in zip(ref["queries"], ref["totals"], results[other]["totals"], strict=True):
                    if a != b:
                        print(f"  differs: {q!r}: {a} vs {b}")
    finally:
        if not args.index_root:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
