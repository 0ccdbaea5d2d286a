"""Facet counts over all matching passages, from postings cached once per index version."""

from __future__ import annotations

from typing import Any

import threading
from collections import OrderedDict
from itertools import chain

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.terms import MultiTerm

_EMPTY = np.zeros(0, dtype=np.int64)
FACET_FIELDS = ("doc_id", "entity_types", "ent_facet", "tags")


class FacetCache:
    """Per field: every term and, flattened, the documents that hold it."""

    def __init__(self, searcher: Any) -> None:
        reader = searcher.reader()
        self.doc_count = reader.doc_count_all()
        self.fields: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._by_doc: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.term_ids = TermIdCache()
        for field in FACET_FIELDS:
            terms: list[str] = []
            posts: list[np.ndarray] = []
            owners: list[np.ndarray] = []
            if field in searcher.schema:
                for btext in reader.lexicon(field):
                    ids = np.fromiter(reader.postings(field, btext).all_ids(), dtype=np.int64)
                    if not len(ids):
                        continue
                    posts.append(ids)
                    owners.append(np.full(len(ids), len(terms), dtype=np.int64))
                    terms.append(btext.decode("utf-8"))
            flat = np.concatenate(posts) if posts else np.zeros(0, dtype=np.int64)
            own = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
            self.fields[field] = (terms, flat, own)
            # the same pairs ordered by passage: a passage's terms are one slice, so counting
            # costs in proportion to the matches, not to the whole index
            order = np.argsort(flat, kind="stable")
            self._by_doc[field] = (
                own[order], np.searchsorted(flat[order], np.arange(self.doc_count + 1)))
        self.titles: dict[str, str] = {}
        doc_terms, doc_posts, doc_owner = self.fields["doc_id"]
        first: dict[int, int] = {}
        for i, owner in enumerate(doc_owner.tolist()):
            first.setdefault(owner, int(doc_posts[i]))
        for owner, docnum in first.items():
            self.titles[doc_terms[owner]] = searcher.stored_fields(docnum).get("title", "")

    def counts(self, docnums: np.ndarray, field: str) -> list[tuple[str, int]]:
        """(term, number of matching passages holding it), most frequent first."""
        terms = self.fields[field][0]
        if not terms or not len(docnums):
            return []
        owners, indptr = self._by_doc[field]
        starts = indptr[docnums]
        lens = indptr[docnums + 1] - starts
        ends = np.cumsum(lens)
        if not len(ends) or not ends[-1]:
            return []
        slots = np.repeat(starts - (ends - lens), lens) + np.arange(ends[-1])
        tally = np.bincount(owners[slots], minlength=len(terms))
        held = np.flatnonzero(tally)
        order = held[np.argsort(-tally[held], kind="stable")]
        return [(terms[i], int(tally[i])) for i in order.tolist()]

    def facets(self, docnums: np.ndarray, top: int = 20) -> dict[str, list[dict[str, Any]]]:
        """The four facets the UI shows: documents, entity types, top entities, tags."""
        docs = [
            {"value": d, "label": self.titles.get(d, d), "count": n}
            for d, n in self.counts(docnums, "doc_id")
        ]
        types = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "entity_types")]
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for term, n in self.counts(docnums, "ent_facet"):
            label, _, name = term.partition("\t")
            key = (label, name.casefold())
            if key in merged:
                merged[key]["count"] += n
            else:
                merged[key] = {"value": name, "label": label, "count": n}
        entities = sorted(merged.values(), key=lambda e: (-e["count"], e["value"]))[:top]
        tags = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "tags")][:top]
        return {"documents": docs, "entity_types": types, "entities": entities, "tags": tags}


