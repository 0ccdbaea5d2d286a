"""Read a PDF with pdfminer layout analysis: body paragraphs, footnote marks and footnotes.

Lines are classified by type size, position and rules: running headers/footers and page
numbers are dropped, the block under the footnote rule becomes ``Footnote`` records (a
note running over onto the next page is joined to its start), small raised digits glued
to a word become footnote marks, line-end hyphens are undone and paragraphs cut by a
page end are joined.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from .builder import Block, DocumentBuilder
from .models import Document, Footnote, ReadError
from .references import annotate_footnotes

MARK_CHARS = set("0123456789*†‡§")
TERMINAL = re.compile(r"""[.!?:;»”"')\]]$""")
PAGE_NUMBER = re.compile(r"^(page\s+)?(\d{1,4}|[ivxlcdm]{1,6})(\s*(/|of)\s*\d{1,4})?$", re.I)
NOTE_START = re.compile(r"^(\d{1,4}|[*†‡§]{1,3})\s*(?=\S)")
URL_TAIL = re.compile(r"(https?://|www\.)\S*$")
#: second halves of common hyphenated compounds: a line-end hyphen before them is kept
COMPOUND_TAILS = {
    "up",
    "down",
    "in",
    "out",
    "off",
    "time",
    "hour",
    "term",
    "based",
    "level",
    "scale",
    "free",
    "like",
    "making",
    "related",
    "specific",
    "wide",
    "led",
    "known",
    "called",
    "border",
    "country",
    "party",
    "driven",
    "run",
}
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass
class Line:
    """One text line of a page, with its footnote marks already taken out."""

    page: int
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    bold: bool
    text: str
    marks: list[tuple[int, str]] = field(default_factory=list)


def read_pdf(path: str | Path, doc_id: str | None = None) -> Document:
    """Read a PDF file into a Document; raise ReadError for corrupt, encrypted or scanned files."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    pages, info = _layout(path, data)
    lines = [line for page in pages for line in page]
    if not any(line.text.strip() for line in lines):
        raise ReadError(
            f"{path.name}: the PDF has no text layer (probably a scan); "
            "run OCR first (for example `ocrmypdf in.pdf out.pdf`) and add the result"
        )
    body_size = _body_size(pages)
    drop = _running_lines(pages)
    vocab = _vocabulary(lines)
    body: list[Line] = []
    notes: list[Footnote] = []
    for page in pages:
        kept = [ln for ln in page if id(ln) not in drop]
        main, under = _split_notes(kept, body_size)
        body.extend(main)
        _collect_notes(under, notes, vocab)
    builder = DocumentBuilder()
    for block in _paragraphs(body, body_size, vocab):
        builder.add(block)
    for note in notes:
        note.text = re.sub(r"\s+", " ", note.text).strip()
    annotate_footnotes(notes)
    return builder.build(
        doc_id=doc_id or path.stem,
        title=_title(info, pages, body_size) or path.stem,
        footnotes=notes,
        source_path=str(path),
        format="pdf",
        pages=len(pages),
        content_hash=hashlib.sha256(data).hexdigest(),
        metadata={k: v for k, v in info.items() if v},
    )


def _layout(path: Path, data: bytes) -> tuple[list[list[Line]], dict[str, str]]:
    """Open the PDF and return its lines page by page, and its metadata."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ReadError(f"{path.name}: not a PDF file (no %PDF header)")
    try:
        with path.open("rb") as handle:
            document = PDFDocument(PDFParser(handle))
            info = _info(document)
            manager = PDFResourceManager()
            device = PDFPageAggregator(manager, laparams=LAParams(word_margin=0.15))
            interpreter = PDFPageInterpreter(manager, device)
            pages = []
            for number, page in enumerate(PDFPage.create_pages(document), 1):
                interpreter.process_page(page)
                pages.append(_page_lines(device.get_result(), number))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ReadError(
            f"{path.name}: the PDF is encrypted (password protected); remove the "
            "password (for example `qpdf --decrypt --password=... in.pdf out.pdf`) "
            f"and add it again ({type(exc).__name__})"
        ) from exc
    except ReadError:
        raise
    except Exception as exc:  # pdfminer raises many kinds of errors on damaged files
        raise ReadError(
            f"{path.name}: the PDF is damaged and cannot be read ({type(exc).__name__}: {exc}); re-export or repair it"
        ) from exc
    if not pages:
        raise ReadError(f"{path.name}: the PDF is damaged: no pages found; re-export or repair it")
    return pages, info


def _info(document) -> dict[str, str]:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    out: dict[str, str] = {}
    for entry in document.info or []:
        for key in ("Title", "Author", "Subject", "Creator", "Producer", "CreationDate"):
            value = resolve1(entry.get(key))
            if isinstance(value, bytes):
                value = decode_text(value)
            if isinstance(value, str) and value.strip():
                out[key.lower()] = value.strip()
    return out


