"""Facet counts over all matching passages, from postings decoded once per segment.

A Whoosh segment's records never change once written (a deletion only marks them, and the
matching passages handed to :meth:`FacetCache.counts` are live ones), so what a segment holds
for the facet fields is decoded once and shared by every index version that still has the
segment: a new generation made by adding one document (a new small segment beside the big
ones) decodes only that document's segment. A segment's arrays are kept as long as some
:class:`FacetCache` uses them (a weak-value table), so no bound is needed: the searcher of
the live version holds its cache, and the one it replaces lets go of what is gone.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

FACET_FIELDS = ("doc_id", "entity_types", "ent_facet", "tags")


class _SegmentFacets:
    """One segment's facet terms: per field, its terms and, per passage, the slice of them it holds."""

    def __init__(self, reader: Any, schema: Any) -> None:
        self.size = reader.doc_count_all()
        #: field -> (terms in lexicon order, term index per (passage, term) pair in passage order, index pointer)
        self.fields: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        for field in FACET_FIELDS:
            terms: list[str] = []
            posts: list[np.ndarray] = []
            owners: list[np.ndarray] = []
            if field in schema:
                for btext in reader.lexicon(field):
                    ids = np.fromiter(reader.postings(field, btext).all_ids(), dtype=np.int64)
                    if not len(ids):
                        continue
                    posts.append(ids)
                    owners.append(np.full(len(ids), len(terms), dtype=np.int64))
                    terms.append(btext.decode("utf-8"))
            flat = np.concatenate(posts) if posts else np.zeros(0, dtype=np.int64)
            own = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
            # the pairs ordered by passage: a passage's terms are one slice, so counting costs
            # in proportion to the matches, not to the whole segment
            order = np.argsort(flat, kind="stable")
            indptr = np.searchsorted(flat[order], np.arange(self.size + 1))
            self.fields[field] = (terms, own[order], indptr)
        #: doc_id -> title, from the document's first record in this segment
        self.titles: dict[str, str] = {}
        terms, owners, indptr = self.fields["doc_id"]
        if terms:
            held, first = np.unique(owners, return_index=True)
            docnums = np.searchsorted(indptr, first, side="right") - 1
            for owner, docnum in zip(held.tolist(), docnums.tolist(), strict=True):
                self.titles[terms[owner]] = reader.stored_fields(docnum).get("title", "")

    def tally(self, field: str, local: np.ndarray) -> np.ndarray:
        """How many of the passages ``local`` (segment docnums) hold each of the field's terms."""
        terms, owners, indptr = self.fields[field]
        starts = indptr[local]
        lens = indptr[local + 1] - starts
        ends = np.cumsum(lens)
        if not len(ends) or not ends[-1]:
            return np.zeros(len(terms), dtype=np.int64)
        slots = np.repeat(starts - (ends - lens), lens) + np.arange(ends[-1])
        return np.bincount(owners[slots], minlength=len(terms))


_SHARED: weakref.WeakValueDictionary[Any, _SegmentFacets] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def _segment_key(reader: Any) -> Any:
    """What names a segment's content (as indexer.ranking keys its cache), or None without a name."""
    segment = getattr(reader, "segment", None)
    if segment is None:
        return None
    return (segment().segment_id(), reader.doc_count_all())


def _segment_facets(reader: Any, schema: Any) -> _SegmentFacets:
    """The facet arrays of one segment reader, decoded only when no live cache holds them."""
    key = _segment_key(reader)
    if key is None:
        return _SegmentFacets(reader, schema)
    with _SHARED_LOCK:
        found = _SHARED.get(key)
    if found is not None:
        return found
    made = _SegmentFacets(reader, schema)  # outside the lock: another thread may decode too
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            _SHARED[key] = found = made
    return found


def shared_segments() -> int:
    """How many segments' facet arrays are held (for tests and benchmarks)."""
    with _SHARED_LOCK:
        return len(_SHARED)


