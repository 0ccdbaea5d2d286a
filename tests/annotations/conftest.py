"""Fixtures: a fresh SQLite file per test and one throwaway PostgreSQL server per session."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from annotations import db
from annotations.service import AnnotationService
from tests.common.pgserver import TempPostgres, find_pg_bin

CORPUS_DOC = str(Path(__file__).resolve().parents[2] / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt")


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a PostgreSQL server database: $GLOSSA_TEST_PG_URL, or a temporary local server."""
    env_url = os.environ.get("GLOSSA_TEST_PG_URL")
    if env_url:
        yield db.normalize_url(env_url)
        return
    if find_pg_bin() is None:
        _unavailable("no initdb/pg_ctl found and GLOSSA_TEST_PG_URL is not set")
    server = TempPostgres()
    try:
        url = server.start()
    except Exception as exc:  # noqa: BLE001 - reported as skip/fail
        server.stop()
        _unavailable(str(exc))
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server_url):
    """A fresh, empty database on the session's PostgreSQL server (dropped afterwards)."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        base = pg_server_url.rsplit("/", 1)[0]
        yield f"{base}/{name}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    """A SQLite file URL in the test's temporary directory."""
    return db.default_url(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The URL of an empty database, once per backend."""
    if request.param == "sqlite":
        return db.default_url(tmp_path)
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def pg_migrated_url(pg_server_url):
    """A database on the PostgreSQL server migrated once; tests empty it before use."""
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    name = "svc_" + uuid.uuid4().hex[:12]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = pg_server_url.rsplit("/", 1)[0] + "/" + name
    db.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def service_url(request, tmp_path):
    """A migrated, empty database, once per backend."""
    if request.param == "sqlite":
        url = db.default_url(tmp_path)
        db.upgrade(url)
        return url
    url = request.getfixturevalue("pg_migrated_url")
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE annotation_anchors, annotation_tags, annotations, api_tokens, users RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()
    return url


@pytest.fixture
def service(service_url):
    """An AnnotationService on a migrated, empty database (SQLite and PostgreSQL)."""
    engine = db.make_engine(service_url)
    yield AnnotationService(db.make_session_factory(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def corpus_text() -> str:
    """The 90 KB research paper of the sample corpus."""
    with open(CORPUS_DOC, encoding="utf-8") as f:
        return f.read()
