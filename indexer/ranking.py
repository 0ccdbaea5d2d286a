"""Whoosh's BM25F ranking computed over whole postings arrays, for the usual query shapes.

Whoosh walks the postings of a query one match at a time in Python; at 100,000 passages a
common word is tens of thousands of steps, and a phrase is worse (a position check per
candidate). Here each term's postings (ids, weights and, for phrases, positions) are read
once per segment into numpy arrays and kept in a bounded cache; a query is then a few
array operations per term: scores for every match, exact totals, the top N.

The scores are those Whoosh computes (the same BM25F formula on the same weights, field
lengths and statistics, the same boosts and the same quirks: a one-child compound ignores
its boost, ``a NOT b`` adds 1.0 for the NOT), so the ranking is the same; ties are broken by
the lower document number, as Whoosh's collector does. A prefix or fuzzy word that expands to
several words scores as the sum of their scores, as Whoosh does on indexes above 5,000
passages (below that Whoosh gives every match the same score, which says nothing).
``tests/indexer/test_ranking.py`` compares both on many queries. A query with a part this
module does not know (ranges, slop phrases, ``Every`` on one field...) raises
:class:`Unsupported`, and the caller runs Whoosh's own matcher instead.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.query.terms import MultiTerm
from whoosh.scoring import BM25F

from . import whoosh_internals

log = logging.getLogger(__name__)

#: scores equal to this many decimals count as a tie (sums are not added in Whoosh's order)
_TIE_DECIMALS = 9
_EMPTY_IDS = np.zeros(0, dtype=np.int64)


class Unsupported(Exception):
    """The query holds a part the array evaluation does not handle: use Whoosh's matcher."""


class CacheInconsistent(Unsupported):
    """Decoded postings did not fit together (or could not be read): this query goes to
    Whoosh's matcher, and the segment's arrays are decoded afresh by the next one."""


@dataclass
class Ranked:
    """Every match of a query: global docnums (sorted) and their scores, plus the top."""

    docnums: np.ndarray
    scores: np.ndarray
    top: np.ndarray  # docnums of the first ``limit`` in rank order
    top_scores: np.ndarray
    #: with ``unfiltered=True`` and a filter: the query's matches without the filter (sorted)
    unfiltered: np.ndarray | None = None

    @property
    def total(self) -> int:
        """Number of matching passages."""
        return int(len(self.docnums))


#: the environment variable bounding the postings cache (megabytes; 0 or unset: from memory)
CACHE_SETTING = "GLOSSA_RANKING_CACHE_MB"


