"""The Whoosh backend: today's :class:`indexer.search.Searcher` and :mod:`indexer.writer` behind
the backend interface (a thin adapter; the search code itself lives where it always did)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from corpus.models import Document

from ..ner import Entity
from ..search import Searcher
from ..vocab_store import load_vocabulary, write_whoosh
from ..writer import add_document, current_generation, delete_document, new_generation, open_index, strip_tags
from .base import BackendMismatch, GenerationWriter, SearchBackend, backend_of, mismatch_message


class WhooshBackend(Searcher, SearchBackend):
    """:class:`indexer.search.Searcher`, refusing a live generation another backend wrote."""

    name = "whoosh"

    def __init__(self, index_dir: str | os.PathLike) -> None:
        super().__init__(index_dir)
        self._checked: str | None = None

    def _current(self) -> Any:
        """:meth:`Searcher._current`, its vocabulary read from the generation's stored file
        (:mod:`indexer.vocab_store`) rather than worked out from the index by the first query."""
        with self._lock:
            gen = current_generation(self.index_dir)
            if gen is not None and gen.name != self._checked:
                found = backend_of(gen)
                if found != self.name:
                    raise BackendMismatch(mismatch_message(found, self.name))
                self._checked = gen.name
            state = super()._current()
            if state is None or self._vocab is None or self._generation is None:
                return state
            if self._vocab.store is None:  # made by Searcher for a newly opened generation
                self._vocab = load_vocabulary(
                    self._searcher.reader(), self._ix.schema, self.index_dir / self._generation
                )
            return (*state[:3], self._vocab)

    def passage_count(self) -> int:
        """Passages in the live generation."""
        state = self._current()
        return 0 if state is None else int(state[0].doc_count())


class WhooshGenerationWriter(GenerationWriter):
    """A new Whoosh generation: a copy of the live one (``copy``) or an empty index.

    On commit, tags an older version left in the copied records are stripped (see
    :func:`indexer.writer.strip_tags`), except on the documents this writer replaced.
    """

    name = "whoosh"

    def __init__(self, index_dir: str | os.PathLike, copy: bool = True, limitmb: int = 128) -> None:
        self.index_dir = Path(index_dir)
        self._old = open_index(self.index_dir) if copy else None
        self.generation = new_generation(self.index_dir, copy=copy)
        self._writer = whoosh_index.open_dir(str(self.generation)).writer(limitmb=limitmb)
        self._touched: set[str] = set()

    def add_document(self, document: Document, entities: Sequence[Entity]) -> int:
        """Add a document's passages."""
        self._touched.add(document.doc_id)
        return add_document(self._writer, document, entities)

    def delete_document(self, doc_id: str) -> None:
        """Delete a document's passages."""
        self._touched.add(doc_id)
        delete_document(self._writer, doc_id)

    def commit(self) -> None:
        """Strip stale index tags from the copied records, then commit the generation."""
        if self._old is not None:
            with self._old.searcher() as searcher:
                strip_tags(self._writer, searcher, self._touched)
        self._writer.commit()
        self.vocab_counts = write_whoosh(self.generation)  # the stored vocabulary: new words analysed

    def cancel(self) -> None:
        """Drop the generation."""
        self._writer.cancel()
        shutil.rmtree(self.generation, ignore_errors=True)
