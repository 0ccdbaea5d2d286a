"""The second stage of a natural query's ranking, one formula for every backend.

A natural query (:func:`indexer.query.natural_query`) is ranked in two stages, as
Lucene-family engines rescore a window: the backend finds every matching passage, counts the
clauses each holds and ranks them by its own BM25 (more clauses first); then the best
:data:`WINDOW` of them are scored again here, from their stored text, with one formula that
does not depend on the backend, and reordered inside their tier (a passage never moves above
one that holds more clauses); those after the window keep the first stage's order, so every
page of a query comes from one order. Totals, facets and the clause tiers are the first
stage's: only the order changes.

The formula is BM25 (k1 = 1.2, b = 0.75; idf = ln(1 + (N - df + 0.5) / (df + 0.5)) from the
index's document frequencies) over the query tree of each clause (a word's best form counts,
:class:`indexer.query.BestOf`; a name's phrase is its words' mean; prefixes and fuzzy words sum
the words they reach), plus a term-proximity part (:meth:`_Scorer.proximity`, a
sequential-dependence feature): each two neighbouring clauses of the query found side by side
in the query's order, or within :data:`PAIR_WINDOW` tokens in either order, on the analysed
tokens of the text (stop words not counted), whichever form of each clause stands there (the
word, another form of it, an alias, a name's phrase, a word a prefix or fuzzy word reaches).
The first stage's own proximity phrases (:attr:`indexer.query.NaturalQuery.proximity`, plain
words side by side) only choose its window. Three things differ from the first stage:

* **length normalisation per kind of passage** (BM25F's per-field averages, Robertson,
  Zaragoza and Taylor 2004): a passage's length (characters of its text) is compared with
  the average length of passages of its kind (heading, list item, paragraph, caption), not
  with the average over all passages. A list item or a heading is short by its nature; set
  against the average paragraph, each of its words counted about twice a paragraph's, so
  short items outranked the paragraph that was asked for. The averages are taken over the
  first :data:`SAMPLE` passages of each kind in passage-number order (read once per index
  generation), the same passages on both backends.
* the footnote text a passage cites is scored without length normalisation (b = 0), at the
  clause's notes weight.
* pairs of clauses in the text, as above, also when a clause is a name or another form of a word.

Both backends hand the same stored fields to :func:`rescore`, so the second stage orders the
window identically on both; ties go to the document id and then the passage's position.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.query.terms import MultiTerm

#: the best passages of a natural query's first stage that the second stage scores again
WINDOW = 50
#: passages of each kind whose lengths make the kind's average
SAMPLE = 2000
K1 = 1.2
B = 0.75
#: the length normalisation of footnote text (none)
NOTES_B = 0.0

#: two clauses' forms at most this many tokens apart (stop words not counted) make an unordered pair
PAIR_WINDOW = 6
#: weights of an ordered pair (side by side, in the query's order) and of an unordered pair,
#: relative to the two words' own scores
ORDERED_WEIGHT = 0.5
NEAR_WEIGHT = 0.25

_WORDS = re.compile(r"[\w*]+(?:\.[\w*]+)*")


class Unscorable(Exception):
    """A query part this module does not score: the first stage's order is kept."""


class _Analysis:
    """The index's text analyzer (words lowercased, accents folded, stop words dropped,
    stems) applied once per distinct word: a text is its words looked up. The analyzer's
    filters act on each word alone, so the tokens and their positions are the index's."""

    MAX_WORDS = 200_000

    def __init__(self, analyzer: Any) -> None:
        self._analyzer = analyzer
        self._stems: dict[str, str] = {}  # "" for a word that makes no token (a stop word)
        self.several = False

    def _learn(self, words: list[str]) -> None:
        stems = self._stems
        new = set(words).difference(stems)
        if len(stems) + len(new) > self.MAX_WORDS:
            stems.clear()
            new = set(words)
        for word in new:
            stems[word] = found = self._word(word)
            self.several = self.several or " " in found

    def _word(self, word: str) -> str:
        return " ".join(t.text for t in self._analyzer(word, mode="index"))

    def tokens(self, text: str) -> list[str]:
        words = _WORDS.findall(text or "")
        try:  # most texts hold only words seen before
            found = list(map(self._stems.__getitem__, words))
        except KeyError:
            self._learn(words)
            stems = self._stems  # another thread may have cleared it since: analyse what is missing
            found = [stems[w] if w in stems else self._word(w) for w in words]
        if self.several:  # some word made several tokens (never with the index's analyzer)
            return " ".join(found).split()
        return list(filter(None, found))


