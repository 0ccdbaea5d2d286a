"""Export annotations (JSON-LD collection, CSV, Markdown) and import a JSON-LD collection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

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


def export_jsonld(
    items: list[AnnotationRecord],
    base_url: str,
    label: str = "Glossa annotations",
    histories: dict[str, list[AnchorRecord]] | None = None,
) -> dict:
    """An AnnotationCollection of the given annotations; `histories` (annotation id -> its
    anchor history, as `AnnotationService.histories` gives) adds `glossa:history`."""
    return collection_jsonld(items, base_url, label=label, histories=histories)


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
) -> str:
    """CSV with one row per annotation; `passage_for(doc_id, offset)` gives the passage ordinal
    and `doc_info` (as for `export_markdown`) the document title and the quote's page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in items:
        ordinal = passage_for(a.doc_id, a.start) if passage_for else None
        title, page = _title_and_page(a, doc_info)
        writer.writerow(
            [
                _cell(a.doc_id),
                _cell(title or ""),
                "" if page is None else page,
                "" if ordinal is None else ordinal,
                _cell(a.exact),
                _cell("; ".join(a.tags)),
                _cell(a.comment),
                _cell(a.creator),
                format_datetime(a.created),
                format_datetime(a.modified),
                annotation_link(base_url, a),
            ]
        )
    return out.getvalue()


def _title_and_page(a: AnnotationRecord, doc_info: Callable[[str], dict | None] | None) -> tuple[str | None, object]:
    """The document title and the page of the annotation's start, when `doc_info` knows them."""
    info = (doc_info(a.doc_id) if doc_info else None) or {}
    page_for = info.get("page_for")
    return info.get("title"), (page_for(a.start) if callable(page_for) else None)


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
    items: list[AnnotationRecord], base_url: str, doc_info: Callable[[str], dict | None] | None = None
) -> str:
    """Markdown: each quote as a blockquote with its document title, page and link.

    `doc_info(doc_id)` returns {"title": str, "page_for": offset -> page or None} or None.
    """
    lines = ["# Annotations", ""]
    for a in items:
        title, page = _title_and_page(a, doc_info)
        title = title or a.doc_id
        for line in a.exact.splitlines() or [""]:
            lines.append("> " + md_escape(line) if line.strip() else ">")
        source = f"— *{md_escape(title)}*"
        if page is not None:
            source += f", p. {md_escape(str(page))}"
        source += f", [link]({_md_url(annotation_link(base_url, a))})"
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
    """What an import did; `errors` lists (index, message) of the items refused."""

    imported: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_jsonld(data, service) -> ImportReport:
    """Restore annotations from an AnnotationCollection (ids, creators by name, dates, tags)."""
    try:
        items = items_from_collection(data)
    except JsonLdError as exc:
        raise AnnotationError(400, str(exc)) from None
    report = ImportReport()
    for i, item in enumerate(items):
        try:
            inp = from_jsonld(item)
            if service.restore(inp):
                report.imported += 1
            else:
                report.skipped += 1
        except (JsonLdError, AnnotationError) as exc:
            report.errors.append((i, str(exc)))
    return report
