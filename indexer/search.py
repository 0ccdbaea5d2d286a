"""Searching passages: ranked, paginated, grouped by document, with facets and snippets."""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.query.terms import MultiTerm

from . import rescore
from .facets import (
    FACET_FILTER,
    FacetCache,
    _segment_key,
    document_page,
    keep_chosen,
    walk_groups,
)
from .gazetteer import clean_surface, fold
from .query import (
    _FIELD_VALUE_RE,
    NaturalQuery,
    QueryError,
    Vocabulary,
    expand_fuzzy_words,
    expand_partial_names,
    filter_query,
    make_parser,
    natural_query,
    parse_query,
)
from .ranking import _TIE_DECIMALS, RankingCache, Unsupported, rank, rank_coordinated
from .schema import ENTITY_FIELDS
from .snippets import Highlighter, analyze, snippet_html
from .tagfilter import NO_TAGS, BoundTags, TagResolver
from .whoosh_internals import check_at_start, multiterm_words
from .writer import current_generation

__all__ = ["Searcher", "SearchResults", "Hit", "DocGroup", "QueryError", "Highlighter"]


@dataclass
class _Order:
    """The passage ranking of a search as arrays over every match (aligned with its sorted
    docnums): by ``tiers`` (clauses held, descending) when given, then score (rounded), then
    docnum; ``ahead``: the (docnum, score) of a rescored window, ranked before all the others.
    Enough to page through documents without ranking again (:func:`facets.document_page`)."""

    scores: np.ndarray
    tiers: np.ndarray | None = None
    ahead: list[tuple[int, float]] | None = None


#: a word of a query that a suggestion may respell (letters only, not a field name or pattern)
_SUGGEST_WORD_RE = re.compile(r"(?<![\w:@*?~])[^\W\d_]{3,}(?![\w:@*?~])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def _value(item: Mapping[str, Any]) -> Any:
    return item["value"]


def every_word(strict: wq.Query, relaxed: Mapping[str, int] | None) -> wq.Query | None:
    """The query whose passages a suggestion must find more of, for a natural query listing
    passages with most of its words: its strict reading when some passage holds every word (a
    suggestion then has to beat those), else None (it has only to find some)."""
    if relaxed is not None and relaxed["matched_words"] >= relaxed["of"]:
        return strict
    return None


@lru_cache(maxsize=100_000)
def entity_fold(name: str) -> str:
    """An entity's canonical name as the entity field indexes it (cleaned and folded)."""
    return fold(clean_surface(name))


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _nearest_word(reader: Any, word: str) -> str | None:
    """The body-text word nearest to ``word`` (same first letter), the most frequent first."""
    maxdist = 1 if len(word) <= 4 else 2
    found = [w for w in reader.terms_within("spell_text", word, maxdist, prefix=1) if w != word and w.isalpha()]
    if not found:
        return None
    return min(found, key=lambda w: (_distance(word, w), -reader.doc_frequency("spell_text", w), w))


@dataclass
class Hit:
    """One matching passage."""

    doc_id: str
    title: str
    ordinal: int
    start: int
    end: int
    page: int | None
    kind: str
    text: str
    snippet_html: str
    entities: list[dict[str, Any]]
    footnotes: list[dict[str, Any]]
    tags: list[str]
    cites: list[str]
    score: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict. Shallow: its lists are the hit's own, made for this search (a deep
        copy, ``dataclasses.asdict``, took 40% of a search request's time)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class DocGroup:
    """The hits of one document on the page, in rank order; ``count``: the document's
    matching passages in the whole result (not only those on the page)."""

    doc_id: str
    title: str
    hits: list[Hit] = field(default_factory=list)
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "count": self.count,
            "hits": [h.to_dict() for h in self.hits],
        }


#: how results may be grouped: None (pages of passages) or "document" (pages of documents)
GROUPINGS = (None, "document")


def check_group(group: str | None) -> str | None:
    """``group`` if it is one of :data:`GROUPINGS` (blank: None); QueryError otherwise."""
    if group in (None, ""):
        return None
    if group not in GROUPINGS:
        raise QueryError(f'Unknown grouping "{str(group)[:40]}": use "document", or none for passages')
    return group


