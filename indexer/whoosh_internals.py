"""Every use of Whoosh-Reloaded's private internals, behind one small API, checked at start-up.

Glossa reads a few parts of Whoosh-Reloaded that are not its public API, for speed: the
postings blocks of its ``whoosh3`` codec (read straight into numpy arrays by
:mod:`indexer.ranking`), the span matcher behind phrases (:class:`FastPhrase`), a column
cache of its per-document reader (:func:`apply_column_cache_fix`) and a few attributes
(a BM25F field's ``B``, a segment reader's deleted set). Those names may change in any
release, so they are used here only, and only after :func:`status` has checked them: the
installed version must be the pinned one (:data:`PINNED_VERSION`, as
requirements/constraints.txt pins it) and, on a small index it writes to a temporary
directory, the private paths must give exactly what Whoosh's public API gives. Each part
that fails the check falls back to Whoosh's own public matcher and searcher (slower, same
results), and the check says so once: a log warning, ``warnings`` in ``/healthz`` and the
last line of ``glossa settings``. A search never fails because of it.

The API (plain functions and one query class, for indexer.ranking, indexer.query,
indexer.search, indexer.tagfilter, indexer.schema and any search backend that wraps
Whoosh):

- :func:`status` -> :class:`Status`: the check's verdict, run once per process (the first
  call; :func:`recheck` runs it again). ``.fast_postings``, ``.fast_phrases``,
  ``.column_cache``, ``.ok``, ``.problems``, ``.version``, ``.summary()``,
  ``.public_summary()`` (without reasons, for /healthz), ``.to_dict()``.
- :func:`check_at_start`: :func:`status`, logging one warning when a part fell back; called
  when an index is opened (indexer.search.Searcher) and when the web app is created.
- :func:`postings_blocks` (reader, schema, field, term bytes, values) ->
  (ids, weights, encoded values or None) per block: every posting of a term in one segment.
- :func:`postings_key` (reader, deleted) -> what names a segment's postings as read (a cache key).
- :class:`PrivatePathUnavailable`: raised by :func:`postings_blocks` for postings it cannot
  read privately (the caller then asks Whoosh's own matcher).
- :func:`deleted_docnums` (reader) -> the deleted document numbers of a segment reader.
- :func:`bm25f_parameters` (searcher, weighting, field, term bytes) -> (B, K1).
- :func:`multiterm_words` (query, reader) -> the words a prefix, wildcard or fuzzy term expands to.
- :func:`subsearcher_offset` (searcher, sub-searcher) -> the sub-searcher's first document number.
- :func:`segment_counts` (index) -> (segments, whether any has deleted records), for
  ``indexer.writer.optimize_index``: the index's segment list (private ``_segments``), else the
  leaf readers of Whoosh's public reader.
- :class:`FastPhrase`: a :class:`whoosh.query.Phrase` whose matcher checks positions as plain ints.
- :func:`apply_column_cache_fix`: the per-document reader caches a missing column too.
"""

from __future__ import annotations

import inspect
import logging
import pickle
import tempfile
import threading
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from whoosh import matching
from whoosh import query as wq

log = logging.getLogger(__name__)

#: the Whoosh-Reloaded release whose internals this module was written and checked against
PINNED_VERSION = "2.7.5"


