"""A PDF's reference list (bibliography) as its own kind of passage, one passage per entry.

A reference list is found by its heading ("References", "Bibliography", "Works cited",
"Literatur", "Bibliographie", "Referências", ... alone on its line, numbered or not) followed
by entries that read like references; or, with no heading, by its shape: a run of at least
six paragraphs near the end of the document that each start like an entry (an author name
with a year after it, or a number "[12]" / "12."). The section ends at the next heading that
is not an entry, and end matter after the last entry (an abstract in another language, the
author's address, a copyright line) stays body text.

The section's lines are cut into entries by the layout the list uses: a hanging indent (each
entry starts at the left edge, its other lines indented), a first-line indent, a number at
the start, or, for flush entries, a line that ends a sentence short of the margin or a gap
wider than the list's line spacing. Each entry becomes a ``reference`` block whose text the
reference parser reads (``Passage.references``), so the entries feed the works index.
"""

from __future__ import annotations

import re
from collections import Counter

from .builder import Block
from .pdf_layout import Line
from .pdf_paragraphs import TERMINAL, join

#: the words a reference-list heading is made of (lower case, accents kept)
HEADING_WORDS = (
    r"references?|reference\s+list|list\s+of\s+references|bibliography|select\s+bibliography|bibliographie|"
    r"bibliografia|bibliografía|bibliografie|works\s+cited|literature(?:\s+cited)?|cited\s+literature|"
    r"literatur(?:verzeichnis)?|quellen(?:\s+und\s+literatur)?(?:verzeichnis)?|sources(?:\s+and\s+literature)?|"
    r"referências(?:\s+bibliográficas)?|referencias(?:\s+bibliográficas)?|riferimenti\s+bibliografici|"
    r"références(?:\s+bibliographiques)?|bibliographical\s+references|literatura|piśmiennictwo|źródła"
)
HEADING = re.compile(
    rf"^\s*(?:(?:[ivxlc]{{1,5}}|\d{{1,2}}|[a-h])[.)]?\s+)?(?:{HEADING_WORDS})\s*:?\s*$",
    re.I,
)
YEAR = re.compile(r"(?<![\d/])(?:1[5-9]\d\d|20\d\d)[a-z]?(?![\d/])|\bn\.\s?d\.|\bforthcoming\b|\bin\s+press\b", re.I)
#: a numbered entry: "[12] ...", "12. ..." (a number followed by text, not a date or a page)
NUMBERED = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})\.)\s+(?=\S)")
#: the start of an author-led entry: a name ("Surname, I.", "SURNAME, Given", "I. Surname,",
#: "Given Surname (2020)", "Surname I.,") or an organisation / a quoted title with no author
NAME = r"[^\W\d_][^\W\d_'’\-]*(?:[-'’][^\W\d_]+)*"
INITIALS = r"(?:[^\W\d_]{1,2}\.\s?-?)+"
PARTICLE = r"(?:van|von|de|der|den|da|di|del|della|du|dos|la|le|ten|ter)"
AUTHOR_START = re.compile(
    rf"^(?:{INITIALS}\s?)?(?:{PARTICLE}\s+)*{NAME}(?:\s+{NAME}){{0,2}}\s*(?:,|\s{INITIALS}\s*,|\s\(|\.\s|\s*\(?(?:19|20)\d\d)"
    rf"|^[“\"‘«„]|^{INITIALS}\s?{NAME}\s*[,(]",
)
#: running prose rather than a reference: function words a reference seldom starts with
PROSE_START = re.compile(
    r"^(?:the|a|an|this|that|these|those|it|in|on|at|for|however|moreover|thus|therefore|but|and|or|as|if|when|"
    r"while|although|since|because|there|here|we|our|i|he|she|they|its|such|one|to|by|with|from|after|before|"
    r"der|die|das|ein|eine|im|il|la|le|les|los|las|el|un|una|o|os|as)\b[\s,]",
    re.I,
)
MIN_RUN = 6  # paragraphs of entry shape that make a list when it has no heading
TAIL = 6  # paragraphs of end matter that may follow a list found by its shape


def is_heading(text: str) -> bool:
    """Whether a line or paragraph is a reference-list heading ("References", "VI. Bibliography")."""
    return len(text) <= 60 and bool(HEADING.match(text))


def entry_like(text: str) -> bool:
    """Whether a paragraph reads like a reference-list entry (see the module docstring)."""
    text = text.strip()
    if not 15 <= len(text) <= 1500 or not YEAR.search(text):
        return False
    if NUMBERED.match(text):
        return True
    if PROSE_START.match(text):
        return False
    head = text[:120]
    return bool(AUTHOR_START.match(head)) and (head.count(",") + head.count(".") >= 2)


