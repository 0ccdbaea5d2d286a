"""The works index: every cited work once, with its citations; BibTeX and CSL-JSON export."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .models import Footnote, Passage, Reference


class Citing(Protocol):
    """What the works index reads of a document (a Document, or a lighter copy of these)."""

    doc_id: str
    footnotes: list[Footnote]
    passages: list[Passage]


#: characters LaTeX treats specially, and their escaped forms for BibTeX field values
BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
LEGAL = re.compile(r"^(regulation|directive|council decision|decision|agreement|status agreement)\b", re.I)
JOURNAL = re.compile(r"\b(journal|review|quarterly|unbound|transactions|studies|bulletin)\b", re.I)
PERSON = re.compile(r"^(?P<family>[^,]+),\s*(?P<given>[^,]+)$")


@dataclass
class Work:
    """One cited work and every footnote that cites it."""

    key: str
    authors: list[str] = field(default_factory=list)
    year: str | None = None
    title: str | None = None
    container: str | None = None
    urls: list[str] = field(default_factory=list)
    #: (doc_id, footnote number) of every citation, in reading order
    citations: list[tuple[str, str]] = field(default_factory=list)
    #: (doc_id, passage ordinal) of every reference-list entry naming the work
    listed: list[tuple[str, int]] = field(default_factory=list)
    type: str = "document"  # a CSL type: article-journal, chapter, book, webpage, legislation, ...


@dataclass
class WorkPart:
    """One document's share of a work: its fields as the document's first references give
    them, the notes citing the work and the reference-list entries naming it (in reading order).

    A work is the fold of its parts in document order (:func:`merge_parts`), so the works
    index can be kept per document and updated for the documents an ingest changes."""

    authors: list[str] = field(default_factory=list)
    year: str | None = None
    title: str | None = None
    container: str | None = None
    urls: list[str] = field(default_factory=list)
    chapter: bool = False
    #: footnote numbers citing the work
    citations: list[str] = field(default_factory=list)
    #: passage ordinals of reference-list entries naming it
    listed: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (empty fields left out)."""
        data = {
            "a": self.authors,
            "y": self.year,
            "t": self.title,
            "c": self.container,
            "u": self.urls,
            "ch": self.chapter,
            "n": self.citations,
            "l": self.listed,
        }
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkPart:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            authors=list(data.get("a") or []),
            year=data.get("y"),
            title=data.get("t"),
            container=data.get("c"),
            urls=list(data.get("u") or []),
            chapter=bool(data.get("ch")),
            citations=[str(n) for n in data.get("n") or []],
            listed=[int(n) for n in data.get("l") or []],
        )


_CHAPTER = re.compile(r"\bIn\b.*\(Eds?\.\)")


def document_parts(doc: Citing) -> dict[str, WorkPart]:
    """The document's part of every work it cites (work key -> part, in first-cited order):
    its footnotes' references, then its reference-list entries'. A reference without a work
    key, or with neither title nor authors, names no work."""
    parts: dict[str, WorkPart] = {}
    seen: set[tuple[str, str, Any]] = set()

    def add(ref: Reference, kind: str, where: Any) -> None:
        if not ref.work_key or not (ref.title or ref.authors):
            return
        part = parts.get(ref.work_key)
        if part is None:
            part = parts[ref.work_key] = WorkPart()
        part.authors = part.authors or list(ref.authors)
        part.year = part.year or ref.year
        part.title = part.title or ref.title
        part.container = part.container or ref.container
        part.chapter = part.chapter or bool(ref.raw and _CHAPTER.search(ref.raw))
        for url in ref.urls:
            if url not in part.urls:
                part.urls.append(url)
        if (ref.work_key, kind, where) not in seen:
            seen.add((ref.work_key, kind, where))
            (part.citations if kind == "note" else part.listed).append(where)

    for note in doc.footnotes:
        for ref in note.references:
            add(ref, "note", note.number)
    for passage in doc.passages:
        for ref in passage.references:
            add(ref, "entry", passage.ordinal)
    return parts