@dataclass
class Stats:
    """What the formula needs of an index generation: its passage count, document
    frequencies (``df(field, term)``) and the average length of each kind of passage."""

    passages: int
    df: Callable[[str, str], int]
    kind_lengths: Mapping[str, float]
    overall_length: float
    _idf: dict[tuple[str, str], float] = field(default_factory=dict)

    def idf(self, fieldname: str, term: str) -> float:
        key = (fieldname, term)
        found = self._idf.get(key)
        if found is None:
            n = max(1, self.passages)
            df = min(max(0, int(self.df(fieldname, term))), n)
            found = self._idf[key] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return found

    def average(self, kind: str) -> float:
        return self.kind_lengths.get(kind) or self.overall_length or 1.0


def kind_averages(samples: Mapping[str, Iterable[int]]) -> tuple[dict[str, float], float]:
    """(average length per kind, overall average) from sampled passage lengths per kind."""
    out: dict[str, float] = {}
    total = count = 0
    for kind, lengths in samples.items():
        values = [max(1, int(v)) for v in lengths]
        if values:
            out[kind] = sum(values) / len(values)
            total += sum(values)
            count += len(values)
    return out, (total / count if count else 1.0)


class _Passage:
    """A candidate's tokens per field (counts, and positions when a phrase asks), its length,
    kind and entity names."""

    __slots__ = ("tokens", "counts", "length", "kind", "_entities", "_stored", "_positions")

    def __init__(self, stored: Mapping[str, Any], analysis: _Analysis) -> None:
        text = str(stored.get("text") or "")
        notes_raw = stored.get("notes") or "[]"
        notes_text = ""
        if notes_raw != "[]":
            try:
                notes = json.loads(notes_raw)
            except (TypeError, ValueError):
                notes = []
            notes_text = "\n".join(str(n.get("text", "")) for n in notes if isinstance(n, Mapping))
        self.tokens = {"text": analysis.tokens(text), "notes_text": analysis.tokens(notes_text) if notes_text else []}
        self.counts = {name: Counter(toks) for name, toks in self.tokens.items()}
        self.length = max(1, len(text))
        self.kind = str(stored.get("kind") or "paragraph")
        self._stored = stored
        self._entities: set[str] | None = None
        self._positions: dict[str, dict[str, list[int]]] = {}

    def positions(self, fieldname: str, term: str) -> list[int]:
        """Where ``term`` stands among the field's tokens (every term's positions found in one
        pass over the tokens, the first time one is asked for)."""
        found = self._positions.get(fieldname)
        if found is None:  # built whole before it is shared (passages are shared by threads)
            found = {}
            for i, token in enumerate(self.tokens[fieldname]):
                found.setdefault(token, []).append(i)
            self._positions[fieldname] = found
        return found.get(term, [])

    def entities(self, fold_name: Callable[[str], str]) -> set[str]:
        """The folded canonical names of the passage's entities (read once)."""
        if self._entities is None:
            try:
                ents = json.loads(self._stored.get("entities") or "[]")
            except (TypeError, ValueError):
                ents = []
            self._entities = {fold_name(str(e[3])) for e in ents if isinstance(e, (list, tuple)) and len(e) > 3}
        return self._entities