def _page_lines(layout, number: int) -> list[Line]:
    """All text lines of one page, top to bottom, plus thin rules as empty lines."""
    from pdfminer.layout import LTChar, LTCurve, LTTextContainer, LTTextLine

    lines: list[Line] = []
    stack = list(layout)
    while stack:
        item = stack.pop()
        if isinstance(item, LTTextLine):
            line = _line(item, number, LTChar)
            if line:
                lines.append(line)
        elif isinstance(item, LTTextContainer):
            stack.extend(item)
        elif isinstance(item, LTCurve) and item.height <= 2 and 20 < item.width < layout.width * 0.6:
            lines.append(Line(number, item.x0, item.x1, item.y0, item.y1, 0, False, ""))
    lines.sort(key=lambda ln: (-round(ln.y1), ln.x0))
    return _merge_fragments(lines)


def _merge_fragments(lines: list[Line]) -> list[Line]:
    """Join pieces of one visual line (justified text split at wide spaces), left to right."""
    out: list[Line] = []
    for line in lines:
        same = [
            o
            for o in out[-8:]
            if o.text and line.text and abs(o.y0 - line.y0) < 0.3 * line.size and abs(o.size - line.size) < 0.6
        ]
        if not same:
            out.append(line)
            continue
        base = same[0]
        left, right = (base, line) if base.x0 <= line.x0 else (line, base)
        shift = len(left.text) + 1
        base.marks = left.marks + [(o + shift, n) for o, n in right.marks]
        base.text = f"{left.text} {right.text}"
        base.x0, base.x1 = min(base.x0, line.x0), max(base.x1, line.x1)
        base.y1 = max(base.y1, line.y1)
    return out


def _line(item, number: int, char_type) -> Line | None:
    chars = [c for c in item if isinstance(c, char_type)]
    if not chars:
        return None
    sizes = Counter(round(c.size, 1) for c in chars if c.get_text().strip())
    size = sizes.most_common(1)[0][0] if sizes else round(chars[0].size, 1)
    base = median(c.y0 for c in chars if c.size >= 0.85 * size)
    text, marks, run, after_mark = "", [], "", False
    for obj in item:
        ch = obj.get_text()
        if ch.startswith("(cid:"):  # a glyph without a Unicode mapping
            continue
        raised = isinstance(obj, char_type) and obj.size < 0.8 * size and obj.y0 > base + 0.2 * size
        if raised and ch in MARK_CHARS and text.strip():
            run += ch
            continue
        if run:  # a mark ends: no space before it; one after it only before a word
            text = text.rstrip()
            marks.append((len(text), run))
            run, after_mark = "", True
        if ch.isspace():
            if text and not text.endswith(" ") and not after_mark:
                text += " "
            continue
        if after_mark and (ch[0].isalnum() or ch[0] in "([«“‘"):
            text += " "
        after_mark = False
        text += ch
    if run:
        text = text.rstrip()
        marks.append((len(text), run))
    bold = all("bold" in getattr(c, "fontname", "").lower() for c in chars if c.get_text().strip())
    if not text.strip():
        return None
    return Line(number, item.x0, item.x1, item.y0, item.y1, size, bold, text.strip(), marks)


def _body_size(pages: list[list[Line]]) -> float:
    """The most used type size above the footnote rules (all text when there is no rule)."""
    counts: Counter[float] = Counter()
    for page in pages:
        rules = [ln.y0 for ln in page if not ln.text]
        floor = min(rules) if rules else -1.0
        for line in page:
            if line.y0 > floor:
                counts[line.size] += len(line.text)
    return counts.most_common(1)[0][0] if counts else 10.0


def _running_lines(pages: list[list[Line]]) -> set[int]:
    """Ids of page-number lines and running headers/footers (top or bottom lines repeated)."""
    drop: set[int] = set()
    seen: Counter[str] = Counter()
    edges: list[tuple[Line, str]] = []
    for page in pages:
        texts = [ln for ln in page if ln.text]
        ends = texts[:2] + [ln for ln in texts[-2:] if ln not in texts[:2]]
        keys = [(line, re.sub(r"\d+", "#", line.text.lower())) for line in ends]
        edges.extend(keys)
        seen.update({key for _, key in keys})
    need = max(2, len(pages) * 0.4)
    for line, key in edges:
        if PAGE_NUMBER.match(line.text) or (seen[key] >= need and len(pages) > 1):
            drop.add(id(line))
    return drop


def _split_notes(page: list[Line], body_size: float) -> tuple[list[Line], list[Line]]:
    """Split one page into body lines and the footnote block under the rule."""
    rules = [ln for ln in page if not ln.text]
    texts = [ln for ln in page if ln.text]
    for rule in sorted(rules, key=lambda r: -r.y0):
        under = [ln for ln in texts if ln.y1 <= rule.y0 + 1]
        if under and all(ln.size < body_size * 0.95 for ln in under):
            return [ln for ln in texts if ln.y1 > rule.y0 + 1], under
    under: list[Line] = []
    for line in reversed(texts):  # no rule: a bottom block in smaller type starting with a number
        if line.size >= body_size * 0.9:
            break
        under.insert(0, line)
    if under and NOTE_START.match(under[0].text):
        return texts[: len(texts) - len(under)], under
    return texts, []


