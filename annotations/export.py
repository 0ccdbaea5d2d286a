"""Export annotations (JSON-LD collection, CSV, Markdown) and import a JSON-LD collection.

An annotation whose document was removed from the corpus (``annotations.removed``) is
exported marked so, with the removal's date: ``glossa:documentRemoved`` in JSON-LD (the W3C
collection too), the ``document_removed`` column in CSV, "document removed on DATE" in
Markdown. Importing such a JSON-LD export restores the annotations and, for documents the
corpus does not hold, the removal (its date, title and file name), so they are listed as
belonging to a removed document again and come back with the document if it is added.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .base import AnnotationError
from .model import (
    AnchorRecord,
    AnnotationRecord,
    JsonLdError,
    collection_jsonld,
    document_iri,
    format_datetime,
    from_jsonld,
    items_from_collection,
)
from .removed import RemovedRecord

#: the JSON-LD key of an annotation whose document was removed: {removed, title, sourceName}
REMOVED_KEY = "glossa:documentRemoved"

CSV_COLUMNS = [
    "document",
    "title",
    "page",
    "passage",
    "quote",
    "tags",
    "comment",
    "author",
    "created",
    "modified",
    "link",
    "document_removed",
]
# Inline Markdown punctuation that changes how text renders anywhere in a line (emphasis, code,
# links, strike-through, table cells, escapes); "(", ")", ".", "!" and "-" only matter in
# the line-start forms handled by _MD_LINE_START, so ordinary prose keeps them bare.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
# What makes a line a heading, quote, list item, rule or numbered item when it starts a line.
# (">" needs nothing: it is always written as "&gt;", which no parser reads as a quote marker.)
_MD_LINE_START = re.compile(r"^(\s*)(?:([#+\-=])|(\d+)([.)]))", re.MULTILINE)


def annotation_link(base_url: str, a: AnnotationRecord) -> str:
    """Where the annotation is shown in the document viewer."""
    return f"{document_iri(base_url, a.doc_id)}#anno-{a.id}"


#: removed documents by id, as ``AnnotationService.removed_documents`` lists them
Removed = Mapping[str, RemovedRecord]


def removed_map(records) -> dict[str, RemovedRecord]:
    """``{doc_id: record}`` of ``AnnotationService.removed_documents()``."""
    return {r.doc_id: r for r in records}


def removed_jsonld(record: RemovedRecord) -> dict:
    """The ``glossa:documentRemoved`` value of an annotation of a removed document."""
    return {"removed": format_datetime(record.removed_at), "title": record.title, "sourceName": record.source_name}


def mark_removed_jsonld(collection: dict, items: list[AnnotationRecord], removed: Removed | None) -> dict:
    """``collection`` (``collection_jsonld`` of ``items``) with each annotation of a removed
    document marked (``glossa:documentRemoved``); changed in place and returned."""
    if not removed:
        return collection
    for record, item in zip(items, (collection.get("first") or {}).get("items", []), strict=False):
        found = removed.get(record.doc_id)
        if found is not None:
            item[REMOVED_KEY] = removed_jsonld(found)
    return collection


def export_jsonld(
    items: list[AnnotationRecord],
    base_url: str,
    label: str = "Glossa annotations",
    histories: dict[str, list[AnchorRecord]] | None = None,
    removed: Removed | None = None,
    collection_id: str | None = None,
) -> dict:
    """An AnnotationCollection of the given annotations; `histories` (annotation id -> its
    anchor history, as `AnnotationService.histories` gives) adds `glossa:history`, `removed`
    (removed documents by id) marks the annotations of removed documents."""
    collection = collection_jsonld(items, base_url, label=label, collection_id=collection_id, histories=histories)
    return mark_removed_jsonld(collection, items, removed)


def _removed_date(record: RemovedRecord | None) -> str:
    return format_datetime(record.removed_at) if record is not None else ""


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas in untrusted text."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def export_csv(
    items: list[AnnotationRecord],
    base_url: str,
    passage_for: Callable[[str, int], int | None] | None = None,
    doc_info: Callable[[str], dict | None] | None = None,
    removed: Removed | None = None,
) -> str:
    """CSV with one row per annotation; `passage_for(doc_id, offset)` gives the passage ordinal
    (an annotation on a footnote has "note N" there: its offsets count in the note), and
    `doc_info` (as for `export_markdown`) the document title and the quote's page;
    `document_removed` holds when the annotation's document was removed (`removed`), and its
    title is then the one it had."""
    removed = removed or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in items:
        if a.note is not None:
            where: str | int = f"note {a.note}"
        else:
            ordinal = passage_for(a.doc_id, a.start) if passage_for else None
            where = "" if ordinal is None else ordinal
        title, page = _title_and_page(a, doc_info)
        gone = removed.get(a.doc_id)
        if gone is not None and not title:
            title = gone.title
        writer.writerow(
            [
                _cell(a.doc_id),
                _cell(title or ""),
                "" if page is None else page,
                _cell(where) if isinstance(where, str) else where,
                _cell(a.exact),
                _cell("; ".join(a.tags)),
                _cell(a.comment),
                _cell(a.creator),
                format_datetime(a.created),
                format_datetime(a.modified),
                annotation_link(base_url, a),
                _removed_date(gone),
            ]
        )
    return out.getvalue()


def _title_and_page(a: AnnotationRecord, doc_info: Callable[[str], dict | None] | None) -> tuple[str | None, object]:
    """The document title and the page of the annotation's start, when `doc_info` knows them
    (none for an annotation on a footnote: its offsets count in the note, not the text)."""
    info = (doc_info(a.doc_id) if doc_info else None) or {}
    page_for = info.get("page_for")
    return info.get("title"), (page_for(a.start) if callable(page_for) and a.note is None else None)


def _escape_line_start(m: re.Match) -> str:
    if m.group(2):
        return m.group(1) + "\\" + m.group(2)
    return m.group(1) + m.group(3) + "\\" + m.group(4)  # "1." -> "1\." (a digit cannot be escaped)


def md_escape(text: str) -> str:
    """Escape what Markdown would render, and HTML, so untrusted text shows as itself.

    Only the characters that change rendering are escaped: inline markers anywhere, block
    markers ("#", "-", "+", "1.") where they start a line; "authorities." stays as it is."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def export_markdown(
    items: list[AnnotationRecord],
    base_url: str,
    doc_info: Callable[[str], dict | None] | None = None,
    removed: Removed | None = None,
) -> str:
    """Markdown: each quote as a blockquote with its document title, page and link.

    `doc_info(doc_id)` returns {"title": str, "page_for": offset -> page or None} or None;
    an annotation of a removed document (`removed`) says so, with the date.
    """
    removed = removed or {}
    lines = ["# Annotations", ""]
    for a in items:
        title, page = _title_and_page(a, doc_info)
        gone = removed.get(a.doc_id)
        title = title or (gone.title if gone is not None else "") or a.doc_id
        for line in a.exact.splitlines() or [""]:
            lines.append("> " + md_escape(line) if line.strip() else ">")
        source = f"— *{md_escape(title)}*"
        if page is not None:
            source += f", p. {md_escape(str(page))}"
        if a.note is not None:
            source += f", note {md_escape(a.note)}"
        source += f", [link]({_md_url(annotation_link(base_url, a))})"
        if gone is not None:
            source += f" (document removed on {md_escape(_removed_date(gone))})"
        lines += [">", "> " + source, ""]
        if a.tags:
            lines += ["Tags: " + ", ".join(f"`{t}`" for t in a.tags), ""]
        if a.comment:
            lines += [md_escape(p) for p in a.comment.splitlines()] + [""]
        note = f"*{md_escape(a.creator)}, {format_datetime(a.created)}"
        if a.status == "orphaned":
            note += " (orphaned: the quote is no longer found in the document)"
        elif a.status == "review":
            was = f": it was “{md_escape(a.previous_exact)}”" if a.previous_exact is not None else ""
            note += f" (moved onto changed text, to review{was})"
        lines += [note + "*", "", "---", ""]
    return "\n".join(lines)


