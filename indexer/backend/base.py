"""What every search backend offers to the code above it (the web layer, the CLI, the benchmarks).

A backend has two halves:

* a :class:`SearchBackend` reads the live index generation of an index directory and answers
  ``search`` (one page of ranked passages with the exact total, the facets with their counts,
  snippets with their marked spans, a spelling suggestion, and the relaxed reading of natural
  queries), ``highlighter`` (what a query marks in a passage, for the reader) and
  ``passage_count``. Queries are read once, by :mod:`indexer.query`, into one query tree (Whoosh's
  query objects: terms, phrases, prefixes, wildcards, fuzzy terms, ranges, field clauses,
  negation, and the clauses of a natural query); each backend runs that tree. ``tag:`` clauses
  never reach a backend's index: :mod:`indexer.tagfilter` replaces them by the passages holding
  a tag the reader may see (a :class:`~indexer.tagfilter.PassageSet`), and hit tags and the tag
  facet come from the same set, so every backend keeps private tags private the same way.
* a :class:`GenerationWriter` writes one new index generation (a copy of the live one, or an
  empty one) with incremental ``add_document`` / ``delete_document``; nothing it writes is seen
  until :func:`indexer.writer.activate` makes the generation live with one atomic rename, so a
  killed ingest leaves the previous index.

Both halves raise :class:`~indexer.query.QueryError` for what a user must change, and
:class:`BackendMismatch` (a QueryError) when the live index was built by another backend than
the one asked for (``glossa reindex --backend NAME`` rebuilds it).
"""

from __future__ import annotations

import abc
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from corpus.models import Document

from ..ner import Entity
from ..query import QueryError
from ..snippets import Highlighter
from ..tagfilter import TagResolver

#: file in a generation directory naming the backend that wrote it (absent: Whoosh, as before)
MARKER = "GLOSSA_BACKEND"


class BackendMismatch(QueryError):
    """The live index was written by another backend than the one configured."""


class SearchBackend(abc.ABC):
    """Searches the live index generation of ``index_dir``; reopens when it changes."""

    #: the name the GLOSSA_SEARCH_BACKEND setting uses
    name: ClassVar[str]

    index_dir: Path

    @abc.abstractmethod
    def search(
        self,
        query: str,
        page: int = 1,
        pagelen: int = 10,
        filters: Mapping[str, Any] | None = None,
        relax: bool = True,
        tag_resolver: TagResolver | None = None,
        quiet_labels: frozenset[str] = frozenset(),
        group: str | None = None,
    ) -> Any:
        """One page of results (an :class:`indexer.search.SearchResults`); QueryError for a bad query.

        ``quiet_labels``: entity labels left out of the top-entities facet (and its "more").
        ``filters``: values of one key OR-ed, keys AND-ed; a facet with a value chosen is counted
        over the results of every other filter (:func:`indexer.search.facet_filters`).
        ``group="document"``: a page of documents, each once in the order of its best passage,
        with its best passages and its true count (``DocGroup.count``); QueryError for another
        value (:func:`indexer.search.check_group`)."""

    @abc.abstractmethod
    def highlighter(self, query: str) -> Highlighter:
        """What ``query`` marks in a passage's text, as :meth:`search` reads it."""

    @abc.abstractmethod
    def passage_count(self) -> int:
        """Passages in the live generation (0 when nothing is indexed)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the open index files."""

    def matching_passages(
        self,
        query: str,
        filters: Mapping[str, Any] | None = None,
        relax: bool = True,
        tag_resolver: TagResolver | None = None,
        pagelen: int = 200,
    ) -> list[tuple[str, int]]:
        """(doc_id, ordinal) of every passage :meth:`search` lists for ``query``, in rank order.

        Walks the pages, so it costs what listing them costs: for checks and exports, not pages.
        """
        found: list[tuple[str, int]] = []
        page = 1
        while True:
            res = self.search(
                query, page=page, pagelen=pagelen, filters=filters, relax=relax, tag_resolver=tag_resolver
            )
            found.extend((hit.doc_id, hit.ordinal) for hit in res.hits)
            if page >= res.pages or not res.hits:
                return found
            page += 1


class GenerationWriter(abc.ABC):
    """Writes one new index generation; invisible until activated (see the module doc)."""

    name: ClassVar[str]

    #: the generation directory being written
    generation: Path

    @abc.abstractmethod
    def add_document(self, document: Document, entities: Sequence[Entity]) -> int:
        """Add the passages of ``document`` (delete it first to replace it); return how many."""

    @abc.abstractmethod
    def delete_document(self, doc_id: str) -> None:
        """Delete every passage of ``doc_id`` (nothing when it has none)."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make everything written durable in the generation (still not live)."""

    @abc.abstractmethod
    def cancel(self) -> None:
        """Drop the generation and everything written to it."""


def backend_of(generation: str | os.PathLike) -> str:
    """The backend that wrote a generation directory ("whoosh" when it carries no marker)."""
    try:
        return (Path(generation) / MARKER).read_text(encoding="utf-8").split()[0]
    except (FileNotFoundError, IndexError):
        return "whoosh"


def mismatch_message(found: str, wanted: str) -> str:
    """What to do when the live index is of another backend than the configured one."""
    return (
        f"The search index was built by the {found} backend, but GLOSSA_SEARCH_BACKEND is {wanted}: "
        f"run `glossa reindex --backend {wanted}` (it rebuilds the index from the stored documents, "
        f"without tagging them again), or set GLOSSA_SEARCH_BACKEND={found}"
    )
