"""The search backend the test suite runs on, and index writing that follows it.

``GLOSSA_TEST_BACKEND=tantivy pytest ...`` (else ``GLOSSA_SEARCH_BACKEND``, else whoosh) makes
every ingest, app, command and helper index of the suite use that backend: tests/conftest.py
puts the name in ``GLOSSA_SEARCH_BACKEND`` for the whole run (subprocesses included), and the
helpers below write and open indexes of it. A test about one backend's internals carries
``@pytest.mark.whoosh_only("why")`` and is skipped, with that reason, on the other.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from corpus.models import Document
from indexer.backend import SETTING, SearchBackend, check_name, open_searcher, open_writer
from indexer.ner import Entity
from indexer.writer import make_live

#: the environment variable naming the backend the suite runs on
TEST_SETTING = "GLOSSA_TEST_BACKEND"


def backend_for_tests(environ: Mapping[str, str] | None = None) -> str:
    """The backend the suite runs on: $GLOSSA_TEST_BACKEND, else $GLOSSA_SEARCH_BACKEND, else
    whoosh; ValueError naming the variable for a name that is not a backend."""
    env = os.environ if environ is None else environ
    variable = TEST_SETTING if env.get(TEST_SETTING) else SETTING
    try:
        return check_name(env.get(variable))
    except ValueError as exc:
        raise ValueError(f"{variable}={env.get(variable)!r} {exc}") from None


def write_index(
    index_dir: str | os.PathLike,
    items: Iterable[tuple[Document, Sequence[Entity]]],
    backend: str | None = None,
) -> Path:
    """Add or replace documents in a new generation of ``backend`` (None: the suite's) and make
    it live, as :func:`indexer.writer.write_documents` does for Whoosh; the generation."""
    writer = open_writer(index_dir, backend or backend_for_tests(), copy=True)
    seen: set[str] = set()
    try:
        for document, entities in items:
            if document.doc_id not in seen:
                writer.delete_document(document.doc_id)
            seen.add(document.doc_id)
            writer.add_document(document, entities)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    make_live(index_dir, writer.generation)
    return writer.generation


def searcher_for_tests(index_dir: str | os.PathLike, backend: str | None = None) -> SearchBackend:
    """The searcher of ``backend`` (None: the suite's) over ``index_dir``."""
    return open_searcher(index_dir, backend or backend_for_tests())
