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
#: a page number alone on its line: "12", "xiv", "Page 3 of 9", "- 5 -" (typewritten); the one pattern the
#: page furniture (corpus.pdf) and the title rules (corpus.pdf_title) both use
PAGE_NUMBER = re.compile(r"^([-–—]\s*)?(page\s+)?(\d{1,4}|[ivxlcdm]{1,6})(\s*(/|of)\s*\d{1,4})?(\s*[-–—])?$", re.I)
TYPED_RULE = re.compile(r"^[\s_\-‐‑‒–—―─━]{3,}$")
#: widest vertical gutter (in units of the page's type size) that still counts as a word gap
GUTTER = 0.9
#: a gutter found in only one or two bands must be this wide (in type-size units): two lines
#: of justified text with a long URL each can show a stretched space at the same place
SHORT_GUTTER = 2.0


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
    #: out of the text's flow (an unnumbered line in a page's note area: "Double-blind peer
    #: reviewed article."): its own passage, which does not cut the paragraph around it
    aside: bool = False


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
        """Reads a page in the direction most of its text runs; sets the other characters aside.

        Characters turned from that direction (a rotated stamp down the margin, a word set at
        45 degrees) are left out. A page set mostly in turned text (a landscape table on a
        portrait page, a cover set sideways) is turned so that its text reads left to right.
        """

        def begin_page(self, page, ctm):
            self.placed: list = []  # (container, character, quarter turn or -1)
            super().begin_page(page, ctm)

        def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):
            adv = super().render_char(matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate)
            self.placed.append((self.cur_item, self.cur_item._objs[-1], _quarter(matrix)))
            return adv

        def end_page(self, page):
            counts = Counter(q for _, _, q in self.placed if q >= 0)
            turn = max((0, 1, 2, 3), key=lambda q: (counts[q], q == 0))
            aside: dict[int, set[int]] = {}
            holders = {}
            for container, item, q in self.placed:
                if q != turn:
                    aside.setdefault(id(container), set()).add(id(item))
                    holders[id(container)] = container
            for key, ids in aside.items():
                holders[key]._objs = [o for o in holders[key]._objs if id(o) not in ids]
            self.rotated = sum(len(ids) for ids in aside.values())
            self.turned = turn
            if turn:
                _turn_page(self.cur_item, turn)
            self.placed = []
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


def _quarter(matrix) -> int:
    """How many quarter turns (counter-clockwise) a character's text direction is from upright;
    -1 for a slanted direction. A slant of the glyphs alone (synthetic italics) is upright."""
    a, b, c, d = matrix[:4]
    if a > 0 and abs(b) <= 0.05 * a and d:
        return 0
    if b > 0 and abs(a) <= 0.05 * b and c:
        return 1
    if a < 0 and abs(b) <= 0.05 * -a and d:
        return 2
    if b < 0 and abs(a) <= 0.05 * -b and c:
        return 3
    return -1


