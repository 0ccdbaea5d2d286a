"""A PDF's pages as text lines in reading order, from pdfminer's characters.

Characters not set upright (margin stamps, vertical text) are left out before lines are
formed; text inside Form XObjects (``LTFigure``) is read like any other. Each page's lines
are put in reading order by a whitespace-gap analysis: the page is cut into horizontal
bands, neighbouring bands that share a vertical gutter are read as one multi-column region,
column by column (recursively, so any number of columns), and a full-width band between
them (a title, a block of notes) is read where it stands. Raised small digits glued to a
word become footnote marks of any length; rules (drawn, or typed as dashes) are kept.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from .models import ReadError

MARK_CHARS = set("0123456789*†‡§")
#: a line made only of dashes or underscores: a footnote rule typed as text
TYPED_RULE = re.compile(r"^[\s_\-‐‑‒–—―─━]{3,}$")
#: widest vertical gutter (in units of the page's type size) that still counts as a word gap
GUTTER = 0.9


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
    #: which column region of its page the line was read in (reading order)
    region: int = 0
    #: leading marks: a raised number at the start of the line (a note's own number)
    lead: str = ""
    #: baseline (median y0 of the full-size characters)
    base: float = 0.0


@dataclass
class Rule:
    """A thin horizontal rule drawn (or typed) on a page."""

    x0: float
    x1: float
    y: float


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line]
    rules: list[Rule]
    rotated: int = 0  # characters left out because they were not upright


def read_layout(name: str, data: bytes) -> tuple[list[Page], dict[str, str]]:
    """Parse the PDF bytes once; return its pages (lines in reading order) and its metadata."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    class UprightAggregator(PDFPageAggregator):
        """Sets aside characters that are not upright (rotated stamps, vertical text).

        A page set mostly in rotated text (a landscape page, vertical writing) keeps them.
        """

        def begin_page(self, page, ctm):
            self.aside: list = []
            self.upright = 0
            super().begin_page(page, ctm)

        def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):
            adv = super().render_char(matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate)
            a, b, _, d = matrix[:4]
            if abs(b) > 0.05 * abs(a) or not a or not d:  # turned; a slant (c alone: synthetic italics) is upright
                self.aside.append((self.cur_item, self.cur_item._objs.pop()))
            else:
                self.upright += 1
            return adv

        def end_page(self, page):
            if len(self.aside) > self.upright:
                for container, item in self.aside:
                    container._objs.append(item)
                self.aside = []
            self.rotated = len(self.aside)
            super().end_page(page)

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ReadError(f"{name}: not a PDF file (no %PDF header)")
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        info = _info(document)
        manager = PDFResourceManager()
        params = LAParams(char_margin=1.0, word_margin=0.15, all_texts=True, boxes_flow=None)
        device = UprightAggregator(manager, laparams=params)
        interpreter = PDFPageInterpreter(manager, device)
        pages = []
        for number, page in enumerate(PDFPage.create_pages(document), 1):
            interpreter.process_page(page)
            pages.append(_page(device.get_result(), number, device.rotated))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ReadError(
            f"{name}: the PDF is encrypted (password protected); remove the "
            "password (for example `qpdf --decrypt --password=... in.pdf out.pdf`) "
            f"and add it again ({type(exc).__name__})"
        ) from exc
    except ReadError:
        raise
    except Exception as exc:  # pdfminer raises many kinds of errors on damaged files
        raise ReadError(
            f"{name}: the PDF is damaged and cannot be read ({type(exc).__name__}: {exc}); re-export or repair it"
        ) from exc
    if not pages:
        raise ReadError(f"{name}: the PDF is damaged: no pages found; re-export or repair it")
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


def _page(layout, number: int, rotated: int) -> Page:
    """One page: its text lines in reading order and its rules."""
    from pdfminer.layout import LTChar, LTCurve, LTFigure, LTTextContainer, LTTextLine

    lines: list[Line] = []
    rules: list[Rule] = []
    stack = list(layout)
    while stack:
        item = stack.pop()
        if isinstance(item, LTTextLine):
            for line in _lines(item, number, LTChar):
                if TYPED_RULE.match(line.text):
                    rules.append(Rule(line.x0, line.x1, (line.y0 + line.y1) / 2))
                else:
                    lines.append(line)
        elif isinstance(item, (LTTextContainer, LTFigure)):
            stack.extend(item)
        elif isinstance(item, LTCurve) and item.height <= 2 and 20 < item.width < layout.width * 0.7:
            rules.append(Rule(item.x0, item.x1, (item.y0 + item.y1) / 2))
    return Page(number, layout.width, layout.height, reading_order(lines), rules, rotated)


