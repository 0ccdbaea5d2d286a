"""``tag:`` clauses resolved against the tags one reader may see, never against the index.

Annotation tags are not in the Whoosh index (its ``tags`` field stays empty): they live in
the annotation database, where shared tags are visible to everyone and private tags only
to their author. A search is given a :class:`TagResolver` holding the tags its reader may
see, as ``(doc_id, start, end, tag)`` spans (the caller fetches them, e.g.
``AnnotationService.visible_tag_spans``); this module never sees anything else.

On the *parsed* query tree, every leaf on the ``tags`` field (``Term``, ``Prefix``,
``Wildcard`` with ``*`` and ``?``, ``FuzzyTerm``, ``TermRange``, ``Regex``, ``Every``, and
any other kind, which matches nothing) is evaluated against that vocabulary with Whoosh's
own matching rules, and replaced by a :class:`PassageSet`: the passages (index document
numbers) holding a matching visible tag. Negation, grouping, boolean operators, field
aliases and the ``tag`` facet filter all act on that set like on any other clause, so no
spelling of a query can reach a tag its reader may not see. Hit tags and the tag facet
come from the same visible set; the spelling suggestion sees no tag at all (a
:class:`PassageSet` has no terms).
"""

from __future__ import annotations

import fnmatch
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from whoosh import matching
from whoosh import query as wq
from whoosh.support.levenshtein import distance

from .whoosh_internals import subsearcher_offset

__all__ = ["TAG_FIELD", "Span", "TagResolver", "BoundTags", "PassageSet", "NO_TAGS", "matching_tags"]

#: the index field ``tag:`` (and ``tags:``) queries name
TAG_FIELD = "tags"
#: one tag of one visible annotation: document id, character span of the quote, tag
Span = tuple[str, int, int, str]
_EMPTY = np.zeros(0, dtype=np.int64)


def normalise(tag: str) -> str:
    """A tag as queries compare it: lowercase, as the ``tags`` field's analyzer makes query text."""
    return " ".join(str(tag).replace(",", " ").lower().split())


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return normalise(value) if value is not None else ""


def _predicate(leaf: wq.Query) -> Callable[[str], bool]:
    """A test on a (normalised) tag equal to what ``leaf`` would match in the index."""
    kind = type(leaf)
    if isinstance(leaf, wq.Every):
        return lambda tag: True
    if kind is wq.Term:
        want = _text(leaf.text)
        return lambda tag: tag == want
    if kind is wq.Prefix:
        start = _text(leaf.text)
        return lambda tag: tag.startswith(start)
    if kind is wq.Wildcard:
        pattern = re.compile(fnmatch.translate(_text(leaf.text)))
        return lambda tag: pattern.match(tag) is not None
    if kind is wq.Regex:
        try:
            pattern = re.compile(str(leaf.text))
        except re.error:
            return lambda tag: False
        return lambda tag: pattern.match(tag) is not None
    if kind is wq.FuzzyTerm:
        text, maxdist, prefix = _text(leaf.text), int(leaf.maxdist), int(leaf.prefixlength)
        head = text[:prefix]
        return lambda tag: tag.startswith(head) and distance(tag, text, limit=maxdist) <= maxdist
    if kind is wq.TermRange:
        low = None if leaf.start is None else _text(leaf.start)
        high = None if leaf.end is None else _text(leaf.end)

        def in_range(tag: str) -> bool:
            if low is not None and (tag < low or (leaf.startexcl and tag == low)):
                return False
            return high is None or tag < high or (tag == high and not leaf.endexcl)

        return in_range
    # a phrase (tags have no positions), numeric or date ranges, anything else: no tag matches
    return lambda tag: False


def matching_tags(leaf: wq.Query, tags: Iterable[str]) -> list[str]:
    """The tags among ``tags`` (normalised) that the ``tags``-field clause ``leaf`` matches."""
    test = _predicate(leaf)
    return [tag for tag in tags if test(tag)]


def _on_tags(q: wq.Query) -> bool:
    return q.is_leaf() and getattr(q, "fieldname", None) == TAG_FIELD


