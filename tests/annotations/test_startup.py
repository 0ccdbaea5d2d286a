"""Migrations at start-up: concurrent first starts migrate once, a half-made schema recovers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from annotations import db


def _upgrade(url: str, errors) -> None:
    try:
        db.upgrade(url)
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        errors.put(f"{type(exc).__name__}: {exc}")


def test_processes_starting_together_migrate_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'glossa.db'}"
    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_upgrade, args=(url, errors)) for _ in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert all(proc.exitcode == 0 for proc in procs)
    assert errors.empty(), errors.get()
    assert db.current_revision(url) is not None
    db.upgrade(url)  # and the database stays usable


def test_threads_starting_together_migrate_once(db_url):
    errors: list[str] = []

    def run() -> None:
        try:
            db.upgrade(db_url)
        except Exception as exc:  # pragma: no cover
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert db.current_revision(db_url) is not None


def test_a_migration_that_found_the_database_busy_runs_again(tmp_path, monkeypatch):
    # SQLite answers some lock waits at once (a connection switching a new file to WAL while
    # another holds it): the whole upgrade is one transaction, so it is simply run again
    url = f"sqlite:///{tmp_path / 'glossa.db'}"
    real = db._upgrade_once
    calls: list[int] = []

    def busy_then_real(u: str, revision: str) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        real(u, revision)

    monkeypatch.setattr(db, "_upgrade_once", busy_then_real)
    db.upgrade(url)
    assert len(calls) == 3
    assert db.current_revision(url) is not None


def test_a_migration_error_that_is_not_a_lock_is_raised_at_once(tmp_path, monkeypatch):
    calls: list[int] = []

    def broken(u: str, revision: str) -> None:
        calls.append(1)
        raise OperationalError("CREATE TABLE", {}, sqlite3.OperationalError("no such table: users"))

    monkeypatch.setattr(db, "_upgrade_once", broken)
    with pytest.raises(OperationalError, match="no such table"):
        db.upgrade(f"sqlite:///{tmp_path / 'glossa.db'}")
    assert calls == [1]


def test_a_half_made_empty_schema_is_rebuilt(tmp_path):
    path = tmp_path / "glossa.db"
    con = sqlite3.connect(path)  # what an interrupted first start of an older Glossa left
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(64))")
    con.commit()
    con.close()
    url = f"sqlite:///{path}"
    db.upgrade(url)
    assert db.current_revision(url) is not None
    engine = db.make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT password_hash FROM users")).all()  # the real table now
    engine.dispose()


def test_a_half_made_schema_with_data_is_refused_not_dropped(tmp_path):
    path = tmp_path / "glossa.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(64))")
    con.execute("INSERT INTO users (name) VALUES ('alice')")
    con.commit()
    con.close()
    with pytest.raises(db.SchemaError, match="users"):
        db.upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    assert con.execute("SELECT name FROM users").fetchall() == [("alice",)]
    con.close()
