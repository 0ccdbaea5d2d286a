"""Footnotes of a PDF found by what they are, not by one layout.

A note block is the run of lines that ends a column (or a page) and starts with the note
number the sequence expects: under a rule (drawn, or typed as dashes), or in type smaller
than the body's (measured per document), or, in body-size type (Word manuscripts), when
the marks already seen in the body predict that number. Inside a block a line starts a
new note only when its number continues the sequence, so "1789" or "2830-34 (Oct. 27,
1998)" at a line start stays text. A block without a number under a rule, or in small type
after an unfinished note, continues the last note (notes running onto the next page).

Typewritten papers mark their notes in the line, in parentheses ("France( 1) .", "works(11)"):
such a mark counts when it continues the sequence of those marks, so "(1975)" or an issue
number stays text. Their notes, in body-size type, start "(1)" or "1" at the left with the
next lines hanging under the number; a run of them that continues the marked sequence to the
region's end is a note block (a page-bottom block, or endnotes under a "Notes" heading), and
endnotes go on over the following pages while each page starts with the next number or with
an indented line of an unfinished note.
"""

from __future__ import annotations

import re

from .models import Footnote
from .pdf_layout import Line, Page
from .pdf_paragraphs import join

NOTE_START = re.compile(r"^(\d{1,4}|[*†‡§]{1,3})(?:[.)]\s*|\s+|(?=[^\W\d_]))(?=\S)")
#: a note number in parentheses at a line start, as typewritten notes have it: "(1) ", "( 12 ) "
PAREN_START = re.compile(r"^\(\s?(\d{1,3})\s?\)\s*(?=\S)")
#: unnumbered lines under a footnote rule, above its first note, that are set aside
ASIDE_LINES = 4
#: a mark typed in parentheses on the line ("France( 1) .", "works(11)"), not raised
PAREN_MARK = re.compile(r"\(\s?(\d{1,3})\s?\)")


class NoteState:
    """What the document's notes so far say about the next one."""

    def __init__(self, vocab: set[str]) -> None:
        self.vocab = vocab
        self.notes: list[Footnote] = []
        self.marks: set[str] = set()  # mark numbers seen in the body so far
        self.paren_last = 0  # the last mark typed in parentheses that continued their sequence
        self.tail_page = 0  # the last page whose body-size notes ran to its end (endnotes go on)

    @property
    def last(self) -> int:
        for note in reversed(self.notes):
            if note.number.isdigit():
                return int(note.number)
        return 0

    def expects(self, number: str, strict: bool) -> bool:
        """Whether a note numbered ``number`` may come next (strict: the body must have marked it)."""
        if not number.isdigit():
            return not strict and not self.notes or bool(self.notes) and not self.notes[-1].number.isdigit()
        n, last = int(number), self.last
        if strict:
            return number in self.marks and (n == last + 1 or (last < n <= last + 3))
        marked = number in self.marks
        return n == last + 1 or (marked and (n == 1 or last < n <= last + 20)) or (not self.notes and n <= 3)


def number_of(line: Line) -> tuple[str, str] | None:
    """(note number, rest of the text) if the line starts like a note."""
    if line.lead:
        return line.lead, line.text
    match = NOTE_START.match(line.text) or PAREN_START.match(line.text)
    if match:
        return match.group(1), line.text[match.end() :]
    return None


def paren_marks(line: Line, last: int) -> tuple[list[str], int]:
    """The marks typed in parentheses on a body line that continue the sequence after ``last``
    (so "(1975)" or an issue number "(6)" out of sequence stays text); and the new last one.
    A number in parentheses at the line start is a note's own number, not a mark."""
    found: list[str] = []
    for match in PAREN_MARK.finditer(line.text):
        n = int(match.group(1))
        if match.start() > 0 and last < n <= last + 2:
            found.append(str(n))
            last = n
    return found, last


