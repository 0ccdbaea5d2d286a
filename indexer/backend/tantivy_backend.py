"""The tantivy backend: the same passages, analysis and query language as the Whoosh index, on
tantivy (Rust, through the ``tantivy`` package), for corpora of hundreds of thousands of passages.

Same analysis: the terms put into tantivy are the ones the Whoosh schema's own analyzers make
(:mod:`indexer.schema`: words lowercased, accents folded, stop words dropped, Porter stems;
entity names canonicalised and folded; footnote numbers, work keys, entity labels), computed in
Python once per distinct whitespace-separated chunk of text and handed to tantivy as
whitespace-separated tokens, so the positions are Whoosh's too and every term, phrase, prefix, wildcard or fuzzy term of a parsed
query means the same passages on both backends. The unstemmed words (``spell_text``) are
indexed as well: they are the vocabulary fuzzy terms, natural queries and spelling
suggestions read, through :class:`_Lexicon` (tantivy's term dictionary). So are each
positional field's word pairs (:data:`PAIRS`, from :data:`LAYOUT` 3): a phrase of words side
by side is matched as one pair term, or a phrase of pairs, not by checking the positions of
every passage holding all its words (at 500,000 passages, ``"Western Balkans"``: 22 ms a pass
on positions); a phrase with slop is matched on positions.

Same query language: a query is parsed by :mod:`indexer.query` into its one query tree
(natural queries into their clauses), ``tag:`` clauses are resolved against the reader's
visible tags by :mod:`indexer.tagfilter` (into passage numbers, the ``num`` field here), and
:class:`_Translator` turns the tree into tantivy queries; a node it does not know raises a
QueryError rather than matching something else. Natural queries keep their semantics: the
passages holding every clause first (a conjunction), else one search ranks the passages by the
clauses they hold, then by score (each clause held adds a weight over any score the query can
give, :func:`_tier_weight`), and those with at least :func:`indexer.ranking.min_should_match`
of them are listed; their facets are counted over tantivy's minimum-should-match (on a large
index, while that search runs: :class:`_Ahead`).

The document, entity-type and entity facets are aggregations over the matching passages (every
bucket asked for, so the counts are exact): a histogram of the ``doc_num`` column (a passage's
document's first passage number), a terms aggregation of the ``type_mask`` column (a bit per
entity label), split into labels in Python, and one of the ``ent_facet`` keyword field; the total
is counted by the same aggregation (a value count of ``num``), so the matches are visited once.
On a large index that visit is shared by two threads: each counts one slice of whole segments
(:meth:`_State.slices`, filters on ``num``) and the two results are added up, or, where the
segments allow no even cut, one counts the entity facet and the other the rest (:func:`_aggregate`).
Scores are tantivy's BM25 (with the same field and clause weights), not Whoosh's BM25F.

Same safety: each ingest writes a new generation directory beside the live one, made of hard
links to the live generation's segment files (tantivy never changes a segment file once
written; its small JSON files are copied), so it costs what changes, not the corpus; the
generation is committed, then made live by the atomic ``CURRENT`` rename of
:mod:`indexer.writer`. A killed ingest leaves the live generation as it was, and readers open a
generation only once it is live.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import shutil
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.ma  # noqa: F401  (np.unique imports it on first use: 0.1-0.2 s, at import rather than under the first search)
import tantivy
from whoosh import query as wq
from whoosh.analysis import CompositeAnalyzer, IDTokenizer, LowercaseFilter, RegexTokenizer, StripFilter
from whoosh.codec.base import Automata
from whoosh.query.terms import MultiTerm
from whoosh.reading import IndexReader

from corpus.models import Document

from .. import rescore
from ..facets import FACET_FILTER, GROUP_HITS, keep_chosen, merge_entities, ranked_document_page
from ..gazetteer import fold
from ..ner import Entity
from ..query import _FIELD_VALUE_RE, NaturalQuery, QueryError, filter_query, make_parser
from ..ranking import min_should_match
from ..schema import CanonicalFilter, UpperFilter, make_schema
from ..search import (
    _OPERATORS,
    _SUGGEST_WORD_RE,
    DocGroup,
    Searcher,
    SearchResults,
    _nearest_word,
    _value,
    check_group,
    entity_fold,
    every_word,
    facet_filters,
)
from ..snippets import Highlighter, analyze
from ..tagfilter import NO_TAGS, BoundTags, PassageSet, TagResolver
from ..vocab_store import load_vocabulary, previous_entries, write_for
from ..writer import current_generation, entity_values, passage_parts
from .base import MARKER, BackendMismatch, GenerationWriter, SearchBackend, backend_of, mismatch_message

#: the Whoosh schema: its analyzers make the terms, its parser reads the queries
SCHEMA = make_schema()
#: analysed text fields with positions (phrases), as whitespace-joined tokens
POSITIONAL = ("text", "notes_text", "title")
#: fields whose values are whole terms (the Whoosh field's own analyzer makes them)
KEYWORDS = ("pid", "doc_id", "kind", "fn", "cites", "person", "org", "place", "entity", "entity_types", "ent_facet")
#: keyword fields aggregated for the facets
FACETED = ("doc_id", "entity_types", "ent_facet")
#: stored fields of a passage, as Whoosh stores them (one JSON value per passage)
STORED = (
    "pid",
    "doc_id",
    "title",
    "ordinal",
    "start",
    "end",
    "page",
    "kind",
    "text",
    "entities",
    "fn",
    "notes",
    "cites",
)
#: a terms aggregation returning every bucket (tantivy's bucket limit is 65,000)
ALL_BUCKETS = 65_000
#: more expanded terms than this are matched as one set (constant score) rather than OR-ed
MAX_SCORED_TERMS = 1024
#: fields the term dictionary is read from
FIELDS = frozenset((*POSITIONAL, "spell_text", *KEYWORDS, "page", "num"))
#: version of the layout below, written into each generation's marker (2: ``doc_num`` and
#: ``type_mask``, the single-valued columns the document and entity-type facets count; 3: the
#: word-pair fields of :data:`PAIRS`, which phrases are matched on)
LAYOUT = 3
#: each positional field's word-pair field: a token per two neighbouring tokens (at the first
#: one's position), so a phrase of two words is one term and a longer one a phrase of pairs
#: (side by side, exactly when its words are), read from postings of a few passages each
#: rather than by checking the positions of every passage holding all its words
PAIRS = {name: f"{name}_pairs" for name in POSITIONAL}
#: the character joining a pair's two tokens (tokens are word characters, dots and asterisks)
PAIR_JOIN = "+"
#: the file of a generation holding its documents' ``doc_num`` and id (:meth:`_State.doc_table`)
DOC_TABLE = "GLOSSA_DOCS"
#: entity labels given a bit of a passage's ``type_mask`` (any other label sets :data:`OTHER_TYPE`)
TYPE_BITS = {
    label: 1 << i
    for i, label in enumerate(
        (
            "PERSON",
            "ORG",
            "GPE",
            "LOC",
            "NORP",
            "FAC",
            "EVENT",
            "LAW",
            "PRODUCT",
            "WORK_OF_ART",
            "LANGUAGE",
            "MONEY",
            "DATE",
            "TIME",
            "PERCENT",
            "CARDINAL",
            "ORDINAL",
            "QUANTITY",
        )
    )
}
#: ``type_mask`` buckets asked for (more distinct masks among the matches: labels counted instead)
MASK_BUCKETS = ALL_BUCKETS
#: the bit of a label without one of its own (masks stay below 2**53: exact as floats)
OTHER_TYPE = 1 << 40
_WS = "whitespace"
#: from this many passages on, a search's facet aggregation runs as two concurrent calls (over
#: two slices of the segments, or the entity facet and the rest: :func:`_aggregate`): tantivy
#: releases the GIL while it aggregates, so on two cores the two run at once; below it one
#: call, whose single pass over the matches costs less than a thread hop
SPLIT_FACETS_FROM = 50_000
#: the second thread of :data:`SPLIT_FACETS_FROM` (one per process, shared by its searches)
_AGGREGATOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glossa-facets")
#: the thread a natural query's facets are counted in while its page is ranked (:class:`_Ahead`)
_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glossa-facets-ahead")


def _fresh_executors() -> None:
    """In a forked child: executors of its own (a parent's threads do not cross a fork)."""
    global _AGGREGATOR, _AHEAD
    _AGGREGATOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glossa-facets")
    _AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glossa-facets-ahead")


os.register_at_fork(after_in_child=_fresh_executors)


class _InFlight:
    """Facet aggregations running in this process: one is split over two threads only when it
    is the only one (a core is free then; with others running, every core is already busy, and
    a split would only add a thread hop and queue on :data:`_AGGREGATOR`: measured at 100,000
    passages, 8 clients reached 1.60x the throughput of 1 with every search split)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> int:
        with self._lock:
            self.count += 1
            return self.count

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.count -= 1


_IN_FLIGHT = _InFlight()


#: (matching query, total or None, the page's (score, address) pairs, relaxed) of a natural query
_NaturalPage = tuple[tantivy.Query, int | None, list[tuple[float, Any]], dict[str, int] | None]
#: told a natural query's matching query as soon as it is known (:class:`_Ahead`)
_Start = Callable[[tantivy.Query], None]


class _Ahead:
    """A natural query's facets counted in :data:`_AHEAD`'s thread while this thread searches
    the tiered ranking (then the second stage and the hits): each is a pass over the passages
    holding some of the clauses, and tantivy releases the GIL in both, so the two use both
    cores. The facets are counted in one call (unsplit: this thread's work takes the other
    core). Only for a search alone in its process over :data:`SPLIT_FACETS_FROM` passages or
    more (as the split in :func:`_aggregate`); otherwise :meth:`start` does nothing. Where the
    all-clause tier fills the page, no tiered search is made and the facets are counted after
    it, split (measured at 500,000 passages: counted beside the page's Python work instead, the
    split ones gained nothing and the unsplit ones lost up to 7 ms on queries of common words).

    ``start`` may be told a guess (when no passage holds every clause, the passages holding at
    least half of them: what is listed unless no passage holds that many); :meth:`result` gives
    the facets only for the very query the page then says it lists, else None (counted again)."""

    def __init__(self, count: Callable[[tantivy.Query], Any], passages: int) -> None:
        self.count, self.passages = count, passages
        self.matching: tantivy.Query | None = None
        self.future: Future | None = None

    def start(self, matching: tantivy.Query) -> None:
        if self.future is None and self.passages >= SPLIT_FACETS_FROM and _IN_FLIGHT.count == 0:
            self.matching, self.future = matching, _AHEAD.submit(self.count, matching)

    def result(self, matching: tantivy.Query, total: int | None) -> Any:
        if self.future is None:
            return None
        found = self.future.result()  # (waited for even when not used: its error is raised)
        return found if matching is self.matching and total is None else None


def tantivy_schema(layout: int = LAYOUT) -> tantivy.Schema:
    """The tantivy schema of a passage (see the module doc), as generations of ``layout`` have it."""
    sb = tantivy.SchemaBuilder()
    for name in POSITIONAL:
        sb.add_text_field(name, tokenizer_name=_WS, index_option="position")
        if layout >= 3:
            sb.add_text_field(PAIRS[name], tokenizer_name=_WS, index_option="position")
    sb.add_text_field("spell_text", tokenizer_name=_WS, index_option="basic")
    for name in KEYWORDS:
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=name in FACETED)
    sb.add_integer_field("page", indexed=True, fast=True)
    sb.add_unsigned_field("num", indexed=True, fast=True)
    sb.add_unsigned_field("doc_num", fast=True)
    sb.add_unsigned_field("type_mask", fast=True)
    sb.add_integer_field("start", fast=True)
    sb.add_integer_field("end", fast=True)
    sb.add_bytes_field("stored", stored=True)
    return sb.build()


#: Whoosh's default word pattern (the text analyzer's tokenizer), and the same language
#: written so that a word is a run of word characters followed by dot-joined runs: both match
#: the longest such run at each place (the optional dot of the first can only ever match a dot)
WHOOSH_WORDS = r"[\w\*]+(\.?[\w\*]+)*"
FAST_WORDS = r"[\w*]+(?:\.[\w*]+)*"


class Analysis:
    """Whoosh's text analysis, once per distinct piece of text between whitespace.

    The text analyzer's filters (lowercase, accent folding, stop words, stems) act on each word
    the tokenizer finds alone, so a word's tokens do not depend on its neighbours, and the
    position of a token is its index among the kept ones (the stop filter renumbers), as in
    Whoosh. A word never holds whitespace (it is word characters, dots and asterisks; no
    character ``str.split`` cuts at is one of them), so the words of a text are the words of
    its whitespace-separated chunks in turn: each distinct chunk ("border,", "(Frontex)") is
    analysed once, word by word, and a text is then its chunks looked up. (Tokens never hold
    whitespace either: they are word characters, dots and asterisks, accents folded.)
    """

    #: distinct chunks, words (and keyword values) remembered; a corpus's vocabulary fits
    MAX_WORDS = 1_000_000

    def __init__(self) -> None:
        self._analyzer = SCHEMA["text"].analyzer
        pattern = self._analyzer.items[0].expression.pattern
        if pattern == WHOOSH_WORDS:  # the same words, found without trying an absent dot
            self._findall = re.compile(FAST_WORDS).findall
            self._chunks: Any = str.split  # words hold no whitespace (tests/indexer/test_tantivy_build.py)
        else:  # the tokenizer's expression without capturing groups, so findall gives whole words
            self._findall = re.compile(re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)).findall
            self._chunks = self._findall  # another tokenizer's words may: each word is a chunk
        #: chunk -> its stemmed tokens joined by spaces, and its unstemmed ones
        self._stems: dict[str, str] = {}
        self._plain: dict[str, str] = {}
        #: word -> (stemmed token, unstemmed token), "" for a stop word
        self._words: dict[str, tuple[str, str]] = {}
        self._keywords: dict[tuple[str, str], tuple[str, ...]] = {}
        self._entities: dict[tuple[str, str], dict[tuple[str, str], None]] = {}
        self._splitters = {name: _splitter(SCHEMA[name].analyzer) for name in KEYWORDS}
        self._title: tuple[str, str] = ("", "")

    def _learn_words(self, words: list[str]) -> None:
        """Analyse words not seen before, all in one pass of each analyzer when words cannot
        hold whitespace (joined by spaces they are the tokens the tokenizer finds, in turn;
        each token's first character tells whose it is), else one by one."""
        if self._chunks is not str.split:
            for word in words:
                self._words[word] = (
                    " ".join(t.text for t in self._analyzer(word, mode="index")),
                    " ".join(t.text for t in self._analyzer(word, no_morph=True)),
                )
            return
        owner, at = {}, 0
        for i, word in enumerate(words):
            owner[at] = i
            at += len(word) + 1
        text = " ".join(words)
        stems: list[list[str]] = [[] for _ in words]
        plain: list[list[str]] = [[] for _ in words]
        for token in self._analyzer(text, mode="index", chars=True):
            stems[owner[token.startchar]].append(token.text)
        for token in self._analyzer(text, no_morph=True, chars=True):
            plain[owner[token.startchar]].append(token.text)
        for word, stem, unstemmed in zip(words, stems, plain, strict=True):
            self._words[word] = (" ".join(stem), " ".join(unstemmed))

    def _learn(self, chunks: list[str]) -> None:
        new = set(chunks).difference(self._stems)
        if len(self._stems) + len(new) > self.MAX_WORDS:  # chunks (a word with its punctuation)
            self._stems.clear()
            self._plain.clear()
            new = set(chunks)
        if len(self._words) >= self.MAX_WORDS:  # words, far fewer: kept while chunks come and go
            self._words.clear()
        found = {chunk: self._findall(chunk) for chunk in new}
        words = self._words
        unknown = list(dict.fromkeys(w for ws in found.values() for w in ws if w not in words))
        if unknown:
            self._learn_words(unknown)
        for chunk, ws in found.items():
            analysed = [words[w] for w in ws]
            self._stems[chunk] = " ".join(filter(None, [stem for stem, _ in analysed]))
            self._plain[chunk] = " ".join(filter(None, [plain for _, plain in analysed]))

    def joined(self, text: str, plain: bool = True) -> tuple[str, str]:
        """(stemmed tokens, unstemmed tokens) of a text, each joined by spaces, in order (the
        unstemmed ones "" unless ``plain``)."""
        chunks = self._chunks(text) if text else None
        if not chunks:
            return "", ""
        try:  # most texts hold only chunks seen before
            stems = " ".join(filter(None, map(self._stems.__getitem__, chunks)))
        except KeyError:
            self._learn(chunks)
            stems = " ".join(filter(None, map(self._stems.__getitem__, chunks)))
        if not plain:
            return stems, ""
        return stems, " ".join(filter(None, map(self._plain.__getitem__, chunks)))

    def title(self, text: str) -> str:
        """The stemmed tokens of a title (the passages of a document share theirs: the last one
        is remembered)."""
        if self._title[0] != text:
            self._title = (text, self.joined(text, plain=False)[0])
        return self._title[1]

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """(stemmed tokens, unstemmed tokens) of a text, in order."""
        stems, plain = self.joined(text)
        return stems.split(), plain.split()

    def keywords(self, field: str, value: Any) -> tuple[str, ...]:
        """The terms the Whoosh field ``field`` makes of ``value``. A field whose analyzer is a
        tokenizer alone (an ID) gives the value; one whose tokenizer splits the value into
        pieces the filters treat one by one gives each piece's terms, remembered per piece
        (entity names, labels and work keys repeat; their combinations much less)."""
        if value in (None, ""):
            return ()
        text = str(value)
        split = self._splitters[field]
        if split is _WHOLE:
            return (text,)
        cache = self._keywords
        out = cache.get((field, text))
        if out is not None:
            return out
        pieces = split(text) if split is not None else [text]
        out = ()
        for piece in pieces:
            found = cache.get((field, piece))
            if found is None:
                found = tuple(t for t in SCHEMA[field].process_text(piece, mode="index") if t)
                if len(cache) >= self.MAX_WORDS:
                    cache.clear()
                cache[(field, piece)] = found
            out += found
        if len(pieces) > 1:
            cache[(field, text)] = out
        return out

    def entity_terms(self, rows: Sequence[Sequence[Any]]) -> dict[tuple[str, str], None]:
        """The (field, term) pairs of a passage's entity fields, each once, in the order of its
        entity rows: the terms the Whoosh fields make of the values :func:`entity_values` gives
        the rows (a field's terms are the union of its values' terms, so they are worked out
        once per entity, label and name, kept as a dict, and joined per passage)."""
        cache = self._entities
        out: dict[tuple[str, str], None] = {}
        for row in rows:
            key = (row[2], row[3])
            pairs = cache.get(key)
            if pairs is None:
                pairs = dict.fromkeys(
                    (field, term)
                    for field, values in entity_values([[0, 0, *key]]).items()
                    for value in values
                    for term in self.keywords(field, value)
                )
                if len(cache) >= self.MAX_WORDS:
                    cache.clear()
                cache[key] = pairs
            out.update(pairs)
        return out


#: a keyword field whose one term is the whole value
_WHOLE: Any = object()


def _splitter(analyzer: Any) -> Any:
    """How :meth:`Analysis.keywords` reads a Whoosh keyword field's analyzer: :data:`_WHOLE`
    for a lone ID tokenizer; the tokenizer's ``findall`` when it is a non-gap regex tokenizer
    (with filters or none) whose pieces the filters treat one at a time; None otherwise (the
    whole value analysed at once)."""
    if isinstance(analyzer, IDTokenizer):
        return _WHOLE
    items = list(analyzer.items) if isinstance(analyzer, CompositeAnalyzer) else [analyzer]
    first = items[0]
    per_token = all(isinstance(f, (LowercaseFilter, StripFilter, CanonicalFilter, UpperFilter)) for f in items[1:])
    if isinstance(first, RegexTokenizer) and not first.gaps and first.expression.groups == 0 and per_token:
        return first.expression.findall
    return None


#: how ``json.dumps`` writes a string, with ``ensure_ascii=False`` and with it (the default)
_STR = json.encoder.encode_basestring
_ASCII = json.encoder.encode_basestring_ascii
#: a stored JSON list field holding nothing
_NONE = _STR("[]")


def _rows_json(rows: Sequence[Sequence[Any]]) -> str:
    """``json.dumps(rows)`` of entity rows ``[start, end, label, canonical]``."""
    return (
        "[" + ", ".join([f"[{int(s)}, {int(e)}, {_ASCII(label)}, {_ASCII(name)}]" for s, e, label, name in rows]) + "]"
    )


def _notes_json(notes: Sequence[Mapping[str, str]]) -> str:
    """``json.dumps(notes)`` of a passage's notes ``{"number", "text"}``."""
    return "[" + ", ".join([f'{{"number": {_ASCII(n["number"])}, "text": {_ASCII(n["text"])}}}' for n in notes]) + "]"


def word_pairs(tokens: str) -> str:
    """The tokens of a :data:`PAIRS` field: each two neighbouring tokens of ``tokens`` (joined by
    spaces), joined by :data:`PAIR_JOIN`, in order (so the pair of positions ``i, i + 1`` is at
    position ``i``)."""
    words = tokens.split()
    return " ".join(map(PAIR_JOIN.join, zip(words, words[1:], strict=False)))


def passage_documents(
    document: Document, entities: Sequence[Entity], first: int, analysis: Analysis, pairs: bool = True
) -> Iterator[tantivy.Document]:
    """The tantivy documents of a document's passages, numbered from ``first``.

    They hold what the Whoosh record of each passage (:func:`indexer.writer.passage_records`)
    gives the Whoosh analyzers, made from the same parts (:func:`indexer.writer.passage_parts`)
    without building the record: the text, notes and title as their tokens, each keyword field
    as the terms its Whoosh analyzer makes of the record's value (a multi-valued field's
    values in the record's order), and the stored fields as the JSON object of the record's
    stored fields (:data:`STORED`), written as ``json.dumps(..., ensure_ascii=False)`` writes it,
    and with ``pairs`` (a generation of :data:`LAYOUT` 3 on) each positional field's word pairs.
    What is the same for every passage of a document (its title's tokens, its id's terms, the
    stored title and id) is worked out once.
    """
    doc_id, title = document.doc_id, document.title
    keywords = analysis.keywords
    title_tokens = analysis.title(title) if title else None
    title_pairs = word_pairs(title_tokens) if pairs and title_tokens else ""
    id_terms = keywords("doc_id", doc_id)
    shared = (
        f'"doc_id": {_STR(doc_id)}, "title": {_STR(title)}, ' if title is not None else f'"doc_id": {_STR(doc_id)}, '
    )
    num = first
    for passage, text, rows, notes, cites in passage_parts(document, entities):
        doc = tantivy.Document()
        add = doc.add_text
        stems, plain = analysis.joined(text)
        add("text", stems)
        add("spell_text", plain)
        notes_text = "\n".join([n["text"] for n in notes]) if notes else ""
        notes_tokens = analysis.joined(notes_text, plain=False)[0] if notes_text else ""
        if notes_text:
            add("notes_text", notes_tokens)
        if title_tokens is not None:
            add("title", title_tokens)
        if pairs:
            for name, joined in (("text", word_pairs(stems)), ("notes_text", word_pairs(notes_tokens))):
                if joined:
                    add(PAIRS[name], joined)
            if title_pairs:
                add(PAIRS["title"], title_pairs)
        pid = f"{doc_id}:{passage.ordinal}"
        for term in keywords("pid", pid):
            add("pid", term)
        for term in id_terms:
            add("doc_id", term)
        for term in keywords("kind", passage.kind):
            add("kind", term)
        fn = " ".join(passage.footnotes)
        for term in keywords("fn", fn):
            add("fn", term)
        for term in keywords("cites", cites):
            add("cites", term)
        mask = 0
        if rows:
            for name, term in analysis.entity_terms(rows):
                add(name, term)
                if name == "entity_types":
                    mask |= TYPE_BITS.get(term, OTHER_TYPE)
        doc.add_unsigned("doc_num", first)
        doc.add_unsigned("type_mask", mask)
        page = passage.page
        if page is not None:
            doc.add_integer("page", int(page))
        doc.add_unsigned("num", num)
        num += 1
        start, end = int(passage.start), int(passage.end)
        doc.add_integer("start", start)
        doc.add_integer("end", end)
        stored = (
            f'{{"pid": {_STR(pid)}, {shared}"ordinal": {int(passage.ordinal)}, "start": {start}, "end": {end}, '
            + (f'"page": {int(page)}, ' if page is not None else "")
            + f'"kind": {_STR(passage.kind)}, "text": {_STR(text)}, '
            + f'"entities": {_STR(_rows_json(rows)) if rows else _NONE}, "fn": {_STR(fn)}, '
            + f'"notes": {_STR(_notes_json(notes)) if notes else _NONE}, "cites": {_STR(cites)}}}'
        )
        doc.add_bytes("stored", stored.encode("utf-8"))
        yield doc


def _next_generation(root: Path) -> Path:
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    return root / f"gen-{max(numbers, default=0) + 1:06d}"


def _read_marker(generation: Path) -> dict[str, Any]:
    try:
        lines = (generation / MARKER).read_text(encoding="utf-8").splitlines()
        return json.loads(lines[1]) if len(lines) > 1 else {}
    except (FileNotFoundError, ValueError):
        return {}


def _write_marker(generation: Path, info: Mapping[str, Any]) -> None:
    """Write the marker by a rename (the file may be a hard link shared with the live generation)."""
    tmp = generation / f".{MARKER}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("tantivy\n" + json.dumps(dict(info)) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, generation / MARKER)


def _doc_pairs(searcher: tantivy.Searcher, held: int) -> list[tuple[int, str]]:
    """(doc_num, doc_id) of every document (``held``: terms of ``doc_id``), by one aggregation."""
    size = max(1, min(ALL_BUCKETS, held))
    spec = {
        "d": {
            "terms": {"field": "doc_id", "size": size, "segment_size": size},
            "aggs": {"n": {"min": {"field": "doc_num"}}},
        }
    }
    buckets = searcher.aggregate(tantivy.Query.all_query(), spec).get("d", {}).get("buckets", [])
    return [(int(b["n"]["value"]), str(b["key"])) for b in buckets]


def _write_doc_table(generation: Path, pairs: Sequence[tuple[int, str]]) -> None:
    """Store the document table (by a rename: the file may be a hard link shared with the live one)."""
    tmp = generation / f".{DOC_TABLE}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"doc_num": [n for n, _ in pairs], "doc_id": [d for _, d in pairs]}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, generation / DOC_TABLE)


def _read_doc_table(generation: Path) -> list[tuple[int, str]] | None:
    """The stored document table, or None when the file is missing or unreadable."""
    try:
        data = json.loads((generation / DOC_TABLE).read_text(encoding="utf-8"))
        return [(int(n), str(d)) for n, d in zip(data["doc_num"], data["doc_id"], strict=True)]
    except (OSError, ValueError, KeyError, TypeError):
        return None


class TantivyGenerationWriter(GenerationWriter):
    """A new tantivy generation: hard links to the live one's segments (``copy``), or empty.

    One indexing thread by default: making a passage's document in Python costs more than
    tantivy's indexing of it, so a second thread would not build faster, only cut the corpus
    into more segments, which the commit then merges (more CPU for the build, and more
    segments for every search until then)."""

    name = "tantivy"

    def __init__(
        self, index_dir: str | os.PathLike, copy: bool = True, heap_size: int = 256_000_000, threads: int = 1
    ) -> None:
        root = Path(index_dir)
        root.mkdir(parents=True, exist_ok=True)
        live = current_generation(root)
        self.generation = _next_generation(root)
        self.generation.mkdir()
        self._next = 0
        #: the layout written: this version's, or the live one's when documents are added to it
        self.layout = LAYOUT
        try:
            if copy and live is not None and backend_of(live) == self.name:
                older = int(_read_marker(live).get("layout", 1))
                if older < 2:  # its segments lack columns this version reads
                    raise BackendMismatch(
                        f"The search index was written by an older version of the tantivy backend "
                        f"(layout {older}, now {LAYOUT}): run `glossa reindex --backend tantivy` "
                        "(it rebuilds the index from the stored documents, without tagging them again)"
                    )
                # (a layout 2 generation lacks the word-pair fields: its documents are added
                # without them, it stays layout 2, and phrases are matched on the words there;
                # `glossa reindex` brings the pairs)
                self.layout = min(older, LAYOUT)
                for path in live.iterdir():
                    if not path.is_file() or path.name.endswith(".lock") or path.name.startswith(f".{MARKER}"):
                        continue
                    if path.suffix == ".json" or path.name == MARKER:
                        shutil.copy2(path, self.generation / path.name)  # small; rewritten by tantivy
                    else:
                        os.link(path, self.generation / path.name)  # segment files never change
                self._next = int(_read_marker(live).get("next_num", 0))
                self._index = tantivy.Index.open(str(self.generation))
            else:
                self._index = tantivy.Index(tantivy_schema(self.layout), path=str(self.generation), reuse=False)
            self._writer = self._index.writer(heap_size, threads)
        except BaseException:
            shutil.rmtree(self.generation, ignore_errors=True)
            raise
        self._analysis = Analysis()
        self._lock = threading.Lock()

    def add_document(self, document: Document, entities: Sequence[Entity]) -> int:
        """Add a document's passages (numbered on from the highest number ever given)."""
        count = len(document.passages)
        with self._lock:
            first = self._next
            self._next += count
        add = self._writer.add_document
        for doc in passage_documents(document, entities, first, self._analysis, pairs=self.layout >= 3):
            add(doc)
        return count

    def delete_document(self, doc_id: str) -> None:
        """Delete a document's passages."""
        self._writer.delete_documents_by_term("doc_id", doc_id)

    def commit(self) -> None:
        """Commit, wait for merges, store the natural-query vocabulary (only words new to this
        generation analysed: :mod:`indexer.vocab_store`), and mark the generation as tantivy's."""
        self._writer.commit()
        self._writer.wait_merging_threads()
        self._index.reload()
        known = previous_entries(self.generation, schema=SCHEMA)  # the linked copy of the live one's
        searcher = self._index.searcher()
        lexicon = _Lexicon(searcher, FIELDS)
        # (before the vocabulary, whose stamp of the generation's files then includes it)
        _write_doc_table(self.generation, _doc_pairs(searcher, len(lexicon._sorted("doc_id"))))
        figures = generation_figures(_View(searcher, lexicon, self._index.schema))
        self.vocab_counts = write_for(self.generation, lexicon, SCHEMA, known, count_fields=FACETED, extra=figures)
        _write_marker(self.generation, {"layout": self.layout, "next_num": self._next})

    def cancel(self) -> None:
        """Drop the generation (nothing of it was live)."""
        with contextlib.suppress(ValueError, RuntimeError):  # already consumed
            self._writer.rollback()
        shutil.rmtree(self.generation, ignore_errors=True)


# --- reading ---------------------------------------------------------------------------------


class _Cursor:
    """A cursor over a sorted word list, as Whoosh's automata walk a field's terms."""

    def __init__(self, terms: list[str]) -> None:
        self._terms = terms
        self._at = 0

    def text(self) -> str | None:
        """The current term, or None past the end."""
        return self._terms[self._at] if self._at < len(self._terms) else None

    def find(self, term: str) -> None:
        """Move to the first term at or after ``term``."""
        self._at = bisect_left(self._terms, term, self._at)


class _Lexicon(IndexReader):
    """Whoosh's reader interface over a tantivy searcher's term dictionary.

    What the query layer reads from an index (doc frequencies, a field's terms, prefix
    expansion, terms within an edit distance, terms from a point on) comes from tantivy's own
    terms, so wildcards, fuzzy terms, ranges over words, partial names, natural queries'
    word forms and spelling suggestions are expanded exactly as over the Whoosh index.
    """

    def __init__(self, searcher: tantivy.Searcher, fields: frozenset[str]) -> None:
        self._searcher = searcher
        self._fields = fields
        self.schema = SCHEMA
        self._terms: dict[str, list[str]] = {}
        #: words within an edit distance, remembered (oldest dropped first) for this
        #: generation's terms, which never change
        self._within: dict[tuple[str, str, int, int], tuple[str, ...]] = {}
        #: (field, prefix) -> the field's terms with the prefix, sorted (oldest dropped first)
        self._prefixed: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    #: fuzzy words remembered per generation
    MAX_WITHIN = 1024
    #: prefixes whose terms are remembered per generation
    MAX_PREFIXES = 256

    def _has_terms(self, fieldname: str) -> bool:
        return fieldname in self._fields and fieldname not in ("page", "num", "start", "end", "stored")

    def _sorted(self, fieldname: str) -> list[str]:
        with self._lock:
            found = self._terms.get(fieldname)
            if found is None:
                if self._has_terms(fieldname):
                    found = sorted(t for t, _n in self._searcher.terms_with_prefix(fieldname, ""))
                else:
                    found = []
                self._terms[fieldname] = found
            return found

    def _with_prefix(self, fieldname: str, prefix: str) -> list[str]:
        """The field's terms starting with ``prefix``, sorted: a slice of the whole field's
        terms when they were read, else only these terms read from tantivy's term dictionary
        (a prefix, a wildcard or a fuzzy word with a fixed first letter reads a part of a
        large vocabulary, not all of it; a UTF-8 prefix of a term is its str prefix)."""
        if not prefix:
            return self._sorted(fieldname)
        with self._lock:
            whole = self._terms.get(fieldname)
            found = self._prefixed.get((fieldname, prefix))
        if whole is not None:
            at = bisect_left(whole, prefix)
            end = at
            while end < len(whole) and whole[end].startswith(prefix):
                end += 1
            return whole[at:end]
        if found is None:
            found = (
                sorted(t for t, _n in self._searcher.terms_with_prefix(fieldname, prefix))
                if self._has_terms(fieldname)
                else []
            )
            with self._lock:
                if len(self._prefixed) >= self.MAX_PREFIXES:
                    self._prefixed.pop(next(iter(self._prefixed)))
                self._prefixed[(fieldname, prefix)] = found
        return found

    @staticmethod
    def _str(text: Any) -> str:
        return text.decode("utf-8") if isinstance(text, bytes) else str(text)

    def doc_frequency(self, fieldname: str, text: Any) -> int:
        """Passages holding the term (as tantivy counts them: deleted ones until a merge)."""
        if fieldname not in self._fields:
            return 0
        return int(self._searcher.doc_freq(fieldname, self._str(text)))

    def __contains__(self, term: Any) -> bool:
        fieldname, text = term
        return self.doc_frequency(fieldname, text) > 0

    def term_info(self, fieldname: str, text: Any) -> Any:
        """Not kept: the query layer reads frequencies only."""
        raise NotImplementedError("term statistics are tantivy's")

    def lexicon(self, fieldname: str) -> Iterator[bytes]:
        """The field's terms as bytes, in order."""
        for term in self._sorted(fieldname):
            yield term.encode("utf-8")

    def field_terms(self, fieldname: str) -> Iterator[str]:
        """The field's terms, in order."""
        yield from self._sorted(fieldname)

    def terms_from(self, fieldname: str, prefix: Any) -> Iterator[tuple[str, bytes]]:
        """(field, term) from ``prefix`` on, in order."""
        terms = self._sorted(fieldname)
        for term in terms[bisect_left(terms, self._str(prefix)) :]:
            yield fieldname, term.encode("utf-8")

    def expand_prefix(self, fieldname: str, prefix: Any) -> Iterator[bytes]:
        """The field's terms starting with ``prefix``, in order."""
        for term in self._with_prefix(fieldname, self._str(prefix)):
            yield term.encode("utf-8")

    def terms_within(self, fieldname: str, text: str, maxdist: int, prefix: int = 0) -> Iterator[str]:
        """Words within ``maxdist`` edits sharing the first ``prefix`` letters, found as Whoosh's
        reader finds them (its Levenshtein automaton skipping through the sorted terms, those
        with the fixed prefix only); for a field with a spelling field (``text``), among its
        unstemmed words."""
        spelling = SCHEMA[fieldname].spelling_fieldname(fieldname) if fieldname in SCHEMA else fieldname
        key = (spelling, text, maxdist, prefix)
        with self._lock:
            found = self._within.get(key)
        if found is None:  # one query asks up to three times (expansion, translation, marks)
            dfa = Automata.levenshtein_dfa(text, maxdist, prefix)
            terms = self._with_prefix(spelling, text[:prefix]) if prefix > 0 else self._sorted(spelling)
            found = tuple(Automata.find_matches(dfa, _Cursor(terms)))
            with self._lock:
                if len(self._within) >= self.MAX_WITHIN:
                    self._within.pop(next(iter(self._within)))
                self._within[key] = found
        return iter(found)

    def doc_count(self) -> int:
        """Live passages."""
        return int(self._searcher.num_docs)

    doc_count_all = doc_count


class _View:
    """One opened generation as the query layer and :mod:`indexer.tagfilter` see it."""

    schema = SCHEMA

    def __init__(self, searcher: tantivy.Searcher, lexicon: _Lexicon, tschema: tantivy.Schema) -> None:
        self.searcher = searcher
        self.lexicon = lexicon
        self.tschema = tschema
        self._offsets: dict[int, dict[str, int]] = {}
        self._lock = threading.Lock()

    def reader(self) -> _Lexicon:
        """The term dictionary."""
        return self.lexicon

    def doc_count_all(self) -> int:
        """Live passages."""
        return int(self.searcher.num_docs)

    def document_numbers(self, doc_id: str) -> list[int]:
        """Passage numbers of a document (their offsets kept for :meth:`stored_fields`)."""
        q = tantivy.Query.term_query(self.tschema, "doc_id", doc_id)
        found = self.searcher.search(q, limit=max(1, self.doc_count_all()), count=False).hits
        addrs = [addr for _score, addr in found]
        if not addrs:
            return []
        nums = self.searcher.fast_field_values("num", addrs)
        starts = self.searcher.fast_field_values("start", addrs)
        ends = self.searcher.fast_field_values("end", addrs)
        with self._lock:
            for num, start, end in zip(nums, starts, ends, strict=True):
                self._offsets[int(num)] = {"start": int(start), "end": int(end)}
        return [int(n) for n in nums]

    def stored_fields(self, num: int) -> dict[str, int]:
        """The offsets of a passage listed by :meth:`document_numbers`."""
        return self._offsets[int(num)]


class _Translator:
    """The parsed query tree (Whoosh query objects) as a tantivy query."""

    def __init__(self, view: _View, pairs: bool = False) -> None:
        self.view = view
        self.schema = view.tschema
        self.fields = view.lexicon._fields
        #: whether side-by-side phrases are matched on the :data:`PAIRS` fields
        self.pairs = pairs

    def __call__(self, q: wq.Query) -> tantivy.Query:
        out = self._node(q)
        boost = float(getattr(q, "boost", 1.0) or 1.0)
        if boost != 1.0 and not isinstance(q, PassageSet):
            out = tantivy.Query.boost_query(out, boost)
        return out

    def _bool(self, parts: list[tuple[Any, tantivy.Query]], msm: int | None = None) -> tantivy.Query:
        return tantivy.Query.boolean_query(parts, msm) if msm else tantivy.Query.boolean_query(parts)

    def _terms(self, field: str, terms: list[str]) -> tantivy.Query:
        if not terms or field not in self.fields:
            return tantivy.Query.empty_query()
        if len(terms) == 1:
            return tantivy.Query.term_query(self.schema, field, terms[0])
        if len(terms) > MAX_SCORED_TERMS:
            return tantivy.Query.term_set_query(self.schema, field, terms)
        return self._bool([(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, t)) for t in terms])

    def _node(self, q: wq.Query) -> tantivy.Query:
        occur = tantivy.Occur
        if isinstance(q, PassageSet):
            if not len(q.docnums):
                return tantivy.Query.empty_query()
            nums = [int(n) for n in q.docnums.tolist()]
            return tantivy.Query.const_score_query(tantivy.Query.term_set_query(self.schema, "num", nums), q.boost)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return tantivy.Query.empty_query()
        if isinstance(q, wq.Every):
            if q.fieldname in (None, "", "*"):
                return tantivy.Query.all_query()
            return self._terms(q.fieldname, list(self.view.lexicon.field_terms(q.fieldname)))
        if isinstance(q, wq.AndNot):
            return self._bool([(occur.Must, self(q.a)), (occur.MustNot, self(q.b))])
        if isinstance(q, wq.AndMaybe):
            return self._bool([(occur.Must, self(q.a)), (occur.Should, self(q.b))])
        if isinstance(q, wq.Require):
            return self._bool([(occur.Must, self(q.a)), (occur.Must, tantivy.Query.const_score_query(self(q.b), 0.0))])
        if isinstance(q, wq.Not):
            return self._bool([(occur.Must, tantivy.Query.all_query()), (occur.MustNot, self(q.query))])
        if isinstance(q, wq.And):
            return self._bool([(occur.Must, self(sub)) for sub in q.subqueries])
        if isinstance(q, wq.DisjunctionMax):  # a natural query's clause: its best form, plus the tie share
            return tantivy.Query.disjunction_max_query([self(sub) for sub in q.subqueries], float(q.tiebreak))
        if isinstance(q, wq.Or):
            msm = int(getattr(q, "minmatch", 0) or 0)
            return self._bool([(occur.Should, self(sub)) for sub in q.subqueries], msm or None)
        if isinstance(q, wq.ConstantScoreQuery):
            return tantivy.Query.const_score_query(self(q.child), float(q.score))
        if isinstance(q, wq.Phrase):
            return self._phrase(q)
        if isinstance(q, wq.NumericRange):
            return self._range(q)
        if isinstance(q, MultiTerm):
            words = [w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in q._btexts(self.view.lexicon)]
            return self._terms(q.fieldname, sorted(set(words)))
        if type(q) is wq.Term:
            return self._term(q)
        raise QueryError(f"The tantivy search backend cannot run this kind of query part yet: {q}")

    def _term(self, q: wq.Term) -> tantivy.Query:
        field = q.fieldname
        if field not in self.fields:
            return tantivy.Query.empty_query()
        if field == "page":
            try:
                value = SCHEMA["page"].from_bytes(q.text) if isinstance(q.text, bytes) else int(q.text)
            except (TypeError, ValueError):
                return tantivy.Query.empty_query()
            return tantivy.Query.term_query(self.schema, "page", int(value))
        text = q.text.decode("utf-8") if isinstance(q.text, bytes) else str(q.text)
        return tantivy.Query.term_query(self.schema, field, text)

    def _phrase(self, q: wq.Phrase) -> tantivy.Query:
        words = [str(w) for w in q.words]
        if q.fieldname not in POSITIONAL:
            if q.fieldname not in self.fields:
                return tantivy.Query.empty_query()
            raise QueryError(f'Phrase search: the "{q.fieldname}" field has no word positions')
        if not words:
            return tantivy.Query.empty_query()
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, q.fieldname, words[0])
        if self.pairs and int(q.slop) <= 1:  # side by side: the pairs, themselves side by side
            pairs = word_pairs(" ".join(words)).split()  # (a token holds no whitespace)
            if len(pairs) == 1:
                return tantivy.Query.term_query(self.schema, PAIRS[q.fieldname], pairs[0])
            return tantivy.Query.phrase_query(self.schema, PAIRS[q.fieldname], pairs, 0)
        # Whoosh's slop counts positions from one word to the next (1: side by side), tantivy's
        # the words between them
        return tantivy.Query.phrase_query(self.schema, q.fieldname, words, max(0, int(q.slop) - 1))

    def _range(self, q: wq.NumericRange) -> tantivy.Query:
        if q.fieldname != "page":
            return tantivy.Query.empty_query()
        low = None if q.start is None else int(q.start)
        high = None if q.end is None else int(q.end)
        if low is None and high is None:
            return tantivy.Query.exists_query("page")
        return tantivy.Query.range_query(
            self.schema,
            "page",
            tantivy.FieldType.Integer,
            low,
            high,
            include_lower=low is None or not q.startexcl,
            include_upper=high is None or not q.endexcl,
        )


