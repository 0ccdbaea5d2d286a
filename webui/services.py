"""One place to reach the services a view needs, so tests can replace them."""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from . import annotation_tags


def init_app(app: Flask) -> None:
    """Give the app its registry of long-lived service objects (each created on first use)."""
    app.extensions["glossa"] = {"lock": threading.Lock()}


def _registry() -> dict:
    return current_app.extensions["glossa"]


def get_store():
    """The document store of the data directory."""
    reg = _registry()
    if "store" not in reg:
        from indexer.store import DocumentStore

        reg["store"] = DocumentStore(current_app.config["DATA_DIR"])
    # the view the app puts on it (entity corrections: webui/entity_corrections.py, set in webui/app.py)
    view = reg.get("store_view")
    return view(reg["store"]) if view is not None else reg["store"]


def get_searcher():
    """The searcher over the index (opened once, reopened when the index changes)."""
    reg = _registry()
    if "searcher" not in reg:
        from indexer.backend import open_searcher

        # the backend the SEARCH_BACKEND setting names (indexer.backend): Whoosh or tantivy
        reg["searcher"] = open_searcher(current_app.config["INDEX_DIR"], current_app.config.get("SEARCH_BACKEND"))
    # annotation tags come from the database, each user's own (see webui/annotation_tags.py)
    return annotation_tags.scoped_searcher(reg["searcher"], get_annotation_service(), get_store())


#: documents whose text get_document_text keeps (annotation writes check quotes against it)
TEXTS_KEPT = 16


def get_document_text(doc_id: str) -> str | None:
    """The canonical text of a stored document, or None; kept while its file is unchanged, so
    an annotation write does not re-read the document and its entities each time."""
    from .caches import cache

    store = get_store()
    try:
        st = os.stat(store.docs_dir / f"{doc_id}.json")  # the store checks the id below
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    except (OSError, ValueError):
        stamp = None
    texts = cache("document_texts", TEXTS_KEPT)
    found = texts.get(doc_id)
    if found is not None and stamp is not None and found[0] == stamp:
        return found[1]
    stored = store.get(doc_id)
    if stored is None:
        return None
    texts.put(doc_id, (stamp, stored.document.text))
    return stored.document.text


class DatabaseUnavailable(RuntimeError):
    """The annotation database cannot be opened: the message says which and what to check."""


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def migrate(app: Flask) -> None:
    """Bring the annotation database to the latest schema, once per app, before it serves.

    ``glossa serve`` and the WSGI entry point call this at start-up; a request that comes
    first (an embedding that skipped it) does the same under the same lock, so concurrent
    first requests never race (and ``annotations.db.upgrade`` locks across processes).
    """
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from annotations import db

    reg = app.extensions["glossa"]
    with reg["lock"]:
        if "engine" in reg:
            return
        url = app.config["DATABASE_URL"]
        try:
            db.upgrade(url)
            reg["engine"] = db.make_engine(url)
        except (OperationalError, ArgumentError, NoSuchModuleError, CommandError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseUnavailable(
                f"Cannot open the annotation database {_shown_url(url)}: {reason}. Check DATABASE_URL "
                "(env GLOSSA_DATABASE_URL): the server must be running and the database must exist."
            ) from None


def get_engine():
    """The annotation database engine, migrated to the latest schema on first use
    (DatabaseUnavailable if the database cannot be reached or read)."""
    reg = _registry()
    if "engine" not in reg:
        migrate(current_app._get_current_object())  # type: ignore[attr-defined]
    return reg["engine"]


def get_annotation_service():
    """The annotation service of the app (it opens one short session per unit of work)."""
    reg = _registry()
    if "annotation_service" not in reg:
        from annotations import db
        from annotations.service import AnnotationService

        reg["annotation_service"] = AnnotationService(db.make_session_factory(get_engine()))
    return reg["annotation_service"]
