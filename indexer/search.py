"""Searching passages: ranked, paginated, grouped by document, with facets and snippets."""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector

from .facets import FacetCache
from .gazetteer import fold
from .query import QueryError, expand_fuzzy_words, expand_partial_names, filter_query, make_parser, parse_query
from .ranking import RankingCache, Unsupported, rank
from .schema import ENTITY_FIELDS
from .snippets import snippet_html, term_spans
from .tagfilter import NO_TAGS, TagResolver
from .writer import current_generation

__all__ = ["Searcher", "SearchResults", "Hit", "DocGroup", "QueryError"]


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
        """JSON-able dict."""
        return asdict(self)


@dataclass
class DocGroup:
    """The hits of one document on the page, in rank order."""

    doc_id: str
    title: str
    hits: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {"doc_id": self.doc_id, "title": self.title, "hits": [h.to_dict() for h in self.hits]}


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        data = {
            k: getattr(self, k)
            for k in ("query", "total", "page", "pagelen", "pages", "elapsed_ms", "facets", "suggestion", "filters")
        }
        data["hits"] = [h.to_dict() for h in self.hits]
        data["groups"] = [g.to_dict() for g in self.groups]
        return data


class _TopAndAllCollector(TopCollector):
    """Keeps the top N like TopCollector and also every matching docnum (for totals, facets).

    One pass over the matches; for the query types indexer.ranking does not handle.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit, usequality=False, replace=0)  # no pruning: see every match
        self.matched: list[int] = []

    def _collect(self, global_docnum: int, score: float) -> float:
        self.matched.append(global_docnum)
        return super()._collect(global_docnum, score)


class Searcher:
    """Searches the live index generation of ``index_dir``; reopens when it changes."""

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._searcher: Any = None
        self._ix: Any = None
        self._facets: FacetCache | None = None
        self._facets_for: Any = None
        self._parser: Any = None
        #: decoded postings per segment, kept across index versions (bounded)
        self._ranking = RankingCache()

    def _current(self) -> tuple[Any, FacetCache, Any] | None:
        """(Whoosh searcher, facet cache, parser) of the live generation; None if nothing indexed."""
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
                self._ix = ix
                self._searcher = ix.searcher()
                self._parser = make_parser(ix.schema)
                self._generation = gen.name
                if old is not None:
                    old.close()
            elif not self._searcher.up_to_date():
                # an in-place commit. Not Searcher.refresh(): it reuses
                # segment readers whose cached deletion sets are stale, so replaced records
                # would show twice. The old searcher is left to the GC so a concurrent
                # request holding it is not cut off.
                self._searcher = self._ix.searcher()
            if self._facets_for is not self._searcher:
                self._facets = FacetCache(self._searcher)
                self._facets_for = self._searcher
            return self._searcher, self._facets, self._parser

    def parse(self, text: str) -> wq.Query:
        """Parse a query string (raises QueryError); used by the benchmark too."""
        state = self._current()
        if state is None:
            raise QueryError("The index is empty: ingest some documents first")
        return parse_query(state[2], text)

    def search(
        self,
        query: str,
        page: int = 1,
        pagelen: int = 10,
        filters: Mapping[str, Any] | None = None,
        tag_resolver: TagResolver | None = None,
    ) -> SearchResults:
        """Run a query; raises QueryError for a query that cannot be parsed.

        ``tag:`` clauses, the ``tag`` filter, hit tags and the tag facet see only the tags of
        ``tag_resolver`` (the tags the reader may see; none without one): indexer.tagfilter.
        """
        began = time.perf_counter()
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
        page = max(1, int(page))
        pagelen = min(max(1, int(pagelen)), 200)
        state = self._current()
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
            )
        searcher, facet_cache, parser = state
        tags = (tag_resolver or NO_TAGS).bind(searcher)
        fq = tags.rewrite(filter_query(searcher.schema, filters))
        if not (query or "").strip() and fq is not None:
            q: wq.Query = wq.Every()
        else:
            reader = searcher.reader()
            q = expand_partial_names(parse_query(parser, query), reader)
            q = tags.rewrite(expand_fuzzy_words(q, reader, searcher.schema))
        try:
            ranked = rank(searcher, q, page * pagelen, fq, self._ranking)
        except Unsupported:
            ranked = None
        if ranked is not None:
            docnums = ranked.docnums
            top = list(zip(ranked.top.tolist(), ranked.top_scores.tolist(), strict=False))
        else:  # ranges, slop phrases...: Whoosh's matcher, every match seen once
            collector = _TopAndAllCollector(page * pagelen)
            searcher.search_with_collector(q, FilterCollector(collector, allow=fq) if fq is not None else collector)
            docnums = np.sort(np.asarray(collector.matched, dtype=np.int64))
            results = collector.results()
            top = [(results.docnum(i), results.score(i)) for i in range(results.scored_length())]
        total = len(docnums)
        pages = max(1, math.ceil(total / pagelen))
        first = (page - 1) * pagelen
        terms, ent_terms = self._query_terms(q, searcher)
        hits = [
            self._hit(searcher.stored_fields(docnum), score, terms, ent_terms)
            for docnum, score in top[first : first + pagelen]
        ]
        for hit, (docnum, _) in zip(hits, top[first : first + pagelen], strict=True):
            hit.tags = tags.tags_of(docnum)  # the reader's visible tags, never the index's
        groups: dict[str, DocGroup] = {}
        for hit in hits:
            groups.setdefault(hit.doc_id, DocGroup(hit.doc_id, hit.title)).hits.append(hit)
        facets = facet_cache.facets(docnums)
        facets["tags"] = tags.facet(docnums)
        suggestion = self._suggest(searcher, q, query) if total == 0 else None
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
        )

    @staticmethod
    def _query_terms(q: wq.Query, searcher: Any) -> tuple[set[str], dict[str, set[str]]]:
        """Indexed text terms of the query (wildcards expanded) and entity-field values."""
        text: set[str] = set()
        ents: dict[str, set[str]] = {}
        try:
            found = q.existing_terms(searcher.reader(), phrases=True, expand=True)
        except Exception:  # some query types cannot list their terms
            found = set()
        for fieldname, btext in found:
            if fieldname != "text" and fieldname != "entity" and fieldname not in ENTITY_FIELDS:
                continue
            value = btext.decode("utf-8") if isinstance(btext, bytes) else str(btext)
            if fieldname == "text":
                text.add(value)
            elif fieldname in ENTITY_FIELDS or fieldname == "entity":
                ents.setdefault(fieldname, set()).add(value)
        return text, ents

    @staticmethod
    def _hit(fields: Mapping[str, Any], score: float, terms: set[str], ent_terms: dict[str, set[str]]) -> Hit:
        text = fields.get("text", "")
        entities = [
            {"start": s, "end": e, "label": label, "canonical": canonical, "text": text[s:e]}
            for s, e, label, canonical in json.loads(fields.get("entities") or "[]")
        ]
        marks = term_spans(text, terms)
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
    def _suggest(searcher: Any, q: wq.Query, text: str) -> str | None:
        """A corrected query string when some words are unknown, else None."""
        try:
            corrected = searcher.correct_query(q, text, prefix=1)  # same first letter: fast
        except Exception:  # the corrector cannot handle every query type
            return None
        if corrected.query != q and corrected.string and corrected.string != text:
            return corrected.string
        return None

    def close(self) -> None:
        """Release the open index files."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self._generation = None