@dataclass
class Status:
    """What the start-up check found: which private paths are in use, and why not."""

    version: str
    fast_postings: bool = False
    fast_phrases: bool = False
    column_cache: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every private path passed the check (nothing fell back)."""
        return self.fast_postings and self.fast_phrases and self.column_cache

    def _off(self) -> list[str]:
        parts = (
            ("postings arrays", self.fast_postings),
            ("fast phrases", self.fast_phrases),
            ("column cache", self.column_cache),
        )
        return [name for name, on in parts if not on]

    def summary(self) -> str:
        """One line for people: what is in use, and what fell back and why."""
        if self.ok:
            return f"Whoosh-Reloaded {self.version}: private fast paths checked and in use"
        return (
            f"Whoosh-Reloaded {self.version}: {', '.join(self._off())} fell back to Whoosh's public API "
            f"(same results, slower): {'; '.join(self.problems)}"
        )

    def public_summary(self) -> str:
        """:meth:`summary` without the reasons (which may name server paths), for /healthz."""
        if self.ok:
            return self.summary()
        return (
            f"Whoosh-Reloaded: {', '.join(self._off())} fell back to Whoosh's public API "
            "(same results, slower); the server log says why"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (for /healthz)."""
        return {
            "version": self.version,
            "pinned": PINNED_VERSION,
            "ok": self.ok,
            "fast_postings": self.fast_postings,
            "fast_phrases": self.fast_phrases,
            "column_cache": self.column_cache,
            "problems": list(self.problems),
        }


_LOCK = threading.RLock()
_STATUS: Status | None = None
_WARNED = False


def installed_version() -> str:
    """The installed Whoosh-Reloaded's version, as Whoosh reports it."""
    import whoosh

    try:
        return ".".join(str(part) for part in whoosh.__version__)
    except Exception:  # a version attribute of another shape: ask the package metadata
        try:
            return metadata.version("Whoosh-Reloaded")
        except metadata.PackageNotFoundError:
            return "unknown"


def status() -> Status:
    """The check's verdict, run on the first call of the process (thread-safe)."""
    global _STATUS
    with _LOCK:
        if _STATUS is None:
            try:
                _STATUS = _run_check()
            except Exception as exc:  # e.g. no temporary directory: nothing private is trusted
                _STATUS = Status(installed_version(), column_cache=apply_column_cache_fix())
                _STATUS.problems.append(f"the check could not run ({type(exc).__name__}: {exc})")
        return _STATUS


def recheck() -> Status:
    """Run the check again (after a change to Whoosh in the same process, e.g. in tests)."""
    global _STATUS, _WARNED, _COLUMN_CACHE
    with _LOCK:
        _STATUS = None
        _WARNED = False
        _COLUMN_CACHE = None
        return status()


def check_at_start() -> Status:
    """:func:`status`, saying once in the log when a private path fell back."""
    global _WARNED
    found = status()
    with _LOCK:
        if not found.ok and not _WARNED:
            _WARNED = True
            log.warning("%s", found.summary())
    return found


def _version_problem(version: str) -> str | None:
    if version == PINNED_VERSION:
        return None
    return f"Whoosh-Reloaded {version} is installed; the private paths are checked for {PINNED_VERSION} only"


def _run_check() -> Status:
    found = Status(version=installed_version())
    found.column_cache = apply_column_cache_fix()
    problem = _version_problem(found.version)
    if problem is not None:
        found.problems.append(problem)
        return found
    if _COLUMN_CACHE is not None and _COLUMN_CACHE[1]:
        found.problems.append(_COLUMN_CACHE[1])
    with tempfile.TemporaryDirectory(prefix="glossa-whoosh-check-", ignore_cleanup_errors=True) as tmp:
        try:
            indexes = _check_indexes(tmp)
        except Exception as exc:  # the check could not even write its index: trust nothing private
            found.problems.append(f"the check index could not be written ({type(exc).__name__}: {exc})")
            return found
        found.fast_postings = all(
            _try(found, f"postings ({name})", _check_postings, ix, name == "memory-mapped") for name, ix in indexes
        )
        found.fast_phrases = all(_try(found, f"phrases ({name})", _check_phrases, ix) for name, ix in indexes)
        for _, ix in indexes:
            ix.close()
    return found


def _try(found: Status, what: str, check: Any, *args: Any) -> bool:
    try:
        check(*args)
    except Exception as exc:  # any failure of a private path is a reason to fall back, never to fail
        found.problems.append(f"{what}: {type(exc).__name__}: {exc}")
        return False
    return True


class PrivatePathUnavailable(Exception):
    """A private path met something it does not know (or gave other results than Whoosh's
    public API, in the check): the caller uses the public path for this."""