class FacetCache:
    """The facet fields of one index version: per segment (shared, see the module), and the
    union of their terms, so counts over global document numbers merge across segments."""

    def __init__(self, searcher: Any) -> None:
        reader = searcher.reader()
        self.doc_count = reader.doc_count_all()
        leaves = reader.leaf_readers()
        self.segments: list[tuple[int, _SegmentFacets]] = [
            (offset, _segment_facets(sub, searcher.schema)) for sub, offset in leaves
        ]
        self.offsets = np.array([offset for offset, _ in self.segments] + [self.doc_count], dtype=np.int64)
        #: field -> (every term, sorted as the lexicon is; per segment, its terms' global indexes)
        self.fields: dict[str, tuple[list[str], list[np.ndarray]]] = {}
        for field in FACET_FIELDS:
            union = sorted({t for _, seg in self.segments for t in seg.fields[field][0]})
            where = {t: i for i, t in enumerate(union)}
            maps = [np.array([where[t] for t in seg.fields[field][0]], dtype=np.int64) for _, seg in self.segments]
            self.fields[field] = (union, maps)
        self.titles: dict[str, str] = {}
        for _, seg in self.segments:  # later segments hold the newer records
            self.titles.update(seg.titles)

    def _split(self, docnums: np.ndarray) -> list[np.ndarray]:
        """Per segment, the matching passages' segment docnums (sorted first if they are not)."""
        docnums = np.asarray(docnums, dtype=np.int64)
        if len(docnums) > 1 and not bool(np.all(docnums[1:] >= docnums[:-1])):
            docnums = np.sort(docnums)
        cuts = np.searchsorted(docnums, self.offsets)
        return [docnums[cuts[i] : cuts[i + 1]] - offset for i, (offset, _) in enumerate(self.segments)]

    def counts(self, docnums: np.ndarray, field: str, split: list[np.ndarray] | None = None) -> list[tuple[str, int]]:
        """(term, number of matching passages holding it), most frequent first (``split``: the
        docnums as :meth:`_split` gives them, when the caller counts several fields)."""
        terms, maps = self.fields[field]
        if not terms or not len(docnums):
            return []
        parts = self._split(docnums) if split is None else split
        tally = np.zeros(len(terms), dtype=np.int64)
        for i, (_offset, seg) in enumerate(self.segments):
            local = parts[i]
            if len(local) and len(maps[i]):
                tally[maps[i]] += seg.tally(field, local)
        held = np.flatnonzero(tally)
        order = held[np.argsort(-tally[held], kind="stable")]
        return [(terms[i], int(tally[i])) for i in order.tolist()]

    def facets(self, docnums: np.ndarray, top: int = 20) -> dict[str, list[dict[str, Any]]]:
        """The four facets the UI shows: documents, entity types, top entities, tags (top ``top`` each)."""
        return self.facets_and_more(docnums, top)[0]

    def facets_and_more(
        self, docnums: np.ndarray, top: int = 20, quiet: frozenset[str] = frozenset()
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
        """(facets, how many entries each list left off) over the matching passages; entities
        of the ``quiet`` labels are not among the top entities (nor counted in its "more").

        Each list holds its ``top`` most frequent entries, so a page stays small however
        many documents match. Tags are not counted beyond the list: some are private to
        other people, and even their number is not theirs to see.
        """
        split = self._split(docnums) if len(docnums) else None
        doc_counts = self.counts(docnums, "doc_id", split)
        docs = [{"value": d, "label": self.titles.get(d, d), "count": n} for d, n in doc_counts[:top]]
        types = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "entity_types", split)]
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for term, n in self.counts(docnums, "ent_facet", split):
            label, _, name = term.partition("\t")
            if label in quiet:
                continue
            key = (label, name.casefold())
            if key in merged:
                merged[key]["count"] += n
            else:
                merged[key] = {"value": name, "label": label, "count": n}
        ranked = sorted(merged.values(), key=lambda e: (-e["count"], e["value"]))
        tags = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "tags", split)][:top]
        facets = {"documents": docs, "entity_types": types, "entities": ranked[:top], "tags": tags}
        more = {"documents": max(0, len(doc_counts) - top), "entities": max(0, len(ranked) - top)}
        return facets, more