class PassageSet(wq.Query):
    """Matches a fixed set of passages, given as document numbers of one Whoosh searcher.

    What a ``tag:`` clause becomes once resolved. It holds no terms (so nothing highlights,
    expands or spell-corrects it) and scores like the keyword term it replaces: its boost.
    """

    def __init__(self, docnums: np.ndarray, doc_count: int, label: str = "", boost: float = 1.0) -> None:
        self.docnums = np.unique(np.asarray(docnums, dtype=np.int64))
        self.doc_count = int(doc_count)
        self.label = label
        self.boost = boost

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.label!r}, {len(self.docnums)} passages, boost={self.boost})"

    def __unicode__(self) -> str:
        return self.label or "<passages>"

    __str__ = __unicode__

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.boost == other.boost  # type: ignore[attr-defined]
            and self.doc_count == other.doc_count  # type: ignore[attr-defined]
            and np.array_equal(self.docnums, other.docnums)  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.doc_count, self.boost, self.docnums.tobytes()))

    def field(self) -> None:
        """No field: the set is not a search in any field (not even ``tags``)."""
        return None

    def estimate_size(self, ixreader: Any) -> int:
        """Number of passages in the set."""
        return int(len(self.docnums))

    def normalize(self) -> wq.Query:
        """Already minimal."""
        return self

    def segment_matches(self, offset: int, size: int) -> np.ndarray:
        """Local document numbers of the set inside the segment ``[offset, offset + size)``."""
        lo, hi = np.searchsorted(self.docnums, [offset, offset + size])
        return self.docnums[lo:hi] - offset

    def matcher(self, searcher: Any, context: Any = None) -> matching.Matcher:
        """The set's documents in ``searcher`` (the bound searcher itself or one of its segments)."""
        parent = searcher.parent() if callable(getattr(searcher, "parent", None)) else None
        if parent is None:
            if searcher.doc_count_all() != self.doc_count:
                raise RuntimeError("a PassageSet is used with a searcher it was not resolved on")
            offset = 0
        else:
            found = subsearcher_offset(parent, searcher)
            if found is None or parent.doc_count_all() != self.doc_count:
                raise RuntimeError("a PassageSet is used with a searcher it was not resolved on")
            offset = found
        ids = self.segment_matches(offset, searcher.doc_count_all())
        if not len(ids):
            return matching.NullMatcher()
        return matching.ListMatcher(ids.tolist(), all_weights=self.boost)


#: placements of span sets kept per index version (each user's set is one entry)
PLACEMENTS_KEPT = 64