def _collect_notes(lines: list[Line], notes: list[Footnote], vocab: set[str]) -> None:
    """Append the notes of one page; lines before the first number continue the last note."""
    if not lines:
        return
    left = min(ln.x0 for ln in lines)
    for i, line in enumerate(lines):
        match = NOTE_START.match(line.text)
        restart = i == 0 and match is not None and match.group(1) == "1"  # numbering per chapter
        starts = match and line.x0 <= left + 3 and (restart or _next_number(notes, match.group(1)))
        if starts:
            notes.append(Footnote(number=match.group(1), text=line.text[match.end() :], page=line.page))
        elif notes:
            notes[-1].text = _join(notes[-1].text, line.text, vocab)


def _next_number(notes: list[Footnote], number: str) -> bool:
    if not number.isdigit() or not notes or not notes[-1].number.isdigit():
        return True
    return int(number) == int(notes[-1].number) + 1


def _vocabulary(lines: list[Line]) -> set[str]:
    """Lower-cased words seen inside lines (not at a hyphenated line end), to undo hyphens."""
    words: set[str] = set()
    for line in lines:
        text = line.text[:-1] if line.text.endswith("-") else line.text
        words.update(w.lower() for w in WORD.findall(text))
    return words


def _join(left: str, right: str, vocab: set[str]) -> str:
    """Join two lines: undo a line-end hyphen, keep URLs whole, else one space."""
    if not left:
        return right
    if not right:
        return left
    url = URL_TAIL.search(left)
    if url and (left[-1] in "/-_.?=&#%~" or right[0] in "/-_.?=&#%~" or "/" in right.split(" ")[0]):
        return left + right
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha():
        head = re.search(r"([^\W\d_]+)-$", left)
        tail = re.match(r"[^\W\d_]+", right)
        if head and tail:
            joined = (head.group(1) + tail.group(0)).lower()
            compound = f"{head.group(1)}-{tail.group(0)}".lower()
            if compound in vocab and joined not in vocab:
                return left + right
            if tail.group(0).lower() in COMPOUND_TAILS:
                return left + right
            if joined in vocab or (tail.group(0)[0].islower() and not head.group(1).isupper()):
                return left[:-1] + right
        return left + right
    if left[-1] in "-–" and left[-2:-1].isdigit():
        return left + right
    return left + " " + right


def _paragraphs(lines: list[Line], body_size: float, vocab: set[str]) -> list[Block]:
    """Group body lines into paragraph and heading blocks, joining across page ends."""
    blocks: list[Block] = []
    heading_sizes = sorted({ln.size for ln in lines if ln.size >= body_size * 1.12}, reverse=True)
    right = max((ln.x1 for ln in lines), default=0)
    prev: Line | None = None
    for line in lines:
        kind, level = "paragraph", 0
        if line.size >= body_size * 1.12 and len(line.text) < 200:
            kind, level = "heading", min(heading_sizes.index(line.size) + 1, 6)
        elif line.bold and len(line.text) < 150 and not TERMINAL.search(line.text):
            kind, level = "heading", len(heading_sizes) + 1
        if prev and blocks and blocks[-1].kind == kind and _continues(prev, line, body_size, right):
            block = blocks[-1]
            joined = _join(block.text, line.text, vocab)
            shift = len(joined) - len(line.text)
            block.marks = [(min(o, len(joined)), n) for o, n in block.marks]
            block.marks += [(o + shift, n) for o, n in line.marks]
            block.text = joined
        else:
            blocks.append(Block(line.text, kind=kind, level=min(level, 6), page=line.page, marks=list(line.marks)))
        prev = line
    return blocks


def _continues(prev: Line, line: Line, body_size: float, right: float) -> bool:
    """Whether ``line`` carries on the paragraph that ``prev`` ends."""
    if abs(prev.size - line.size) > 0.5 or prev.bold != line.bold:
        return False
    ended = bool(TERMINAL.search(prev.text))
    full = prev.x1 >= right - line.size * 2
    if prev.page != line.page:
        return not ended or (full and line.text[:1].islower())
    gap = prev.y0 - line.y1
    if gap > 0.35 * line.size or gap < -line.size:
        return False
    if ended and not full:
        return False
    return line.x0 <= prev.x0 + line.size * 0.7 or prev.x0 > line.x0


def _title(info: dict[str, str], pages: list[list[Line]], body_size: float) -> str:
    """PDF metadata title if meaningful, else the first large-type line(s)."""
    meta = info.get("title", "")
    junk = re.compile(r"^(untitled|microsoft word - .*|.*\.(docx?|odt|pdf|tex|rtf))$", re.I)
    if len(meta) > 3 and not junk.match(meta):
        return meta
    first = [ln for ln in (pages[0] if pages else []) if ln.text]
    if not first:
        return ""
    big = max(ln.size for ln in first)
    if big < body_size * 1.2:
        return ""
    lines = [ln for ln in first if ln.size == big]
    start = first.index(lines[0])
    taken = []
    for line in first[start:]:
        if line.size != big:
            break
        taken.append(line.text)
    return re.sub(r"\s+", " ", " ".join(taken)).strip()
