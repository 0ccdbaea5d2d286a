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
from collections.abc import Mapping
from typing import Any

import numpy as np

FACET_FIELDS = ("doc_id", "entity_types", "ent_facet", "tags")
#: the facets a search answers with
FACETS = ("documents", "entity_types", "entities", "tags")
#: the filter (query-string key) that narrows by each facet's values: its own selection
FACET_FILTER = {"documents": "doc", "entity_types": "type", "entities": "entity", "tags": "tag"}
#: best passages shown per document when results are grouped by document
GROUP_HITS = 3


class _SegmentFacets:
    """One segment's facet terms: per field, its terms and, per passage, the slice of them it holds."""

    def __init__(self, reader: Any, schema: Any) -> None:
        self.size = reader.doc_count_all()
        #: field -> (terms in lexicon order, term index per (passage, term) pair in passage order, index pointer)
        self.fields: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        #: for a field no passage holds two terms of (doc_id): each passage's term index, or -1
        self.single: dict[str, np.ndarray] = {}
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
            if len(indptr) > 1 and int(np.diff(indptr).max()) <= 1:  # one term at most per passage
                single = np.full(self.size, -1, dtype=np.int64)
                held = np.flatnonzero(np.diff(indptr))
                single[held] = own[order][indptr[held]]
                self.single[field] = single
        #: doc_id -> title, from the document's first record in this segment
        self.titles: dict[str, str] = {}
        doc_terms, doc_owners, doc_indptr = self.fields["doc_id"]
        if doc_terms:
            held, first = np.unique(doc_owners, return_index=True)
            docnums = np.searchsorted(doc_indptr, first, side="right") - 1
            for owner, docnum in zip(held.tolist(), docnums.tolist(), strict=True):
                self.titles[doc_terms[owner]] = reader.stored_fields(docnum).get("title", "")

    def tally(self, field: str, local: np.ndarray) -> np.ndarray:
        """How many of the passages ``local`` (segment docnums) hold each of the field's terms."""
        terms, owners, indptr = self.fields[field]
        single = self.single.get(field)
        if single is not None:  # one term per passage: counted straight from the passages' terms
            held = single[local]
            return np.bincount(held[held >= 0], minlength=len(terms))
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

    def doc_index(self, docnums: np.ndarray) -> np.ndarray:
        """Per passage of ``docnums`` (global, any order), the index of its document in
        :meth:`doc_ids` (every passage has one ``doc_id`` term; -1 for one without)."""
        docnums = np.asarray(docnums, dtype=np.int64)
        out = np.full(len(docnums), -1, dtype=np.int64)
        if not len(docnums):
            return out
        seg_of = np.searchsorted(self.offsets, docnums, side="right") - 1
        _terms, maps = self.fields["doc_id"]
        for i, (offset, seg) in enumerate(self.segments):
            at = np.flatnonzero(seg_of == i)
            if not len(at):
                continue
            _t, owners, indptr = seg.fields["doc_id"]
            local = docnums[at] - offset
            held = indptr[local + 1] > indptr[local]
            out[at[held]] = maps[i][owners[indptr[local[held]]]]
        return out

    def doc_ids(self) -> list[str]:
        """Every document id of this index version, in the order :meth:`doc_index` numbers them."""
        return self.fields["doc_id"][0]

    def facets(self, docnums: np.ndarray, top: int = 20) -> dict[str, list[dict[str, Any]]]:
        """The four facets the UI shows: documents, entity types, top entities, tags (top ``top`` each)."""
        return self.facets_and_more(docnums, top)[0]

    def facets_and_more(
        self,
        docnums: np.ndarray,
        top: int = 20,
        quiet: frozenset[str] = frozenset(),
        only: tuple[str, ...] = FACETS,
        doc_counts: list[tuple[str, int]] | None = None,
        chosen: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
        """(facets, how many entries each list left off) over the matching passages; entities
        of the ``quiet`` labels are not among the top entities (nor counted in its "more").
        ``only``: the facets wanted (of :data:`FACETS`); ``doc_counts``: the documents' counts
        when the caller has them already (:meth:`counts` of ``doc_id``); ``chosen``: per facet,
        the values chosen in its filter, listed even when they are not among the top entries.

        Each list holds its ``top`` most frequent entries, so a page stays small however
        many documents match. Tags are not counted beyond the list: some are private to
        other people, and even their number is not theirs to see.
        """
        split = self._split(docnums) if len(docnums) else None
        facets: dict[str, list[dict[str, Any]]] = {}
        more: dict[str, int] = {}
        if "documents" in only:
            if doc_counts is None:
                doc_counts = self.counts(docnums, "doc_id", split)
            docs = keep_chosen(doc_counts, top, (chosen or {}).get("documents"), lambda p: p[0])
            facets["documents"] = [{"value": d, "label": self.titles.get(d, d), "count": n} for d, n in docs]
            more["documents"] = max(0, len(doc_counts) - len(docs))
        if "entity_types" in only:
            facets["entity_types"] = [
                {"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "entity_types", split)
            ]
        if "entities" in only:
            ranked = merge_entities(self.counts(docnums, "ent_facet", split), quiet)
            facets["entities"] = keep_chosen(ranked, top, (chosen or {}).get("entities"), lambda e: e["value"])
            more["entities"] = max(0, len(ranked) - len(facets["entities"]))
        if "tags" in only:
            facets["tags"] = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "tags", split)][
                :top
            ]
        return facets, more