def split_page(page_lines: list[Line], page: Page, body_size: float, state: NoteState) -> list[Line]:
    """Take the note blocks out of one page's lines (in reading order); return the body lines."""
    regions: list[list[Line]] = []
    for line in page_lines:
        if regions and regions[-1][-1].region == line.region:
            regions[-1].append(line)
        else:
            regions.append([line])
    body: list[Line] = []
    for number, lines in enumerate(regions):
        start = _block_start(lines, page, body_size, state)
        for line in lines[:start]:
            state.marks.update(n for _, n in line.marks)
            found, state.paren_last = paren_marks(line, state.paren_last)
            state.marks.update(found)
        inner = _inner_block(lines, body_size, state) if start == len(lines) else None
        if inner is not None:  # small-type notes inside the region (endnotes, then a reference list)
            first, end = inner
            body.extend(lines[:first])
            _collect(lines[first:end], state)
            lines, start = lines[end:], len(lines) - end
            for line in lines:
                state.marks.update(n for _, n in line.marks)
        body.extend(lines[:start])
        if start < len(lines):
            _collect(lines[start:], state)
            if number == len(regions) - 1 and all(ln.size >= body_size * 0.95 for ln in lines[start:]):
                state.tail_page = page.number  # body-size notes to the page end: endnotes may go on
    return body


def _block_start(lines: list[Line], page: Page, body_size: float, state: NoteState) -> int:
    """Index of the first note line of a region (len(lines) when it has none)."""
    marks = set(state.marks)
    last = state.paren_last
    for line in lines:
        marks.update(n for _, n in line.marks)
        paren, last = paren_marks(line, last)
        marks.update(paren)
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    # under a rule: the lines below a rule that starts at the region's left edge
    for rule in sorted(page.rules, key=lambda r: -r.y):
        if not (rule.x0 <= left + 0.4 * (right - left) and rule.x1 >= left + 10 and rule.x0 >= left - 30):
            continue
        k = next((i for i, ln in enumerate(lines) if ln.y1 <= rule.y + 1), None)
        if k is None or any(ln.y1 > rule.y + 1 for ln in lines[k:]):
            continue
        under = lines[k:]
        if any(ln.size > body_size * 1.05 for ln in under):
            continue
        found = number_of(under[0])
        if found and _expected(found[0], state, marks, strict=False):
            return k
        small = all(ln.size < body_size * 0.95 for ln in under)
        if not found and state.notes and k > 0 and small:
            return k
        first = _first_note(under, state, marks) if small and not found and not state.notes else None
        if first is not None:  # unnumbered lines above the first note: an article note, set aside
            for line in under[:first]:
                line.aside = True
            return k + first
    # small type at the end of the region, starting with the note the sequence expects
    k = len(lines)
    while k > 0 and lines[k - 1].size < body_size * 0.92:
        k -= 1
    if k < len(lines):
        last_page = state.notes[-1].page if state.notes else None
        carried = last_page is not None and last_page < page.number and _unfinished(state)
        if number_of(lines[k]) is None and carried:
            return k  # the last note runs on from the page before
        if number_of(lines[k]) is None and last_page is not None and last_page < page.number:
            # the last note ran on even though its last page ended at a full stop ("para."):
            # lines set like the notes' own continuation lines, before the page's first note
            first = next((i for i in range(k + 1, len(lines)) if number_of(lines[i])), None)
            first_number = number_of(lines[first]) if first is not None else None
            expected = first_number is not None and _expected(first_number[0], state, marks, strict=False)
            if expected and _set_like_continuations(lines[k:first], lines[first:]):
                return k
        for i in range(k, len(lines)):
            found = number_of(lines[i])
            if found and lines[i].x0 <= left + 3 * body_size and _expected(found[0], state, marks, strict=False):
                return i
    # endnotes going on from the page before: the page starts with the next note, or with an
    # indented line of an unfinished one
    if state.notes and state.tail_page == page.number - 1:
        found = number_of(lines[0])
        if found and found[0].isdigit() and found[0] in state.marks and int(found[0]) == state.last + 1:
            return 0
        ahead = str(state.last + 1) in state.marks  # the body has marked the next note already
        if not found and ahead and lines[0].x0 > left + 0.8 * body_size and _unfinished(state):
            return 0
    # body-size notes: a line at the left edge with the number the body's marks predict
    for i in range(1, len(lines)):
        found = number_of(lines[i])
        if not found or not found[0].isdigit() or lines[i].x0 > left + body_size:
            continue
        if not _expected(found[0], state, marks, strict=True):
            continue
        if lines[i - 1].base - lines[i].base <= 0:
            continue
        if _sequence_continues(lines[i:], int(found[0]), marks) or _hanging_run(lines[i:], int(found[0]), state):
            return i
    return len(lines)