def merge_parts(key: str, parts: Iterable[tuple[str, WorkPart]]) -> Work:
    """The work ``key`` from its parts, given as (doc_id, part) in document order: each field
    from the first part that has it, every URL once, every citation and listing in order."""
    work = Work(key=key)
    urls: set[str] = set()
    chapter = False
    for doc_id, part in parts:
        work.authors = work.authors or list(part.authors)
        work.year = work.year or part.year
        work.title = work.title or part.title
        work.container = work.container or part.container
        chapter = chapter or part.chapter
        for url in part.urls:
            if url not in urls:
                urls.add(url)
                work.urls.append(url)
        work.citations.extend((doc_id, number) for number in part.citations)
        work.listed.extend((doc_id, ordinal) for ordinal in part.listed)
    work.type = "chapter" if chapter else "document"
    work.type = work_type(work)
    return work


def build_works(documents: Iterable[Citing]) -> list[Work]:
    """Group the parsed references of all documents by work key (sorted by key): those of
    the footnotes (``citations``) and those of reference-list entries (``listed``)."""
    by_key: dict[str, list[tuple[str, WorkPart]]] = {}
    for doc in documents:
        for key, part in document_parts(doc).items():
            by_key.setdefault(key, []).append((doc.doc_id, part))
    return [merge_parts(key, by_key[key]) for key in sorted(by_key)]


def work_type(work: Work) -> str:
    """A CSL item type guessed from the title, container and URLs."""
    if work.type == "chapter":
        return "chapter"
    if work.title and LEGAL.match(work.title):
        return "legislation"
    if work.container and JOURNAL.search(work.container):
        return "article-journal"
    if work.title and re.search(r"\breports?(?: \d{4})?$|^(?:annual|country|research) report", work.title, re.I):
        return "report"
    if work.urls and not work.container:
        return "webpage"
    if work.container:
        return "book" if not work.urls else "article"
    return "document"


def _csl_name(author: str) -> dict[str, str]:
    person = PERSON.match(author)
    if person and len(person.group("family").split()) <= 3:
        return {"family": person.group("family").strip(), "given": person.group("given").strip()}
    return {"literal": author}


def to_csl_json(works: Iterable[Work]) -> list[dict[str, Any]]:
    """CSL-JSON items (id, type, title, author, issued, container-title, URL)."""
    items = []
    for work in works:
        item: dict[str, Any] = {"id": work.key, "type": work.type or work_type(work)}
        if work.title:
            item["title"] = work.title
        if work.authors:
            item["author"] = [_csl_name(a) for a in work.authors]
        if work.year and work.year[:4].isdigit():
            item["issued"] = {"date-parts": [[int(work.year[:4])]]}
        if work.container:
            item["container-title"] = work.container
        if work.urls:
            item["URL"] = work.urls[0]
            if len(work.urls) > 1:
                item["note"] = "Also at: " + " ".join(work.urls[1:])
        items.append(item)
    return items


def bibtex_escape(text: str) -> str:
    """Escape LaTeX special characters for a BibTeX field value."""
    return "".join(BIBTEX_ESCAPES.get(ch, ch) for ch in text)


def _bibtex_author(author: str) -> str:
    name = _csl_name(author)
    if "literal" in name:
        return "{" + bibtex_escape(author) + "}"  # a corporate author stays one name
    return bibtex_escape(f"{name['family']}, {name['given']}")


def to_bibtex(works: Iterable[Work]) -> str:
    """BibTeX entries for the works; special characters escaped, URLs in the url field."""
    kinds = {
        "article-journal": "article",
        "article": "article",
        "chapter": "incollection",
        "book": "book",
        "report": "techreport",
    }
    entries, used = [], set()
    for work in works:
        kind = kinds.get(work.type or work_type(work), "misc")
        key = re.sub(r"[^A-Za-z0-9_:-]", "", work.key) or "work"
        base, n = key, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        fields = []
        if work.authors:
            fields.append(("author", " and ".join(_bibtex_author(a) for a in work.authors)))
        if work.title:
            fields.append(("title", "{" + bibtex_escape(work.title) + "}"))
        if work.year:
            fields.append(("year", bibtex_escape(work.year)))
        if work.container:
            name = {"article": "journal", "incollection": "booktitle", "techreport": "institution"}
            fields.append(
                (name.get(kind, "publisher" if kind == "book" else "howpublished"), bibtex_escape(work.container))
            )
        if work.urls:
            fields.append(("url", work.urls[0].replace("{", "%7B").replace("}", "%7D")))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@{kind}{{{key},\n{body}\n}}\n")
    return "\n".join(entries)