def _filtered(q: tantivy.Query, allow: tantivy.Query | None) -> tantivy.Query:
    """``q`` restricted to ``allow`` (which adds nothing to the scores)."""
    if allow is None:
        return q
    occur = tantivy.Occur
    return tantivy.Query.boolean_query([(occur.Must, q), (occur.Must, tantivy.Query.const_score_query(allow, 0.0))])


#: tantivy's BM25 ``k1``: a term's score is under ``(k1 + 1) * idf * boost``
BM25_K1 = 1.2


def _tier_weight(parts: Sequence[wq.Query], lexicon: _Lexicon, passages: int) -> float:
    """What holding a clause adds to a passage's score in :meth:`TantivyBackend._coordinated`'s
    tiered ranking: a power of two over twice the most that ``parts`` (the clauses and the
    proximity phrases) can score together on one passage, so that one clause more outweighs
    any score (:func:`_score_bound`), and the sums stay exact enough in tantivy's 32-bit scores
    to keep the order within a tier (at a few thousand, steps of 1/2048)."""
    leaf = term_bound(passages)
    bound = sum(_score_bound(q, leaf, lexicon) for q in parts)
    return float(2 ** math.ceil(math.log2(2 * bound + 2)))


def term_bound(passages: int) -> float:
    """Over any score tantivy's BM25 gives one term (boost 1) in an index of ``passages``:
    ``(k1 + 1) * idf``, and idf is under ln(1 + N / 1.5)."""
    return (BM25_K1 + 1) * math.log(1 + 2 * max(passages, 1))


