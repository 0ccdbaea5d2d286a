"""Database plumbing: declarative base, engines, sessions and Alembic migrations."""

from __future__ import annotations

import contextlib
import os
import random
import time
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

DB_FILENAME = "glossa.db"
ENV_URL = "GLOSSA_DATABASE_URL"
SQLITE_BUSY_MS = 30_000
#: how long concurrent first starts keep retrying a migration that found the database busy
MIGRATION_PATIENCE_S = 120.0
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names (needed by migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def default_url(data_dir: str | os.PathLike) -> str:
    """The SQLite URL of `glossa.db` inside the data directory."""
    path = Path(data_dir).resolve() / DB_FILENAME
    return f"sqlite:///{path}"


def database_url(data_dir: str | os.PathLike, environ: dict | None = None) -> str:
    """`$GLOSSA_DATABASE_URL` when set, else the SQLite file in the data directory."""
    env = os.environ if environ is None else environ
    url = (env.get(ENV_URL) or "").strip()
    return url or default_url(data_dir)


def normalize_url(url: str) -> str:
    """Route plain `postgresql://` URLs to the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url_or_engine) -> bool:
    """True when the URL or engine talks to SQLite."""
    if isinstance(url_or_engine, Engine):
        return url_or_engine.dialect.name == "sqlite"
    return make_url(normalize_url(str(url_or_engine))).get_backend_name() == "sqlite"


def _sqlite_pragmas(busy_ms: int):
    def on_connect(dbapi_conn, _record) -> None:
        _apply_pragmas(dbapi_conn, busy_ms)

    return on_connect


def _apply_pragmas(dbapi_conn, busy_ms: int) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


def create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600) if it does not exist yet.

    It holds password hashes and private annotations; SQLite gives its -wal and -shm files
    the mode of the database file, so they are private too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, busy_timeout_ms: int = SQLITE_BUSY_MS, **kwargs) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3)."""
    url = normalize_url(url)
    if is_sqlite(url):
        db = make_url(url).database
        if db and db != ":memory:" and not db.startswith("file:"):
            create_private(Path(db))
        kwargs.setdefault("connect_args", {"timeout": busy_timeout_ms / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str):
    """An Alembic Config pointing at the packaged migrations (no ini file needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


#: key of the PostgreSQL advisory lock that serialises migrations (any constant, ours alone)
PG_MIGRATION_LOCK = 0x61_6E_6E_6F


class SchemaError(RuntimeError):
    """The database holds a schema Glossa cannot migrate safely; the message says what to do."""


def upgrade(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision` (head by default), safe to call concurrently.

    The whole upgrade is one transaction under an exclusive lock: ``BEGIN IMMEDIATE`` on
    SQLite (which otherwise commits each ``CREATE TABLE`` on its own), an advisory lock on
    PostgreSQL. So processes and threads starting together migrate once, one after the
    other, and a killed migration leaves the database as it was. A database half made by an
    older Glossa that did not take these precautions (tables but no migration record) is
    rebuilt when those tables are empty, and refused with a clear message when they are not.
    """
    deadline = time.monotonic() + MIGRATION_PATIENCE_S
    while True:
        try:
            _upgrade_once(url, revision)
            return
        except OperationalError as exc:
            # SQLite answers some lock waits at once instead of through the busy timeout (a
            # connection switching a new file to WAL while another holds it); the upgrade is
            # one transaction, so running it again is safe.
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.05, 0.5))


def _is_busy(exc: OperationalError) -> bool:
    message = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in message or "database is busy" in message


def _upgrade_once(url: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(url)
    engine = _migration_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            _repair_half_made_schema(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def _migration_engine(url: str) -> Engine:
    if not is_sqlite(url):
        return make_engine(url, poolclass=NullPool)
    # Let SQLAlchemy, not the sqlite3 module, open the transaction, and open it IMMEDIATE:
    # DDL included, write-locked from the start, so two migrators never interleave.
    engine = make_engine(
        url, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_MS / 1000, "isolation_level": None}
    )

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


#: what a first start of a Glossa older than the locked, transactional upgrade could leave
#: behind: the first migration's tables, children first (later migrations run in one
#: transaction, so they cannot be left half made)
HALF_MADE_TABLES = ("annotation_tags", "annotations", "api_tokens", "users")


def _repair_half_made_schema(conn) -> None:
    """Drop the empty tables of a migration that was cut short before it was recorded."""
    from alembic.runtime.migration import MigrationContext

    if MigrationContext.configure(conn).get_current_revision() is not None:
        return
    existing = set(inspect(conn).get_table_names())
    present = [name for name in HALF_MADE_TABLES if name in existing]
    if not present:
        return
    filled = [name for name in present if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()]
    if filled:
        raise SchemaError(
            f"the annotation database has Glossa tables ({', '.join(sorted(filled))}) holding data but no "
            "migration record, so its schema version is unknown; restore it from a backup, or point "
            "DATABASE_URL at a new database and import an export"
        )
    for name in present:
        conn.execute(text(f'DROP TABLE "{name}"'))


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