def default_max_items(environ: Any = None) -> int:
    """The postings cache bound, in array items (8 bytes each): GLOSSA_RANKING_CACHE_MB if set
    (and not 0), else an eighth of the machine's memory, between 512 MB and 4 GB."""
    env = os.environ if environ is None else environ
    raw = str(env.get(CACHE_SETTING, "") or "0").strip()
    if not raw.isdecimal():
        raise ValueError(f"{CACHE_SETTING} must be a whole number of megabytes (0: from memory), not {raw!r}")
    megabytes = int(raw)
    if not megabytes:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            memory = 8 << 30
        megabytes = min(max(memory // 8 >> 20, 512), 4096)
    return megabytes * (1 << 20) // 8


class RankingCache:
    """Decoded postings and field lengths per segment, bounded; entries are never changed.

    One per index directory: it outlives the Whoosh searchers, so a tag update (a new
    segment) keeps what the other segments already decoded. A key starts with the kind of
    array and the segment's :attr:`_Segment.key`: its id and its document count, which
    together name content that is never rewritten (Whoosh writes a new segment for new
    records; a deletion only marks records, and deletions are applied from each reader's
    own deleted set, never from the cache; read through Whoosh's public matcher, postings
    leave deleted records out, so the key names the deletions too:
    :func:`indexer.whoosh_internals.postings_key`). Arrays are read-only, an entry is put once and
    never replaced, and :meth:`forget` drops a segment's entries if they prove inconsistent.
    """

    def __init__(self, max_items: int | None = None) -> None:
        self.max_items = default_max_items() if max_items is None else max_items
        self.held = 0
        self._items: OrderedDict[Any, tuple[np.ndarray, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> tuple[np.ndarray, ...] | None:
        """The cached arrays of ``key``, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Any, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Keep ``arrays`` (made read-only), dropping the least recently used beyond the bound.

        Returns what the cache holds for ``key``: an entry already there (another thread
        decoded it first) is kept as it is, never replaced.
        """
        size = sum(len(a) for a in arrays)
        for a in arrays:
            a.setflags(write=False)
        with self._lock:
            if key in self._items:
                return self._items[key]
            self._items[key] = arrays
            self.held += size
            while self.held > self.max_items and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self.held -= sum(len(a) for a in old)
            return arrays

    def forget(self, segment_key: Any) -> int:
        """Drop every entry of one segment; how many."""
        with self._lock:
            gone = [k for k in self._items if isinstance(k, tuple) and len(k) > 1 and k[1] == segment_key]
            for k in gone:
                self.held -= sum(len(a) for a in self._items.pop(k))
            return len(gone)


class _Segment:
    """One segment searcher's arrays: live documents, field lengths, term postings."""

    def __init__(self, searcher: Any, offset: int, parent: Any, cache: RankingCache, weighting: BM25F) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.offset = offset
        self.parent = parent
        self.cache = cache
        self.weighting = weighting
        self.size = self.reader.doc_count_all()
        self.schema = searcher.schema
        deleted = whoosh_internals.deleted_docnums(self.reader)
        # a segment's postings and lengths never change (see RankingCache); without a name,
        # cache per reader object, which lives as long as this searcher's use of it
        key = whoosh_internals.postings_key(self.reader, deleted)
        self.key = key if key is not None else ("reader", id(self.reader))
        live = np.ones(self.size, dtype=bool)
        if deleted:
            gone = np.fromiter(deleted, dtype=np.int64)
            live[gone[gone < self.size]] = False
        self.live = live

    def lengths(self, fieldname: str) -> np.ndarray:
        """Decoded length of ``fieldname`` in every document of the segment."""
        key = ("l", self.key, fieldname)
        found = self.cache.get(key)
        if found is None:
            dfl = self.reader.doc_field_length
            found = (
                np.fromiter((dfl(i, fieldname, 0) or 0 for i in range(self.size)), dtype=np.float64, count=self.size),
            )
            found = self.cache.put(key, found)
        return found[0]

    def _blocks(self, fieldname: str, btext: bytes, values: bool) -> Iterator[tuple[Any, Any, Any]]:
        """(ids, weights, values or None) per postings block of a term: whoosh_internals reads
        them (its private block reader when the start-up check passed, else Whoosh's public
        matcher); a term it cannot read goes to Whoosh's matcher."""
        try:
            yield from whoosh_internals.postings_blocks(self.reader, self.schema, fieldname, btext, values)
        except whoosh_internals.PrivatePathUnavailable as exc:
            raise Unsupported(str(exc)) from exc

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(ids, weights) of a term in this segment; deleted documents included."""
        key = ("w", self.key, fieldname, btext)
        found = self.cache.get(key)
        if found is None:
            if (fieldname, btext) not in self.reader:
                return _EMPTY_IDS, np.zeros(0)
            ids: list[Any] = []
            weights: list[Any] = []
            for block_ids, block_weights, _ in self._blocks(fieldname, btext, values=False):
                ids.append(np.asarray(block_ids, dtype=np.int64))
                weights.append(np.asarray(block_weights, dtype=np.float32))
            found = (
                np.concatenate(ids) if ids else _EMPTY_IDS,
                np.concatenate(weights).astype(np.float64) if weights else np.zeros(0),
            )
            _check_postings(found[0], found[1], self.size)
            found = self.cache.put(key, found)
        return found[0], found[1]

    def positions(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(flat positions, index pointer per posting) of a term in this segment."""
        key = ("p", self.key, fieldname, btext)
        found = self.cache.get(key)
        if found is None:
            decode = self.schema[fieldname].format.decode_positions
            counts: list[int] = []
            flat: list[int] = []
            for _, _, block_values in self._blocks(fieldname, btext, values=True):
                for value in block_values:
                    pos = decode(value)
                    counts.append(len(pos))
                    flat.extend(pos)
            indptr = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=indptr[1:])
            found = (np.asarray(flat, dtype=np.int64), indptr)
            found = self.cache.put(key, found)
        ids = self.postings(fieldname, btext)[0]
        if len(found[1]) != len(ids) + 1:
            raise CacheInconsistent(
                f"{len(found[1]) - 1} position lists for {len(ids)} postings of {fieldname}:{btext!r}"
            )
        return found[0], found[1]

    def term_scores(self, fieldname: str, btext: bytes, at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, Whoosh's score of each posting) for one term, unboosted; ``at`` (sorted ids the
        term's postings hold): the scores of those postings only."""
        ids, weights = self.postings(fieldname, btext)
        if at is not None:
            ids, weights = at, weights[np.searchsorted(ids, at)]
        if not len(ids):
            return ids, weights
        field = self.schema[fieldname]
        if not field.scorable:
            return ids, weights  # WeightScorer: the weight is the score
        B, K1 = whoosh_internals.bm25f_parameters(self.searcher, self.weighting, fieldname, btext)
        idf = self.parent.idf(fieldname, btext)
        avgfl = self.parent.avg_field_length(fieldname) or 1
        fl = self.lengths(fieldname)[ids]
        # the expression of whoosh.scoring.bm25, in its order of operations
        return ids, idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))


def _check_postings(ids: np.ndarray, weights: np.ndarray, size: int) -> None:
    """Decoded postings must be ascending document numbers inside the segment, one weight each."""
    if len(ids) != len(weights):
        raise CacheInconsistent(f"{len(ids)} postings with {len(weights)} weights")
    if len(ids) and (ids[0] < 0 or ids[-1] >= size or (len(ids) > 1 and not np.all(ids[1:] > ids[:-1]))):
        raise CacheInconsistent("postings out of order or outside the segment")


class _Result:
    """Matches of a sub-query in one segment: a mask and scores (0 where not matching)."""

    __slots__ = ("mask", "scores")

    def __init__(self, mask: np.ndarray, scores: np.ndarray) -> None:
        self.mask = mask
        self.scores = scores


def _to_bytes(schema: Any, fieldname: str, text: Any) -> bytes | None:
    try:
        return schema[fieldname].to_bytes(text)
    except ValueError:
        return None


def _empty(seg: _Segment) -> _Result:
    return _Result(np.zeros(seg.size, dtype=bool), np.zeros(seg.size))


def _boosted(result: _Result, boost: float) -> _Result:
    if boost != 1.0:
        result.scores = result.scores * boost
    return result


def _term(seg: _Segment, fieldname: str, text: Any, boost: float) -> _Result:
    if fieldname not in seg.schema:
        return _empty(seg)
    btext = _to_bytes(seg.schema, fieldname, text)
    if btext is None:
        return _empty(seg)
    ids, scores = seg.term_scores(fieldname, btext)
    out = _empty(seg)
    out.mask[ids] = True
    out.scores[ids] = scores
    return _boosted(out, boost)


def _sum(results: list[_Result], both: bool) -> _Result:
    """Union (``both`` False) or intersection of results, scores added."""
    mask = results[0].mask.copy()
    scores = results[0].scores.copy()
    for r in results[1:]:
        if both:
            mask &= r.mask
        else:
            mask |= r.mask
        scores += r.scores
    if both:
        scores[~mask] = 0.0
    return _Result(mask, scores)


def _phrase(seg: _Segment, q: wq.Phrase, only: np.ndarray | None = None) -> _Result:
    """Passages holding the words at consecutive positions; scored as the words' And.

    ``only`` (sorted local document numbers) limits the position checks to those passages.
    """
    if q.slop != 1:
        raise Unsupported("phrase with slop")
    fieldname = q.fieldname
    if fieldname not in seg.schema:
        return _empty(seg)
    field = seg.schema[fieldname]
    if not field.format or not field.format.supports("positions"):
        raise Unsupported("phrase on a field without positions")
    words = []
    for word in q.words:
        btext = _to_bytes(seg.schema, fieldname, word)
        if btext is None or (fieldname, btext) not in seg.reader:
            return _empty(seg)
        words.append(btext)
    if not words:
        raise Unsupported("phrase without words")
    postings = [seg.postings(fieldname, w) for w in words]  # scored below, for the matches only
    # passages holding every word: from the rarest word's, each other word's looked up by binary
    # search, so the cost follows the rarest word rather than the commonest ("and", "the")
    rarest = min(range(len(postings)), key=lambda i: len(postings[i][0]))
    candidates = postings[rarest][0] if only is None else _within(postings[rarest][0], only)
    for i, (ids, _) in enumerate(postings):
        if i != rarest and len(candidates):
            candidates = _within(candidates, ids)
    out = _empty(seg)
    if not len(candidates):
        return out
    # (candidate slot, position - word index) pairs that every word holds = phrase starts
    common: np.ndarray | None = None
    for index, (word, (ids, _)) in enumerate(zip(words, postings, strict=False)):
        flat, indptr = seg.positions(fieldname, word)
        rows = np.searchsorted(ids, candidates)
        starts, ends = indptr[rows], indptr[rows + 1]
        lens = ends - starts
        total = int(lens.sum())
        slots = np.repeat(np.arange(len(candidates), dtype=np.int64), lens)
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        keys = (slots << 32) | (flat[offsets] - index + 64)  # sorted: slots, then positions
        if common is None:
            common = keys
        else:
            at = np.minimum(np.searchsorted(keys, common), len(keys) - 1)
            common = common[keys[at] == common] if len(keys) else keys
        if not len(common):
            return out
    assert common is not None  # a phrase has words
    matched = candidates[np.unique(common >> 32)]
    out.mask[matched] = True
    # the words' intersection, as Whoosh's binary tree adds it: w0 + (w1 + w2) ...
    parts = [seg.term_scores(fieldname, word, at=matched)[1] for word in words]
    out.scores[matched] = _tree_sum(parts)
    return _boosted(out, q.boost)


def _within(few: np.ndarray, many: np.ndarray) -> np.ndarray:
    """The entries of sorted ``few`` that sorted ``many`` holds (a binary search each)."""
    if not len(few) or not len(many):
        return few[:0]
    at = np.minimum(np.searchsorted(many, few), len(many) - 1)
    return few[many[at] == few]


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _evaluate(q: wq.Query, seg: _Segment) -> _Result:
    kind = type(q)
    own = getattr(q, "segment_matches", None)
    if own is not None:  # a query that knows its passages (indexer.tagfilter.PassageSet), scored by its boost
        out = _empty(seg)
        ids = own(seg.offset, seg.size)
        out.mask[ids] = True
        out.scores[ids] = float(q.boost)
        return out
    if kind is wq.Term:
        return _term(seg, q.fieldname, q.text, q.boost)
    if isinstance(q, wq.Phrase):
        return _phrase(seg, q)
    if kind in (wq.And, wq.Or):
        if kind is wq.Or and (q.minmatch or q.scale):
            raise Unsupported("Or with minmatch or scale")
        subs = list(q.subqueries)
        if not subs:
            return _empty(seg)
        if len(subs) == 1:
            return _evaluate(subs[0], seg)  # Whoosh drops the compound's boost here
        return _boosted(_sum([_evaluate(s, seg) for s in subs], both=kind is wq.And), q.boost)
    if isinstance(q, wq.DisjunctionMax):
        subs = list(q.subqueries)
        if not subs:
            return _empty(seg)
        if len(subs) == 1:
            return _evaluate(subs[0], seg)
        results = [_evaluate(s, seg) for s in subs]
        mask = np.logical_or.reduce([r.mask for r in results])
        stacked = np.vstack([r.scores for r in results])
        best = stacked.max(axis=0)
        # the best alternative, plus the tie share of the others (Lucene's DisjunctionMaxQuery)
        return _boosted(_Result(mask, best + q.tiebreak * (stacked.sum(axis=0) - best)), q.boost)
    if kind is wq.Every and q.fieldname in (None, "", "*"):
        return _Result(np.ones(seg.size, dtype=bool), np.full(seg.size, float(q.boost)))
    if kind is wq.Not:
        # Whoosh's InverseMatcher: every other passage, each with a weight of 1.0
        keep = ~_evaluate(q.query, seg).mask
        return _Result(keep, keep.astype(np.float64))
    if kind is wq.AndNot:
        a, b = _evaluate(q.a, seg), _evaluate(q.b, seg)
        keep = ~b.mask
        return _Result(a.mask & keep, np.where(keep, a.scores, 0.0))
    if kind is wq.Require:
        a, b = _evaluate(q.a, seg), _evaluate(q.b, seg)
        return _Result(a.mask & b.mask, np.where(b.mask, a.scores, 0.0))
    if kind is wq.AndMaybe:
        a, b = _evaluate(q.a, seg), _evaluate(q.b, seg)
        return _Result(a.mask, np.where(a.mask, a.scores + b.scores, 0.0))
    if isinstance(q, MultiTerm) and q.field() in seg.schema:
        words = whoosh_internals.multiterm_words(q, seg.reader)
        if not words:
            return _empty(seg)
        if len(words) == 1:
            return _term(seg, q.field(), words[0], 1.0)  # a lone word keeps no boost
        return _boosted(_sum([_term(seg, q.field(), w, 1.0) for w in words], both=False), q.boost)
    raise Unsupported(type(q).__name__)


def rank(
    searcher: Any,
    q: wq.Query,
    limit: int,
    allow: wq.Query | None = None,
    cache: RankingCache | None = None,
    unfiltered: bool = False,
) -> Ranked:
    """Every passage matching ``q`` (and ``allow``), scored, with the top ``limit`` ranked;
    ``unfiltered``: also the matches without ``allow`` (``Ranked.unfiltered``), from the same pass.

    Raises :class:`Unsupported` when ``q`` or ``allow`` holds a query type not handled here.
    """
    weighting = searcher.weighting
    if type(weighting) is not BM25F:
        raise Unsupported("a weighting other than BM25F")
    cache = cache if cache is not None else RankingCache()
    all_docs: list[np.ndarray] = []
    all_scores: list[np.ndarray] = []
    wide: list[np.ndarray] | None = [] if unfiltered and allow is not None else None
    for sub, offset in searcher.subsearchers or [(searcher, 0)]:
        seg = _Segment(sub, offset, searcher, cache, weighting)
        if not seg.size:
            continue
        try:
            result = _evaluate(q, seg)
            mask = result.mask & seg.live
            if wide is not None:
                wide.append(np.flatnonzero(mask) + offset)
            if allow is not None:
                mask &= _evaluate(allow, seg).mask
        except Unsupported as exc:
            if isinstance(exc, CacheInconsistent):
                _distrust(cache, seg, exc)
            raise
        except Exception as exc:  # arrays that do not fit (an IndexError...): never a failed search
            _distrust(cache, seg, exc)
            raise CacheInconsistent(f"{type(exc).__name__}: {exc}") from exc
        local = np.flatnonzero(mask)
        all_docs.append(local + offset)
        all_scores.append(result.scores[local])
    docnums = np.concatenate(all_docs) if all_docs else _EMPTY_IDS
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
    top = _top(docnums, scores, limit)
    wider = None if wide is None else (np.concatenate(wide) if wide else _EMPTY_IDS)
    return Ranked(docnums, scores, docnums[top], scores[top], wider)


def _distrust(cache: RankingCache, seg: _Segment, exc: BaseException) -> None:
    """Forget a segment's arrays after they proved inconsistent; say so in the log."""
    dropped = cache.forget(seg.key)
    log.warning(
        "ranking: cached postings of segment %s were inconsistent (%s: %s); dropped %d entries, "
        "this query runs on Whoosh's matcher",
        seg.key,
        type(exc).__name__,
        exc,
        dropped,
    )


def _top(docnums: np.ndarray, scores: np.ndarray, limit: int, primary: np.ndarray | None = None) -> np.ndarray:
    """Indexes of the best ``limit`` by score (rounded), then lower docnum first
    (by ``primary`` first, descending, when given)."""
    if not len(docnums) or limit <= 0:
        return _EMPTY_IDS
    if primary is not None:
        return _top_primary(docnums, scores, limit, primary)
    rounded = np.round(scores, _TIE_DECIMALS)
    if len(rounded) > limit:
        cut = np.partition(rounded, len(rounded) - limit)[len(rounded) - limit]
        keep = np.flatnonzero(rounded >= cut)  # every tie at the cut, sorted out below
    else:
        keep = np.arange(len(rounded))
    order = np.lexsort((docnums[keep], -rounded[keep]))
    return keep[order[:limit]]


@dataclass
class Coordinated:
    """Matches of a natural query: passages with all its clauses, else with most of them."""

    ranked: Ranked
    of: int  # clauses in the query
    best: int  # most clauses any passage holds
    least: int  # fewest clauses a listed passage holds (== of when every clause is required)
    matched: np.ndarray  # clauses held, per entry of ranked.top
    #: with ``unfiltered=True`` and a filter: the matches the query lists without the filter
    #: (sorted), and the most clauses one of them holds
    unfiltered: np.ndarray | None = None
    best_unfiltered: int | None = None
    #: clauses held, per entry of ranked.docnums, when they order the ranking first (passages
    #: with fewer clauses than the best listed: relaxed tiers), else None
    tiers: np.ndarray | None = None


def min_should_match(of: int, best: int) -> int:
    """Fewest clauses a listed passage holds (Lucene's minimum_should_match, in tiers).

    When some passage holds all ``of`` clauses, those missing one follow them (for three
    clauses or more: "most of them"); when none does, passages with at least half of the
    clauses (rounded up) follow those with the most, or only the latter when they hold fewer.
    """
    if best >= of:
        return of if of <= 2 else of - 1
    return min(best, max(1, of - of // 2))


def rank_coordinated(
    searcher: Any,
    clauses: list[wq.Query],
    required: wq.Query | None,
    limit: int,
    allow: wq.Query | None = None,
    cache: RankingCache | None = None,
    bonus: list[wq.Query] | None = None,
    unfiltered: bool = False,
) -> Coordinated:
    """Passages holding every clause (and ``required``) first, then those holding most of the
    clauses (see :func:`min_should_match`): more clauses first, then by score. ``unfiltered``:
    also what the query lists without ``allow`` (``Coordinated.unfiltered``), from the same pass.

    Scores are the clauses' summed BM25F scores, as for an And of them, plus, for the best
    passages (:data:`RESCORE_WINDOW`), those of the ``bonus`` queries they match. Raises
    :class:`Unsupported` like :func:`rank`.
    """
    weighting = searcher.weighting
    if type(weighting) is not BM25F:
        raise Unsupported("a weighting other than BM25F")
    cache = cache if cache is not None else RankingCache()
    per_segment: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    segments: list[_Segment] = []
    wide: list[tuple[np.ndarray, np.ndarray]] | None = [] if unfiltered and allow is not None else None
    for sub, offset in searcher.subsearchers or [(searcher, 0)]:
        seg = _Segment(sub, offset, searcher, cache, weighting)
        if not seg.size:
            continue
        segments.append(seg)
        mask = seg.live.copy()
        if required is not None:
            mask &= _evaluate(required, seg).mask
        base = mask.copy() if wide is not None else None
        if allow is not None:
            mask &= _evaluate(allow, seg).mask
        counts = np.zeros(seg.size, dtype=np.int64)
        scores = np.zeros(seg.size)
        for clause in clauses:
            result = _evaluate(clause, seg)
            counts += result.mask
            scores += result.scores
        if not clauses and required is not None:
            scores = _evaluate(required, seg).scores
        local = np.flatnonzero(mask & (counts > 0) if clauses else mask)
        per_segment.append((local + offset, counts[local], scores[local]))
        if wide is not None and base is not None:
            held = np.flatnonzero(base & (counts > 0) if clauses else base)
            wide.append((held + offset, counts[held]))
    docnums = np.concatenate([p[0] for p in per_segment]) if per_segment else _EMPTY_IDS
    counts = np.concatenate([p[1] for p in per_segment]) if per_segment else _EMPTY_IDS
    scores = np.concatenate([p[2] for p in per_segment]) if per_segment else np.zeros(0)
    of = len(clauses)
    best = int(counts.max()) if len(counts) else 0
    least = min_should_match(of, best)
    if of:
        keep = counts >= max(least, 1)
        docnums, counts, scores = docnums[keep], counts[keep], scores[keep]
    primary = counts if least < best else None
    if bonus and len(docnums):
        _rescore(segments, docnums, scores, _top(docnums, scores, max(limit, RESCORE_WINDOW), primary), bonus)
    top = _top(docnums, scores, limit, primary)
    ranked = Ranked(docnums, scores, docnums[top], scores[top])
    coordinated = Coordinated(ranked, of, best, least, counts[top], tiers=primary)
    if wide is not None:
        wide_docs = np.concatenate([w[0] for w in wide]) if wide else _EMPTY_IDS
        wide_counts = np.concatenate([w[1] for w in wide]) if wide else _EMPTY_IDS
        coordinated.best_unfiltered = int(wide_counts.max()) if len(wide_counts) else 0
        if of:  # what the query lists without the filter: its own most clauses held decide
            wide_docs = wide_docs[wide_counts >= max(min_should_match(of, coordinated.best_unfiltered), 1)]
        coordinated.unfiltered = wide_docs
    return coordinated


#: the best passages (at least) whose scores ``bonus`` queries may raise (a rescore window)
RESCORE_WINDOW = 100


def _rescore(
    segments: list[_Segment], docnums: np.ndarray, scores: np.ndarray, window: np.ndarray, bonus: list[wq.Query]
) -> None:
    """Add the scores of the ``bonus`` queries to the passages at ``window`` (in place).

    Only the best passages are checked, as Lucene-family engines rescore a window: a bonus
    only raises scores, so the passages outside the window stay after those in it.
    """
    chosen = np.sort(docnums[window])
    for seg in segments:
        local = chosen[(chosen >= seg.offset) & (chosen < seg.offset + seg.size)] - seg.offset
        if not len(local):
            continue
        at = np.searchsorted(docnums, local + seg.offset)
        for extra in bonus:
            result = _phrase(seg, extra, only=local) if isinstance(extra, wq.Phrase) else _evaluate(extra, seg)
            scores[at] += result.scores[local]


def _top_primary(docnums: np.ndarray, scores: np.ndarray, limit: int, primary: np.ndarray) -> np.ndarray:
    """Indexes of the best ``limit`` by ``primary`` (descending), then score, then docnum."""
    rounded = np.round(scores, _TIE_DECIMALS)
    order = np.lexsort((docnums, -rounded, -primary))
    return order[:limit]
