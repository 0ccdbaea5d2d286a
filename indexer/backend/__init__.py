"""Search backends: one interface (:mod:`.base`), Whoosh (the embedded default) and tantivy.

``GLOSSA_SEARCH_BACKEND`` (``whoosh`` or ``tantivy``) chooses which one ingest writes and the
web layer searches; both keep their generations under the same index directory, with the
same ``CURRENT`` pointer and atomic swap (:mod:`indexer.writer`), and a generation carries
the name of the backend that wrote it (:data:`.base.MARKER`). ``glossa reindex --backend NAME``
rebuilds the index for another backend from the document store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..writer import current_generation
from .base import MARKER, BackendMismatch, GenerationWriter, SearchBackend, backend_of, mismatch_message

__all__ = [
    "BACKENDS",
    "DEFAULT",
    "MARKER",
    "BackendMismatch",
    "GenerationWriter",
    "SearchBackend",
    "backend_of",
    "check_name",
    "from_settings",
    "live_backend",
    "live_passages",
    "open_searcher",
    "open_writer",
]

BACKENDS = ("whoosh", "tantivy")
DEFAULT = "whoosh"
SETTING = "GLOSSA_SEARCH_BACKEND"


def check_name(name: str | None) -> str:
    """The backend name, lowercased; ValueError for one that is not a backend."""
    value = (name or DEFAULT).strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"is not a search backend: use one of {', '.join(BACKENDS)}")
    return value


def from_settings(name: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``name``, else $GLOSSA_SEARCH_BACKEND, else whoosh; ValueError naming the setting if bad."""
    env = os.environ if environ is None else environ
    raw = name if name else env.get(SETTING)
    try:
        return check_name(raw)
    except ValueError as exc:
        raise ValueError(f"{SETTING}={raw!r} {exc}") from None


def live_backend(index_dir: str | os.PathLike) -> str | None:
    """The backend of the live generation, or None when nothing is indexed."""
    gen = current_generation(index_dir)
    return None if gen is None else backend_of(gen)


def open_searcher(index_dir: str | os.PathLike, name: str | None = None) -> SearchBackend:
    """The searcher of backend ``name`` (default whoosh) over ``index_dir``."""
    name = check_name(name)
    if name == "tantivy":
        from .tantivy_backend import TantivyBackend

        return TantivyBackend(index_dir)
    from .whoosh_backend import WhooshBackend

    return WhooshBackend(index_dir)


def open_writer(index_dir: str | os.PathLike, name: str | None = None, copy: bool = True) -> GenerationWriter:
    """A writer of a new generation of backend ``name``: a copy of the live one when ``copy``
    (BackendMismatch if the live one is of another backend), else empty."""
    name = check_name(name)
    live = live_backend(index_dir)
    if copy and live is not None and live != name:
        raise BackendMismatch(mismatch_message(live, name))
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    if name == "tantivy":
        from .tantivy_backend import TantivyGenerationWriter

        return TantivyGenerationWriter(index_dir, copy=copy)
    from .whoosh_backend import WhooshGenerationWriter

    return WhooshGenerationWriter(index_dir, copy=copy)


def live_passages(index_dir: str | os.PathLike, name: str | None = None) -> int | None:
    """Passages in the live generation, opened as cheaply as each backend can (None: no index);
    BackendMismatch when it was written by another backend than ``name``, OSError and others
    when it cannot be opened. For health checks."""
    name = check_name(name)
    gen = current_generation(index_dir)
    if gen is None:
        return None
    found = backend_of(gen)
    if found != name:
        raise BackendMismatch(mismatch_message(found, name))
    if name == "tantivy":
        import tantivy

        return int(tantivy.Index.open(str(gen)).searcher().num_docs)
    from whoosh import index as whoosh_index

    with whoosh_index.open_dir(str(gen)).reader() as reader:
        return int(reader.doc_count())
