"""Benchmark the annotation service: create/list throughput (SQLite, PostgreSQL) and re-anchoring.

Run: .venv/bin/python -m bench.annotations [--n 500] [--pg-url URL] [--no-pg] [--reanchor-only]
PostgreSQL: --pg-url, else $GLOSSA_TEST_PG_URL, else a temporary local server (initdb/pg_ctl).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from annotations import db
from annotations.service import AnnotationService
from tests.common.pgserver import TempPostgres, find_pg_bin

DOC = Path(__file__).resolve().parents[1] / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt"


def spans(text: str, n: int, seed: int = 1) -> list[tuple[int, int]]:
    """n random word-aligned quote spans of 10-200 characters."""
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        s = rnd.randrange(0, len(text) - 250)
        e = s + rnd.randint(10, 200)
        if text[s:e].strip():
            out.append((s, e))
    return out


def bench_crud(label: str, url: str, text: str, n: int) -> None:
    """Create n annotations, then list them, through the service."""
    db.upgrade(url)
    service = AnnotationService(db.make_session_factory(db.make_engine(url)))
    user = service.add_user(f"bench{random.randrange(10**9)}", "bench-password")
    todo = spans(text, n)
    t0 = time.perf_counter()
    for i, (s, e) in enumerate(todo):
        service.create(
            user,
            "bench-doc",
            text,
            text[s:e],
            s,
            e,
            comment=f"note {i}",
            tags=[f"tag{i % 7}"],
            visibility="shared" if i % 2 else "private",
        )
    created = time.perf_counter() - t0
    t0 = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        items = service.find(user, doc_id="bench-doc")
    listed = (time.perf_counter() - t0) / rounds
    t0 = time.perf_counter()
    page = service.find(None, doc_id="bench-doc", tag="tag3", limit=50)
    filtered = time.perf_counter() - t0
    print(f"{label:10s} create: {n / created:8.0f} annotations/s ({created * 1000 / n:.2f} ms each)")
    print(
        f"{label:10s} list {len(items)} (own+shared, one doc): {listed * 1000:.1f} ms;"
        f" tag-filtered page of {len(page)}: {filtered * 1000:.1f} ms"
    )


def ingest_sample(root: str) -> tuple[str, str, str]:
    """Ingest the largest sample document into a data dir; return (data dir, doc id, canonical text)."""
    from indexer.pipeline import ingest
    from indexer.store import DocumentStore

    data = os.path.join(root, "data")
    ingest([DOC], data, progress=False)
    summary = DocumentStore(data).summaries()[0]
    return data, summary.doc_id, DocumentStore(data).get(summary.doc_id).document.text


def bench_api(label: str, url: str, data: str, doc_id: str, text: str, n: int) -> None:
    """Create n annotations and list them through the HTTP API (Flask WSGI app, CSRF and all)."""
    import json
    import re

    from webui.app import create_app

    app = create_app({"DATA_DIR": data, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    csrf = re.search(r'data-csrf="([^"]+)"', client.get(f"/doc/{doc_id}").get_data(as_text=True)).group(1)
    headers = {"X-CSRF-Token": csrf}
    todo = spans(text, n, seed=3)
    t0, c0 = time.perf_counter(), time.process_time()
    for i, (s, e) in enumerate(todo):
        body = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": [
                {"type": "TextualBody", "purpose": "tagging", "value": f"tag{i % 7}"},
                {"type": "TextualBody", "purpose": "commenting", "value": f"note {i}"},
            ],
            "target": {
                "source": f"http://127.0.0.1:5000/doc/{doc_id}",
                "selector": [
                    {"type": "TextQuoteSelector", "exact": text[s:e]},
                    {"type": "TextPositionSelector", "start": s, "end": e},
                ],
            },
        }
        response = client.post(
            "/api/annotations", data=json.dumps(body), content_type="application/ld+json", headers=headers
        )
        if response.status_code != 201:
            raise SystemExit(f"{label}: POST failed with {response.status_code}: {response.get_data(as_text=True)}")
    created, cpu = time.perf_counter() - t0, time.process_time() - c0
    # a tag no annotation had: how long until `tag:` search finds it after its create
    # returned, and in how many searches (1: the first search after the create). The search
    # is warmed up first (index opened, caches filled), so this is the tag's delay plus one
    # search's time, not the first search's start-up.
    client.get("/api/search?q=tag:tag1")
    seen_all, rounds_all = [], []
    for k in range(5):
        s, e = todo[k]
        body["body"] = [{"type": "TextualBody", "purpose": "tagging", "value": f"brand-new-tag-{k}"}]
        body["target"]["selector"] = [
            {"type": "TextQuoteSelector", "exact": text[s:e]},
            {"type": "TextPositionSelector", "start": s, "end": e},
        ]
        client.post("/api/annotations", data=json.dumps(body), content_type="application/ld+json", headers=headers)
        t1, rounds = time.perf_counter(), 0
        while True:
            rounds += 1
            if client.get(f"/api/search?q=tag:brand-new-tag-{k}").get_json()["total"]:
                break
            if time.perf_counter() - t1 > 60:
                raise SystemExit(f"{label}: a new tag was not found by search within 60 s")
        seen_all.append(time.perf_counter() - t1)
        rounds_all.append(rounds)
    seen = max(seen_all)
    rounds = 10
    t0 = time.perf_counter()
    for _ in range(rounds):
        listed = client.get(f"/api/annotations?doc={doc_id}&limit=1000").get_json(force=True)
    per_list = (time.perf_counter() - t0) / rounds
    print(
        f"{label:10s} API create: {n / created:8.0f} annotations/s ({created * 1000 / n:.2f} ms each, "
        f"{cpu * 1000 / n:.2f} ms CPU); "
        f"API list {listed['total']}: {per_list * 1000:.1f} ms; a new tag found by search "
        f"{seen * 1000:.0f} ms after its create returned (worst of 5; searches needed: "
        f"{', '.join(map(str, rounds_all))})"
    )


def _counts(summary) -> str:
    return (
        f"kept {summary.kept}, moved unchanged {summary.moved_unchanged}, "
        f"moved with changes {summary.moved_changed}, orphaned {summary.orphaned}"
    )


def bench_reanchor(text: str, n: int = 1000) -> None:
    """Re-anchor n annotations after realistic edits, and after an edit touching every quote."""
    with tempfile.TemporaryDirectory() as tmp:
        url = db.default_url(tmp)
        db.upgrade(url)
        service = AnnotationService(db.make_session_factory(db.make_engine(url)))
        user = service.add_user("reanchor", "bench-password")
        todo = spans(text, n, seed=2)
        t0 = time.perf_counter()
        for s, e in todo:
            service.create(user, "paper", text, text[s:e], s, e)
        made = time.perf_counter() - t0
        print(f"create {n} on the paper (selector, rival score, history row): {made * 1000 / n:.2f} ms each")
        cut = text.index("\n\n", len(text) // 3)
        edited = (text[:500] + "An inserted paragraph at the start.\n\n" + text[500:cut] + text[cut + 800 :]).replace(
            "Frontex", "FRONTEX"
        )
        t0, c0 = time.perf_counter(), time.process_time()
        summary = service.reanchor("paper", edited)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"reanchor {summary.total} on {len(text) / 1000:.0f} KB after insert+delete+renames: "
            f"{took:.2f} s wall, {cpu:.2f} s CPU ({_counts(summary)})"
        )
        everywhere = "".join(c.upper() if i % 37 == 0 else c for i, c in enumerate(text))
        t0, c0 = time.perf_counter(), time.process_time()
        summary = service.reanchor("paper", everywhere)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"reanchor {summary.total} when every quote was edited (fuzzy path for all): "
            f"{took:.2f} s wall, {cpu:.2f} s CPU ({_counts(summary)})"
        )


def bench_scenarios(text: str) -> None:
    """The edit scenarios of issue 12 (tests/annotations/scenarios.py): counts and time."""
    from corpus.reader import read_document
    from tests.annotations.scenarios import standard_scenarios

    root = Path(__file__).resolve().parents[1]
    pair = (read_document(DOC).text, read_document(root / "tests" / "data" / "paper003.pdf").text)
    t0 = time.process_time()
    outcomes = standard_scenarios(text, pair)
    cpu = time.process_time() - t0
    for o in outcomes:
        print("scenario " + o.line())
    total = sum(o.total for o in outcomes)
    print(f"scenarios: {total} annotations judged in {cpu:.1f} s CPU ({cpu * 1000 / total:.1f} ms each, with set-up)")


def main(argv=None) -> int:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="annotations to create per database")
    ap.add_argument("--pg-url", default=os.environ.get("GLOSSA_TEST_PG_URL"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--reanchor-only", action="store_true", help="only the re-anchoring figures and scenarios")
    args = ap.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    if args.reanchor_only:
        bench_reanchor(text)
        bench_scenarios(text)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        bench_crud("sqlite", db.default_url(tmp), text, args.n)
        data, doc_id, canonical = ingest_sample(tmp)
        bench_api("sqlite", db.default_url(os.path.join(tmp, "api")), data, doc_id, canonical, args.n)
        if not args.no_pg:
            if args.pg_url:
                bench_crud("postgresql", args.pg_url, text, args.n)
                bench_api("postgresql", args.pg_url, data, doc_id, canonical, args.n)
            elif find_pg_bin():
                with TempPostgres(fsync=True) as url:
                    bench_crud("postgresql", url, text, args.n)
                    bench_api("postgresql", url, data, doc_id, canonical, args.n)
            else:
                print("postgresql: skipped (no server binaries and no --pg-url)")
    bench_reanchor(text)
    bench_scenarios(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
