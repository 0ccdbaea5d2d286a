"""The works index: every cited work once, with its citations; BibTeX and CSL-JSON export."""

from __future__ import annotations

import re
from collections.abc import Iterable
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


def build_works(documents: Iterable[Citing]) -> list[Work]:
    """Group the parsed references of all documents by work key (sorted by key): those of
    the footnotes (``citations``) and those of reference-list entries (``listed``)."""
    works: dict[str, Work] = {}

    def work_of(ref: Reference) -> Work | None:
        if not ref.work_key or not (ref.title or ref.authors):
            return None
        work = works.get(ref.work_key)
        if work is None:
            work = works[ref.work_key] = Work(key=ref.work_key)
        _merge(work, ref)
        return work

    for doc in documents:
        for note in doc.footnotes:
            for ref in note.references:
                work = work_of(ref)
                if work is not None and (doc.doc_id, note.number) not in work.citations:
                    work.citations.append((doc.doc_id, note.number))
        for passage in doc.passages:
            for ref in passage.references:
                work = work_of(ref)
                if work is not None and (doc.doc_id, passage.ordinal) not in work.listed:
                    work.listed.append((doc.doc_id, passage.ordinal))
    for work in works.values():
        work.type = work_type(work)
    return sorted(works.values(), key=lambda w: w.key)


def _merge(work: Work, ref: Reference) -> None:
    """Fill the work's empty fields from one more citation of it; collect every URL."""
    work.authors = work.authors or list(ref.authors)
    work.year = work.year or ref.year
    work.title = work.title or ref.title
    work.container = work.container or ref.container
    if ref.raw and re.search(r"\bIn\b.*\(Eds?\.\)", ref.raw):
        work.type = "chapter"
    for url in ref.urls:
        if url not in work.urls:
            work.urls.append(url)


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