def _score_bound(q: wq.Query, leaf: float, lexicon: _Lexicon) -> float:
    """An upper bound of the score tantivy gives a passage for ``q`` as :class:`_Translator`
    translates it: a term under ``leaf`` (times its boosts), a phrase under the sum of its
    words' (tantivy scores it with their idfs summed), an expanded term the sum over the terms
    it expands to, a constant score its value, and any other node the sum of its parts (a
    disjunction-max scores at most that)."""
    if isinstance(q, PassageSet):
        return abs(float(q.boost))
    boost = abs(float(getattr(q, "boost", 1.0) or 1.0))
    if isinstance(q, wq.ConstantScoreQuery):
        return boost * abs(float(q.score))
    if isinstance(q, wq.Phrase):
        return boost * leaf * max(1, len(q.words))
    if isinstance(q, MultiTerm):
        expanded = sum(1 for _ in itertools.islice(q._btexts(lexicon), MAX_SCORED_TERMS + 1))
        return boost * (leaf * expanded if expanded <= MAX_SCORED_TERMS else 1.0)
    children = list(q.children())
    if not children:  # a term, a range, every passage (tantivy scores the last two 1)
        return boost * leaf
    return boost * sum(_score_bound(sub, leaf, lexicon) for sub in children)


def kind_lengths(searcher: tantivy.Searcher, tschema: tantivy.Schema, lexicon: _Lexicon) -> dict[str, list[int]]:
    """The text lengths of the first :data:`indexer.rescore.SAMPLE` passages of each kind by
    passage number (what the second stage averages). A passage's stored text is its
    document's text between its offsets (:func:`indexer.writer.passage_parts`), so its length
    is ``end - start``, read from the fast fields: no stored passage is read (at 500,000
    passages the few headings of each document put the sample of a rare kind on thousands of
    the stored blocks)."""
    samples: dict[str, list[int]] = {}
    for kind in lexicon.field_terms("kind"):
        q = tantivy.Query.term_query(tschema, "kind", kind)
        hits = searcher.search(q, limit=rescore.SAMPLE, count=False, order_by_field="num", order=tantivy.Order.Asc).hits
        addrs = [addr for _num, addr in hits]
        starts = searcher.fast_field_values("start", addrs)
        ends = searcher.fast_field_values("end", addrs)
        samples[kind] = [int(e) - int(s) for s, e in zip(starts, ends, strict=True)]
    return samples