class _Scorer:
    """Scores one query tree on a passage (see the module doc)."""

    def __init__(self, stats: Stats, reader: Any, fold_name: Callable[[str], str]) -> None:
        self.stats = stats
        self.reader = reader
        self.fold_name = fold_name
        self._expanded: dict[int, list[str]] = {}

    def _tf_part(self, tf: float, passage: _Passage, fieldname: str) -> float:
        if tf <= 0:
            return 0.0
        if fieldname == "text":
            norm = (1 - B) + B * passage.length / self.stats.average(passage.kind)
        else:  # footnote text: no average of its own is kept, so no length normalisation
            norm = (1 - NOTES_B) + NOTES_B * 1.0
        return tf * (K1 + 1) / (tf + K1 * norm)

    def score(self, q: wq.Query, p: _Passage) -> float:
        boost = float(getattr(q, "boost", 1.0) or 1.0)
        if type(q) is wq.Term:
            return boost * self._term(q.fieldname, _text(q.text), p)
        if isinstance(q, wq.Phrase):
            return boost * self._phrase(q, p)
        if isinstance(q, wq.DisjunctionMax):
            parts = [self.score(s, p) for s in q.subqueries]
            if not parts:
                return 0.0
            best = max(parts)
            return boost * (best + float(q.tiebreak) * (sum(parts) - best))
        if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
            return boost * sum(self.score(s, p) for s in q.subqueries)
        if type(q) is wq.And:
            parts = [self.score(s, p) for s in q.subqueries]
            return boost * sum(parts) if all(parts) else 0.0
        if isinstance(q, MultiTerm):
            words = self._expanded.get(id(q))
            if words is None:
                words = self._expanded[id(q)] = [_text(w) for w in q._btexts(self.reader)]
            fieldname = q.fieldname
            counts: Mapping[str, int] = p.counts.get(fieldname) or {}
            return boost * sum(self._term(fieldname, w, p) for w in words if w in counts)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return 0.0
        raise Unscorable(type(q).__name__)

    def _term(self, fieldname: str, term: str, p: _Passage) -> float:
        counts = p.counts.get(fieldname)
        if counts is not None:
            tf = counts.get(term, 0)
            if not tf:
                return 0.0
            return self.stats.idf(fieldname, term) * self._tf_part(tf, p, fieldname)
        if fieldname == "entity":  # a name: held once, as a word of an average passage
            if term not in p.entities(self.fold_name):
                return 0.0
            return self.stats.idf(fieldname, term) * (K1 + 1) / (1 + K1)
        raise Unscorable(f"a term of the {fieldname} field")

    def _phrase(self, q: wq.Phrase, p: _Passage) -> float:
        words = [_text(w) for w in q.words]
        fieldname = q.fieldname
        counts = p.counts.get(fieldname)
        if counts is None or not words or not all(counts.get(w) for w in words):
            return 0.0
        starts = set(p.positions(fieldname, words[0]))
        for offset, word in enumerate(words[1:], 1):
            starts &= {pos - offset for pos in p.positions(fieldname, word)}
            if not starts:
                return 0.0
        tf_part = self._tf_part(len(starts), p, fieldname)
        return sum(self.stats.idf(fieldname, w) for w in words) * tf_part

    def spans(self, q: wq.Query, p: _Passage, weight: float = 1.0) -> list[tuple[int, int, float]]:
        """Where a clause's forms stand in the passage's text: (first token, last token,
        weight) of each occurrence of a word, a phrase or a word a prefix or fuzzy word
        reaches, whichever form of the clause it is (the word as typed, an alias, another form
        of the word); its weight is the form's idf (a phrase's: its words' mean, through its
        1/n boost) times the boosts on the way to it. Footnote and entity parts stand nowhere
        in the text."""
        weight *= float(getattr(q, "boost", 1.0) or 1.0)
        if getattr(q, "fieldname", "text") != "text":
            return []
        if type(q) is wq.Term:
            term = _text(q.text)
            return [(i, i, weight * self.stats.idf("text", term)) for i in p.positions("text", term)]
        if isinstance(q, wq.Phrase):
            return self._phrase_spans(q, p, weight)
        if isinstance(q, MultiTerm):
            words = self._expanded.get(id(q))
            if words is None:
                words = self._expanded[id(q)] = [_text(w) for w in q._btexts(self.reader)]
            held = p.counts["text"]
            return [
                (i, i, weight * self.stats.idf("text", w)) for w in words if w in held for i in p.positions("text", w)
            ]
        if isinstance(q, wq.compound.CompoundQuery):
            return [span for sub in q.subqueries for span in self.spans(sub, p, weight)]
        return []

    def _phrase_spans(self, q: wq.Phrase, p: _Passage, weight: float) -> list[tuple[int, int, float]]:
        words = [_text(w) for w in q.words]
        counts = p.counts["text"]
        if not words or not all(counts.get(w) for w in words):
            return []
        starts = set(p.positions("text", words[0]))
        for offset, word in enumerate(words[1:], 1):
            starts &= {pos - offset for pos in p.positions("text", word)}
        idf = weight * sum(self.stats.idf("text", w) for w in words)
        return [(s, s + len(words) - 1, idf) for s in sorted(starts)]

    def proximity(self, clauses: Sequence[wq.Query], p: _Passage) -> float:
        """The sequential-dependence part of the score (Metzler and Croft 2005): for each two
        neighbouring clauses of the query, how often the passage holds them side by side in
        the query's order (an ordered pair) and how often within :data:`PAIR_WINDOW` tokens of
        each other in either order (an unordered pair), each count saturated as BM25 counts a
        word and weighted by the two forms' weights."""
        if len(clauses) < 2:
            return 0.0
        found = [_best_spans(self.spans(c, p)) for c in clauses]
        total = 0.0
        for left, right in zip(found, found[1:], strict=False):
            if not (left and right):
                continue
            starts = [span[0] for span in right]  # sorted
            reach = PAIR_WINDOW + _longest(right)
            ordered = near = 0
            best_ordered = best_near = 0.0
            for a_start, a_end, a_weight in left:
                # the right clause's forms that start at most PAIR_WINDOW + its longest form
                # before this one, and at most PAIR_WINDOW tokens after it
                lo = bisect.bisect_left(starts, a_start - reach)
                hi = bisect.bisect_right(starts, a_end + PAIR_WINDOW)
                for b_start, b_end, b_weight in right[lo:hi]:
                    if b_start <= a_end and a_start <= b_end:
                        continue  # overlapping forms (one word read as both clauses)
                    gap = b_start - a_end - 1 if b_start > a_end else a_start - b_end - 1
                    if gap >= PAIR_WINDOW:
                        continue
                    weight = a_weight + b_weight
                    near += 1
                    best_near = max(best_near, weight)
                    if b_start == a_end + 1:
                        ordered += 1
                        best_ordered = max(best_ordered, weight)
            if ordered:
                total += ORDERED_WEIGHT * best_ordered * self._tf_part(ordered, p, "text")
            if near:
                total += NEAR_WEIGHT * best_near * self._tf_part(near, p, "text")
        return total