def mark_references(blocks: list[Block], body_size: float, vocab: set[str]) -> list[Block]:
    """The blocks with every reference list's paragraphs replaced by ``reference`` entry blocks.

    Blocks must carry their lines (``Block.lines``, as ``pdf_paragraphs.paragraphs`` keeps them).
    """
    sections = _sections(blocks)
    if not sections:
        return blocks
    out: list[Block] = []
    at = 0
    for first, end in sections:
        out.extend(blocks[at:first])
        lines = [ln for block in blocks[first:end] for ln in block.lines]
        out.extend(entries(lines, body_size, vocab))
        at = end
    out.extend(blocks[at:])
    return out


def _sections(blocks: list[Block]) -> list[tuple[int, int]]:
    """(first, end) block ranges of the reference lists (the heading itself not included)."""
    found: list[tuple[int, int]] = []
    like = [b.kind == "paragraph" and entry_like(b.text) for b in blocks]
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind in ("heading", "paragraph") and is_heading(block.text):
            j = i + 1
            while (
                j < len(blocks) and not (blocks[j].kind == "heading" and not like[j]) and not is_heading(blocks[j].text)
            ):
                j += 1
            end = max((k + 1 for k in range(i + 1, j) if like[k]), default=i + 1)
            span = like[i + 1 : end]
            if span and sum(span) >= max(2, 0.5 * len(span)):
                found.append((i + 1, end))
                i = end
                continue
        i += 1
    if found:
        return found
    # no heading: a trailing run of entry-shaped paragraphs (one odd paragraph may sit inside)
    last = next((k + 1 for k in range(len(blocks) - 1, max(len(blocks) - 1 - TAIL, -1), -1) if like[k]), None)
    if last is None:
        return []
    end = last
    first, misses = end - 1, 0
    for k in range(end - 2, -1, -1):
        if like[k]:
            first, misses = k, 0
        elif blocks[k].kind == "paragraph" and misses == 0:
            misses = 1
        else:
            break
    if sum(like[first:end]) >= MIN_RUN:
        return [(first, end)]
    return []


def entries(lines: list[Line], body_size: float, vocab: set[str]) -> list[Block]:
    """Cut a reference list's lines into one ``reference`` block per entry."""
    if not lines:
        return []
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for line in lines:
        key = (line.page, line.region)
        left, right = edges.get(key, (line.x0, line.x1))
        edges[key] = (min(left, line.x0), max(right, line.x1))

    def indented(line: Line) -> bool:
        return line.x0 > edges[(line.page, line.region)][0] + 0.8 * line.size

    def full(line: Line) -> bool:
        return line.x1 >= edges[(line.page, line.region)][1] - 2 * line.size

    style = _style(lines, indented, full)
    steps = Counter(
        round((a.base - b.base) * 2) / 2
        for a, b in zip(lines, lines[1:], strict=False)
        if (a.page, a.region) == (b.page, b.region) and 0 < a.base - b.base < 3 * body_size
    )
    pitch = min(steps, key=lambda s: (-steps[s], s)) if steps else 1.2 * body_size
    out: list[Block] = []
    number = 0
    prev: Line | None = None
    for line in lines:
        numbered = NUMBERED.match(line.text)
        value = int(numbered.group(1) or numbered.group(2)) if numbered else None
        starts = prev is None
        if prev is not None:
            same = (prev.page, prev.region) == (line.page, line.region)
            gap = same and prev.base - line.base > 1.35 * pitch
            ended = bool(TERMINAL.search(prev.text))
            if value is not None and value == number + 1:
                starts = True
            elif style == "hanging":
                starts = not indented(line)
            elif style == "indent":
                starts = indented(line)
            else:
                starts = gap or (ended and (not full(prev) or bool(AUTHOR_START.match(line.text))))
        if value is not None and starts:
            number = value
        if starts:
            out.append(Block(line.text, kind="reference", page=line.page, marks=list(line.marks), lines=[line]))
        else:
            block = out[-1]
            joined = join(block.text, line.text, vocab)
            shift = len(joined) - len(line.text)
            block.marks += [(o + shift, n) for o, n in line.marks]
            block.text = joined
            block.lines.append(line)
        prev = line
    return out


def _style(lines: list[Line], indented, full) -> str:
    """How the list sets its entries apart: "hanging", "indent" (first line) or "flush"."""
    hanging = first = 0
    for prev, line in zip(lines, lines[1:], strict=False):
        if indented(line) and not indented(prev):
            if full(prev) and not TERMINAL.search(prev.text):
                hanging += 1  # an unfinished full line goes on indented: the entry's second line
            elif TERMINAL.search(prev.text) and not full(prev):
                first += 1  # a finished short line, then an indented one: a new entry
    share = sum(1 for ln in lines if indented(ln)) / len(lines)
    if hanging >= 2 and hanging > first and share >= 0.15:
        return "hanging"
    if first >= 2 and first > hanging and share < 0.5:
        return "indent"
    return "flush"