# -- the check index -----------------------------------------------------------------------

_WORDS = ("border", "control", "agency", "migration", "route", "policy", "asylum", "return")


def _check_indexes(tmp: str) -> list[tuple[str, Any]]:
    """A small index in two segments, with deletions, opened twice: with memory-mapped
    files (as Glossa opens them) and without. Its fields are of the kinds of Glossa's
    schema (indexer.schema): positions, keywords without scores, ids. Postings blocks of 4
    (Whoosh writes 128) give common words several blocks with few passages. (Whoosh-Reloaded
    2.7.5 never inlines postings in the term dictionary: its inlining calls a method its
    term info lacks, so only a limit of 1, which inlines nothing, works.)"""
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.fields import ID, KEYWORD, TEXT, Schema
    from whoosh.filedb.filestore import FileStorage

    schema = Schema(
        pid=ID(unique=True, stored=True),
        doc_id=ID(stored=True),
        text=TEXT(stored=True),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
    )
    size = 24
    storage = FileStorage(tmp)
    ix = storage.create_index(schema)
    for part in range(2):  # two commits without merging: two segments
        writer = ix.writer(codec=W3Codec(blocklimit=4))
        for i in range(part * size, part * size + size):
            # common words (several postings blocks), rarer ones, and a word of one passage
            words = [_WORDS[(i * 3 + j) % len(_WORDS)] for j in range(3 + i % 5)]
            if i % 3 == 0:  # the same words backwards: phrases must keep their order
                words += words[::-1]
            if i == 23:
                words.append("singleword")
            writer.add_document(
                pid=f"p{i}",
                doc_id=f"d{i % 7}",
                text=" ".join(words),
                tags="alpha" if i % 4 == 0 else "",
            )
        writer.commit(merge=False)
    writer = ix.writer()
    for i in (0, 5, size + 1, 2 * size - 1):
        writer.delete_by_term("pid", f"p{i}")
    writer.commit(merge=False)
    plain = FileStorage(tmp, supports_mmap=False).open_index()
    return [("memory-mapped", storage.open_index()), ("plain files", plain)]


def _public_postings(reader: Any, fieldname: str, btext: bytes) -> tuple[list[int], list[float], list[Any]]:
    m = reader.postings(fieldname, btext)
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    return ids, weights, values


def _check_postings(ix: Any, mapped: bool) -> None:
    """The private block reader gives the public matcher's postings, weights and positions,
    deletions as the public reader applies them, and BM25F's own parameters; ``mapped``:
    the index files are memory-mapped, so the private cursor over their buffer is used."""
    with ix.searcher() as searcher:
        schema = searcher.schema
        subs = searcher.subsearchers or [(searcher, 0)]
        if len(subs) < 2:
            raise PrivatePathUnavailable("the check index has one segment")
        for sub, _offset in subs:
            reader = sub.reader()
            buf = getattr(getattr(getattr(reader, "_terms", None), "_postfile", None), "_buf", None)
            if mapped and buf is None:
                raise PrivatePathUnavailable("the segment files are not memory-mapped where Glossa looks for them")
            deleted = _fast_deleted(reader)
            if deleted != _public_deleted(reader):
                raise PrivatePathUnavailable("deleted documents differ")
            for fieldname in ("text", "tags", "doc_id"):
                fmt = schema[fieldname].format
                for btext in reader.lexicon(fieldname):
                    ids, weights, values = [], [], []
                    for block_ids, block_weights, block_values in _fast_blocks(reader, schema, fieldname, btext, True):
                        ids.extend(block_ids)
                        weights.extend(block_weights)
                        values.extend(block_values)
                    kept = [k for k, docnum in enumerate(ids) if docnum not in deleted]
                    want_ids, want_weights, want_values = _public_postings(reader, fieldname, btext)
                    if [ids[k] for k in kept] != want_ids or [weights[k] for k in kept] != want_weights:
                        raise PrivatePathUnavailable(f"postings of {fieldname}:{btext!r} differ")
                    if fmt.supports("positions"):
                        got = [fmt.decode_positions(values[k]) for k in kept]
                        if got != [fmt.decode_positions(v) for v in want_values]:
                            raise PrivatePathUnavailable(f"positions of {fieldname}:{btext!r} differ")
        weighting = searcher.weighting
        for btext in searcher.reader().lexicon("text"):
            if _fast_bm25f(weighting, "text") != _public_bm25f(searcher, weighting, "text", btext):
                raise PrivatePathUnavailable("BM25F parameters differ")
            break


