"""Benchmark: query latency on the sample corpus scaled to ~100,000 passages (prints figures).

Run from the checkout: .venv/bin/python -m bench.query [--help]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from corpus import read_document
from indexer.backend import backend_of, open_searcher, open_writer
from indexer.ner import EntityTagger
from indexer.search import Searcher
from indexer.writer import activate, add_document, current_generation, new_generation

CORPUS = Path(__file__).resolve().parents[1] / "webui" / "sample_corpus"
WORDS = [
    "Frontex",
    "migration",
    "border",
    "asylum",
    "Serbia",
    "readmission",
    "smuggling",
    "returns",
    "visa",
    "enlargement",
    "artificial",
    "intelligence",
    "pushbacks",
    "Türkiye",
    "Turkiye",
    "Zuparic",
    "agreement",
    "deployment",
    "funding",
    "Commission",
    "Kosovo",
    "surveillance",
    "rights",
    "reception",
    "biometric",
    "Eurodac",
    "IOM",
    "camps",
]
PHRASES = [
    '"border control"',
    '"Western Balkans"',
    '"human rights"',
    '"status agreement"',
    '"joint operations"',
    '"New Pact"',
    '"migration management"',
]
FIELDS = [
    "org:frontex",
    "place:bih",
    'place:"north macedonia"',
    "person:johansson",
    "entity:wb6",
    "type:MONEY",
    "org:europol",
    "place:serbia",
    "org:iom",
    "fn:12",
]
WILDCARDS = ["front*", "migra*", "bord*", "asyl*", "readmiss*", "smugg*", "Serb*", "pushback*"]


def build(index_dir: Path, target: int, procs: int, backend: str = "whoosh") -> int:
    """Index replicated sample documents (varied doc ids) until ``target`` passages."""
    docs = [read_document(p) for p in sorted(CORPUS.glob("0*.txt"))]
    entities = EntityTagger().tag(docs)
    per_round = sum(len(d.passages) for d in docs)
    rounds = -(-target // per_round)
    if backend != "whoosh":
        out = open_writer(index_dir, backend, copy=False)
        count = 0
        for r in range(rounds):
            for doc, ents in zip(docs, entities, strict=False):
                count += out.add_document(replace(doc, doc_id=f"{doc.doc_id}-r{r:04d}"), ents)
        out.commit()
        activate(index_dir, out.generation)
        return count
    generation = new_generation(index_dir, copy=False)
    options = {"procs": procs, "multisegment": True} if procs > 1 else {}
    writer = whoosh_index.open_dir(str(generation)).writer(limitmb=128, **options)
    count = 0
    for r in range(rounds):
        for doc, ents in zip(docs, entities, strict=False):
            count += add_document(writer, replace(doc, doc_id=f"{doc.doc_id}-r{r:04d}"), ents)
    writer.commit()
    activate(index_dir, generation)
    return count


KINDS = ("term", "two terms", "phrase", "field", "doc", "wildcard")


def queries(n: int, doc_ids: list[str]) -> list[tuple[str, str]]:
    """A reproducible mix of (kind, query): terms, pairs, phrases, field queries, wildcards."""
    rng = random.Random(7)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        if kind == "term":
            text = rng.choice(WORDS)
        elif kind == "two terms":
            text = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
        elif kind == "phrase":
            text = rng.choice(PHRASES)
        elif kind == "field":
            text = f"{rng.choice(FIELDS)} {rng.choice(WORDS)}"
        elif kind == "doc":
            text = f"doc:{rng.choice(doc_ids)} {rng.choice(WORDS)}"
        else:
            text = rng.choice(WILDCARDS)
        out.append((kind, text))
    return out


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def bare_search(searcher, q, pagelen: int) -> list[dict]:
    """What any Whoosh app must do: the same parsed query, its top page with stored fields
    (nothing without a Whoosh index: the tantivy backend is timed alone)."""
    if searcher is None:
        return []
    return [hit.fields() for hit in searcher.search(q, limit=pagelen)]


def timed(fn) -> float:
    """Seconds one call of ``fn`` takes."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _time_pass(mix, bare, ours, pagelen: int) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """Seconds per query of bare Whoosh and of Glossa (wall, and Glossa's CPU: what a loaded
    machine changes less), by kind, over one pass of the mix."""
    rows: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for i, (kind, text, q) in enumerate(mix):
        run_bare = lambda q=q: bare_search(bare, q, pagelen)  # noqa: E731
        run_ours = lambda text=text: ours.search(text, pagelen=pagelen)  # noqa: E731
        c0 = time.process_time()
        if i % 2:  # alternate which goes first, so neither profits from the other's cache
            tb = timed(run_bare)
            c0 = time.process_time()
            to = timed(run_ours)
            cpu = time.process_time() - c0
        else:
            to = timed(run_ours)
            cpu = time.process_time() - c0
            tb = timed(run_bare)
        for key in (kind, "all but wildcard" if kind != "wildcard" else None):
            if key:
                row = rows.setdefault(key, ([], [], []))
                row[0].append(tb)
                row[1].append(to)
                row[2].append(cpu)
    return rows


def _report(rows: dict[str, tuple[list[float], list[float], list[float]]], bare: bool = True) -> None:
    for kind in (*KINDS, "all but wildcard"):
        b, o, c = rows[kind]
        cpu = f" | CPU p50 {pct(c, 50):6.1f} p95 {pct(c, 95):6.1f} ms"
        if not bare:
            print(f"{kind:16s} n={len(o):3d}  search p50 {pct(o, 50):6.1f} p95 {pct(o, 95):6.1f} ms{cpu}")
            continue
        print(
            f"{kind:16s} n={len(b):3d}  bare whoosh p50 {pct(b, 50):6.1f} p95 {pct(b, 95):6.1f} ms"
            f" | Searcher p50 {pct(o, 50):6.1f} p95 {pct(o, 95):6.1f} ms{cpu}"
            f" | overhead (mean) {statistics.mean(o) / statistics.mean(b) - 1:+.0%}"
        )


def second_stage(ours, texts: list[str], rounds: int = 3) -> None:
    """CPU ms per natural query with indexer.rescore's second stage and without it (its
    order left to the first stage), in the same process, alternating, warm."""
    from indexer import rescore

    real = rescore.rescore
    with_it: list[float] = []
    without: list[float] = []
    try:
        for r in range(rounds):
            for i, text in enumerate(texts):
                for on in (True, False) if (i + r) % 2 else (False, True):
                    rescore.rescore = real if on else (lambda *args, **kwargs: None)
                    c0 = time.process_time()
                    ours.search(text, pagelen=10)
                    (with_it if on else without).append(time.process_time() - c0)
    finally:
        rescore.rescore = real
    print(
        f"natural queries (n={len(texts)} x {rounds}), CPU ms: with the second stage p50 {pct(with_it, 50):.1f}"
        f" p95 {pct(with_it, 95):.1f} mean {statistics.mean(with_it) * 1000:.1f} | without p50 {pct(without, 50):.1f}"
        f" p95 {pct(without, 95):.1f} mean {statistics.mean(without) * 1000:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--pagelen", type=int, default=10)
    parser.add_argument("--procs", type=int, default=4, help="Whoosh writer processes for the build")
    parser.add_argument(
        "--index", metavar="DIR", type=Path, help="keep the built index in DIR and reuse it on later runs"
    )
    parser.add_argument("--warmup", type=int, default=2, help="untimed passes over the queries")
    parser.add_argument("--backend", default="whoosh", help="search backend: whoosh (default) or tantivy")
    parser.add_argument(
        "--second-stage",
        action="store_true",
        help="also the CPU time of natural queries with and without indexer.rescore's second stage, alternated",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="glossa-bench-query-"))
    try:
        index_dir = args.index if args.index else root / "index"
        if args.index and (index_dir / "CURRENT").exists():
            print(f"reusing the index in {index_dir}")
        else:
            began = time.perf_counter()
            count = build(index_dir, args.passages, args.procs, args.backend)
            print(f"indexed {count} passages in {time.perf_counter() - began:.1f}s")
        generation = current_generation(index_dir)
        if generation is None:
            raise SystemExit(f"nothing is indexed in {index_dir}")
        whoosh = backend_of(generation) == "whoosh"
        if whoosh != (args.backend == "whoosh"):
            raise SystemExit(f"the index in {index_dir} is not a {args.backend} index")
        # Searcher for Whoosh (as before: it writes nothing into the index), the backend otherwise
        ours: Any = Searcher(index_dir) if whoosh else open_searcher(index_dir, args.backend)
        bare = whoosh_index.open_dir(str(generation)).searcher() if whoosh else None
        count = ours.passage_count() if bare is None else bare.doc_count()
        size = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
        print(f"{count} passages ({args.backend}); index size: {size / 1e6:.1f} MB ({size / count:.0f} bytes/passage)")
        doc_ids = sorted({d["value"] for d in ours.search("migration").facets["documents"]})
        mix = [(kind, text, ours.parse(text)) for kind, text in queries(args.queries, doc_ids)]
        # the first pass is timed too: Glossa's postings cache starts empty (a fresh server)
        first, load = _time_pass(mix, bare, ours, args.pagelen), os.getloadavg()
        for _ in range(max(0, args.warmup - 1)):  # OS page cache and per-word caches of both
            for _kind, text, q in mix:
                bare_search(bare, q, args.pagelen)
                ours.search(text, pagelen=args.pagelen)
        rows = _time_pass(mix, bare, ours, args.pagelen)
        load_after = os.getloadavg()
        print(
            f"load average before/after timing: {load[0]:.2f} / {load_after[0]:.2f}"
            f" ({os.cpu_count()} CPUs); {args.warmup} warm-up passes; pagelen {args.pagelen}"
        )
        _report(rows, bare is not None)
        print("first pass (Glossa's postings cache empty at the start; repeated queries warm):")
        _report(first, bare is not None)
        if args.second_stage:
            second_stage(ours, [text for kind, text, _q in mix if kind in ("term", "two terms", "field", "doc")])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (ru_maxrss): {peak:.0f} MB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
