"""Two real processes writing at once lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp

from annotations import db
from annotations.service import AnnotationService

TEXT = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu."
WRITES = 60


def writer(url: str, name: str, n: int, queue, ready, go) -> None:
    try:
        service = AnnotationService(db.make_session_factory(db.make_engine(url)))
        service.get_user(name)  # connect before the start signal
        ready.put(name)
        go.wait(60)
        for i in range(n):
            service.create(
                name, "doc", TEXT, "gamma delta", 12, 23, comment=f"{name} {i}", tags=[f"t{i % 3}"], visibility="shared"
            )
        queue.put((name, "ok"))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put((name, repr(exc)))


def test_two_processes_lose_nothing(service_url):
    db.upgrade(service_url)
    engine = db.make_engine(service_url)
    try:
        check_two_processes(AnnotationService(db.make_session_factory(engine)), service_url)
    finally:
        engine.dispose()  # a pooled PostgreSQL connection left open is a ResourceWarning


def check_two_processes(service: AnnotationService, service_url: str) -> None:
    service.add_user("p1", "password-1")
    service.add_user("p2", "password-2")
    ctx = mp.get_context("spawn")
    queue, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=writer, args=(service_url, name, WRITES, queue, ready, go)) for name in ("p1", "p2")]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    go.set()  # both write at the same moment
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert results == {"p1": "ok", "p2": "ok"}
    assert service.count(None, doc_id="doc") == 2 * WRITES
    comments = {a.comment for a in service.find(None)}
    assert comments == {f"p{k} {i}" for k in (1, 2) for i in range(WRITES)}
    assert sum(n for _, n in service.tag_counts(None)) == 2 * WRITES


def test_sqlite_write_retried_while_database_is_locked(sqlite_url):
    import sqlite3
    import threading

    db.upgrade(sqlite_url)
    service = AnnotationService(db.make_session_factory(db.make_engine(sqlite_url, busy_timeout_ms=20)))
    service.add_user("p1", "password-1")
    path = sqlite_url.split("///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a while
    timer = threading.Timer(0.4, holder.execute, args=("COMMIT",))
    timer.start()
    try:
        created = service.create("p1", "doc", TEXT, "gamma delta", 12, 23)
    finally:
        timer.join()
        holder.close()
    assert service.get(created.id, "p1").exact == "gamma delta"
