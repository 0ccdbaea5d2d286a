"""The natural-query vocabulary of an index generation, stored in the generation as one file.

:class:`indexer.query.Vocabulary` needs, for reading natural queries, every body-text word's
coarse root and index terms, and the entity field's names. Worked out from the index at open,
that is one pass of Python analysis over the whole spelling vocabulary (half a second for the
sample corpus, much more for a large one), paid by the first search of every process and
after every ingest. Instead each build writes the file (:func:`write_for`, from the
generation writers' commit), and a searcher looks words up in it in place (:func:`open_or_build`:
the file is memory-mapped; a lookup is a binary search, nothing is decoded at open).

The build is incremental: a word's root and terms depend on the word alone (and on the
analysis, which the file's fingerprint names), so the entries of the generation the writer
started from are reused and only words new to the lexicon are analysed; words no longer in the
lexicon drop out, so the file always says what a pass over the index would.

Never trusted blindly: the file carries a format version, a fingerprint of the analysis (the
entries of a fixed list of probe words, as this code computes them), a stamp of the index files
it was built for (their names and sizes: a later commit changes them), and a CRC-32 of its body.
A file failing any check is ignored and built again from the index (and rewritten, by a rename,
where the generation is writable).

Layout (all text UTF-8; ``\\t``, ``\\n`` and ``\\\\`` escaped in values)::

    GLOSSA-VOCAB\\n
    {JSON header: format, fingerprint, stamp, counts, section lengths, crc32, and a backend's
     figures of the same index files ("extra")}\\n
    body: word lines "root<TAB>word<TAB>term term\\n" sorted by (root, word),
          entity lines "name\\n" sorted, then the start offset of every line (little-endian
          unsigned 64-bit: one more than the lines of each section)
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.fields import Schema

from .query import Vocabulary, entity_names, word_entries, word_entry

#: the file's name in a generation directory
FILENAME = "GLOSSA_VOCAB"
MAGIC = b"GLOSSA-VOCAB\n"
FORMAT = 1
#: words whose entries fingerprint the analysis (stems, roots, spelling keys, accents, stop words)
PROBES = (
    "returnees",
    "liberalisation",
    "smugglers",
    "bordered",
    "organisations",
    "Türkiye",
    "pushbacks",
    "readmission",
    "centre",
    "travelling",
    "with",
    "identities",
)
#: files of a generation the stamp leaves out (written after the vocabulary, or not index data)
_UNSTAMPED_PREFIXES = (".", FILENAME, "GLOSSA_BACKEND")


class VocabError(ValueError):
    """A vocabulary file that cannot be used (the message says why)."""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append({"t": "\t", "n": "\n"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def fingerprint(schema: Schema) -> str:
    """A hash of what the analysis makes of the probe words (changes when the analysis does)."""
    entries = [word_entry(w, schema) for w in PROBES]
    text = json.dumps([FORMAT, [list(e) if e else None for e in entries]], ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def stamp(generation: str | os.PathLike) -> str:
    """A hash of the names and sizes of a generation's index files (a commit changes them)."""
    rows = []
    with os.scandir(os.fspath(generation)) as entries:
        for entry in entries:
            if entry.name.startswith(_UNSTAMPED_PREFIXES) or entry.name.lower().endswith(("lock", ".tmp")):
                continue
            if entry.is_file(follow_symlinks=False):
                rows.append(f"{entry.name}\t{entry.stat().st_size}")
    return hashlib.sha1("\n".join(sorted(rows)).encode("utf-8")).hexdigest()


class _Lines(Sequence[bytes]):
    """The lines of one section of the mapped file, by number (each one sliced on demand)."""

    def __init__(self, data: Any, offsets: np.ndarray) -> None:
        self._data = data
        self._offsets = offsets

    def __len__(self) -> int:
        return max(0, len(self._offsets) - 1)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return bytes(self._data[int(self._offsets[i]) : int(self._offsets[i + 1]) - 1])


class _Keys(Sequence[bytes]):
    """The first field of each word line (its root), for binary search."""

    def __init__(self, lines: _Lines) -> None:
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i: Any) -> Any:
        return self._lines[i].split(b"\t", 1)[0]


class Roots(Mapping[str, set[str]]):
    """Root -> index terms, read from the word lines (what :attr:`Vocabulary.roots` holds)."""

    def __init__(self, lines: _Lines, distinct: int) -> None:
        self._lines = lines
        self._keys = _Keys(lines)
        self._distinct = distinct

    def _range(self, root: str) -> tuple[int, int]:
        key = _escape(root).encode("utf-8")
        lo = bisect_left(self._keys, key)
        return lo, bisect_right(self._keys, key, lo)

    def __getitem__(self, root: str) -> set[str]:
        if not isinstance(root, str):
            raise KeyError(root)
        lo, hi = self._range(root)
        if lo == hi:
            raise KeyError(root)
        terms: set[str] = set()
        for i in range(lo, hi):
            terms.update(_unescape(t) for t in self._lines[i].decode("utf-8").split("\t")[2].split(" ") if t)
        return terms

    def __contains__(self, root: object) -> bool:
        if not isinstance(root, str):
            return False
        lo, hi = self._range(root)
        return hi > lo

    def __iter__(self) -> Iterator[str]:
        last = None
        for i in range(len(self._keys)):
            key = self._keys[i]
            if key != last:
                last = key
                yield _unescape(key.decode("utf-8"))

    def __len__(self) -> int:
        return self._distinct