def _lines(item, number: int, char_type) -> list[Line]:
    """The lines of one pdfminer text line, split where a gap is too wide for a word space
    (pdfminer joins lines of neighbouring columns across a narrow gutter)."""
    objs = list(item)
    chars = [c for c in objs if isinstance(c, char_type) and c.get_text().strip()]
    if not chars:
        return []
    size = Counter(round(c.size, 1) for c in chars).most_common(1)[0][0]
    pieces: list[list] = [[]]
    last = None
    for obj in objs:
        if isinstance(obj, char_type) and obj.get_text().strip():
            if last is not None and (obj.x0 - last.x1 > 1.2 * size or obj.x1 < last.x0 - size):  # a gap, or back
                pieces.append([])
            last = obj
        pieces[-1].append(obj)
    out = [_line(piece, number, char_type) for piece in pieces]
    return [line for line in out if line is not None]


def _line(objs: list, number: int, char_type) -> Line | None:
    chars = [c for c in objs if isinstance(c, char_type)]
    if not chars:
        return None
    sizes = Counter(round(c.size, 1) for c in chars if c.get_text().strip())
    size = sizes.most_common(1)[0][0] if sizes else round(chars[0].size, 1)
    base = median(c.y0 for c in chars if c.size >= 0.85 * size)
    text, marks, run, lead, after_mark = "", [], "", "", False
    for obj in objs:
        ch = obj.get_text()
        if ch.startswith("(cid:"):  # a glyph without a Unicode mapping
            continue
        raised = isinstance(obj, char_type) and obj.size < 0.8 * size and obj.y0 > base + 0.2 * size
        if raised and ch in MARK_CHARS:
            run += ch
            continue
        if run:  # a mark ends: no space before it; one after it only before a word
            if text.strip():
                text = text.rstrip()
                marks.append((len(text), run))
            elif not lead:
                lead = run
            run, after_mark = "", True
        if ch.isspace():
            if text and not text.endswith(" ") and not after_mark:
                text += " "
            continue
        if after_mark and text and (ch[0].isalnum() or ch[0] in "([«“‘"):
            text += " "
        after_mark = False
        text += ch
    if run:
        if text.strip():
            text = text.rstrip()
            marks.append((len(text), run))
        elif not lead:
            lead = run
    bold = all("bold" in getattr(c, "fontname", "").lower() for c in chars if c.get_text().strip())
    if not text.strip():
        return None
    text = text.strip()
    x0, x1 = min(c.x0 for c in chars), max(c.x1 for c in chars)
    y0, y1 = min(c.y0 for c in chars), max(c.y1 for c in chars)
    return Line(number, x0, x1, y0, y1, size, bold, text, marks, lead=lead, base=base)


# ---------------------------------------------------------------- reading order


def reading_order(lines: list[Line]) -> list[Line]:
    """The page's lines in reading order; each line's ``region`` says which column region it is in."""
    if not lines:
        return []
    unit = median(ln.size for ln in lines) or 10.0
    out: list[Line] = []
    _order(lines, unit, out, [0])
    return out


def _order(lines: list[Line], unit: float, out: list[Line], region: list[int]) -> None:
    bands = _bands(lines)
    gutters = [_gutter(band, unit) for band in bands]
    found = list(gutters)
    for i, band in enumerate(bands):  # a gap in one line alone is a wide space, unless a neighbour has it too
        if _one_line(band, unit):
            near = [j for j in (i - 1, i + 1) if 0 <= j < len(bands) and found[j] is not None]
            shared = [_gutter(band + bands[j], unit) for j in near]
            shared = [g for g in shared if g is not None and not any(ln.x0 < g < ln.x1 for ln in band)]
            enough = 1 if found[i] is not None else 2  # a gap of its own, or one both neighbours have
            gutters[i] = shared[0] if len(shared) >= enough else None
    groups: list[list[int]] = []  # each group: the indexes of its bands
    for i, band in enumerate(bands):
        if groups and _joins([ln for j in groups[-1] for ln in bands[j]], band, gutters[i], unit):
            groups[-1].append(i)
        else:
            groups.append([i])
    for members in groups:
        group = [ln for i in members for ln in bands[i]]
        cut = _gutter(group, unit) if len(members) > 1 or gutters[members[0]] is not None else None
        if cut is None:  # one column (a lone line split at a wide space is one line)
            region[0] += 1
            for line in _merge_fragments(sorted(group, key=lambda ln: (-ln.base, ln.x0))):
                line.region = region[0]
                out.append(line)
            continue
        _order([ln for ln in group if ln.x1 <= cut], unit, out, region)
        _order([ln for ln in group if ln.x1 > cut], unit, out, region)