def _turn_page(layout, turn: int) -> None:
    """Turn a page's items by ``turn`` quarter turns clockwise, so that text set that many
    quarter turns counter-clockwise reads left to right; the page's box turns with them."""
    from pdfminer.layout import LTChar, LTComponent, LTContainer

    px0, py0, px1, py1 = layout.bbox

    def point(x: float, y: float) -> tuple[float, float]:
        if turn == 1:
            return y - py0, px1 - x
        if turn == 3:
            return py1 - y, x - px0
        return px1 - x, py1 - y

    def turned(item) -> None:
        (ax, ay), (bx, by) = point(item.x0, item.y0), point(item.x1, item.y1)
        item.set_bbox((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
        if isinstance(item, LTChar):
            item.size = item.height
        if isinstance(item, LTContainer):
            for child in item:
                if isinstance(child, LTComponent):
                    turned(child)

    for item in layout:
        turned(item)
    width, height = (py1 - py0, px1 - px0) if turn in (1, 3) else (px1 - px0, py1 - py0)
    layout.set_bbox((0, 0, width, height))


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
        above = [ln for j in groups[-1] for ln in bands[j]] if groups else []
        if groups and _joins(above, band, gutters[i], unit) and not _belongs_below(above, bands, gutters, i, unit):
            groups[-1].append(i)
        else:
            groups.append([i])
    for members in groups:
        group = [ln for i in members for ln in bands[i]]
        cut = _gutter(group, unit) if len(members) > 1 or gutters[members[0]] is not None else None
        if cut is not None and len(members) <= 2 and _gutter(group, unit, SHORT_GUTTER) is None:
            cut = None  # a narrow gap in a line or two: stretched word spaces, not columns
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


def _gutter(lines: list[Line], unit: float, least: float = GUTTER) -> float | None:
    """The middle of the widest vertical gap with a column of text on both sides, if wide enough.

    Both sides must be columns (some ems wide): a column of note numbers or line numbers
    beside the text is not one.
    """
    gap = _gap(lines, unit, least)
    return (gap[0] + gap[1]) / 2 if gap else None


def _belongs_below(group: list[Line], bands: list[list[Line]], gutters: list, i: int, unit: float) -> bool:
    """Whether band ``i``, whose gap fits both the region above and the columns below, is the columns'.

    A heading beside the first line of the next column ("1 Introduction | argument in ...") leaves a
    wide gap that overlaps any gutter: under a block of side-by-side authors it would join the
    authors' region, whose gutter is not the columns'. It goes with the bands below when their
    gutter fits its gap and does not fit the region's above.
    """
    if gutters[i] is None or not any(ln.size >= 1.15 * unit for ln in bands[i]):
        return False  # no heading in larger type beside the column (a table's header row)
    mine, above = _gap(bands[i], unit), _gap(group, unit)
    if mine is None or above is None:
        return False
    following = [ln for band in bands[i + 1 : i + 7] for ln in band]  # the next lines, taken together
    below = _gap(following, unit) if following else None
    if below is None or mine[1] - mine[0] < 3 * (below[1] - below[0]):
        return False  # a gap like the columns' own (a table's header row): not a heading beside a column
    return _overlap(mine, below) and not _overlap(above, below)


def _overlap(one: tuple[float, float], other: tuple[float, float]) -> bool:
    return one[0] < other[1] and other[0] < one[1]


def _gap(lines: list[Line], unit: float, least: float = GUTTER) -> tuple[float, float] | None:
    """The widest vertical gap (left, right) with a column on both sides, as ``_gutter`` finds it."""
    spans = sorted((ln.x0, ln.x1) for ln in lines)
    start, end = spans[0][0], max(x1 for _, x1 in spans)
    best, best_width = None, least * unit
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach > best_width and reach - start >= 5 * unit and end - x0 >= 5 * unit:
            best, best_width = (reach, x0), x0 - reach
        reach = max(reach, x1)
    return best


def _joins(group: list[Line], band: list[Line], theirs: float | None, unit: float) -> bool:
    """Whether a band belongs to the region above it: both one column, or sharing its gutter."""
    mine = _gutter(group, unit)
    if theirs is None:  # lines under a column region: they belong to it if none crosses its gutter
        # (a heading in one column beside a line of the other shares one baseline: no gutter of its own)
        if mine is None or all(ln.x1 <= mine or ln.x0 >= mine for ln in band):
            return True
        # a wide gap (a short heading beside the other column's first line) is narrowed by a line
        # that enters it without spanning it, as long as the region keeps a gutter
        gap = _gap(group, unit)
        if gap is None or any(ln.x0 < gap[0] and ln.x1 > gap[1] for ln in band):
            return False
        if not any(ln.size >= 1.15 * unit for ln in group):
            return False  # no heading made the gap (a table's rows): the gutter stays where it is
        entering = [ln for ln in band if ln.x0 < gap[1] and ln.x1 > gap[0]]
        if not all(ln.size >= 0.95 * unit for ln in entering):
            return False  # smaller type (a table's cells, notes) entering the gap, not the body's running text
        return _gutter(group + band, unit) is not None
    if mine is None:
        return False
    return _gutter(group + band, unit) is not None


def _merge_fragments(lines: list[Line]) -> list[Line]:
    """Join pieces of one visual line (justified text split at wide spaces), left to right.

    The pieces are gathered first and joined in the order they stand on the line, so a piece
    drawn after its neighbours (a link's text set last) takes its place between them. A raised
    number standing apart at the left of a line (a hanging note number) becomes the line's
    ``lead``.
    """
    groups: list[list[Line]] = []
    for line in lines:
        group = next((g for g in groups[-4:] if all(_same_line(o, line) for o in g)), None)
        if group is None:
            groups.append([line])
        else:
            group.append(line)
    return [_joined(sorted(group, key=lambda ln: ln.x0)) for group in groups]


def _joined(pieces: list[Line]) -> Line:
    """One line from the pieces of a visual line, sorted left to right."""
    if len(pieces) == 1:
        return pieces[0]
    first, rest = pieces[0], pieces[1:]
    lead = first.lead
    if _hanging_number(first, rest[0]):
        lead, first, rest = first.text, rest[0], rest[1:]
    text, marks = first.text, list(first.marks)
    for piece in rest:
        shift = len(text) + 1
        marks += [(o + shift, n) for o, n in piece.marks]
        text = f"{text} {piece.text}"
    return Line(
        first.page,
        min(ln.x0 for ln in pieces),
        max(ln.x1 for ln in pieces),
        min(ln.y0 for ln in pieces),
        max(ln.y1 for ln in pieces),
        first.size,
        first.bold,
        text,
        marks,
        lead=lead,
        base=first.base,
    )


def _hanging_number(left: Line, right: Line) -> bool:
    return left.size < 0.85 * right.size and all(c in MARK_CHARS for c in left.text) and not left.lead


def _same_line(one: Line, other: Line) -> bool:
    if one.x0 < other.x1 - 1 and other.x0 < one.x1 - 1:
        return False  # they overlap: two lines, not two pieces of one
    left, right = (one, other) if one.x0 <= other.x0 else (other, one)
    if _hanging_number(left, right):
        return -0.2 * right.size < left.base - right.base < 0.7 * right.size
    return abs(one.base - other.base) < 0.3 * other.size and abs(one.size - other.size) < 0.6