def _check_phrases(ix: Any) -> None:
    """:class:`FastPhrase` finds and scores what Whoosh's Phrase does (ordered, slop 1 and 2)."""
    matcher_class = _phrase_matcher_class()
    found = 0
    with ix.searcher() as searcher:
        # in order, reversed, three words, one word apart, a word never indexed
        phrases = (("border", "control"), ("control", "border"), ("border", "control", "agency"), ("border", "agency"))
        for words in (*phrases, ("route", "nowhere")):
            for slop in (1, 2):
                plain = wq.Phrase("text", list(words), slop=slop)
                fast = _FastPhraseQuery("text", list(words), slop=slop, matcher_class=matcher_class)
                want = [(hit.docnum, hit.score) for hit in searcher.search(plain, limit=None)]
                got = [(hit.docnum, hit.score) for hit in searcher.search(fast, limit=None)]
                if got != want:
                    raise PrivatePathUnavailable(f"phrase {' '.join(words)!r} (slop {slop}) found other passages")
                found += len(want)
    if not found:
        raise PrivatePathUnavailable("the check's phrases found no passage: nothing was compared")


# -- postings ------------------------------------------------------------------------------


def postings_blocks(
    reader: Any, schema: Any, fieldname: str, btext: bytes, values: bool
) -> Iterator[tuple[Any, Any, Any]]:
    """(ids, weights, encoded values or None) per postings block of a term in one segment.

    With the private path, deleted documents are included (the caller masks them); with the
    public one they are left out, and :func:`postings_key` names the deletions too.
    """
    if status().fast_postings:
        return _fast_blocks(reader, schema, fieldname, btext, values)
    return _public_blocks(reader, fieldname, btext, values)


def postings_key(reader: Any, deleted: frozenset[int]) -> Any:
    """What names the postings :func:`postings_blocks` gives for a segment: its id and size
    (the private path: a segment is never rewritten), plus how many of its documents are
    deleted (the public path leaves those out; a segment's deletions only grow); None for a
    reader without a segment. ``deleted``: :func:`deleted_docnums` of the reader."""
    segment = getattr(reader, "segment", None)
    if segment is None:
        return None
    key = (segment().segment_id(), reader.doc_count_all())
    if status().fast_postings:
        return key
    return (*key, len(deleted))


def deleted_docnums(reader: Any) -> frozenset[int]:
    """The deleted document numbers of a segment reader."""
    if not reader.has_deletions():
        return frozenset()
    if status().fast_postings:
        return _fast_deleted(reader)
    return _public_deleted(reader)


def _public_deleted(reader: Any) -> frozenset[int]:
    return frozenset(set(range(reader.doc_count_all())) - set(reader.all_doc_ids()))