# --- the works index on disk -------------------------------------------------------------------
#
# Kept per document (each document's parts, under the version of the document they came from)
# and merged per work, in one SQLite file, so a page of works reads that page, and an ingest of
# one document re-merges only the works it cites or cited.

#: the layout of the works file; another one is dropped and built again
WORKS_FORMAT = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parts (
    doc_id TEXT NOT NULL, work_key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (doc_id, work_key)
);
CREATE INDEX IF NOT EXISTS parts_by_work ON parts (work_key, doc_id);
CREATE TABLE IF NOT EXISTS works (
    key TEXT PRIMARY KEY, cited INTEGER NOT NULL, hay TEXT NOT NULL,
    fields TEXT NOT NULL, head TEXT NOT NULL, citations TEXT NOT NULL, listed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS works_by_rank ON works (cited DESC, key);
"""
#: citations of a work kept apart for pages (a page shows a few per work)
HEAD_CITATIONS = 20


def work_haystack(work: Work) -> str:
    """What a works filter looks in: the title and authors (case folded) and the key."""
    return "\n".join([(work.title or "").casefold(), work.key, *(a.casefold() for a in work.authors)])


@dataclass
class WorkRow:
    """A work as a page shows it: its fields, how often it is cited, its first citations
    (``citations``: at most :data:`HEAD_CITATIONS`) and every reference-list entry naming it."""

    key: str
    authors: list[str]
    year: str | None
    title: str | None
    container: str | None
    urls: list[str]
    type: str
    cited: int
    citations: list[tuple[str, str]]
    listed: list[tuple[str, int]]


class WorksIndex:
    """The works index of a corpus in an SQLite file (``:memory:`` for none on disk).

    ``update(changes)`` applies what changed per document (its version and parts, or None
    for a removed one) in one transaction, so a reader sees the index before or after it;
    applying the same changes again changes nothing. ``versions()`` tells which version of
    each document the index holds, so its owner can check it against the document list and
    bring it up to date (:meth:`update`) for the documents that differ. A file of another
    format, or one SQLite cannot read, is set aside and built again.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        self._local = threading.local()

    # connections -----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory is None:
                self._memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                self._memory.executescript(_SCHEMA)
                self._memory.execute(f"PRAGMA user_version = {WORKS_FORMAT}")
            return self._memory
        held = getattr(self._local, "conn", None)
        if held is not None:
            return held
        try:
            conn = self._open()
        except sqlite3.DatabaseError:  # not an SQLite file (or a damaged one): set aside, built again
            with contextlib.suppress(OSError):
                os.replace(self.path, f"{self.path}.damaged")
            conn = self._open()
        self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found != WORKS_FORMAT:  # new, or of another layout: made again in one transaction
            drops = "".join(f"DROP TABLE IF EXISTS {table};" for table in ("docs", "parts", "works"))
            conn.executescript(f"BEGIN IMMEDIATE;{drops}{_SCHEMA}PRAGMA user_version = {WORKS_FORMAT};COMMIT;")
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # reading ---------------------------------------------------------------------------
    def versions(self) -> dict[str, str]:
        """doc_id -> the version of the document the index holds the parts of."""
        with self._lock:
            return dict(self._connect().execute("SELECT doc_id, version FROM docs").fetchall())

    def page(self, needle: str = "", offset: int = 0, limit: int = 50) -> tuple[list[WorkRow], int]:
        """(the works whose title, key or an author contains ``needle`` (case-insensitive),
        most cited first, from ``offset``, at most ``limit``; how many match)."""
        where, args = self._where(needle)
        with self._lock:
            conn = self._connect()
            total = conn.execute(f"SELECT count(*) FROM works {where}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT key, fields, cited, head, listed FROM works {where} ORDER BY cited DESC, key LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        return [self._row(*row) for row in rows], total

    def works(self, needle: str = "") -> list[Work]:
        """Every work (or those matching ``needle``, as :meth:`page`), most cited first, in full."""
        where, args = self._where(needle)
        with self._lock:
            rows = (
                self._connect()
                .execute(f"SELECT key, fields, citations, listed FROM works {where} ORDER BY cited DESC, key", args)
                .fetchall()
            )
        out = []
        for key, fields, citations, listed in rows:
            out.append(
                Work(
                    key=key,
                    **self._described(fields),
                    citations=[(d, n) for d, n in json.loads(citations)],
                    listed=[(d, o) for d, o in json.loads(listed)],
                )
            )
        return out

    @staticmethod
    def _described(fields: str) -> dict[str, Any]:
        """A stored work's descriptive fields (authors, year, title, container, urls, type)."""
        data = json.loads(fields)
        return {name: data[name] for name in ("authors", "year", "title", "container", "urls", "type")}

    @staticmethod
    def _where(needle: str) -> tuple[str, list[str]]:
        needle = (needle or "").casefold()
        return ("WHERE instr(hay, ?) > 0", [needle]) if needle else ("", [])

    @staticmethod
    def _row(key: str, fields: str, cited: int, head: str, listed: str) -> WorkRow:
        return WorkRow(
            key=key,
            **WorksIndex._described(fields),
            cited=cited,
            citations=[(d, n) for d, n in json.loads(head)],
            listed=[(d, o) for d, o in json.loads(listed)],
        )

    # writing ---------------------------------------------------------------------------
    def update(self, changes: Mapping[str, tuple[str, Mapping[str, WorkPart]] | None]) -> int:
        """Apply per document its (version, parts), or None when it is gone, and merge again
        every work those documents cite or cited; how many works were merged."""
        if not changes:
            return 0
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                touched: set[str] = set()
                for doc_id, change in changes.items():
                    touched.update(k for (k,) in conn.execute("SELECT work_key FROM parts WHERE doc_id = ?", (doc_id,)))
                    conn.execute("DELETE FROM parts WHERE doc_id = ?", (doc_id,))
                    if change is None:
                        conn.execute("DELETE FROM docs WHERE doc_id = ?", (doc_id,))
                        continue
                    version, parts = change
                    conn.execute("INSERT OR REPLACE INTO docs VALUES (?, ?)", (doc_id, version))
                    conn.executemany(
                        "INSERT INTO parts VALUES (?, ?, ?)",
                        [(doc_id, key, json.dumps(part.to_dict(), ensure_ascii=False)) for key, part in parts.items()],
                    )
                    touched.update(parts)
                for key in sorted(touched):
                    self._merge(conn, key)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return len(touched)

    @staticmethod
    def _merge(conn: sqlite3.Connection, key: str) -> None:
        rows = conn.execute("SELECT doc_id, data FROM parts WHERE work_key = ? ORDER BY doc_id", (key,)).fetchall()
        if not rows:
            conn.execute("DELETE FROM works WHERE key = ?", (key,))
            return
        work = merge_parts(key, ((doc_id, WorkPart.from_dict(json.loads(data))) for doc_id, data in rows))
        fields = {k: getattr(work, k) for k in ("authors", "year", "title", "container", "urls", "type")}
        conn.execute(
            "INSERT OR REPLACE INTO works VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                len(work.citations),
                work_haystack(work),
                json.dumps(fields, ensure_ascii=False),
                json.dumps(work.citations[:HEAD_CITATIONS], ensure_ascii=False),
                json.dumps(work.citations, ensure_ascii=False),
                json.dumps(work.listed, ensure_ascii=False),
            ),
        )