class _PassageMap:
    """Passages of each document of one searcher, and recent placements of tag spans on them."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._placed: OrderedDict[tuple[Span, ...], tuple[list[str], np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def _document(self, searcher: Any, doc_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docnums, starts, ends) of the live passages of ``doc_id``, in text order."""
        found = self._docs.get(doc_id)
        if found is None:
            nums = list(searcher.document_numbers(doc_id=doc_id))
            stored = [searcher.stored_fields(n) for n in nums]
            starts = np.asarray([f.get("start", 0) for f in stored], dtype=np.int64)
            ends = np.asarray([f.get("end", 0) for f in stored], dtype=np.int64)
            order = np.argsort(starts, kind="stable")
            found = (np.asarray(nums, dtype=np.int64)[order], starts[order], ends[order])
            with self._lock:
                self._docs[doc_id] = found
        return found

    def _overlapping(
        self, searcher: Any, doc_id: str, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(span index, docnum) of every passage of ``doc_id`` overlapping each span [start, end)."""
        nums, p_starts, p_ends = self._document(searcher, doc_id)
        if not len(nums):
            return _EMPTY, _EMPTY
        if np.all(p_ends[1:] >= p_ends[:-1]):  # passages in order, not nested: two binary searches
            lo = np.searchsorted(p_ends, starts, side="right")
            hi = np.searchsorted(p_starts, ends, side="left")
            counts = np.maximum(hi - lo, 0)
            which = np.repeat(np.arange(len(starts)), counts)
            firsts = np.repeat(lo, counts)
            steps = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            return which, nums[firsts + steps]
        pairs = [(i, n) for i in range(len(starts)) for n in nums[(p_starts < ends[i]) & (p_ends > starts[i])].tolist()]
        return np.asarray([i for i, _ in pairs], dtype=np.int64), np.asarray([n for _, n in pairs], dtype=np.int64)

    def place(self, searcher: Any, spans: tuple[Span, ...]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(distinct normalised tags, docnums, tag slots) of the spans, pairs sorted and unique."""
        with self._lock:
            found = self._placed.get(spans)
            if found is not None:
                self._placed.move_to_end(spans)
                return found
        names: dict[str, int] = {}
        slot_of_raw: dict[str, int] = {}
        per_doc: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for doc_id, start, end, tag in spans:
            slot = slot_of_raw.get(tag)
            if slot is None:
                name = normalise(tag)
                slot = slot_of_raw[tag] = names.setdefault(name, len(names)) if name else -1
            if slot < 0:
                continue
            bucket = per_doc.setdefault(doc_id, ([], [], []))
            bucket[0].append(start)
            bucket[1].append(end)
            bucket[2].append(slot)
        docs: list[np.ndarray] = []
        slots: list[np.ndarray] = []
        for doc_id, (starts, ends, tag_slots) in per_doc.items():
            which, docnums = self._overlapping(
                searcher, doc_id, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
            )
            docs.append(docnums)
            slots.append(np.asarray(tag_slots, dtype=np.int64)[which])
        width = max(len(names), 1)
        keys = np.unique(np.concatenate(docs) * width + np.concatenate(slots)) if docs else _EMPTY
        pair_docs, pair_slots = keys // width, keys % width
        # only tags that sit on an indexed passage, renumbered in first-seen order
        used = np.unique(pair_slots)
        tags = [name for name, slot in names.items() if slot in set(used.tolist())]
        renumber = np.full(width, -1, dtype=np.int64)
        renumber[[names[t] for t in tags]] = np.arange(len(tags))
        found = (tags, pair_docs, renumber[pair_slots] if len(pair_slots) else _EMPTY)
        with self._lock:
            self._placed[spans] = found
            while len(self._placed) > PLACEMENTS_KEPT:
                self._placed.popitem(last=False)
        return found


_MAPS: weakref.WeakKeyDictionary[Any, _PassageMap] = weakref.WeakKeyDictionary()
_MAPS_LOCK = threading.Lock()


def _passage_map(searcher: Any) -> _PassageMap:
    """The passage map of a Whoosh searcher (one index version), kept while it lives."""
    with _MAPS_LOCK:
        found = _MAPS.get(searcher)
        if found is None:
            found = _MAPS[searcher] = _PassageMap()
        return found


class BoundTags:
    """The visible tags of one reader placed on the passages of one Whoosh searcher."""

    def __init__(self, searcher: Any, spans: Sequence[Span]) -> None:
        self.doc_count = searcher.doc_count_all()
        tags, pair_docs, pair_tags = _passage_map(searcher).place(searcher, tuple(spans))
        #: distinct visible tags (normalised) that sit on at least one indexed passage
        self.tags: list[str] = tags
        self._pair_docs = pair_docs  # sorted by docnum, then tag
        self._pair_tags = pair_tags

    def passages(self, tags: Sequence[str]) -> np.ndarray:
        """Sorted document numbers of the passages holding any of ``tags``."""
        wanted = set(tags)
        slots = [i for i, name in enumerate(self.tags) if name in wanted]
        if not slots or not len(self._pair_docs):
            return _EMPTY
        return np.unique(self._pair_docs[np.isin(self._pair_tags, slots)])

    def resolve(self, leaf: wq.Query) -> PassageSet:
        """The passages a ``tags``-field clause matches, among the visible tags only."""
        return PassageSet(
            self.passages(matching_tags(leaf, self.tags)),
            self.doc_count,
            label=str(leaf),
            boost=float(getattr(leaf, "boost", 1.0) or 1.0),
        )

    def rewrite(self, q: wq.Query | None) -> wq.Query | None:
        """``q`` with every ``tags``-field clause replaced by the passages it matches."""
        if q is None:
            return None

        def visit(sub: wq.Query) -> wq.Query:
            return self.resolve(sub) if _on_tags(sub) else sub

        return q.accept(visit)

    def tags_of(self, docnum: int) -> list[str]:
        """The visible tags of one passage, sorted."""
        lo, hi = np.searchsorted(self._pair_docs, [docnum, docnum + 1])
        return sorted(self.tags[t] for t in self._pair_tags[lo:hi].tolist())

    def facet(self, docnums: np.ndarray, top: int = 20) -> list[dict[str, Any]]:
        """The tag facet: visible tags of the matching passages, most frequent first."""
        if not len(self._pair_docs) or not len(docnums):
            return []
        held = np.isin(self._pair_docs, np.asarray(docnums, dtype=np.int64))
        tally = np.bincount(self._pair_tags[held], minlength=len(self.tags))
        found = [(self.tags[i], int(n)) for i, n in enumerate(tally.tolist()) if n]
        found.sort(key=lambda item: (-item[1], item[0]))
        return [{"value": t, "label": t, "count": n} for t, n in found[:top]]


class TagResolver:
    """The tags one reader may see, as spans; given as a list or a function that fetches them.

    The function runs at most once, on the first search that needs it.
    """

    def __init__(self, spans: Iterable[Span] | Callable[[], Iterable[Span]] = ()) -> None:
        self._source = spans
        self._spans: list[Span] | None = None
        self._lock = threading.Lock()

    def spans(self) -> list[Span]:
        """The visible tag spans (fetched on first use)."""
        with self._lock:
            if self._spans is None:
                source = self._source() if callable(self._source) else self._source
                self._spans = [(doc_id, start, end, tag) for doc_id, start, end, tag in source]
            return self._spans

    def bind(self, searcher: Any) -> BoundTags:
        """The visible tags placed on the passages of ``searcher``."""
        return BoundTags(searcher, self.spans())


#: the resolver of a search that is given none: no tag is visible
NO_TAGS = TagResolver(())