def _ids(q: wq.Query, searcher: Any, cache: "TermIdCache | None" = None) -> np.ndarray:
    """Sorted segment-relative docnums matching ``q`` in one segment searcher, unscored.

    Boolean structure is done on arrays (a Python step per match in Whoosh's binary
    matchers is what makes counting slow); term leaves read their postings block by block.
    """
    kind = type(q)
    if kind in (wq.And, wq.Require) or (kind is wq.Or and not getattr(q, "minmatch", 0)):
        subs = list(q.children())
        pos = [s for s in subs if not isinstance(s, wq.Not)]
        neg = [s.query for s in subs if isinstance(s, wq.Not)]
        if kind is wq.Or:
            if neg or not pos:
                return _leaf_ids(q, searcher, cache)
            return np.unique(np.concatenate([_ids(s, searcher, cache) for s in pos]))
        if not pos:
            return _leaf_ids(q, searcher, cache)
        out = _ids(pos[0], searcher)
        for sub in pos[1:]:
            if not len(out):
                break
            out = np.intersect1d(out, _ids(sub, searcher, cache), assume_unique=True)
        for sub in neg:
            if len(out):
                out = np.setdiff1d(out, _ids(sub, searcher, cache), assume_unique=True)
        return out
    if kind is wq.AndNot:
        out = _ids(q.a, searcher, cache)
        return np.setdiff1d(out, _ids(q.b, searcher, cache), assume_unique=True) if len(out) else out
    if kind is wq.AndMaybe:
        return _ids(q.a, searcher, cache)
    return _leaf_ids(q, searcher, cache)


def _leaf_ids(q: wq.Query, searcher: Any, cache: "TermIdCache | None" = None) -> np.ndarray:
    reader = searcher.reader()
    if isinstance(q, wq.Term):
        return _term_ids(reader, q.fieldname, q.text, searcher.schema, cache)
    if isinstance(q, MultiTerm) and q.field() in searcher.schema:
        parts = [_term_ids(reader, q.field(), b, searcher.schema, cache)
                 for b in q._btexts(reader)]
        return np.unique(np.concatenate(parts)) if parts else _EMPTY
    return np.fromiter(q.matcher(searcher).all_ids(), dtype=np.int64)


def _term_ids(reader: Any, fieldname: str, text: Any, schema: Any,
              cache: "TermIdCache | None" = None) -> np.ndarray:
    """A term's postings ids, read a block at a time (no matcher step per posting)."""
    if fieldname not in schema:
        return _EMPTY
    btext = text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)
    key = (id(reader), fieldname, btext)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    if (fieldname, btext) not in reader:
        return _EMPTY
    ids = _matcher_ids(reader.postings(fieldname, btext))
    if cache is not None:
        cache.put(key, ids)
    return ids


def _matcher_ids(m: Any) -> np.ndarray:
    if isinstance(m, FilterMatcher) and m._exclude:  # a segment with deletions
        ids = _matcher_ids(m.child)
        return np.setdiff1d(ids, np.fromiter(m._ids, dtype=np.int64), assume_unique=True)
    if type(m) is not W3LeafMatcher:
        return np.fromiter(m.all_ids(), dtype=np.int64)
    blocks = []
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        blocks.append(m._ids[m._i:])
        m._next_block()
    return np.fromiter(chain.from_iterable(blocks), dtype=np.int64)


class TermIdCache:
    """LRU of term -> postings ids for one searcher (its segments never change), bounded."""

    def __init__(self, max_ids: int = 4_000_000) -> None:
        self.max_ids = max_ids
        self.held = 0
        self._items: OrderedDict[Any, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> np.ndarray | None:
        """The cached ids of ``key``, or None."""
        with self._lock:
            ids = self._items.get(key)
            if ids is not None:
                self._items.move_to_end(key)
            return ids

    def put(self, key: Any, ids: np.ndarray) -> None:
        """Keep ``ids`` (read-only), dropping the least recently used beyond the bound."""
        ids.setflags(write=False)
        with self._lock:
            if key in self._items:
                return
            self._items[key] = ids
            self.held += len(ids)
            while self.held > self.max_ids and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self.held -= len(old)


def matching_docnums(searcher: Any, q: wq.Query, allow: wq.Query | None = None,
                     cache: TermIdCache | None = None) -> np.ndarray:
    """Every (global) docnum matching ``q`` (and ``allow`` if given), sorted, without scoring."""
    parts = []
    for sub, offset in searcher.subsearchers or [(searcher, 0)]:
        ids = _ids(q, sub, cache)
        if allow is not None and len(ids):
            ids = np.intersect1d(ids, _ids(allow, sub, cache), assume_unique=True)
        parts.append(ids + offset)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def array_countable(q: wq.Query) -> bool:
    """True when matching_docnums is cheap for ``q``: only boolean structure over terms."""
    kind = type(q)
    if kind in (wq.And, wq.Or, wq.Require, wq.AndNot, wq.AndMaybe, wq.Not):
        return all(array_countable(sub) for sub in q.children())
    return isinstance(q, (wq.Term, MultiTerm))
