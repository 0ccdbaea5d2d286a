"""Server-side render time of the search page and the reader, through the WSGI app.

Usage: python -m bench.render [--data DIR] [--repeat N]
Without --data, the sample corpus is ingested into a temporary directory first.
Targets: search page p95 < 100 ms, reader (largest sample document) p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUERIES = ["Frontex", "migration policy", "place:Serbia visa", 'org:"European Commission"', "border* AND NOT Croatia"]
TARGETS = {"search": 100.0, "reader": 150.0}
SEARCH_MS: list[float] = []  # Searcher.search time the page reports, per request


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed(client, url: str, repeat: int) -> list[float]:
    """Milliseconds per request for ``repeat`` GETs of ``url`` (after one warm-up request).

    A ``{i}`` in the URL is replaced by the request number (to defeat the render cache).
    """
    response = client.get(url.format(i="warm"))
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for i in range(repeat):
        began = time.perf_counter()
        response = client.get(url.format(i=i))
        html = response.get_data(as_text=True)
        times.append((time.perf_counter() - began) * 1000)
        found = re.search(r'<span class="timing">\((\d+) ms\)</span>', html)
        if found:
            SEARCH_MS.append(float(found.group(1)))
    return times


def prepare(data: str | None, workdir: Path) -> Path:
    """The data directory to benchmark: the given one, or the sample corpus ingested afresh."""
    if data:
        return Path(data)
    from indexer.pipeline import ingest

    target = workdir / "data"
    began = time.perf_counter()
    report = ingest(sorted((ROOT / "webui" / "sample_corpus").glob("*.txt")), target, progress=False)
    print(f"ingested {len(report.added)} sample documents in {time.perf_counter() - began:.1f} s")
    return target


def main() -> int:
    """Run the benchmark and print p50/p95 per page; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an existing data directory (default: ingest the sample corpus)")
    parser.add_argument("--repeat", type=int, default=40, help="requests per URL (default 40)")
    args = parser.parse_args()
    from indexer.store import DocumentStore
    from webui.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = prepare(args.data, Path(tmp))
        app = create_app(
            {"DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench"}
        )
        client = app.test_client()
        docs = DocumentStore(data_dir).summaries()
        largest = max(docs, key=lambda d: d.word_count)
        samples = {"search": [], "reader": []}
        print(f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'of which index p50':>19}")
        for q in QUERIES:
            SEARCH_MS.clear()
            times = timed(client, "/?" + _qs(q), args.repeat)
            samples["search"] += times
            print(
                f"{'search ' + q:<46} {statistics.median(times):8.1f} {percentile(times, 95):8.1f} "
                f"{statistics.median(SEARCH_MS):19.1f}"
            )
        for label, url in (
            (f"reader {largest.doc_id} ({largest.word_count} words)", f"/doc/{largest.doc_id}"),
            ("reader same, with ?q=migration", f"/doc/{largest.doc_id}?q=migration"),
            ("reader same, never cached (new ?ent= each)", f"/doc/{largest.doc_id}?ent=ORG:x{{i}}"),
        ):
            times = timed(client, url, args.repeat)
            samples["reader"] += times
            print(f"{label:<46} {statistics.median(times):8.1f} {percentile(times, 95):8.1f}")
        missed = 0
        for kind, times in samples.items():
            p95 = percentile(times, 95)
            ok = p95 < TARGETS[kind]
            missed += not ok
            print(
                f"{kind} overall: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
                f"(target p95 < {TARGETS[kind]:.0f} ms: {'met' if ok else 'MISSED'})"
            )
    return 1 if missed else 0


def _qs(q: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": q})


if __name__ == "__main__":
    raise SystemExit(main())