def _first_note(under: list[Line], state: NoteState, marks: set[str]) -> int | None:
    """Index of the first line under a rule that starts the note the sequence expects, after
    at most ASIDE_LINES unnumbered lines (an article's status or funding line set above the
    notes); None when there is no such line."""
    for i, line in enumerate(under[: ASIDE_LINES + 1]):
        found = number_of(line)
        if found:
            return i if i and _expected(found[0], state, marks, strict=False) else None
    return None


def _set_like_continuations(run: list[Line], notes: list[Line]) -> bool:
    """Whether unnumbered lines are set like the continuation lines of the notes below them
    (same left edge, full measure but for the last): a note running on, not a quotation."""
    inner = [ln for ln in notes if number_of(ln) is None]
    if not inner:
        return False
    left = min(ln.x0 for ln in inner)
    right = max(ln.x1 for ln in notes)
    if any(abs(ln.x0 - left) > 1.5 for ln in run):
        return False
    return all(ln.x1 >= right - 2 * ln.size for ln in run[:-1])


def _inner_block(lines: list[Line], body_size: float, state: NoteState) -> tuple[int, int] | None:
    """A run of notes in small type followed by more body-size text in the same region
    (endnotes under a "Notes" heading, then a reference list): (first, end) or None.

    The run must start with the next note the body has marked and hold at least two notes
    in sequence, so a small-type quotation or caption that starts with a number stays text.
    """
    for i, line in enumerate(lines):
        if line.size >= body_size * 0.92:
            continue
        found = number_of(line)
        if not found or not found[0].isdigit() or int(found[0]) != state.last + 1 or found[0] not in state.marks:
            continue
        end = i
        while end < len(lines) and lines[end].size < body_size * 0.92:
            end += 1
        if end == len(lines):
            return None
        numbers = [number_of(ln) for ln in lines[i:end]]
        seq = [int(f[0]) for f in numbers if f and f[0].isdigit()]
        if len(seq) >= 2 and seq[:2] == [state.last + 1, state.last + 2]:
            return i, end
    return None


def _hanging_run(lines: list[Line], first: int, state: NoteState) -> bool:
    """Endnotes in body-size type: from ``first`` (the next note, marked in the body) to the region's end every line is either a note starting with the next number at the
    left or a line indented under it (hanging indent), with at least two notes in the run."""
    if first != state.last + 1:
        return False
    left = lines[0].x0
    n = first
    for line in lines[1:]:
        found = number_of(line)
        if found and found[0].isdigit() and int(found[0]) == n + 1 and line.x0 <= left + line.size:
            n += 1
        elif line.x0 < left + 0.6 * line.size:
            return False
    return n > first


def _expected(number: str, state: NoteState, marks: set[str], strict: bool) -> bool:
    saved = state.marks
    state.marks = marks
    try:
        return state.expects(number, strict)
    finally:
        state.marks = saved


def _unfinished(state: NoteState) -> bool:
    return bool(state.notes) and not re.search(r"[.!?)\]”\"]$", state.notes[-1].text.strip())


def _sequence_continues(lines: list[Line], first: int, marks: set[str]) -> bool:
    """Body-size notes: every later numbered line at the left continues the sequence, and the
    block holds all the notes marked so far after ``first`` (or runs to the page end)."""
    n = first
    for line in lines[1:]:
        found = number_of(line)
        if found and found[0].isdigit() and int(found[0]) == n + 1:
            n += 1
    wanted = {str(k) for k in range(first, n + 1)}
    later = {m for m in marks if m.isdigit() and int(m) > n}
    return wanted <= marks and not later


def _collect(lines: list[Line], state: NoteState) -> None:
    """Append the notes of one block; lines before the first number continue the last note."""
    left = min(ln.x0 for ln in lines)
    for line in lines:
        found = number_of(line)
        starts = False
        if found and (line.lead or line.x0 <= left + 3 * line.size):
            number = found[0]
            if number.isdigit():
                n, last = int(number), state.last
                starts = (
                    n == last + 1
                    or not state.notes
                    or (n == 1 and line is lines[0])
                    or (last < n <= last + 3 and number in state.marks)
                )
            else:
                starts = True
        if starts and found:
            state.notes.append(Footnote(number=found[0], text=found[1], page=line.page))
        elif state.notes:
            state.notes[-1].text = join(state.notes[-1].text, line.text, state.vocab)