def _best_spans(spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Each (first, last) token span once, at the best weight a form gives it, in order."""
    best: dict[tuple[int, int], float] = {}
    for start, end, weight in spans:
        if weight > best.get((start, end), -1.0):
            best[(start, end)] = weight
    return [(start, end, weight) for (start, end), weight in sorted(best.items())]


def _longest(spans: list[tuple[int, int, float]]) -> int:
    return max(end - start + 1 for start, end, _weight in spans)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@dataclass
class Candidate:
    """One passage of the window: its key in the backend and its stored fields."""

    key: Any
    stored: Mapping[str, Any]


_ANALYSES: dict[int, tuple[Any, _Analysis]] = {}

#: analysed passages kept (content-addressed: a passage's document, position and text), so a
#: passage in the window of many queries is analysed once; about 6 KB each
MAX_PASSAGES = 4000
_PASSAGES: OrderedDict[tuple[Any, ...], _Passage] = OrderedDict()
_PASSAGES_LOCK = threading.Lock()


def _analysed(stored: Mapping[str, Any], analysis: _Analysis) -> _Passage:
    key = (
        id(analysis),
        stored.get("doc_id"),
        stored.get("ordinal"),
        stored.get("kind"),
        stored.get("text"),
        stored.get("notes"),
        stored.get("entities"),
    )
    with _PASSAGES_LOCK:
        found = _PASSAGES.get(key)
        if found is not None:
            _PASSAGES.move_to_end(key)
            return found
    found = _Passage(stored, analysis)
    with _PASSAGES_LOCK:
        _PASSAGES[key] = found
        while len(_PASSAGES) > MAX_PASSAGES:
            _PASSAGES.popitem(last=False)
    return found


def rescore(
    clauses: Sequence[wq.Query],
    candidates: Sequence[Candidate],
    stats: Stats,
    reader: Any,
    analyzer: Any,
    fold_name: Callable[[str], str],
) -> list[tuple[Any, float]] | None:
    """(key, score) of the candidates in their new order: more clauses held first (counted
    here, from the same stored text on every backend), then the second-stage score, then
    document id and position; None when a clause holds a part this module does not score
    (the caller keeps its order)."""
    known = _ANALYSES.get(id(analyzer))
    if known is None or known[0] is not analyzer:
        known = _ANALYSES[id(analyzer)] = (analyzer, _Analysis(analyzer))
    analysis = known[1]
    scorer = _Scorer(stats, reader, fold_name)
    rows = []
    try:
        for cand in candidates:
            passage = _analysed(cand.stored, analysis)
            parts = [scorer.score(c, passage) for c in clauses]
            score = sum(parts) + scorer.proximity(clauses, passage)
            ordinal = cand.stored.get("ordinal")
            rows.append(
                (
                    -sum(1 for part in parts if part > 0),
                    -round(score, 9),
                    str(cand.stored.get("doc_id", "")),
                    int(ordinal) if isinstance(ordinal, int) else 0,
                    cand.key,
                    score,
                )
            )
    except Unscorable:
        return None
    rows.sort(key=lambda r: r[:4])
    return [(r[4], r[5]) for r in rows]