class Names(AbstractSet[str]):
    """A sorted set of names read from the entity lines."""

    def __init__(self, lines: _Lines) -> None:
        self._lines = lines

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = _escape(name).encode("utf-8")
        i = bisect_left(self._lines, key)
        return i < len(self._lines) and self._lines[i] == key

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self._lines)):
            yield _unescape(self._lines[i].decode("utf-8"))

    def __len__(self) -> int:
        return len(self._lines)


class VocabStore:
    """One vocabulary file, mapped: :attr:`roots`, :attr:`entities`, and every word's entry."""

    def __init__(self, path: str | os.PathLike, schema: Schema, expect_stamp: str | None = None) -> None:
        """Map and check the file; VocabError when it is not one this code wrote for this
        analysis (and, with ``expect_stamp``, for these index files); OSError when unreadable."""
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < len(MAGIC) + 2:
                raise VocabError("too short")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if data[: len(MAGIC)] != MAGIC:
            raise VocabError("not a vocabulary file")
        end = data.find(b"\n", len(MAGIC))
        if end < 0:
            raise VocabError("no header")
        try:
            header = json.loads(bytes(data[len(MAGIC) : end]).decode("utf-8"))
            fmt, words, names = int(header["format"]), int(header["words"]), int(header["entities"])
            sizes = [int(header["word_bytes"]), int(header["entity_bytes"])]
            crc, distinct = int(header["crc32"]), int(header["roots"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VocabError(f"bad header: {exc}") from None
        if fmt != FORMAT:
            raise VocabError(f"format {fmt}, not {FORMAT}")
        if header.get("fingerprint") != fingerprint(schema):
            raise VocabError("written for another analysis")
        if expect_stamp is not None and header.get("stamp") != expect_stamp:
            raise VocabError("written for other index files")
        body = end + 1
        offsets_at = body + sizes[0] + sizes[1]
        if min(words, names, *sizes) < 0 or offsets_at + 8 * (words + names + 2) != size:
            raise VocabError("truncated or overlong")
        if zlib.crc32(memoryview(data)[body:]) != crc:
            raise VocabError("checksum mismatch")
        offsets = np.frombuffer(data, dtype="<u8", count=words + names + 2, offset=offsets_at)
        word_offsets = offsets[: words + 1] + body
        name_offsets = offsets[words + 1 :] + body + sizes[0]
        if (
            (words and (word_offsets[0] != body or word_offsets[-1] != body + sizes[0]))
            or (names and (name_offsets[0] != body + sizes[0] or name_offsets[-1] != offsets_at))
            or np.any(np.diff(offsets[: words + 1].astype(np.int64)) <= 0)
            or np.any(np.diff(offsets[words + 1 :].astype(np.int64)) <= 0)
        ):
            raise VocabError("bad line offsets")
        self.header = header
        self._data = data
        self._words = _Lines(data, word_offsets)
        self.roots = Roots(self._words, distinct)
        self.entities = Names(_Lines(data, name_offsets))

    def entries(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Word -> (root, terms), for building the next generation's file."""
        out = {}
        for i in range(len(self._words)):
            root, word, terms = self._words[i].decode("utf-8").split("\t")
            out[_unescape(word)] = (_unescape(root), tuple(_unescape(t) for t in terms.split(" ") if t))
        return out


class MemoryStore:
    """The same answers as :class:`VocabStore`, held in memory (when no file could be used)."""

    def __init__(self, entries: Iterable[tuple[str, str, Sequence[str]]], names: Iterable[str]) -> None:
        self.header: dict[str, Any] = {}
        self.path = None
        roots: dict[str, set[str]] = {}
        self._entries: dict[str, tuple[str, tuple[str, ...]]] = {}
        for word, root, terms in entries:
            roots.setdefault(root, set()).update(terms)
            self._entries[word] = (root, tuple(terms))
        self.roots = roots
        self.entities = frozenset(names)

    def entries(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Word -> (root, terms)."""
        return dict(self._entries)


def encode(
    entries: Iterable[tuple[str, str, Sequence[str]]],
    names: Iterable[str],
    schema: Schema,
    index_stamp: str,
    terms: Mapping[str, int] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes of a vocabulary file (see the module doc); ``terms``: how many terms some
    fields hold, kept in the header for the searcher (the tantivy backend sizes its facet
    aggregations by them); ``extra``: other figures of the same index files a backend's
    searcher reads at open (JSON values, kept in the header as ``extra``)."""
    term_counts = dict(terms or {})
    lines = sorted(
        (_escape(root).encode("utf-8"), _escape(word).encode("utf-8"), " ".join(_escape(t) for t in terms))
        for word, root, terms in entries
    )
    word_blob = b"".join(b"%s\t%s\t%s\n" % (root, word, terms.encode("utf-8")) for root, word, terms in lines)
    name_lines = sorted({_escape(n).encode("utf-8") for n in names})
    name_blob = b"".join(n + b"\n" for n in name_lines)
    offsets = [0]
    for root, word, joined in lines:
        offsets.append(offsets[-1] + len(root) + len(word) + len(joined.encode("utf-8")) + 3)
    name_offsets = [0]
    for n in name_lines:
        name_offsets.append(name_offsets[-1] + len(n) + 1)
    tail = np.asarray(offsets + name_offsets, dtype="<u8").tobytes()
    body = word_blob + name_blob + tail
    header = {
        "format": FORMAT,
        "fingerprint": fingerprint(schema),
        "stamp": index_stamp,
        "words": len(lines),
        "roots": len({root for root, _w, _t in lines}),
        "entities": len(name_lines),
        "word_bytes": len(word_blob),
        "entity_bytes": len(name_blob),
        "crc32": zlib.crc32(body),
        "terms": term_counts,
    }
    if extra:
        header["extra"] = dict(extra)
    return MAGIC + json.dumps(header, sort_keys=True).encode("utf-8") + b"\n" + body


def _write(path: Path, data: bytes) -> None:
    """Write by a rename (the old file may be a hard link shared with another generation)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def previous_entries(*paths: str | os.PathLike | None, schema: Schema) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Word -> (root, terms) from the first usable vocabulary file among ``paths`` (generation
    directories or files; any stamp: entries depend on the words alone), else empty."""
    for path in paths:
        if path is None:
            continue
        file = Path(path)
        if file.is_dir():
            file = file / FILENAME
        try:
            return VocabStore(file, schema).entries()
        except (OSError, VocabError):
            continue
    return {}


def write_for(
    generation: str | os.PathLike,
    reader: Any,
    schema: Schema,
    known: Mapping[str, Any] | None = None,
    count_fields: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Build and write the vocabulary file of a committed generation from ``reader`` (its term
    dictionary), reusing ``known`` entries (word -> (root, terms)), with the number of terms
    of each of ``count_fields`` and ``extra`` (see :func:`encode`) in its header; returns counts."""
    generation = Path(generation)
    known = dict(known or {})
    entries = list(word_entries(reader, schema, known))
    names = list(entity_names(reader, schema))
    terms = {field: sum(1 for _t in reader.lexicon(field)) for field in count_fields}
    _write(generation / FILENAME, encode(entries, names, schema, stamp(generation), terms, extra))
    return {"words": len(entries), "analysed": sum(1 for w, _r, _t in entries if w not in known)}


def write_whoosh(generation: str | os.PathLike) -> dict[str, int]:
    """:func:`write_for` a committed Whoosh generation (the entries of the file it holds, a
    hard link to the one of the generation it was copied from, reused)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    known = previous_entries(generation, schema=ix.schema)
    with ix.reader() as reader:
        return write_for(generation, reader, ix.schema, known)


def open_or_build(
    generation: str | os.PathLike,
    reader: Any,
    schema: Schema,
    count_fields: Sequence[str] = (),
    extra: Callable[[], Mapping[str, Any]] | None = None,
) -> VocabStore | MemoryStore:
    """The generation's vocabulary file, checked against the generation; when it is missing or
    fails a check, the vocabulary built from ``reader`` (reusing the old file's entries; the
    terms of ``count_fields`` counted as the build counts them, and ``extra()`` as the build
    gave it to :func:`write_for`), written back where possible, else kept in memory."""
    generation = Path(generation)
    path = generation / FILENAME
    try:
        current = stamp(generation)
    except OSError:
        current = None
    if current is not None:
        try:
            return VocabStore(path, schema, expect_stamp=current)
        except (OSError, VocabError):
            pass
    known = previous_entries(path, schema=schema)
    entries = list(word_entries(reader, schema, known))
    names = list(entity_names(reader, schema))
    if current is not None:
        try:
            terms = {field: sum(1 for _t in reader.lexicon(field)) for field in count_fields}
            _write(path, encode(entries, names, schema, current, terms, extra() if extra else None))
            return VocabStore(path, schema, expect_stamp=current)
        except (OSError, VocabError):
            pass
    return MemoryStore(entries, names)


def load_vocabulary(
    reader: Any,
    schema: Schema,
    generation: Any,
    count_fields: Any = (),
    extra: Callable[[], Mapping[str, Any]] | None = None,
) -> Vocabulary:
    """The vocabulary of an index generation read from the file its build stored there (looked
    up in place, nothing built at open); when that file is missing, stale or damaged, built from
    ``reader`` as :class:`~indexer.query.Vocabulary` does, and stored for the next process (with
    the term counts of ``count_fields`` and ``extra()``, see :func:`write_for`). Answers exactly
    what ``Vocabulary(reader, schema)`` answers."""
    vocab = Vocabulary(reader, schema)
    store = open_or_build(generation, reader, schema, count_fields, extra)
    vocab.store = store
    vocab._roots = store.roots
    vocab._entities = store.entities
    return vocab