@dataclass
class ImportReport:
    """What an import did; `errors` lists (index, message) of the items refused; `removed`
    the documents marked removed again (their annotations' export said so)."""

    imported: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _removal(item: dict) -> dict | None:
    """An item's ``glossa:documentRemoved`` as {removed_at, title, source_name}, or None;
    JsonLdError for one that is not what export writes."""
    value = item.get(REMOVED_KEY)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("removed"), str):
        raise JsonLdError(REMOVED_KEY, "must be an object with the date the document was removed")
    try:
        when = datetime.fromisoformat(value["removed"].replace("Z", "+00:00"))
    except ValueError:
        raise JsonLdError(REMOVED_KEY, "removed must be a date and time (ISO 8601)") from None
    if when.tzinfo is None:
        raise JsonLdError(REMOVED_KEY, "removed must say its time zone")
    texts = {}
    for key, name in (("title", "title"), ("sourceName", "source_name")):
        text = value.get(key, "")
        if not isinstance(text, str):
            raise JsonLdError(f"{REMOVED_KEY}.{key}", "must be text")
        texts[name] = text
    return {"removed_at": when, **texts}


def import_jsonld(data, service, in_corpus: Container[str] | None = None) -> ImportReport:
    """Restore annotations from an AnnotationCollection (ids, creators by name, dates, tags).

    An annotation exported as belonging to a removed document (``glossa:documentRemoved``)
    is restored with it, and its document is marked removed again, with the date it was
    removed, unless the store already knows that removal or ``in_corpus`` (the ids of the
    corpus's documents, when the caller knows them) holds the document: it is back."""
    try:
        items = items_from_collection(data)
    except JsonLdError as exc:
        raise AnnotationError(400, str(exc)) from None
    report = ImportReport()
    removals: dict[str, dict] = {}
    for i, item in enumerate(items):
        try:
            removal = _removal(item) if isinstance(item, dict) else None
            inp = from_jsonld(item)
            if service.restore(inp):
                report.imported += 1
            else:
                report.skipped += 1
            if removal is not None and inp.doc_id:
                removals.setdefault(inp.doc_id, removal)
        except (JsonLdError, AnnotationError) as exc:
            report.errors.append((i, str(exc)))
    if removals:
        known = service.removed_ids()
        for doc_id, removal in removals.items():
            if doc_id in known or (in_corpus is not None and doc_id in in_corpus):
                continue
            service.mark_removed(doc_id, **removal)
            report.removed.append(doc_id)
    return report