def _public_blocks(reader: Any, fieldname: str, btext: bytes, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    ids, weights, vals = _public_postings(reader, fieldname, btext)
    yield ids, weights, vals if values else None


def _fast_deleted(reader: Any) -> frozenset[int]:
    return frozenset(reader.deleted_docs_set)  # private: SegmentReader's cached set


_CURSOR_CLASS: Any = None


def _cursor_class() -> Any:
    """A StructFile with a read position of its own over a segment file's shared
    (memory-mapped) buffer; the class is made on first use, from Whoosh's StructFile.

    Whoosh's leaf matchers seek and read the reader's one postings file object, so two
    threads decoding at once read each other's blocks (the arrays so cached were wrong
    until a restart). Each decoding here reads through its own cursor instead.
    """
    global _CURSOR_CLASS
    if _CURSOR_CLASS is None:
        from whoosh.filedb.structfile import StructFile

        class Cursor(StructFile):  # type: ignore[misc]  # Whoosh's class (untyped)
            def __init__(self, buf: Any) -> None:  # no StructFile.__init__: there is no file object
                self._buf = buf
                self._pos = 0
                self._name = None
                self.onclose = None
                self.is_real = False
                self.is_closed = False

            def seek(self, position: int, whence: int = 0) -> int:
                base = {0: 0, 1: self._pos, 2: len(self._buf)}[whence]
                self._pos = base + position
                return self._pos

            def tell(self) -> int:
                return self._pos

            def read(self, size: int | None = -1) -> bytes:
                end = len(self._buf) if size is None or size < 0 else self._pos + size
                data = bytes(self._buf[self._pos : end])
                self._pos += len(data)
                return data

            def readline(self) -> bytes:
                data = bytes(self._buf[self._pos : self._pos + 4096])
                cut = data.find(b"\n")
                return self.read(len(data) if cut < 0 else cut + 1)

            def read_pickle(self) -> Any:
                return pickle.load(self)  # reads exactly the pickle's bytes (no peek): the position stays right

            def get(self, position: int, length: int) -> bytes:
                return bytes(self._buf[position : position + length])

            def close(self) -> None:
                self.is_closed = True

        _CURSOR_CLASS = Cursor
    return _CURSOR_CLASS


def _fast_blocks(
    reader: Any, schema: Any, fieldname: str, btext: bytes, values: bool
) -> Iterator[tuple[Any, Any, Any]]:
    """The private path: each block decoded by Whoosh's own whoosh3 leaf matcher, deleted
    documents included; through a :class:`_Cursor` of its own when the file is memory-mapped."""
    from whoosh.codec import whoosh3
    from whoosh.matching.wrappers import FilterMatcher

    info = reader.term_info(fieldname, btext)
    if info.is_inlined():  # a rare word: its postings sit in the term dictionary
        ids, weights, vals = info.inlined_postings()
        yield ids, weights, vals if values else None
        return
    terms = getattr(reader, "_terms", None)
    buf = getattr(getattr(terms, "_postfile", None), "_buf", None)
    if buf is not None:
        offset, length = info.extent()
        m = whoosh3.W3LeafMatcher(_cursor_class()(buf), offset, length, schema[fieldname].format)
    else:  # not memory-mapped: the reader's own matcher, without its deletion filter
        m = reader.postings(fieldname, btext)
        if isinstance(m, FilterMatcher) and m._exclude:
            m = m.child
        if type(m) is not whoosh3.W3LeafMatcher:
            raise PrivatePathUnavailable(f"postings of type {type(m).__name__}")
    while m.is_active():
        m._read_ids()
        m._read_weights()
        if values:
            m._read_values()
        yield m._ids, m._weights, m._values if values else None
        m._next_block()


# -- scoring -------------------------------------------------------------------------------


def bm25f_parameters(searcher: Any, weighting: Any, fieldname: str, btext: bytes) -> tuple[float, float]:
    """(B, K1) of BM25F for a field (B may be set per field)."""
    if status().fast_postings:
        return _fast_bm25f(weighting, fieldname)
    return _public_bm25f(searcher, weighting, fieldname, btext)


def _fast_bm25f(weighting: Any, fieldname: str) -> tuple[float, float]:
    return weighting._field_B.get(fieldname, weighting.B), weighting.K1


def _public_bm25f(searcher: Any, weighting: Any, fieldname: str, btext: bytes) -> tuple[float, float]:
    scorer = weighting.scorer(searcher, fieldname, btext)  # Whoosh's own choice of B for the field
    return scorer.B, scorer.K1


# -- public names that stand in for private ones -------------------------------------------


def multiterm_words(q: Any, reader: Any) -> list[bytes]:
    """The indexed words a prefix, wildcard or fuzzy term matches (Whoosh's expanded_terms)."""
    return [btext for _fieldname, btext in q.expanded_terms(reader) if btext]


def subsearcher_offset(searcher: Any, sub: Any) -> int | None:
    """The first document number of ``sub`` among the documents of ``searcher``; None if it
    is not one of its sub-searchers."""
    for candidate, offset in searcher.subsearchers or []:
        if candidate is sub:
            return int(offset)
    return None


def segment_counts(ix: Any) -> tuple[int, bool]:
    """(number of segments, whether any segment has deleted records) of a Whoosh index.

    Read from the index's own segment list (``FileIndex._segments``, private and cheap: no
    reader is opened); when that name is gone or gives something else, from Whoosh's public
    reader: one leaf reader per segment, each answering ``has_deletions``."""
    private = getattr(ix, "_segments", None)
    if callable(private):
        try:
            segments = list(private())
            return len(segments), any(bool(s.has_deletions()) for s in segments)
        except Exception:  # a changed private name or shape: ask the public reader instead
            log.debug("Index._segments() unusable; counting segments through the public reader", exc_info=True)
    return _public_segment_counts(ix)


def _public_segment_counts(ix: Any) -> tuple[int, bool]:
    """:func:`segment_counts` through Whoosh's public reader (an empty index has no segment)."""
    from whoosh.reading import EmptyReader

    with ix.reader() as reader:
        if isinstance(reader, EmptyReader):
            return 0, False
        leaves = [leaf for leaf, _offset in reader.leaf_readers()]
        return len(leaves), any(bool(leaf.has_deletions()) for leaf in leaves)


# -- phrases -------------------------------------------------------------------------------


def _phrase_matcher_class() -> Any:
    """SpanNear2's matcher (ordered, mindist 1) checking positions as plain ints, made from
    the SpanNear2Matcher Whoosh has now.

    Whoosh builds a Span object per position of every word of every candidate passage;
    this keeps (start, end) pairs and builds Spans only for the passages that match.
    Same matches, same scores (those of the intersection of the words).
    """
    from whoosh.query.spans import Span, SpanNear2

    base = SpanNear2.SpanNear2Matcher

    class PhraseMatcher(base):  # type: ignore[misc,valid-type]  # Whoosh's class, typed Any
        def skip_to_quality(self, minquality):  # type: ignore[no-untyped-def]
            """Skip low-quality blocks, then on to a passage that holds the phrase.

            (Whoosh's span matchers inherit a skip that can stop on a passage holding the
            words but not the phrase, so a quality-optimised search could list it.)
            """
            skipped = self.child.skip_to_quality(minquality)
            self._find_next()
            return skipped

        def _get_spans(self):
            slop = self.slop
            first = self.ms[0].value_as("positions")
            spans = {(p, p) for p in first}
            for m in self.ms[1:]:
                if not spans:
                    return []
                nxt = m.value_as("positions")
                if slop == 1:
                    there = set(nxt)
                    spans = {(a, e + 1) for a, e in spans if e + 1 in there}
                else:
                    found = set()
                    for a, e in spans:
                        i = bisect_right(nxt, e)
                        while i < len(nxt) and nxt[i] <= e + slop:
                            found.add((a, nxt[i]))
                            i += 1
                    spans = found
            return [Span(a, e) for a, e in sorted(spans)]

    return PhraseMatcher


_PHRASE_MATCHER: Any = None


def _checked_phrase_matcher() -> Any:
    """The fast phrase matcher class when the check passed, else None (Whoosh's own)."""
    global _PHRASE_MATCHER
    if not status().fast_phrases:
        return None
    with _LOCK:
        if _PHRASE_MATCHER is None:
            _PHRASE_MATCHER = _phrase_matcher_class()
        return _PHRASE_MATCHER


class _FastPhraseQuery(wq.Phrase):
    """A Phrase whose matcher checks word positions without per-position objects."""

    def __init__(self, *args: Any, matcher_class: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._matcher_class = matcher_class

    def _fast_matcher(self) -> Any:
        return self._matcher_class

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        """Same as Phrase.matcher, with the fast span matcher in place of SpanNear2's."""
        matcher_class = self._fast_matcher()
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None  # noqa: SIM401 (a Whoosh Schema has no get)
        if matcher_class is None or field is None or not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)
        reader = searcher.reader()
        terms = []
        for word in self.words:
            try:
                word = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (self.fieldname, word) not in reader:
                return matching.NullMatcher()
            terms.append(wq.Term(self.fieldname, word))
        m = matcher_class([t.matcher(searcher, context) for t in terms], slop=self.slop)
        if self.boost != 1.0:
            m = matching.WrappingMatcher(m, boost=self.boost)
        return m


class FastPhrase(_FastPhraseQuery):
    """A Phrase whose matcher checks word positions without per-position objects (when the
    start-up check passed; else Whoosh's own Phrase matcher)."""

    def _fast_matcher(self) -> Any:
        return _checked_phrase_matcher()


# -- the column cache ----------------------------------------------------------------------

_ORIGINAL_CACHED_READER: Any = None


def _check_column_cache() -> None:
    """W3PerDocReader._cached_reader is what the fix replaces: (self, fieldname, column),
    keeping the readers it finds in ``self._readers``."""
    from whoosh.codec import whoosh3

    original = whoosh3.W3PerDocReader._cached_reader
    if original is _cached_reader:
        original = _ORIGINAL_CACHED_READER
    params = list(inspect.signature(original).parameters)
    if params != ["self", "fieldname", "column"]:
        raise PrivatePathUnavailable(f"W3PerDocReader._cached_reader takes {params}")
    names = original.__code__.co_names
    if not {"_readers", "has_column", "column_reader"} <= set(names):
        raise PrivatePathUnavailable("W3PerDocReader._cached_reader no longer caches in _readers")


def _cached_reader(self, fieldname, column):  # type: ignore[no-untyped-def]
    if fieldname in self._readers:
        return self._readers[fieldname]
    reader = _ORIGINAL_CACHED_READER(self, fieldname, column)
    self._readers[fieldname] = reader
    return reader


def _set_column_cache(on: bool) -> None:
    """Put the fix in place (or take it out again)."""
    global _ORIGINAL_CACHED_READER
    from whoosh.codec import whoosh3

    with _LOCK:
        current = getattr(whoosh3.W3PerDocReader, "_cached_reader", None)
        if on and current is not _cached_reader and current is not None:
            _ORIGINAL_CACHED_READER = current
            whoosh3.W3PerDocReader._cached_reader = _cached_reader
        elif not on and current is _cached_reader and _ORIGINAL_CACHED_READER is not None:
            whoosh3.W3PerDocReader._cached_reader = _ORIGINAL_CACHED_READER


#: (the fix is in place, why not), once checked
_COLUMN_CACHE: tuple[bool, str | None] | None = None


def apply_column_cache_fix() -> bool:
    """A speed fix of the per-document reader, put in place when its check passes (the
    version and the method it replaces; no index needed, so indexer.schema calls it on
    import). Returns whether the fix is in place.

    ``W3PerDocReader._cached_reader`` caches column readers but not their absence, so for
    every posting of a field without a lengths column (ID, NUMERIC, unscored KEYWORD,
    spelling fields) it stats the segment's column file again; committing a segment then
    spends a large share of its time in ``os.stat``. Caching the absence too is safe: a
    segment's columns never change once written.
    """
    global _COLUMN_CACHE
    with _LOCK:
        if _COLUMN_CACHE is None:
            problem = _version_problem(installed_version())
            if problem is None:
                try:
                    _check_column_cache()
                except Exception as exc:  # a changed method: leave Whoosh's own in place
                    problem = f"column cache: {type(exc).__name__}: {exc}"
            _set_column_cache(problem is None)
            _COLUMN_CACHE = (problem is None, problem)
        return _COLUMN_CACHE[0]
