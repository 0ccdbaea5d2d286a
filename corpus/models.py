"""Plain dataclasses that every other package reads: documents, passages, footnotes.

Every span is a pair of character offsets into ``Document.text``, the canonical plain text
of a document. Passages are separated in that text by a blank line ("\\n\\n"), so
``document.text[p.start:p.end]`` is exactly the passage text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Reference:
    """One work cited inside a footnote (a footnote may hold several)."""

    raw: str
    authors: list[str] = field(default_factory=list)
    year: str | None = None
    title: str | None = None
    container: str | None = None
    pages: str | None = None
    urls: list[str] = field(default_factory=list)
    #: a stable key shared by every citation of the same work (e.g. "beznec-2016-governing")
    work_key: str | None = None


@dataclass
class Footnote:
    """A numbered (or asterisk) note of a document."""

    number: str  # "1", "42", "*"
    text: str
    page: int | None = None
    references: list[Reference] = field(default_factory=list)
    #: text that is not a reference (a note may be commentary only)
    commentary: str = ""
    #: for "Ibid." / "op. cit." notes: the number of the earlier note whose reference it repeats
    refers_to: str | None = None
    kind: str = "note"  # "note" | "ibid" | "opcit"


@dataclass
class FootnoteMark:
    """A place in the canonical text where a footnote is cited (the mark itself is removed)."""

    number: str
    offset: int  # character offset in Document.text where the mark stood
    passage: int  # ordinal of the passage holding it


@dataclass
class Passage:
    """A paragraph (or heading, list item, caption) as a span of the canonical text."""

    ordinal: int
    start: int
    end: int
    page: int | None = None
    kind: str = "paragraph"  # "paragraph" | "heading" | "item" | "caption" | "reference"
    level: int = 0  # heading level (1-6) for headings, else 0
    footnotes: list[str] = field(default_factory=list)  # numbers cited in this passage
    #: for a "reference" passage (an entry of the document's reference list): the works it
    #: lists, parsed as footnote references are (empty when the entry does not parse)
    references: list[Reference] = field(default_factory=list)


@dataclass
class Document:
    """A cleaned document: canonical text, its passages, its footnotes."""

    doc_id: str
    title: str
    text: str
    passages: list[Passage]
    footnotes: list[Footnote] = field(default_factory=list)
    marks: list[FootnoteMark] = field(default_factory=list)
    source_path: str = ""
    format: str = ""  # "txt" | "md" | "html" | "pdf"
    pages: int | None = None
    content_hash: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def passage_text(self, passage: Passage) -> str:
        """Return the text of one passage."""
        return self.text[passage.start : passage.end]

    def footnote(self, number: str | int) -> Footnote | None:
        """Return the footnote with this number, or None."""
        key = str(number)
        for note in self.footnotes:
            if note.number == key:
                return note
        return None

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the document."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Rebuild a document from :meth:`to_dict` output."""
        data = dict(data)
        passages = []
        for p in data.get("passages", []):
            p = dict(p)
            p["references"] = [Reference(**r) for r in p.get("references", [])]
            passages.append(Passage(**p))
        data["passages"] = passages
        notes = []
        for n in data.get("footnotes", []):
            n = dict(n)
            n["references"] = [Reference(**r) for r in n.get("references", [])]
            notes.append(Footnote(**n))
        data["footnotes"] = notes
        data["marks"] = [FootnoteMark(**m) for m in data.get("marks", [])]
        return cls(**data)


class ReadError(Exception):
    """A file could not be read as a document; the message says why, for a person."""


class NoTextLayer(ReadError):
    """A PDF with no text to read (a scan): OCR (``glossa ingest --ocr``) may read it."""