def _one_line(lines: list[Line], unit: float) -> bool:
    """Whether the lines are pieces of one visual line (all on one baseline)."""
    return max(ln.base for ln in lines) - min(ln.base for ln in lines) < 0.3 * unit


def _bands(lines: list[Line]) -> list[list[Line]]:
    """Horizontal bands: runs of lines whose vertical extents overlap, top to bottom."""
    bands: list[list[Line]] = []
    floor = None
    for line in sorted(lines, key=lambda ln: -ln.y1):
        top = line.y1 - 0.15 * (line.y1 - line.y0)
        if bands and floor is not None and top > floor:
            bands[-1].append(line)
            floor = min(floor, line.y0)
        else:
            bands.append([line])
            floor = line.y0
    return bands


def _gutter(lines: list[Line], unit: float) -> float | None:
    """The middle of the widest vertical gap with a column of text on both sides, if wide enough.

    Both sides must be columns (some ems wide): a column of note numbers or line numbers
    beside the text is not one.
    """
    spans = sorted((ln.x0, ln.x1) for ln in lines)
    start, end = spans[0][0], max(x1 for _, x1 in spans)
    best, best_width = None, GUTTER * unit
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach > best_width and reach - start >= 5 * unit and end - x0 >= 5 * unit:
            best, best_width = (reach + x0) / 2, x0 - reach
        reach = max(reach, x1)
    return best


def _joins(group: list[Line], band: list[Line], theirs: float | None, unit: float) -> bool:
    """Whether a band belongs to the region above it: both one column, or sharing its gutter."""
    mine = _gutter(group, unit)
    if theirs is None:  # lines under a column region: they belong to it if none crosses its gutter
        # (a heading in one column beside a line of the other shares one baseline: no gutter of its own)
        return mine is None or all(ln.x1 <= mine or ln.x0 >= mine for ln in band)
    if mine is None:
        return False
    return _gutter(group + band, unit) is not None


def _merge_fragments(lines: list[Line]) -> list[Line]:
    """Join pieces of one visual line (justified text split at wide spaces), left to right.

    A raised number standing apart at the left of a line (a hanging note number) becomes
    the line's ``lead``.
    """
    out: list[Line] = []
    for line in lines:
        same = [o for o in out[-4:] if _same_line(o, line)]
        if not same:
            out.append(line)
            continue
        base = same[0]
        left, right = (base, line) if base.x0 <= line.x0 else (line, base)
        if _hanging_number(left, right):
            base.marks, base.lead, base.text = right.marks, left.text, right.text
            base.size, base.base, base.bold = right.size, right.base, right.bold
        else:
            shift = len(left.text) + 1
            base.marks = left.marks + [(o + shift, n) for o, n in right.marks]
            base.lead = left.lead
            base.text = f"{left.text} {right.text}"
        base.x0, base.x1 = min(base.x0, line.x0), max(base.x1, line.x1)
        base.y1 = max(base.y1, line.y1)
        base.y0 = min(base.y0, line.y0)
    return out


def _hanging_number(left: Line, right: Line) -> bool:
    return left.size < 0.85 * right.size and all(c in MARK_CHARS for c in left.text) and not left.lead


def _same_line(one: Line, other: Line) -> bool:
    if one.x0 < other.x1 - 1 and other.x0 < one.x1 - 1:
        return False  # they overlap: two lines, not two pieces of one
    left, right = (one, other) if one.x0 <= other.x0 else (other, one)
    if _hanging_number(left, right):
        return -0.2 * right.size < left.base - right.base < 0.7 * right.size
    return abs(one.base - other.base) < 0.3 * other.size and abs(one.size - other.size) < 0.6