def _kind_averages(view: _View) -> tuple[dict[str, float], float]:
    return rescore.kind_averages(kind_lengths(view.searcher, view.tschema, view.lexicon))


def generation_figures(view: _View) -> dict[str, Any]:
    """What the build stores of a committed generation in its vocabulary file's header for
    the searchers (:meth:`_State.kind_averages`); the same is worked out when that file is
    built again."""
    return {"kind_averages": list(_kind_averages(view))}


class _State:
    """One opened generation: tantivy's searcher, the view, the parser and the vocabulary."""

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.name = path.name
        self.index = index
        self.searcher = index.searcher()
        self.view = _View(self.searcher, _Lexicon(self.searcher, FIELDS), index.schema)
        self.parser = make_parser(SCHEMA)
        self.vocab = load_vocabulary(
            self.view.lexicon, SCHEMA, path, count_fields=FACETED, extra=lambda: generation_figures(self.view)
        )
        #: terms of the faceted fields, as the build counted them (checked with the file)
        self.facet_terms = dict(self.vocab.store.header.get("terms") or {})
        self.titles: dict[str, str] = {}
        self._lock = threading.Lock()
        self._ranges: tuple[np.ndarray, np.ndarray, list[str]] | None = None
        #: the marker's layout (1: no ``doc_num`` or ``type_mask`` columns: counted the old way)
        self.path = path
        self.layout = int(_read_marker(path).get("layout", 1))
        self.translate = _Translator(self.view, pairs=self.layout >= 3)
        self._doc_table: _DocTable | None = None
        self._slices: tuple[tuple[tantivy.Query, tantivy.Query] | None] | None = None

    def slices(self) -> tuple[tantivy.Query, tantivy.Query] | None:
        """Two filters that cut the generation's passages into two groups of whole segments
        (:func:`_slice_bound`), for an aggregation counted half in each of two threads; None
        when its segments cannot be cut so (one segment, or one holding most passages). Read
        once per generation."""
        with self._lock:
            if self._slices is not None:
                return self._slices[0]
        bound = _slice_bound(_segment_runs(self.path, self.searcher), int(self.searcher.num_docs))
        found = None
        if bound is not None:
            schema, unsigned = self.view.tschema, tantivy.FieldType.Unsigned
            found = (
                tantivy.Query.range_query(schema, "num", unsigned, 0, bound - 1),
                tantivy.Query.range_query(schema, "num", unsigned, bound, 2**63 - 1),
            )
        with self._lock:
            self._slices = (found,)
        return found

    def doc_ranges(self) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
        """(first and last passage number of each document, sorted; their ids), or None when
        some document's numbers are not one run of its own (then a passage's document is read
        from its stored fields). A writer numbers a document's passages consecutively, so each
        live document is one run; found once per generation by one aggregation."""
        with self._lock:
            if self._ranges is not None:
                return self._ranges if len(self._ranges[2]) or not self.searcher.num_docs else None
        held = self.facet_terms.get("doc_id")  # as the build counted them, else read now
        size = max(1, min(ALL_BUCKETS, held if held is not None else len(self.view.lexicon._sorted("doc_id"))))
        spec = {
            "d": {
                "terms": {"field": "doc_id", "size": size, "segment_size": size},
                "aggs": {"lo": {"min": {"field": "num"}}, "hi": {"max": {"field": "num"}}},
            }
        }
        buckets = self.searcher.aggregate(tantivy.Query.all_query(), spec).get("d", {}).get("buckets", [])
        rows = sorted(
            (int(b["lo"]["value"]), int(b["hi"]["value"]), int(b["doc_count"]), str(b["key"])) for b in buckets
        )
        lo = np.asarray([r[0] for r in rows], dtype=np.int64)
        hi = np.asarray([r[1] for r in rows], dtype=np.int64)
        runs = all(r[1] - r[0] + 1 == r[2] for r in rows) and bool(np.all(lo[1:] > hi[:-1]))
        found = (lo, hi, [r[3] for r in rows]) if runs and sum(r[2] for r in rows) == self.searcher.num_docs else None
        with self._lock:
            self._ranges = found if found is not None else (lo[:0], hi[:0], [])
        return found

    def doc_table(self, missing: Sequence[int] = ()) -> _DocTable:
        """Every document's ``doc_num`` and id: the table the writer stored in the generation
        (:data:`DOC_TABLE`), else found by one aggregation, once per generation; with
        ``missing``, doc_nums it lacks (a document id written twice, as two documents), each
        looked up by the passage it numbers, added."""
        with self._lock:
            table = self._doc_table
        if table is None:
            pairs = _read_doc_table(self.path)
            if pairs is None:
                pairs = _doc_pairs(self.searcher, len(self.view.lexicon._sorted("doc_id")))
            table = _DocTable(pairs)
        if len(missing):
            found = []
            for n in missing:
                hits = self.searcher.search(tantivy.Query.term_query(self.view.tschema, "num", int(n)), limit=1).hits
                found.append((int(n), str(self.stored(hits[0][1]).get("doc_id", "")) if hits else ""))
            table = _DocTable(table.pairs + found)
        with self._lock:
            self._doc_table = table
        return table

    def docs_of(self, addrs: list[Any]) -> list[str]:
        """The document id of each passage address (a fast field and :meth:`doc_ranges`)."""
        if not addrs:
            return []
        ranges = self.doc_ranges()
        if ranges is None:
            return [str(self.stored(a).get("doc_id", "")) for a in addrs]
        lo, _hi, ids = ranges
        nums = np.asarray(self.searcher.fast_field_values("num", addrs), dtype=np.int64)
        return [ids[i] for i in (np.searchsorted(lo, nums, side="right") - 1).tolist()]

    def doc_indexes(self, addrs: list[Any]) -> tuple[np.ndarray, list[str]]:
        """(each passage address's document as an index into the ids, the generation's
        document ids, the same list every call): as :meth:`docs_of`, but as numbers."""
        ranges = self.doc_ranges()
        if ranges is None:  # (from stored fields; the ids as the lexicon sorts them)
            ids = self.view.lexicon._sorted("doc_id")
            where = {doc: i for i, doc in enumerate(ids)}
            return np.asarray([where[doc] for doc in self.docs_of(addrs)], dtype=np.int64), ids
        lo, _hi, ids = ranges
        if not addrs:
            return np.zeros(0, dtype=np.int64), ids
        nums = np.asarray(self.searcher.fast_field_values("num", addrs), dtype=np.int64)
        return np.searchsorted(lo, nums, side="right") - 1, ids

    def kind_averages(self) -> tuple[dict[str, float], float]:
        """The second stage's average passage length per kind and overall
        (:func:`indexer.rescore.kind_averages` of :func:`kind_lengths`): as the build stored
        them in the generation's vocabulary file (whose stamp names these index files), else
        worked out now."""
        stored = self.vocab.store.header.get("extra", {}).get("kind_averages")
        if isinstance(stored, list) and len(stored) == 2 and isinstance(stored[0], dict):
            with contextlib.suppress(TypeError, ValueError):  # (the header is not checksummed)
                return {str(k): float(v) for k, v in stored[0].items()}, float(stored[1])
        return _kind_averages(self.view)

    def title(self, doc_id: str) -> str:
        """A document's title (read once per generation)."""
        with self._lock:
            found = self.titles.get(doc_id)
        if found is None:
            q = tantivy.Query.term_query(self.view.tschema, "doc_id", doc_id)
            hits = self.searcher.search(q, limit=1, count=False).hits
            found = self.stored(hits[0][1]).get("title", doc_id) if hits else doc_id
            with self._lock:
                self.titles[doc_id] = found
        return found

    def stored(self, addr: Any) -> dict[str, Any]:
        """The stored fields of a passage, as Whoosh stores them."""
        return json.loads(bytes(self.searcher.doc(addr).get_first("stored")).decode("utf-8"))