def facet_filters(filters: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per facet whose own filter is in force, the filters without it: its counts are taken
    over those, so the other values of a chosen facet stay listed with their counts (OR inside
    a facet, AND across facets, as Elasticsearch's post_filter)."""
    from .facets import FACET_FILTER

    return {
        facet: {k: v for k, v in filters.items() if k != key}
        for facet, key in FACET_FILTER.items()
        if filters.get(key) not in (None, "", [])
    }


@dataclass
class SearchResults:
    """One page of results with totals, facets and a spelling suggestion."""

    query: str
    total: int
    page: int
    pagelen: int
    pages: int
    elapsed_ms: float
    hits: list[Hit]
    groups: list[DocGroup]
    facets: dict[str, list[dict[str, Any]]]
    suggestion: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    #: None when every listed passage holds every word of the query; else
    #: ``{"matched_words": 5, "of": 6, "min_words": 3}``: the most words a passage holds is 5
    #: of the query's 6 (a name such as "Bosnia and Herzegovina" counts as one word), those
    #: come first, and passages with at least 3 are listed
    relaxed: dict[str, int] | None = None
    #: per facet, how many entries were left off the list (the lists hold the top entries)
    facet_more: dict[str, int] = field(default_factory=dict)
    #: how many documents hold a matching passage (exact)
    documents: int = 0
    #: None: a page of passages (``pagelen`` of them); "document": a page of documents, each
    #: with its best passages (``groups``; ``pages`` counts pages of documents)
    group: str | None = None

    @property
    def relaxed_message(self) -> str | None:
        """What the page and the API say about passages lacking some words, or None."""
        r = self.relaxed
        if not r:
            return None
        best, of, least = r["matched_words"], r["of"], r["min_words"]
        if best == of:
            return f"Passages with all {of} words first, then those with {least} of them."
        if best == least:
            return f"No passage has all {of} words: these have {best} of them."
        return f"No passage has all {of} words: passages with {best} of them first, then those with at least {least}."

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        data = {
            k: getattr(self, k)
            for k in (
                "query",
                "total",
                "page",
                "pagelen",
                "pages",
                "elapsed_ms",
                "facets",
                "facet_more",
                "suggestion",
                "relaxed",
                "relaxed_message",
                "filters",
                "documents",
                "group",
            )
        }
        data["hits"] = [h.to_dict() for h in self.hits]
        data["groups"] = [g.to_dict() for g in self.groups]
        return data


class _SegmentLengths:
    """What :meth:`Searcher._sample_lengths` read of one segment: each passage's text length
    by its number in the segment, and per kind the lengths of the segment's first
    :data:`~indexer.rescore.SAMPLE` live passages of that kind (named by how many of its
    records were deleted then: a segment's deletions only grow)."""

    def __init__(self) -> None:
        self.by_number: dict[int, int] = {}
        self.runs: dict[tuple[bytes, int, int], list[int]] = {}

    def run(self, leaf: Any, btext: bytes) -> list[int]:
        key = (btext, leaf.doc_count_all() - leaf.doc_count(), rescore.SAMPLE)
        found = self.runs.get(key)
        if found is not None:
            return found
        found = []
        if ("kind", btext) in leaf:
            for local in leaf.postings("kind", btext).all_ids():
                length = self.by_number.get(local)
                if length is None:
                    length = self.by_number[local] = len(leaf.stored_fields(local).get("text") or "")
                found.append(length)
                if len(found) >= rescore.SAMPLE:
                    break
        self.runs[key] = found
        return found


class Searcher:
    """Searches the live index generation of ``index_dir``; reopens when it changes.

    Each search leases the Whoosh searcher it runs on (:meth:`_lease`). When the index
    changes (a new generation, or an in-place commit), the new searcher serves the next
    requests and the old one is closed once the last request holding it is done: never
    under a running search.
    """

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.RLock()  # _lease holds it around _current
        self._generation: str | None = None
        self._searcher: Any = None
        self._ix: Any = None
        self._facets: FacetCache | None = None
        self._facets_for: Any = None
        self._parser: Any = None
        self._vocab: Vocabulary | None = None
        #: (the Whoosh searcher of an index version, the second stage's statistics of it)
        self._stats: tuple[weakref.ref[Any], rescore.Stats] | None = None
        #: passage text lengths read per segment, for the second stage's statistics
        self._lengths: dict[Any, _SegmentLengths] = {}
        #: decoded postings per segment, kept across index versions (bounded)
        self._ranking = RankingCache()
        #: id(Whoosh searcher) -> [searcher, requests holding it], for searchers in use
        self._leases: dict[int, list[Any]] = {}

    def _retire(self, old: Any) -> None:
        """``old`` no longer serves new requests: close it now if no request holds it, else
        when the last one lets go (:meth:`_lease`). Called with the lock held."""
        if old is not None and id(old) not in self._leases:
            old.close()

    @contextmanager
    def _lease(self) -> Iterator[tuple[Any, FacetCache, Any, Vocabulary] | None]:
        """:meth:`_current`, with its Whoosh searcher kept open until the block ends."""
        with self._lock:
            state = self._current()
            if state is not None:
                held = self._leases.setdefault(id(state[0]), [state[0], 0])
                held[1] += 1
        try:
            yield state
        finally:
            if state is not None:
                with self._lock:
                    held = self._leases[id(state[0])]
                    held[1] -= 1
                    if held[1] == 0:
                        del self._leases[id(state[0])]
                        if held[0] is not self._searcher:
                            held[0].close()  # retired while this request used it

    def _current(self) -> tuple[Any, FacetCache, Any, Vocabulary] | None:
        """(Whoosh searcher, facet cache, parser, vocabulary) of the live generation; None if nothing indexed.

        The searcher may be closed by a later generation switch: a request holds it through
        :meth:`_lease` instead.
        """
        with self._lock:
            gen = current_generation(self.index_dir)
            if gen is None:
                return None
            if gen.name != self._generation:
                old = self._searcher
                try:
                    ix = whoosh_index.open_dir(str(gen))
                except (OSError, whoosh_index.EmptyIndexError):
                    # swapped and removed between reading CURRENT and opening: read it again
                    gen = current_generation(self.index_dir)
                    if gen is None:
                        return None
                    ix = whoosh_index.open_dir(str(gen))
                check_at_start()  # Whoosh's private parts checked once; says when they fell back
                self._ix = ix
                self._searcher = ix.searcher()
                self._parser = make_parser(ix.schema)
                self._vocab = None
                self._generation = gen.name
                self._retire(old)
            elif not self._searcher.up_to_date():
                # an in-place commit (set_passage_tags). Not Searcher.refresh(): it reuses
                # segment readers whose cached deletion sets are stale, so replaced records
                # would show twice.
                old = self._searcher
                self._searcher = self._ix.searcher()
                self._retire(old)
            if self._facets_for is not self._searcher:
                self._facets = FacetCache(self._searcher)
                self._facets_for = self._searcher
                if self._vocab is None:
                    self._vocab = Vocabulary(self._searcher.reader(), self._ix.schema)
                else:  # the same generation: same words, a newer reader
                    self._vocab.reader = self._searcher.reader()
            assert self._facets is not None and self._vocab is not None  # made with the searcher
            return self._searcher, self._facets, self._parser, self._vocab

    def parse(self, text: str) -> wq.Query:
        """The query :meth:`search` runs for ``text`` (every clause required); raises QueryError.

        Used by the benchmark too, which hands it to Whoosh for comparison.
        """
        with self._lease() as state:
            if state is None:
                raise QueryError("The index is empty: ingest some documents first")
            searcher, _facets, parser, vocab = state
            return self._read(searcher, parser, vocab, text, True)[0]

    @staticmethod
    def _read(
        searcher: Any, parser: Any, vocab: Vocabulary, text: str, relax: bool
    ) -> tuple[wq.Query, NaturalQuery | None]:
        """(the strict query, the natural reading or None) of a query string."""
        reader = searcher.reader()
        natural = natural_query(parser, text, vocab) if relax else None
        if natural is not None:
            if natural.required is not None:
                natural.required = expand_partial_names(natural.required, reader)
            return natural.strict(), natural
        q = expand_partial_names(parse_query(parser, text), reader)
        return expand_fuzzy_words(q, reader, searcher.schema), None

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
    ) -> SearchResults:
        """Run a query; raises QueryError for a query that cannot be parsed.

        ``filters``: key -> value or list of values (``doc``, ``type``, ``entity``, ``tag``):
        values of one key are OR-ed, keys AND-ed. Each facet with a value chosen is counted
        over the results of every filter but its own, so its other values keep their counts.
        ``group="document"``: a page of ``pagelen`` documents (``groups``), each once, in the
        order of its best passage, with its best passages and its true count of matches.

        Entities of ``quiet_labels`` (dates and numbers, say) are left out of the top-entities
        facet, and its "more" count; they still match and filter.

        ``tag:`` clauses, the ``tag`` filter, hit tags and the tag facet see only the tags of
        ``tag_resolver`` (the tags the reader may see; none without one): indexer.tagfilter.

        A query of plain words (no quotes, brackets, AND/OR/NOT, +word or -word) lists the
        passages holding all of them; when there are none, those holding most of them
        (``SearchResults.relaxed`` says so). Each word also finds the other names of an
        entity it names and other forms of itself, below the word as typed. ``relax=False``
        reads every query strictly, as written (the behaviour before natural queries).
        """
        group = check_group(group)
        with self._lease() as state:
            return self._search(state, query, page, pagelen, filters, relax, tag_resolver, quiet_labels, group)

    def _search(
        self,
        state: tuple[Any, FacetCache, Any, Vocabulary] | None,
        query: str,
        page: int,
        pagelen: int,
        filters: Mapping[str, Any] | None,
        relax: bool,
        tag_resolver: TagResolver | None,
        quiet_labels: frozenset[str] = frozenset(),
        group: str | None = None,
    ) -> SearchResults:
        """:meth:`search` on a leased state."""
        began = time.perf_counter()
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
        page = max(1, int(page))
        pagelen = min(max(1, int(pagelen)), 200)
        if state is None:
            return SearchResults(
                query,
                0,
                page,
                pagelen,
                0,
                0.0,
                [],
                [],
                {"documents": [], "entity_types": [], "entities": [], "tags": []},
                None,
                dict(filters),
                group=group,
            )
        searcher, facet_cache, parser, vocab = state
        tags = (tag_resolver or NO_TAGS).bind(searcher)
        fq = tags.rewrite(filter_query(searcher.schema, filters))
        natural: NaturalQuery | None = None
        if not (query or "").strip() and fq is not None:
            q: wq.Query = wq.Every()
        else:
            q, natural = self._read(searcher, parser, vocab, query, relax)
            q = tags.rewrite(q)
            if natural is not None:  # tag clauses resolved against the reader's visible tags
                for clause in natural.clauses:
                    clause.query = tags.rewrite(clause.query)
                if natural.required is not None:
                    natural.required = tags.rewrite(natural.required)
        # by document: the order of every match (a natural query's rescored window included), or
        # with Whoosh's own matcher its whole ranking, from this one pass
        limit = page * pagelen if group is None else (rescore.WINDOW if natural is not None else 0)
        # a facet with a value chosen is counted over the unfiltered matches: found in this pass
        wide: dict[str, Any] | None = {} if fq is not None and facet_filters(filters) else None
        docnums, top, relaxed, order, best = self._ranked(
            searcher, q, natural, fq, limit, wide, whole=group is not None
        )
        total = len(docnums)
        first = (page - 1) * pagelen
        doc_counts = facet_cache.counts(docnums, "doc_id")
        per_doc = dict(doc_counts)
        highlighter, ent_terms = self._highlighter(q, searcher)
        if group is None:
            pages = max(1, math.ceil(total / pagelen))
            shown = top[first : first + pagelen]
        else:
            pages = max(1, math.ceil(len(doc_counts) / pagelen))
            chosen = self._document_page(facet_cache, docnums, order, top, per_doc, first, pagelen)
            shown = [pair for _doc, pairs in chosen for pair in pairs]
        hits = [self._hit(searcher.stored_fields(docnum), score, highlighter, ent_terms) for docnum, score in shown]
        for hit, (docnum, _) in zip(hits, shown, strict=True):
            hit.tags = tags.tags_of(docnum)  # the reader's visible tags, never the index's
        groups: dict[str, DocGroup] = {}
        for hit in hits:
            found = groups.get(hit.doc_id)
            if found is None:
                found = groups[hit.doc_id] = DocGroup(hit.doc_id, hit.title, count=per_doc.get(hit.doc_id, 0))
            found.hits.append(hit)
        facets, more = self._facet_lists(
            searcher, facet_cache, tags, q, natural, filters, docnums, doc_counts, quiet_labels, best, wide
        )
        suggestion = None
        if total == 0 or relaxed is not None:
            every = every_word(q, relaxed)
            suggestion = self._suggest(
                searcher, parser, vocab, query, fq, 0 if relaxed else total, self._ranking, tags, every
            )
        elapsed = (time.perf_counter() - began) * 1000
        return SearchResults(
            query,
            total,
            page,
            pagelen,
            pages,
            round(elapsed, 2),
            hits,
            list(groups.values()),
            facets,
            suggestion,
            dict(filters),
            relaxed,
            more,
            len(doc_counts),
            group,
        )

    def _ranked(
        self,
        searcher: Any,
        q: wq.Query,
        natural: NaturalQuery | None,
        fq: wq.Query | None,
        limit: int,
        wide: dict[str, Any] | None = None,
        whole: bool = False,
    ) -> tuple[np.ndarray, list[tuple[int, float]], dict[str, int] | None, _Order | None, int | None]:
        """(every matching docnum, sorted; the first ``limit`` (docnum, score) in rank order; the
        relaxed reading or None; the rank order of every match (:class:`_Order`) when the array
        ranking serves the query, for a natural query only with a ``limit`` (its second stage
        runs then), else None; for a natural query, the most clauses a listed passage holds,
        else None). ``whole``: with Whoosh's own matcher, the whole ranking instead of the
        first ``limit``. ``wide``, when given, receives the matches without ``fq``
        (``"docnums"``) and their most clauses held (``"best"``), counted in the same pass when
        the array ranking serves the query (else it stays empty)."""
        relaxed = None
        ranked = None
        order = None
        best = None
        try:
            if natural is not None and natural.clauses:
                coord = rank_coordinated(
                    searcher,
                    [c.query for c in natural.clauses],
                    natural.required,
                    max(limit, rescore.WINDOW) if limit else 0,
                    fq,
                    self._ranking,
                    natural.proximity,
                    unfiltered=wide is not None,
                )
                ranked = coord.ranked
                if wide is not None and coord.unfiltered is not None:
                    wide.update(docnums=coord.unfiltered, best=coord.best_unfiltered)
                if coord.least < coord.of and ranked.total:
                    relaxed = {"matched_words": coord.best, "of": coord.of, "min_words": coord.least}
                best = coord.best
                if limit:
                    order = _Order(ranked.scores, coord.tiers)
                    again = self._second_stage(searcher, natural, coord)
                    if again is not None:  # the window reordered: its scores are not the first stage's
                        order.ahead = again[: min(rescore.WINDOW, len(ranked.top))]
                        return ranked.docnums, again[:limit], relaxed, order, best
            else:
                ranked = rank(searcher, q, limit, fq, self._ranking, unfiltered=wide is not None)
                order = _Order(ranked.scores)
                if wide is not None and ranked.unfiltered is not None:
                    wide.update(docnums=ranked.unfiltered, best=None)
        except Unsupported:
            if wide is not None:
                wide.clear()
            ranked = None
        if ranked is not None:
            top = list(zip(ranked.top.tolist(), ranked.top_scores.tolist(), strict=False))
            return ranked.docnums, top, relaxed, order, best
        # ranges, slop phrases...: Whoosh's matcher, every match seen once
        docnums, top = self._whoosh_search(searcher, q, None if whole else limit, fq)
        return docnums, top, relaxed, None, best

    def _second_stage(self, searcher: Any, natural: NaturalQuery, coord: Any) -> list[tuple[int, float]] | None:
        """The first stage's top: its first :data:`indexer.rescore.WINDOW` passages in the order
        of :func:`indexer.rescore.rescore`, then the rest in its own order (a rescore window);
        None when the second stage cannot score the query."""
        top = coord.ranked.top.tolist()
        if not top:
            return None
        window = top[: rescore.WINDOW]
        candidates = [rescore.Candidate(docnum, searcher.stored_fields(docnum)) for docnum in window]
        again = rescore.rescore(
            [c.query for c in natural.clauses],
            candidates,
            self._rescore_stats(searcher),
            searcher.reader(),
            searcher.schema["text"].analyzer,
            entity_fold,
        )
        if again is None:
            return None
        rest = zip(top[len(window) :], coord.ranked.top_scores[len(window) :].tolist(), strict=True)
        return again + list(rest)  # beyond the window, the first stage's order

    def _rescore_stats(self, searcher: Any) -> rescore.Stats:
        """The second stage's statistics of the live generation (kind averages read once)."""
        with self._lock:
            found = self._stats
            if found is not None and found[0]() is searcher:  # the same version of the index
                return found[1]
        reader = searcher.reader()
        samples: dict[str, list[int]] = {}
        if "kind" in searcher.schema.names():
            samples = self._sample_lengths(reader)
        averages, overall = rescore.kind_averages(samples)
        stats = rescore.Stats(searcher.doc_count(), reader.doc_frequency, averages, overall)
        with self._lock:
            self._stats = (weakref.ref(searcher), stats)  # not keeping a retired searcher
        return stats

    def _sample_lengths(self, reader: Any) -> dict[str, list[int]]:
        """The text lengths of the first :data:`~indexer.rescore.SAMPLE` live passages of each
        kind, in document-number order. A segment's records never change, so what is read of
        a segment is kept (:class:`_SegmentLengths`, named as :mod:`indexer.facets` names
        segments) for the next generation: after an ingest only the new segment is read."""
        leaves: list[tuple[Any, _SegmentLengths]] = []
        with self._lock:
            kept: dict[Any, _SegmentLengths] = {}
            for leaf, _offset in reader.leaf_readers():
                key = _segment_key(leaf)
                known = self._lengths.get(key) if key is not None else None
                known = known or _SegmentLengths()
                if key is not None:
                    kept[key] = known
                leaves.append((leaf, known))
            self._lengths = kept  # segments no longer in the index dropped
        samples: dict[str, list[int]] = {}
        for btext in reader.lexicon("kind"):
            lengths = samples.setdefault(btext.decode("utf-8"), [])
            for leaf, known in leaves:
                if len(lengths) >= rescore.SAMPLE:
                    break
                lengths.extend(known.run(leaf, btext)[: rescore.SAMPLE - len(lengths)])
        return samples

    @staticmethod
    def _document_page(
        facet_cache: FacetCache,
        docnums: np.ndarray,
        order: _Order | None,
        ranking: list[tuple[int, float]],
        per_doc: Mapping[str, int],
        first: int,
        want: int,
    ) -> list[tuple[str, list[tuple[int, float]]]]:
        """The documents ``first`` to ``first + want`` in the order of their best passages, each
        with its best :data:`~indexer.facets.GROUP_HITS` (docnum, score), from the search's own
        pass: the rank order of every match (``order``) or, with Whoosh's own matcher, its
        whole ``ranking``, and the doc_id facet arrays (no stored field is read, nothing is
        ranked again)."""
        doc_ids = facet_cache.doc_ids()
        if order is not None:
            doc_idx = facet_cache.doc_index(docnums)
            ahead = None
            if order.ahead:
                nums = np.asarray([d for d, _ in order.ahead], dtype=np.int64)
                scores = np.asarray([s for _, s in order.ahead], dtype=np.float64)
                ahead = (nums, scores, facet_cache.doc_index(nums))
            page = document_page(docnums, order.scores, doc_idx, first, want, _TIE_DECIMALS, order.tiers, ahead)
            return [(doc_ids[d], best) for d, best in page]

        def docs_of(keys: list[int]) -> list[str]:
            return [doc_ids[i] for i in facet_cache.doc_index(np.asarray(keys, dtype=np.int64)).tolist()]

        return walk_groups(lambda limit: ranking[:limit], docs_of, len(docnums), per_doc, first, want)

    def _facet_lists(
        self,
        searcher: Any,
        facet_cache: FacetCache,
        tags: BoundTags,
        q: wq.Query,
        natural: NaturalQuery | None,
        filters: Mapping[str, Any],
        docnums: np.ndarray,
        doc_counts: list[tuple[str, int]],
        quiet: frozenset[str],
        best: int | None = None,
        wide: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
        """The facets: each over the matches, but a facet with a value chosen over the matches
        of every other filter (:func:`facet_filters`), its chosen values always listed.

        Those matches are the query's matches without filters (found once) intersected with
        each other filter's passages: what the query lists under any filters is its unfiltered
        matches within them, for a natural query too as long as the filters leave it the same
        most clauses held (else its reading is computed again under those filters)."""
        chosen = {facet: filters.get(key) for facet, key in FACET_FILTER.items() if filters.get(key)}
        facets, more = facet_cache.facets_and_more(docnums, quiet=quiet, doc_counts=doc_counts, chosen=chosen)
        facets["tags"] = keep_chosen(tags.facet(docnums, top=len(tags.tags)), 20, chosen.get("tags"), _value)
        rests = facet_filters(filters)
        if not rests:
            return facets, more
        if wide and "docnums" in wide:  # found with the filtered ranking, in its pass
            unfiltered, best_unfiltered = wide["docnums"], wide["best"]
        else:
            unfiltered, *_rest, best_unfiltered = self._ranked(searcher, q, natural, None, 0)
        same = best == best_unfiltered
        within: dict[str, np.ndarray] = {}
        if same:
            for key, value in filters.items():
                only = tags.rewrite(filter_query(searcher.schema, {key: value}))
                within[key] = self._ranked(searcher, only, None, None, 0)[0] if only is not None else unfiltered
        for facet, rest in rests.items():
            if same:
                found = unfiltered
                for key in rest:
                    found = np.intersect1d(found, within[key], assume_unique=True)
            else:
                fq = tags.rewrite(filter_query(searcher.schema, rest))
                found = self._ranked(searcher, q, natural, fq, 0)[0]
            if facet == "tags":
                facets["tags"] = keep_chosen(tags.facet(found, top=len(tags.tags)), 20, chosen.get("tags"), _value)
                continue
            part, part_more = facet_cache.facets_and_more(found, quiet=quiet, only=(facet,), chosen=chosen)
            facets.update(part)
            more.update(part_more)
        return facets, more

    @staticmethod
    def _whoosh_search(searcher: Any, q: wq.Query, limit: int | None, fq: wq.Query | None) -> tuple[Any, list]:
        """(every matching docnum, sorted; the top ``limit`` (docnum, score), every one for None)
        from Whoosh's own matcher: every match seen once and scored, higher scores first, then
        lower docnums."""
        ranked = list(searcher.search(q, limit=None, filter=fq).items())
        docnums = np.sort(np.asarray([docnum for docnum, _ in ranked], dtype=np.int64))
        return docnums, ranked[:limit]

    def highlighter(self, query: str) -> Highlighter:
        """The highlighter of a query as :meth:`search` reads it (for the reader's marks)."""
        with self._lease() as state:
            if state is None:
                return Highlighter()
            searcher, _facets, parser, vocab = state
            return self._highlighter(self._read(searcher, parser, vocab, query, True)[0], searcher)[0]

    @staticmethod
    def _highlighter(q: wq.Query, searcher: Any) -> tuple[Highlighter, dict[str, set[str]]]:
        """What a query marks in the passage text: its text terms (wildcards and fuzzy words
        expanded) and phrases, never the words it excludes; and its entity-field values."""
        reader = searcher.reader()
        terms: set[str] = set()
        phrases: list[tuple[str, ...]] = []
        ents: dict[str, set[str]] = {}

        def visit(sub: wq.Query) -> None:
            if isinstance(sub, (wq.Not,)):
                return
            if isinstance(sub, wq.AndNot):
                visit(sub.a)
                return
            if isinstance(sub, wq.Phrase):
                if sub.fieldname == "text":
                    phrases.append(tuple(str(w) for w in sub.words))
                return
            if isinstance(sub, wq.Term) and type(sub) is wq.Term:
                if sub.fieldname == "text" or sub.fieldname in ENTITY_FIELDS or sub.fieldname == "entity":
                    value = sub.text.decode("utf-8") if isinstance(sub.text, bytes) else str(sub.text)
                    if sub.fieldname == "text":
                        terms.add(value)
                    else:
                        ents.setdefault(sub.fieldname, set()).add(value)
                return
            if isinstance(sub, MultiTerm):
                if sub.field() == "text":
                    try:
                        words = multiterm_words(sub, reader)
                    except Exception:  # a pattern Whoosh cannot expand
                        words = []
                    terms.update(w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in words)
                return
            if sub.is_leaf():
                return
            for child in sub.children():
                visit(child)

        visit(q)
        return Highlighter(frozenset(terms), tuple(dict.fromkeys(phrases))), ents

    @staticmethod
    def _hit(fields: Mapping[str, Any], score: float, highlighter: Highlighter, ent_terms: dict[str, set[str]]) -> Hit:
        text = fields.get("text", "")
        entities = [
            {"start": s, "end": e, "label": label, "canonical": canonical, "text": text[s:e]}
            for s, e, label, canonical in json.loads(fields.get("entities") or "[]")
        ]
        marks = highlighter.spans(text)
        for fieldname, values in ent_terms.items():
            labels = ENTITY_FIELDS.get(fieldname)
            for ent in entities:
                if (labels is None or ent["label"] in labels) and fold(ent["canonical"]) in values:
                    marks.append((ent["start"], ent["end"]))
        return Hit(
            doc_id=fields["doc_id"],
            title=fields.get("title", ""),
            ordinal=fields["ordinal"],
            start=fields["start"],
            end=fields["end"],
            page=fields.get("page"),
            kind=fields.get("kind", "paragraph"),
            text=text,
            snippet_html=snippet_html(text, marks, entities),
            entities=entities,
            footnotes=json.loads(fields.get("notes") or "[]"),
            tags=[],  # set by search() from the reader's visible tags
            cites=[c for c in (fields.get("cites") or "").split(",") if c],
            score=round(float(score or 0.0), 4),
        )

    @staticmethod
    def _suggest(
        searcher: Any,
        parser: Any,
        vocab: Vocabulary,
        text: str,
        fq: wq.Query | None,
        found: int,
        cache: RankingCache | None = None,
        tags: BoundTags | None = None,
        every: wq.Query | None = None,
    ) -> str | None:
        """The query with its misspelt words corrected, when that finds more passages holding
        every word than ``found``, or, when given, than ``every`` (the strict reading of a
        natural query some passage holds every word of, listed with those holding most: the
        suggestion must beat those passages, not nothing); else None.

        Only words the body text does not hold and that are no name the gazetteer or the
        entity index knows are corrected, each to the nearest word of the body text (the
        most frequent among the nearest). Field values, operators, patterns and anything
        with ``@`` (an internal form) are left alone, so the suggestion is the user's own
        query with some words respelt, never the index's rewritten forms.
        """
        if not text or "@" in text or "spell_text" not in searcher.schema.names():
            return None
        reader = searcher.reader()
        protected = [m.span() for m in _FIELD_VALUE_RE.finditer(text)]
        pieces: list[str] = []
        pos = 0
        changed = False
        for match in _SUGGEST_WORD_RE.finditer(text):
            start, end = match.span()
            word = match.group()
            if word in _OPERATORS or any(a <= start < b for a, b in protected):
                continue
            if not analyze(word) or vocab.known_word(word):
                continue
            better = _nearest_word(reader, fold(word))
            if better is None:
                continue
            if word[:1].isupper():
                better = better[:1].upper() + better[1:]
            pieces.append(text[pos:start] + better)
            pos = end
            changed = True
        if not changed:
            return None
        corrected = "".join(pieces) + text[pos:]
        try:
            q = Searcher._read(searcher, parser, vocab, corrected, True)[0]
            if tags is not None:  # tag clauses in the reader's own scope, as in the search
                q = tags.rewrite(q)
            more = rank(searcher, q, 1, fq, cache).total
            if every is not None:
                found = rank(searcher, every, 1, fq, cache).total
        except (QueryError, Unsupported):
            return None
        return corrected if more > found else None

    def close(self) -> None:
        """Release the open index files."""
        with self._lock:
            old, self._searcher = self._searcher, None
            self._generation = None
            self._retire(old)
