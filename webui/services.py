"""One place to reach the services a view needs, so tests can replace them."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from flask import Flask, current_app


def init_app(app: Flask) -> None:
    """Give the app its registry of long-lived service objects (each created on first use)."""
    app.extensions["glossa"] = {}


def _registry() -> dict:
    return current_app.extensions["glossa"]


def get_store():
    """The document store of the data directory."""
    reg = _registry()
    if "store" not in reg:
        from indexer.store import DocumentStore

        reg["store"] = DocumentStore(current_app.config["DATA_DIR"])
    return reg["store"]


#: documents whose text get_document_text keeps (annotation writes check quotes against it)
TEXTS_KEPT = 16
_texts_lock = threading.Lock()


def get_document_text(doc_id: str) -> str | None:
    """The canonical text of a stored document, or None; kept while its file is unchanged, so
    an annotation write does not re-read the document and its entities each time."""
    store = get_store()
    try:
        st = os.stat(store.docs_dir / f"{doc_id}.json")  # the store checks the id below
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    except (OSError, ValueError):
        stamp = None
    cache: OrderedDict = _registry().setdefault("texts", OrderedDict())
    with _texts_lock:
        found = cache.get(doc_id)
        if found is not None and stamp is not None and found[0] == stamp:
            cache.move_to_end(doc_id)
            return found[1]
    stored = store.get(doc_id)
    if stored is None:
        return None
    with _texts_lock:
        cache[doc_id] = (stamp, stored.document.text)
        while len(cache) > TEXTS_KEPT:
            cache.popitem(last=False)
    return stored.document.text


def get_searcher():
    """The searcher over the index (opened once, reopened when the index changes)."""
    reg = _registry()
    if "searcher" not in reg:
        from indexer.search import Searcher

        reg["searcher"] = Searcher(current_app.config["INDEX_DIR"])
    from .annotation_tags import scoped_searcher

    # annotation tags come from the database, each user's own (see webui/annotation_tags.py)
    return scoped_searcher(reg["searcher"])


def get_engine():
    """The annotation database engine, migrated to the latest schema on first use."""
    reg = _registry()
    if "engine" not in reg:
        from annotations import db

        url = current_app.config["DATABASE_URL"]
        db.upgrade(url)
        reg["engine"] = db.make_engine(url)
    return reg["engine"]


def get_annotation_service():
    """The annotation service of the app (it opens one short session per unit of work)."""
    reg = _registry()
    if "annotation_service" not in reg:
        from annotations import db
        from annotations.service import AnnotationService

        reg["annotation_service"] = AnnotationService(db.make_session_factory(get_engine()))
    return reg["annotation_service"]
