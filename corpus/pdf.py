"""Read a PDF: body paragraphs, footnote marks and footnotes, from the page's structure.

``corpus.pdf_layout`` turns pdfminer's characters into lines in reading order (columns,
rotated text left out, Form XObjects read, marks of any length); here running headers,
footers and page numbers are dropped and the type sizes are measured; ``corpus.pdf_notes``
takes the footnote blocks out of each page and ``corpus.pdf_paragraphs`` rebuilds the
body's paragraphs. The file is parsed once.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .builder import DocumentBuilder
from .models import Document, NoTextLayer, ReadError
from .pdf_bibliography import mark_references
from .pdf_layout import PAGE_NUMBER, Line, Page, read_layout
from .pdf_notes import NoteState, split_page
from .pdf_paragraphs import paragraphs, vocabulary
from .pdf_title import pdf_title
from .references import annotate_footnotes, parse_list_entry

#: lines at the top of each page measured for the body's type size
TOP_LINES = 3


def read_pdf(path: str | Path, doc_id: str | None = None, data: bytes | None = None) -> Document:
    """Read a PDF file into a Document; raise ReadError for corrupt, encrypted or scanned files.

    ``data``: the file's bytes when the caller has read them already (the file is parsed once).
    """
    path = Path(path)
    try:
        data = path.read_bytes() if data is None else data
    except OSError as exc:
        raise ReadError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    pages, info = read_layout(path.name, data)
    lines = [line for page in pages for line in page.lines]
    if not any(line.text.strip() for line in lines):
        raise NoTextLayer(
            f"{path.name}: the PDF has no text layer (probably a scan); ingest it with --ocr "
            "(needs ocrmypdf: apt-get install ocrmypdf tesseract-ocr-eng), or run OCR first "
            "(for example `ocrmypdf in.pdf out.pdf`) and add the result"
        )
    drop = _running_lines(pages)
    body_size = _body_size(pages, drop)
    vocab = vocabulary(lines)
    state = NoteState(vocab)
    body: list[Line] = []
    for page in pages:
        kept = [ln for ln in page.lines if id(ln) not in drop]
        body.extend(split_page(kept, page, body_size, state))
    builder = DocumentBuilder()
    failures = 0
    for block in mark_references(paragraphs(body, body_size, vocab), body_size, vocab):
        if block.kind == "reference":
            refs = parse_list_entry(block.text)
            failures += refs is None
            block.references = refs or []
        builder.add(block)
    notes = state.notes
    for note in notes:
        note.text = re.sub(r"\s+", " ", note.text).strip()
    metadata: dict[str, Any] = {k: v for k, v in info.items() if v}
    failures += annotate_footnotes(notes)
    if failures:
        metadata["reference_parse_failures"] = failures  # kept as commentary notes, counted here
    return builder.build(
        doc_id=doc_id or path.stem,
        title=pdf_title(info, pages, body_size, drop) or path.stem,
        footnotes=notes,
        source_path=str(path),
        format="pdf",
        pages=len(pages),
        content_hash=hashlib.sha256(data).hexdigest(),
        metadata=metadata,
    )


def _body_size(pages: list[Page], drop: set[int] | None = None) -> float:
    """The body's type size: the most used size in the first lines of the pages' text.

    Running heads, page numbers (``drop``) and text under a footnote rule are left out. A
    page's text starts with body text (notes come below it), so this holds also where the
    notes have more text than the body (law reviews: 40 lines of notes under 10 of body);
    the most used size over all the text is the fallback.
    """
    drop = _running_lines(pages) if drop is None else drop
    top: Counter[float] = Counter()
    counts: Counter[float] = Counter()
    for page in pages:
        floor = min((r.y for r in page.rules), default=-1.0)
        kept = [ln for ln in page.lines if id(ln) not in drop and ln.y0 > floor]
        for line in kept[:TOP_LINES]:
            top[line.size] += len(line.text)
        for line in kept:
            counts[line.size] += len(line.text)
    if not counts:
        counts = Counter({ln.size: len(ln.text) for page in pages for ln in page.lines})
    for measured in (top, counts):
        if measured:
            return measured.most_common(1)[0][0]
    return 10.0


def _running_lines(pages: list[Page]) -> set[int]:
    """Ids of page-number lines and running headers/footers repeated over the pages.

    The two top and two bottom lines of a page count with their numbers blanked; any other
    line in the page's top or bottom tenth (licence footers, journal addresses) when its very
    text repeats. A line counts as running when it repeats on 40% of the pages, or on 40% of
    the odd or of the even pages (recto and verso heads differ: journal name on one side,
    article title on the other).
    """
    drop: set[int] = set()
    seen: Counter[str] = Counter()
    sides: Counter[tuple[int, str]] = Counter()
    edges: list[tuple[Line, str]] = []
    for page in pages:
        texts = sorted(page.lines, key=lambda ln: -ln.y1)
        ends = texts[:2] + [ln for ln in texts[-2:] if ln not in texts[:2]]
        keys = [(line, re.sub(r"\d+", "#", line.text.lower())) for line in ends]
        margin = 0.1 * page.height
        keys += [
            (line, "=" + line.text.lower())
            for line in texts
            if line not in ends and (line.y0 < margin or line.y1 > page.height - margin)
        ]
        edges.extend(keys)
        found = {key for _, key in keys}
        seen.update(found)
        sides.update((page.number % 2, key) for key in found)
    need = max(2, len(pages) * 0.4)
    per_side = {side: max(2, sum(1 for p in pages if p.number % 2 == side) * 0.4) for side in (0, 1)}
    for line, key in edges:
        side = line.page % 2
        # a note's first line (its number raised before it: "40 Para 501.") is not a page head
        running = seen[key] >= need or (sides[(side, key)] >= per_side[side] and not line.lead)
        if PAGE_NUMBER.match(line.text) or (running and len(pages) > 1):
            drop.add(id(line))
    return drop