class TantivyBackend(SearchBackend):
    """Searches the live tantivy generation of ``index_dir``; reopens when it changes."""

    name = "tantivy"

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._state: _State | None = None
        #: (generation state, the second stage's statistics of it)
        self._stats: tuple[_State, rescore.Stats] | None = None

    def _current(self) -> _State | None:
        with self._lock:
            gen = current_generation(self.index_dir)
            if gen is None:
                return None
            if self._state is None or self._state.name != gen.name:
                found = backend_of(gen)
                if found != self.name:
                    raise BackendMismatch(mismatch_message(found, self.name))
                try:
                    index = tantivy.Index.open(str(gen))
                except (OSError, ValueError):
                    # swapped and removed between reading CURRENT and opening: read it again
                    gen = current_generation(self.index_dir)
                    if gen is None:
                        return None
                    try:
                        index = tantivy.Index.open(str(gen))
                    except ValueError as exc:  # a broken index, not a query to change (search's ValueError)
                        raise OSError(f"cannot open the tantivy index {gen}: {exc}") from None
                self._state = _State(gen, index)
            return self._state

    def passage_count(self) -> int:
        """Passages in the live generation."""
        state = self._current()
        return 0 if state is None else int(state.searcher.num_docs)

    def close(self) -> None:
        """Forget the opened generation (tantivy releases its files with the objects)."""
        with self._lock:
            self._state = None

    def parse(self, text: str) -> wq.Query:
        """The strict query tree :meth:`search` runs for ``text`` (as :meth:`Searcher.parse`)."""
        state = self._current()
        if state is None:
            raise QueryError("The index is empty: ingest some documents first")
        return Searcher._read(state.view, state.parser, state.vocab, text, True)[0]

    def highlighter(self, query: str) -> Highlighter:
        """What ``query`` marks in a passage's text."""
        state = self._current()
        if state is None:
            return Highlighter()
        q = Searcher._read(state.view, state.parser, state.vocab, query, True)[0]
        return Searcher._highlighter(q, state.view)[0]

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
        """Run a query as :meth:`indexer.search.Searcher.search` does (same arguments, same results
        but the scores); raises QueryError for a query that cannot be parsed or run. Entities of
        ``quiet_labels`` are left out of the top-entities facet and its "more" count."""
        group = check_group(group)
        try:
            return self._search(query, page, pagelen, filters, relax, tag_resolver, frozenset(quiet_labels), group)
        except QueryError:
            raise
        except ValueError as exc:  # tantivy refusing a query it was given: say so, never a 500
            raise QueryError(f"The search engine could not run this query: {str(exc)[:200]}") from None

    def _search(
        self,
        query: str,
        page: int,
        pagelen: int,
        filters: Mapping[str, Any] | None,
        relax: bool,
        tag_resolver: TagResolver | None,
        quiet_labels: frozenset[str] = frozenset(),
        group: str | None = None,
    ) -> SearchResults:
        began = time.perf_counter()
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
        page = max(1, int(page))
        pagelen = min(max(1, int(pagelen)), 200)
        state = self._current()
        if state is None:
            empty: dict[str, list[dict[str, Any]]] = {"documents": [], "entity_types": [], "entities": [], "tags": []}
            return SearchResults(query, 0, page, pagelen, 0, 0.0, [], [], empty, None, dict(filters), group=group)
        view, translate = state.view, state.translate
        tags = (tag_resolver or NO_TAGS).bind(view)
        fq = tags.rewrite(filter_query(SCHEMA, filters))
        allow = translate(fq) if fq is not None else None
        natural: NaturalQuery | None = None
        if not (query or "").strip() and fq is not None:
            q: wq.Query = wq.Every()
        else:
            q, natural = Searcher._read(view, state.parser, state.vocab, query, relax)
            q = tags.rewrite(q)
            if natural is not None:
                for clause in natural.clauses:
                    clause.query = tags.rewrite(clause.query)
                if natural.required is not None:
                    natural.required = tags.rewrite(natural.required)
        first = (page - 1) * pagelen
        relaxed = None
        if group is not None:  # the ranking's first part, as far as the walk below reads first
            first, want = 0, _walk_start(first, pagelen)
        else:
            want = pagelen
        ahead = None
        if natural is not None and natural.clauses:
            ahead = _Ahead(
                lambda m: self._facets(state, m, None, quiet=quiet_labels, split=False), int(state.searcher.num_docs)
            )
            matching, total, top, relaxed = self._natural_page(state, natural, allow, first, want, ahead.start)
        else:
            matching = _filtered(translate(q), allow)
            found = state.searcher.search(matching, limit=want, count=False, offset=first)
            total, top = None, list(found.hits)  # counted with the facets, in the same pass
        counted = ahead.result(matching, total) if ahead is not None else None
        if counted is None:
            counted = self._facets(state, matching, total, quiet=quiet_labels)
        facets, more, doc_counts, total = counted
        per_doc = doc_counts
        if group is None:
            pages = max(1, math.ceil(total / pagelen))
        else:
            pages = max(1, math.ceil(len(doc_counts) / pagelen))
            first = (page - 1) * pagelen
            read = self._ranking_reader(state, natural, allow, matching)
            chosen = self._document_page(state, read, top, total, per_doc, first, pagelen)
            top = [pair for _doc, pairs in chosen for pair in pairs]
        highlighter, ent_terms = Searcher._highlighter(q, view)
        addrs = [addr for _score, addr in top]
        nums = state.searcher.fast_field_values("num", addrs) if addrs else []
        hits = []
        for (score, addr), num in zip(top, nums, strict=True):
            hit = Searcher._hit(state.stored(addr), score, highlighter, ent_terms)
            hit.tags = tags.tags_of(int(num))  # the reader's visible tags, never the index's
            hits.append(hit)
        groups: dict[str, DocGroup] = {}
        for hit in hits:
            found_group = groups.get(hit.doc_id)
            if found_group is None:
                found_group = groups[hit.doc_id] = DocGroup(hit.doc_id, hit.title, count=per_doc.get(hit.doc_id, 0))
            found_group.hits.append(hit)
        self._other_facets(state, tags, q, natural, filters, matching, facets, more, quiet_labels)
        suggestion = None
        if total == 0 or relaxed is not None:
            suggestion = self._suggest(state, query, allow, 0 if relaxed else total, tags, every_word(q, relaxed))
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

    def _other_facets(
        self,
        state: _State,
        tags: BoundTags,
        q: wq.Query,
        natural: NaturalQuery | None,
        filters: Mapping[str, Any],
        matching: tantivy.Query,
        facets: dict[str, Any],
        more: dict[str, int],
        quiet: frozenset[str],
    ) -> None:
        """The tag facet, and each facet with a value chosen counted over the matches of every
        other filter (:func:`indexer.search.facet_filters`), chosen values listed (in place)."""
        chosen = {facet: filters.get(key) for facet, key in FACET_FILTER.items() if filters.get(key)}
        facets["tags"] = keep_chosen(
            self._tag_facet(state, tags, matching, len(tags.tags)), 20, chosen.get("tags"), _value
        )
        for facet, rest in facet_filters(filters).items():
            fq = tags.rewrite(filter_query(SCHEMA, rest))
            allow = state.translate(fq) if fq is not None else None
            total: int | None = None
            if natural is not None and natural.clauses:
                sub, total = self._coordinated(state, natural, allow, 0, 1)[:2]
            else:
                sub = _filtered(state.translate(q), allow)
            if facet == "tags":
                facets["tags"] = keep_chosen(
                    self._tag_facet(state, tags, sub, len(tags.tags)), 20, chosen.get("tags"), _value
                )
                continue
            part, part_more, _counts, _total = self._facets(
                state, sub, total, quiet=quiet, only=(facet,), chosen=chosen
            )
            facets.update(part)
            more.update(part_more)

    def _ranking_reader(
        self, state: _State, natural: NaturalQuery | None, allow: tantivy.Query | None, matching: tantivy.Query
    ) -> Callable[[int, int], list[tuple[float, Any]]]:
        """``read(first, count)``: ``count`` (score, address) of the ranking from ``first`` on,
        past a first part the search read already (for a natural query, past its rescored
        window: there the first stage's order is the ranking's)."""

        def read(first: int, count: int) -> list[tuple[float, Any]]:
            if natural is not None and natural.clauses:
                return self._coordinated(state, natural, allow, first, count)[2]
            return list(state.searcher.search(matching, limit=count, count=False, offset=first).hits)

        return read

    @staticmethod
    def _document_page(
        state: _State,
        read: Callable[[int, int], list[tuple[float, Any]]],
        ranking: list[tuple[float, Any]],
        total: int,
        counts: Mapping[str, int],
        first: int,
        want: int,
    ) -> list[tuple[str, list[tuple[float, Any]]]]:
        """The documents ``first`` to ``first + want`` of a ranking (``total`` matches, ``counts``
        per document) in the order of their best passages, each with its best
        :data:`~indexer.facets.GROUP_HITS` (score, address), as :func:`walk_groups` finds them:
        from its first part (``ranking``), read further with ``read`` (:meth:`_ranking_reader`,
        eight times as far each time) until the page is whole. Each passage is read, and its
        document found (a fast field), once; the page comes from those arrays
        (:func:`indexer.facets.ranked_document_page`)."""
        if not total or want <= 0:
            return []
        ranking = list(ranking)
        idx, ids = state.doc_indexes([addr for _score, addr in ranking])
        parts = [idx]
        limit = min(total, _walk_start(first, want))
        while True:
            ended = False
            if len(ranking) < limit:
                more = read(len(ranking), limit - len(ranking))
                ended = not more
                ranking += more
                parts.append(state.doc_indexes([addr for _score, addr in more])[0])
            page = ranked_document_page(np.concatenate(parts), first, want)
            whole = len(page) >= want and all(
                len(places) >= min(GROUP_HITS, counts.get(ids[doc], 0)) for doc, places in page
            )
            if whole or ended or len(ranking) >= total:
                return [(ids[doc], [ranking[i] for i in places]) for doc, places in page]
            limit = min(total, limit * 8)

    def _natural_page(
        self,
        state: _State,
        natural: NaturalQuery,
        allow: tantivy.Query | None,
        first: int,
        pagelen: int,
        start: _Start | None = None,
    ) -> _NaturalPage:
        """:meth:`_coordinated`, its first :data:`indexer.rescore.WINDOW` passages reordered by
        :func:`indexer.rescore.rescore` (the second stage both backends share), the rest in
        its order, then the page cut from it (``start``: as :meth:`_coordinated`'s)."""
        window = max(first + pagelen, rescore.WINDOW)
        matching, total, top, relaxed = self._coordinated(state, natural, allow, 0, window, start)
        if top:
            stats = self._rescore_stats(state)
            candidates = [rescore.Candidate(addr, state.stored(addr)) for _score, addr in top[: rescore.WINDOW]]
            again = rescore.rescore(
                [c.query for c in natural.clauses],
                candidates,
                stats,
                state.view.lexicon,
                SCHEMA["text"].analyzer,
                entity_fold,
            )
            if again is not None:  # beyond the window, the first stage's order
                top = [(score, addr) for addr, score in again] + top[len(candidates) :]
        return matching, total, top[first : first + pagelen], relaxed

    def _rescore_stats(self, state: _State) -> rescore.Stats:
        """The second stage's statistics of a generation (kind averages read once, from the
        first :data:`indexer.rescore.SAMPLE` passages of each kind by passage number)."""
        with self._lock:
            found = self._stats
        if found is not None and found[0] is state:
            return found[1]
        averages, overall = state.kind_averages()
        stats = rescore.Stats(int(state.searcher.num_docs), state.view.lexicon.doc_frequency, averages, overall)
        with self._lock:
            self._stats = (state, stats)
        return stats

    @staticmethod
    def _coordinated(
        state: _State,
        natural: NaturalQuery,
        allow: tantivy.Query | None,
        first: int,
        pagelen: int,
        start: _Start | None = None,
    ) -> _NaturalPage:
        """(matching query, total, the page's (score, address), relaxed) of a natural query:
        passages with every clause, else with most (:func:`indexer.ranking.min_should_match`),
        more clauses first, then by score (proximity phrases add to the score). The total is
        None when finding the page did not count it (:meth:`_facets` counts it with the facets,
        in the one pass over the matches they make anyway).

        The first page starts with the all-clause tier's own search (a conjunction: cheap);
        when that fills it, nothing more is read. Otherwise one search ranks every passage
        holding any clause by its tier: each clause adds :func:`_tier_weight` when held, on
        top of its score, so a passage holding more clauses scores above any holding fewer,
        and within a tier the order is that of the scores (the top hit's tier is the most
        clauses any passage holds). Later pages are read from the same search's ranking, so no
        tier is counted to be passed over.

        ``start`` is told the matching query as soon as it is known, or, when no passage holds
        every clause, the one it is unless no passage holds half of them (:class:`_Ahead`): the
        same object is returned when it is the one."""
        occur = tantivy.Occur
        translate, searcher = state.translate, state.searcher
        clauses = [translate(c.query) for c in natural.clauses]
        base = allow
        if natural.required is not None:
            required = tantivy.Query.const_score_query(translate(natural.required), 0.0)
            base = required if base is None else _filtered(required, base)
        bonus = [translate(p) for p in natural.proximity]

        def holding(k: int) -> tantivy.Query:
            return tantivy.Query.boolean_query([(occur.Should, c) for c in clauses], k)

        def scored(q: tantivy.Query) -> tantivy.Query:
            q = _filtered(q, base)
            if bonus:
                q = tantivy.Query.boolean_query([(occur.Must, q), *((occur.Should, b) for b in bonus)])
            return q

        of = len(clauses)
        # the all-clause tier: on the first page, its first passages (a page that is not full
        # holds the whole tier); on a later one, the page's part of it, and its size
        size: int | None
        if first:
            found = searcher.search(scored(holding(of)), limit=pagelen, offset=first, count=True)
            every, size = list(found.hits), int(found.count)
        else:
            every = list(searcher.search(scored(holding(of)), limit=pagelen, count=False).hits)
            size = len(every) if len(every) < pagelen else None  # (None: a page of it at least)
        weight = 0.0  # (worked out when the tiered ranking is read)

        def tiered(limit: int, offset: int) -> list[tuple[float, Any]]:  # the tiered ranking, from offset on
            nonlocal weight
            if not weight:
                parts = [*(c.query for c in natural.clauses), *natural.proximity]
                weight = _tier_weight(parts, state.view.lexicon, int(searcher.num_docs))
            # (a clause held adds the weight: an intersection with every passage, scored that
            # much, which reads no postings; the clause searched twice would cost 30% more)
            lift = tantivy.Query.const_score_query(tantivy.Query.all_query(), weight)
            q = tantivy.Query.boolean_query(
                [(occur.Should, tantivy.Query.boolean_query([(occur.Must, c), (occur.Must, lift)])) for c in clauses]
            )
            return list(searcher.search(scored(q), limit=limit, offset=offset, count=False).hits)

        if size != 0:  # some passage holds every clause: the page starts with its part of that tier
            best = of
            least = max(min_should_match(of, best), 1)
            matching = _filtered(holding(least), base)
            relaxed = {"matched_words": best, "of": of, "min_words": least} if least < of else None
            if size is None or least == of or len(every) >= pagelen:
                return matching, None, every, relaxed
            if start is not None:
                start(matching)
            # the rest from the tiers below, which the tiered ranking lists after the whole tier
            rest = tiered(pagelen - len(every), first + len(every))
        else:
            half = max(min_should_match(of, of - 1), 1)  # (the least listed when best >= half)
            guess = _filtered(holding(half), base)
            if start is not None:
                start(guess)
            rest = tiered(pagelen, first)
            head = tiered(1, 0) if first else rest[:1]
            best = min(of, int(head[0][0] // weight)) if head else 0
            least = max(min_should_match(of, best), 1)
            matching = guess if least == half else _filtered(holding(least), base)
            if best == 0:
                return matching, 0, [], None
            relaxed = {"matched_words": best, "of": of, "min_words": least} if least < of else None
        top = list(every)
        for score, addr in rest:
            held = int(score // weight)
            if held < least:  # the tiers below the listed ones (ranked after every listed passage)
                break
            top.append((score - held * weight, addr))
        return matching, None, top, relaxed

    @staticmethod
    def _facets(
        state: _State,
        matching: tantivy.Query,
        total: int | None,
        top: int = 20,
        quiet: frozenset[str] = frozenset(),
        only: tuple[str, ...] = ("documents", "entity_types", "entities"),
        chosen: Mapping[str, Any] | None = None,
        split: bool = True,
    ) -> tuple[dict[str, Any], dict[str, int], Mapping[str, int], int]:
        """The document, entity-type and entity facets (those of ``only``), as
        :meth:`FacetCache.facets_and_more`, every matching document's count of matching passages
        (a mapping, most first, then by id), and the total: ``total`` when given, else counted by
        the same aggregation (a value count of the ``num`` fast field, which every passage has),
        so the matches are visited once. ``split``: as :func:`_aggregate`'s.

        Documents are counted by a histogram of the single-valued ``doc_num`` column (numbers,
        not strings: no term of the dictionary is read per bucket) and entity types by the few
        distinct ``type_mask`` values, split into their labels here, where the generation has
        them (:data:`LAYOUT` 2) and every label it holds has a bit; else by the keyword fields."""
        if total == 0:
            return _no_facets(only), _no_more(only), {}, 0
        spec: dict[str, Any] = {}
        columns = state.layout >= 2
        if "documents" in only:
            held = _held(state, "doc_id")
            if columns and held <= ALL_BUCKETS:
                spec["doc_num"] = {"histogram": {"field": "doc_num", "interval": 1, "min_doc_count": 1}}
            else:
                spec["doc_id"] = _terms_spec("doc_id", held)
        if "entity_types" in only:
            if columns and all(t in TYPE_BITS for t in state.view.lexicon._sorted("entity_types")):
                spec["type_mask"] = {
                    "terms": {"field": "type_mask", "size": MASK_BUCKETS, "segment_size": MASK_BUCKETS}
                }
            else:
                spec["entity_types"] = _terms_spec("entity_types", _held(state, "entity_types"))
        if "entities" in only:
            spec["ent_facet"] = _terms_spec("ent_facet", _held(state, "ent_facet"))
        if total is None:
            spec[_TOTAL] = {"value_count": {"field": "num"}}
        picked = chosen or {}
        result, entities, documents = _aggregate(
            state.searcher,
            matching,
            spec,
            (lambda part: _entity_facet(part, spec, top, quiet, picked)) if "entities" in only else None,
            lambda part: _document_facet(state, part, spec, top, picked),
            split,
            state.slices() if split else None,
        )
        if total is None:
            total = int(result.get(_TOTAL, {}).get("value") or 0)
            if not total:
                return _no_facets(only), _no_more(only), {}, 0
        if result.get("type_mask", {}).get("sum_other_doc_count"):  # more masks than buckets: count labels
            del spec["type_mask"]
            spec["entity_types"] = _terms_spec("entity_types", _held(state, "entity_types"))
            result.update(state.searcher.aggregate(matching, {"entity_types": spec["entity_types"]}))
        return (*_facet_lists(state, result, spec, only, entities, documents), total)

    @staticmethod
    def _tag_facet(state: _State, tags: BoundTags, matching: tantivy.Query, top: int = 20) -> list[dict[str, Any]]:
        """The reader's visible tags on the matching passages (:meth:`BoundTags.facet`)."""
        tagged = tags.passages(tags.tags)
        if not len(tagged):
            return []
        nums = [int(n) for n in tagged.tolist()]
        within = _filtered(matching, tantivy.Query.term_set_query(state.view.tschema, "num", nums))
        hits = state.searcher.search(within, limit=len(nums), count=False).hits
        addrs = [addr for _score, addr in hits]
        held = state.searcher.fast_field_values("num", addrs) if addrs else []
        return tags.facet(np.asarray(sorted(int(n) for n in held), dtype=np.int64), top=top)

    @staticmethod
    def _suggest(
        state: _State,
        text: str,
        allow: tantivy.Query | None,
        found: int,
        tags: BoundTags,
        every: wq.Query | None = None,
    ) -> str | None:
        """The query with misspelt words respelt, when that finds more passages holding every
        word than ``found``, or than ``every`` finds when given (the rules of
        :meth:`indexer.search.Searcher._suggest`)."""
        if not text or "@" in text:
            return None
        reader = state.view.lexicon
        protected = [m.span() for m in _FIELD_VALUE_RE.finditer(text)]
        pieces: list[str] = []
        pos = 0
        for match in _SUGGEST_WORD_RE.finditer(text):
            start, end = match.span()
            word = match.group()
            if word in _OPERATORS or any(a <= start < b for a, b in protected):
                continue
            if not analyze(word) or state.vocab.known_word(word):
                continue
            better = _nearest_word(reader, fold(word))
            if better is None:
                continue
            if word[:1].isupper():
                better = better[:1].upper() + better[1:]
            pieces.append(text[pos:start] + better)
            pos = end
        if not pieces:
            return None
        corrected = "".join(pieces) + text[pos:]
        try:
            q = tags.rewrite(Searcher._read(state.view, state.parser, state.vocab, corrected, True)[0])
            more = int(state.searcher.search(_filtered(state.translate(q), allow), limit=1, count=True).count)
            if every is not None:
                found = int(state.searcher.search(_filtered(state.translate(every), allow), limit=1, count=True).count)
        except QueryError:
            return None
        return corrected if more > found else None


def _aggregate(
    searcher: tantivy.Searcher,
    matching: tantivy.Query,
    spec: Mapping[str, Any],
    read_entities: Callable[[Mapping[str, Any]], Any] | None = None,
    read_rest: Callable[[Mapping[str, Any]], Any] | None = None,
    split: bool = True,
    slices: tuple[tantivy.Query, tantivy.Query] | None = None,
) -> tuple[dict[str, Any], Any, Any]:
    """(``searcher.aggregate(matching, spec)``, ``read_entities`` of it, ``read_rest`` of it),
    a reader None giving None. Over :data:`SPLIT_FACETS_FROM` passages or more, when no other
    aggregation of this process is running (:class:`_InFlight`), the work is split over two
    threads (tantivy releases the GIL), each result the same as in one call:

    * with ``slices`` (:meth:`_State.slices`: two groups of whole segments), the whole
      aggregation over the lower slice in :data:`_AGGREGATOR`'s thread while this one counts
      the upper, the two results added up (:func:`_merge_slices`): each thread walks half of
      the matches (tantivy skips a segment the slice's filter leaves out, and a filter holding a
      whole segment costs nothing), where a split by kind makes each walk all of them
      (measured at 500,000 passages in three segments, the facets of a natural query of five
      clauses: 9.0 ms against 15.4);
    * else the entity facet (the costliest part: a multi-valued column) is counted, and read,
      in :data:`_AGGREGATOR`'s thread while this one counts and reads the rest: each reader's
      Python work overlaps the other part's counting.

    Not with ``split`` False (a count made beside other work of its search, :class:`_Ahead`: two
    passes over the matches would only take the core that work needs)."""
    if not spec:
        return {}, _read(read_entities, {}), _read(read_rest, {})
    with _IN_FLIGHT as running:
        alone = split and running <= 1 and int(searcher.num_docs) >= SPLIT_FACETS_FROM
        if alone and slices is not None and _sliceable(spec):
            lower = _AGGREGATOR.submit(searcher.aggregate, _filtered(matching, slices[0]), dict(spec))
            try:
                upper = dict(searcher.aggregate(_filtered(matching, slices[1]), dict(spec)))
            finally:
                below = dict(lower.result())  # (waited for even when this one failed: its error is raised)
            result = _merge_slices(spec, below, upper)
            return result, _read(read_entities, result), _read(read_rest, result)
        if not alone or "ent_facet" not in spec or len(spec) < 2:
            result = dict(searcher.aggregate(matching, dict(spec)))
            return result, _read(read_entities, result), _read(read_rest, result)
        entities = _AGGREGATOR.submit(
            _count_and_read, searcher, matching, {"ent_facet": spec["ent_facet"]}, read_entities
        )
        try:
            rest = dict(searcher.aggregate(matching, {k: v for k, v in spec.items() if k != "ent_facet"}))
            rest_read = _read(read_rest, rest)
        finally:
            found, entities_read = entities.result()  # (waited for even when this one failed: its error is raised)
        rest.update(found)
        return rest, entities_read, rest_read


def _sliceable(spec: Mapping[str, Any]) -> bool:
    """Whether ``spec``'s result is the sum of its results over two slices: counts of every
    bucket (histograms; terms aggregations asking for every term, :func:`_terms_spec` below
    tantivy's limit, or for ``type_mask``'s few, whose overflow :meth:`TantivyBackend._facets`
    sees in the summed ``sum_other_doc_count``) and value counts."""
    for name, part in spec.items():
        if "histogram" in part or "value_count" in part:
            continue
        terms = part.get("terms")
        if terms is None or not ("order" in terms or name == "type_mask"):
            return False
    return True


def _merge_slices(spec: Mapping[str, Any], lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """One aggregation's result from its results over two slices (:func:`_sliceable` specs):
    value counts added; terms buckets added up by key, listed in key order (the order
    :func:`_terms_spec` asks for; :func:`_bucket_counts` sorts by count after); histogram
    buckets listed as both gave them (a document cut by the slices has a bucket in each: the
    ``doc_num`` reader, :class:`_DocCounts`, adds a document's buckets up)."""
    out: dict[str, Any] = {}
    for name, part in spec.items():
        a, b = lower.get(name) or {}, upper.get(name) or {}
        if "value_count" in part:
            out[name] = {"value": float(a.get("value") or 0) + float(b.get("value") or 0)}
        elif "histogram" in part:
            out[name] = {"buckets": [*a.get("buckets", []), *b.get("buckets", [])]}
        else:
            counts = dict(map(_KEY_COUNT, a.get("buckets", [])))
            for key, n in map(_KEY_COUNT, b.get("buckets", [])):
                counts[key] = counts.get(key, 0) + n
            out[name] = {
                "buckets": [{"key": key, "doc_count": counts[key]} for key in sorted(counts)],
                "sum_other_doc_count": int(a.get("sum_other_doc_count") or 0) + int(b.get("sum_other_doc_count") or 0),
            }
    return out


def _read(reader: Callable[[Mapping[str, Any]], Any] | None, result: Mapping[str, Any]) -> Any:
    return None if reader is None else reader(result)


def _count_and_read(
    searcher: tantivy.Searcher,
    matching: tantivy.Query,
    spec: Mapping[str, Any],
    reader: Callable[[Mapping[str, Any]], Any] | None,
) -> tuple[dict[str, Any], Any]:
    """(the aggregation, ``reader`` of it): the entity part of a split :func:`_aggregate`."""
    found = dict(searcher.aggregate(matching, dict(spec)))
    return found, _read(reader, found)


def _walk_start(first: int, want: int) -> int:
    """How far a page of documents ``first`` to ``first + want`` reads the ranking first (as
    :func:`indexer.facets.walk_groups`, and never less than a natural query's rescored window):
    the search reads that part, the walk reads on past it."""
    return max(64, rescore.WINDOW, (first + want) * GROUP_HITS)


#: a generation is cut into two slices (:meth:`_State.slices`) only when neither holds more
#: than this share of its passages (else the split by kind of :func:`_aggregate` does better)
SLICE_MOST = 0.7


def _segment_runs(path: Path, searcher: tantivy.Searcher) -> list[tuple[int, int, int]] | None:
    """(first and last passage number, passages) of each segment of a generation, or None when
    they cannot be read or do not agree with the searcher. tantivy's bindings name no segment,
    so the segments' sizes are read from the generation's ``meta.json`` (tantivy's own list of
    them, in the searcher's segment order: written once, at the generation's commit), checked
    against the searcher's counts, and their numbers from the ``num`` column at each one's
    first and last document. (A wrong list could only make a cut uneven or mid-segment, which
    is slower, never wrong: any cut of the numbers counts every passage once.)"""
    try:
        segments = json.loads((path / "meta.json").read_text(encoding="utf-8"))["segments"]
        sizes = [int(seg["max_doc"]) for seg in segments]
        deleted = [int((seg.get("deletes") or {}).get("num_deleted_docs") or 0) for seg in segments]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if (
        len(sizes) != int(searcher.num_segments)
        or min(sizes, default=0) < 1
        or sum(sizes) - sum(deleted) != int(searcher.num_docs)
    ):
        return None
    firsts = [tantivy.DocAddress(i, 0) for i in range(len(sizes))]
    lasts = [tantivy.DocAddress(i, n - 1) for i, n in enumerate(sizes)]
    try:
        nums = searcher.fast_field_values("num", firsts + lasts)
    except Exception:
        return None
    except BaseException as exc:  # a document past a segment's end: the bindings' Rust panic
        if type(exc).__name__ != "PanicException":
            raise
        return None
    if len(nums) != 2 * len(sizes):
        return None
    return [(int(nums[i]), int(nums[len(sizes) + i]), sizes[i] - deleted[i]) for i in range(len(sizes))]


def _slice_bound(runs: Sequence[tuple[int, int, int]] | None, total: int) -> int | None:
    """The passage number that cuts the segments ``runs`` (first and last number, passages)
    into two groups of whole segments, the lower ones below it, as evenly as they allow; None
    when no cut leaves each group at most :data:`SLICE_MOST` of ``total``, or when the
    segments' numbers are not runs of their own (a segment's first number above its last, or
    two segments' numbers overlapping: a cut would then halve a segment, whose half costs
    tantivy a pass over all of it)."""
    if not runs or len(runs) < 2 or total <= 0:
        return None
    ordered = sorted(runs)
    if any(first > last for first, last, _n in ordered):
        return None
    if any(prev[1] >= nxt[0] for prev, nxt in itertools.pairwise(ordered)):
        return None
    best: tuple[int, int] | None = None
    below = 0
    for (_first, _last, n), (nxt_first, _l, _m) in itertools.pairwise(ordered):
        below += n
        larger = max(below, total - below)
        if best is None or larger < best[0]:
            best = (larger, nxt_first)
    if best is None or best[0] > SLICE_MOST * total:
        return None
    return best[1]


def _bucket_counts(result: Mapping[str, Any], spec: Mapping[str, Any], field: str) -> list[tuple[str, int]]:
    """(term, passages) of a terms aggregation, more passages first, then by term.

    Buckets asked in term order (UTF-8 byte order, which is str order) need one stable sort by
    count, with a C key; the pairs are made by ``map`` with a C getter, no Python code per bucket.
    """
    pairs = list(map(_KEY_COUNT, result.get(field, {}).get("buckets", [])))
    if "order" not in spec[field]["terms"]:
        pairs.sort(key=itemgetter(0))
    pairs.sort(key=itemgetter(1), reverse=True)
    while pairs and pairs[-1][1] <= 0:  # (tantivy lists no empty bucket; never count one)
        pairs.pop()
    return pairs


_KEY_COUNT = itemgetter("key", "doc_count")
_KEY, _COUNT = itemgetter("key"), itemgetter("doc_count")
#: the aggregation counting the matches (no facet field has this name)
_TOTAL = "_total"
_FACET_FIELDS = {"documents": "doc_id", "entity_types": "entity_types", "entities": "ent_facet"}


def _no_facets(only: tuple[str, ...]) -> dict[str, Any]:
    return {f: [] for f in only if f in _FACET_FIELDS}


def _no_more(only: tuple[str, ...]) -> dict[str, int]:
    return {f: 0 for f in ("documents", "entities") if f in only}


def _held(state: _State, field: str) -> int:
    """Terms of a faceted field, as the build counted them (else as the dictionary holds them)."""
    held = state.facet_terms.get(field)
    return int(held) if held is not None else len(state.view.lexicon._sorted(field))


def _terms_spec(field: str, held: int) -> dict[str, Any]:
    """A terms aggregation asking for every bucket: as many as the field has terms (tantivy's
    limit aside). Buckets come in term order (UTF-8 byte order, which is str order), so one
    stable sort by count gives more passages first, then by value."""
    size = max(1, min(ALL_BUCKETS, held))
    spec: dict[str, Any] = {"terms": {"field": field, "size": size, "segment_size": size}}
    if size < ALL_BUCKETS:  # (past the limit, the buckets kept are the most frequent)
        spec["terms"]["order"] = {"_key": "asc"}
    return spec


class _DocTable:
    """A generation's documents by ``doc_num`` (the number of each one's first passage, which
    the writer stores on every passage of it): the numbers sorted, the document (its place in
    ``ids``) of each, and each document's place in id order (which settles ties in the document
    facet, as the term order did)."""

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        self.pairs = sorted(pairs)
        self.nums = np.asarray([n for n, _ in self.pairs], dtype=np.int64)
        self.ids = list(dict.fromkeys(d for _, d in self.pairs))
        self.at = {d: i for i, d in enumerate(self.ids)}
        self.slot = np.asarray([self.at[d] for _, d in self.pairs], dtype=np.int64)
        self.rank = np.empty(len(self.ids), dtype=np.int64)
        self.rank[sorted(range(len(self.ids)), key=self.ids.__getitem__)] = np.arange(len(self.ids))

    def places(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each doc_num's place in :attr:`nums`, the doc_nums the table lacks)."""
        at = np.searchsorted(self.nums, keys)
        if not len(self.nums):
            return at, keys
        at = np.minimum(at, len(self.nums) - 1)
        return at, keys[self.nums[at] != keys]


class _DocCounts(Mapping[str, int]):
    """Matching passages per document (only those with some), from the ``doc_num`` histogram's
    buckets: iterated most first, then by id; the facet's head is cut from it without making a
    pair per matching document."""

    def __init__(self, state: _State, keys: np.ndarray, counts: np.ndarray) -> None:
        nums = keys.astype(np.int64)
        table = state.doc_table()
        at, missing = table.places(nums)
        if len(missing):
            table = state.doc_table(missing.tolist())
            at = table.places(nums)[0]
        self._table = table
        self._counts = np.bincount(table.slot[at], weights=counts, minlength=len(table.ids)).astype(np.int64)
        held = np.flatnonzero(self._counts)
        self._order = held[np.lexsort((table.rank[held], -self._counts[held]))]

    def __getitem__(self, doc_id: str) -> int:
        n = int(self._counts[self._table.at[doc_id]])
        if not n:
            raise KeyError(doc_id)
        return n

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[str]:
        ids = self._table.ids
        return (ids[i] for i in self._order.tolist())

    def head(self, top: int, chosen: Any) -> list[tuple[str, int]]:
        """:func:`indexer.facets.keep_chosen` of the ranked (id, count) pairs."""
        ids, counts = self._table.ids, self._counts
        if chosen:  # a chosen document may be anywhere down the list
            pairs = [(ids[i], int(counts[i])) for i in self._order.tolist()]
            return keep_chosen(pairs, top, chosen, itemgetter(0))
        return [(ids[i], int(counts[i])) for i in self._order[:top].tolist()]


def _type_counts(result: Mapping[str, Any], spec: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(entity label, passages) from the ``type_mask`` buckets, more passages first, then by label."""
    found: dict[str, int] = {}
    for mask, n in _bucket_counts(result, spec, "type_mask"):
        for label, bit in TYPE_BITS.items():
            if int(mask) & bit:
                found[label] = found.get(label, 0) + n
    return sorted(found.items(), key=lambda p: (-p[1], p[0]))


def _facet_lists(
    state: _State,
    result: Mapping[str, Any],
    spec: Mapping[str, Any],
    only: tuple[str, ...],
    entities: tuple[list[dict[str, Any]], int] | None,
    documents: tuple[list[tuple[str, int]], Mapping[str, int]],
) -> tuple[dict[str, Any], dict[str, int], Mapping[str, int]]:
    """The facets of ``only`` from one aggregation's result (see :meth:`TantivyBackend._facets`),
    its entity and document parts as :func:`_entity_facet` (None unless ``only`` has
    "entities") and :func:`_document_facet` read them."""
    facets: dict[str, Any] = {}
    more: dict[str, int] = {}
    docs, doc_counts = documents
    if "documents" in only:
        facets["documents"] = [{"value": d, "label": state.title(d), "count": n} for d, n in docs]
        more["documents"] = max(0, len(doc_counts) - len(docs))
    if "entity_types" in only:
        types = _type_counts(result, spec) if "type_mask" in spec else _bucket_counts(result, spec, "entity_types")
        facets["entity_types"] = [{"value": t, "label": t, "count": n} for t, n in types]
    if "entities" in only:
        assert entities is not None  # (read whenever the facet is asked for)
        facets["entities"], more["entities"] = entities
    return facets, more, doc_counts


def _document_facet(
    state: _State, result: Mapping[str, Any], spec: Mapping[str, Any], top: int, chosen: Mapping[str, Any]
) -> tuple[list[tuple[str, int]], Mapping[str, int]]:
    """(the document facet's head of (id, passages), every matching document's count) from
    the ``doc_num`` histogram or the ``doc_id`` terms of an aggregation's result (none: empty)."""
    if "doc_num" in spec:
        buckets = result.get("doc_num", {}).get("buckets", [])
        keys = np.fromiter(map(_KEY, buckets), dtype=np.float64, count=len(buckets))
        counts = np.fromiter(map(_COUNT, buckets), dtype=np.int64, count=len(buckets))
        doc_counts = _DocCounts(state, keys, counts)
        return doc_counts.head(top, chosen.get("documents")), doc_counts
    pairs = _bucket_counts(result, spec, "doc_id") if "doc_id" in spec else []
    return keep_chosen(pairs, top, chosen.get("documents"), itemgetter(0)), dict(pairs)


def _entity_facet(
    result: Mapping[str, Any], spec: Mapping[str, Any], top: int, quiet: frozenset[str], chosen: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """(the entity facet's head, how many more) from the ``ent_facet`` terms of an aggregation's
    result, ``quiet`` labels left out."""
    ranked = merge_entities(_bucket_counts(result, spec, "ent_facet"), quiet)
    head = keep_chosen(ranked, top, chosen.get("entities"), _value)
    return head, max(0, len(ranked) - len(head))
