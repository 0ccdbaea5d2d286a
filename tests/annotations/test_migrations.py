"""Alembic migrations create the schema on an empty database and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from annotations import db


def test_upgrade_empty_database(db_url):
    assert db.current_revision(db_url) is None
    db.upgrade(db_url)
    db.upgrade(db_url)  # idempotent
    head = ScriptDirectory.from_config(db.alembic_config(db_url)).get_current_head()
    assert head is not None and db.current_revision(db_url) == head
    engine = db.make_engine(db_url)
    try:
        names = set(inspect(engine).get_table_names())
        assert {
            "users",
            "api_tokens",
            "annotations",
            "annotation_tags",
            "annotation_anchors",
            "alembic_version",
        } <= names
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_sqlite_engine_settings(tmp_path):
    url = db.default_url(tmp_path / "data")
    assert url.endswith("/data/glossa.db")
    engine = db.make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_MS
    engine.dispose()


def test_database_url_env_override(tmp_path):
    assert db.database_url(tmp_path, {}) == db.default_url(tmp_path)
    env = {"GLOSSA_DATABASE_URL": "postgresql://u@h/db"}
    assert db.database_url(tmp_path, env) == "postgresql://u@h/db"
    assert db.normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