def keep_chosen(items: list[Any], top: int, chosen: Any, value_of: Any) -> list[Any]:
    """The first ``top`` of ``items`` (most frequent first), and after them any item whose value
    (``value_of(item)``, compared case-folded) is one of ``chosen``: a chosen value stays listed
    in its facet, with its count, however far down the list it is."""
    head = list(items[:top])
    if not chosen:
        return head
    values = chosen if isinstance(chosen, (list, tuple, set, frozenset)) else [chosen]
    want = {str(v).casefold() for v in values if v not in (None, "")}
    want -= {str(value_of(i)).casefold() for i in head}
    for item in items[top:]:  # most frequent first: a chosen value is found without the whole list
        if not want:
            break
        key = str(value_of(item)).casefold()
        if key in want:
            head.append(item)
            want.discard(key)
    return head


def merge_entities(counts: list[tuple[str, int]], quiet: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The entities facet from ``ent_facet`` term counts ("LABEL<TAB>Name"): one entry per label
    and name (case folded), the ``quiet`` labels left out, most frequent first."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for term, n in counts:
        label, _, name = term.partition("\t")
        if label in quiet:
            continue
        key = (label, name.casefold())
        if key in merged:
            merged[key]["count"] += n
        else:
            merged[key] = {"value": name, "label": label, "count": n}
    return sorted(merged.values(), key=lambda e: (-e["count"], e["value"]))


# --- results grouped by document ---------------------------------------------------------------
#
# A page of documents lists each matching document once, in the order its best passage has in
# the passage ranking, with its best GROUP_HITS passages. Both ways below find them from the
# ranking and each passage's document number alone (the doc_id facet arrays, or a fast field),
# never from stored fields: only the passages shown are read.


def documents_by_best(
    docnums: np.ndarray, scores: np.ndarray, doc_idx: np.ndarray, decimals: int, primary: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(document indexes in rank order, each one's best passage) for a ranking by score
    (rounded to ``decimals``) then lower docnum first (by ``primary`` first, descending, when
    given: a natural query's clauses held), from every match's docnum, score and document
    index: the order in which the documents first appear in that ranking."""
    if not len(docnums):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rounded = np.round(np.asarray(scores, dtype=np.float64), decimals)
    size = int(doc_idx.max()) + 1
    keys: tuple[np.ndarray, ...] = ()
    eligible = np.ones(len(docnums), dtype=bool)
    if primary is not None:  # a document's best passage is among those of its highest tier
        tier = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(tier, doc_idx, primary)
        eligible = primary == tier[doc_idx]
    best = np.full(size, -np.inf)
    np.maximum.at(best, doc_idx[eligible], rounded[eligible])
    at_best = eligible & (rounded == best[doc_idx])
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, doc_idx[at_best], docnums[at_best])
    held = np.flatnonzero(np.isfinite(best))
    if primary is not None:
        keys = (-tier[held],)
    order = held[np.lexsort((first[held], -best[held], *keys))]
    return order, first[order]


def best_of_documents(
    docnums: np.ndarray,
    scores: np.ndarray,
    doc_idx: np.ndarray,
    wanted: np.ndarray,
    per_doc: int,
    decimals: int,
    primary: np.ndarray | None = None,
    skip: np.ndarray | None = None,
) -> dict[int, list[tuple[int, float]]]:
    """Per document index of ``wanted``, its best ``per_doc`` (docnum, score), in rank order
    (``primary`` descending when given, score rounded to ``decimals``, then lower docnum); the
    docnums of ``skip`` left out."""
    keep = np.isin(doc_idx, wanted)
    if skip is not None and len(skip):
        keep &= ~np.isin(docnums, skip)
    at = np.flatnonzero(keep)
    rounded = np.round(np.asarray(scores, dtype=np.float64)[at], decimals)
    tiers = (-np.asarray(primary)[at],) if primary is not None else ()
    order = at[np.lexsort((docnums[at], -rounded, *tiers, doc_idx[at]))]
    out: dict[int, list[tuple[int, float]]] = {int(d): [] for d in wanted.tolist()}
    for i in order.tolist():
        kept = out[int(doc_idx[i])]
        if len(kept) < per_doc:
            kept.append((int(docnums[i]), float(scores[i])))
    return out


def document_page(
    docnums: np.ndarray,
    scores: np.ndarray,
    doc_idx: np.ndarray,
    first: int,
    want: int,
    decimals: int,
    primary: np.ndarray | None = None,
    ahead: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    per_doc: int = GROUP_HITS,
) -> list[tuple[int, list[tuple[int, float]]]]:
    """The documents ``first`` to ``first + want`` (document indexes), each with its best
    ``per_doc`` (docnum, score), of a passage ranking given as arrays over every match: by
    ``primary`` (when given), score, docnum (:func:`documents_by_best`), except that the
    passages of ``ahead`` ((docnums, scores, document indexes) in their own order: a rescored
    window, the ranking's first passages) come before all the others, with their own scores.

    One pass over the arrays, whatever the page: no ranking is read again."""
    order, _best = documents_by_best(docnums, scores, doc_idx, decimals, primary)
    lead: dict[int, list[tuple[int, float]]] = {}
    skip = None
    if ahead is not None and len(ahead[0]):
        skip = ahead[0]
        for docnum, score, doc in zip(ahead[0].tolist(), ahead[1].tolist(), ahead[2].tolist(), strict=True):
            kept = lead.setdefault(doc, [])
            if len(kept) < per_doc:
                kept.append((docnum, score))
        leading = np.fromiter(lead, dtype=np.int64, count=len(lead))
        order = np.concatenate([leading, order[~np.isin(order, leading)]])
    page = order[first : first + want]
    short = np.asarray([d for d in page.tolist() if len(lead.get(d, ())) < per_doc], dtype=np.int64)
    rest = best_of_documents(docnums, scores, doc_idx, short, per_doc, decimals, primary, skip) if len(short) else {}
    out = []
    for doc in page.tolist():
        kept = list(lead.get(doc, ()))
        kept += rest.get(doc, [])[: per_doc - len(kept)]
        out.append((doc, kept))
    return out


def walk_groups(
    top: Any,
    docs_of: Any,
    total: int,
    counts: Mapping[str, int],
    first: int,
    want: int,
    per_doc: int = GROUP_HITS,
) -> list[tuple[str, list[tuple[Any, float]]]]:
    """The documents ``first`` to ``first + want`` of a passage ranking, each with its best
    ``per_doc`` passages, by walking the ranking: ``top(limit)`` gives its first ``limit``
    (key, score) pairs, ``docs_of(keys)`` their document ids (from a fast field or the facet
    arrays, not stored fields); ``counts``: matching passages per document.

    The walk reads further (eight times as far each time) until it has seen the page's
    documents and their best passages, or the whole ranking."""
    if not total or want <= 0:
        return []
    limit = min(total, max(64, (first + want) * per_doc))
    while True:
        ranked = top(limit)
        docs = docs_of([k for k, _ in ranked])
        page = list(dict.fromkeys(docs))[first : first + want]  # documents as the ranking first shows them
        groups: dict[str, list[tuple[Any, float]]] = {doc: [] for doc in page}
        missing = sum(min(per_doc, counts.get(doc, 0)) for doc in page)
        for pair, doc in zip(ranked, docs, strict=True):  # only the page's documents kept
            kept = groups.get(doc)
            if kept is not None and len(kept) < per_doc:
                kept.append(pair)
                missing -= 1
                if missing <= 0 and len(page) >= want:
                    break
        seen_all = len(ranked) >= total or limit >= total
        enough = len(page) >= want and all(
            len(kept) >= min(per_doc, counts.get(doc, 0)) for doc, kept in groups.items()
        )
        if enough or seen_all:
            return list(groups.items())
        limit = min(total, limit * 8)


def ranked_document_page(
    doc_idx: np.ndarray, first: int, want: int, per_doc: int = GROUP_HITS
) -> list[tuple[int, list[int]]]:
    """The documents ``first`` to ``first + want`` of a passage ranking given whole, in rank
    order, as each passage's document index, each with the positions in the ranking of its
    first ``per_doc`` passages: what :func:`walk_groups` finds walking that ranking, from one
    pass over the array (for an engine that hands back every match already ranked)."""
    doc_idx = np.asarray(doc_idx, dtype=np.int64)
    if not len(doc_idx) or want <= 0:
        return []
    docs, seen_at = np.unique(doc_idx, return_index=True)
    page = docs[np.argsort(seen_at)][first : first + want]  # documents as the ranking first shows them
    held = np.flatnonzero(np.isin(doc_idx, page))  # the page's documents' passages, in rank order
    by_doc = np.argsort(doc_idx[held], kind="stable")  # grouped by document, rank order kept within
    owners, places = doc_idx[held][by_doc], held[by_doc]
    nth = np.arange(len(owners)) - np.searchsorted(owners, owners)  # a passage's place in its document
    out: dict[int, list[int]] = {int(d): [] for d in page.tolist()}
    for doc, place in zip(owners[nth < per_doc].tolist(), places[nth < per_doc].tolist(), strict=True):
        out[doc].append(place)
    return list(out.items())
