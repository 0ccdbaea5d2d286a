"""Body lines of a PDF into paragraphs: spacing measured per document, indentation, punctuation.

The usual distance between baselines is measured on the document itself, so a leading of
1.5 or 2 lines still joins lines; a paragraph ends at extra space, at a first-line indent
after a line that ends a sentence short of the margin, or at a change of type. A line-end
hyphen is undone when the joined word is a word of the document; a paragraph cut by a column
or page end is joined when its last line does not end a sentence.
"""

from __future__ import annotations

import re
from collections import Counter

from .builder import Block
from .pdf_layout import Line

TERMINAL = re.compile(r"""[.!?:;»”"')\]]$""")
#: a run of more bold lines than this is bold body text, not a heading
BOLD_RUN = 3
URL_TAIL = re.compile(r"(https?://|www\.)\S*$")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
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


def vocabulary(lines: list[Line]) -> set[str]:
    """Lower-cased words seen inside lines (not at a hyphenated line end), to undo hyphens."""
    words: set[str] = set()
    for line in lines:
        text = line.text[:-1] if line.text.endswith("-") else line.text
        words.update(w.lower() for w in WORD.findall(text))
    return words


def join(left: str, right: str, vocab: set[str]) -> str:
    """Join two lines: undo a line-end hyphen, keep URLs whole, else one space."""
    if not left:
        return right
    if not right:
        return left
    url = URL_TAIL.search(left)
    if url and (left[-1] in "/-_.?=&#%~" or right[0] in "/-_.?=&#%~" or "/" in right.split(" ")[0]):
        return left + right
    if left.endswith(" -") and right[:1].islower():  # "de -" / "serves": a hyphen set apart
        left = left[:-2] + "-"
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


def line_pitch(lines: list[Line], size: float) -> float:
    """The document's usual distance between the baselines of two lines of one paragraph."""
    steps: Counter[float] = Counter()
    for prev, line in zip(lines, lines[1:], strict=False):
        if prev.page == line.page and prev.region == line.region and abs(prev.size - size) < 0.6:
            step = prev.base - line.base
            if 0.9 * size < step < 3.2 * size:
                steps[round(step * 2) / 2] += 1
    return steps.most_common(1)[0][0] if steps else 1.2 * size


def paragraphs(lines: list[Line], body_size: float, vocab: set[str]) -> list[Block]:
    """Group body lines into paragraph and heading blocks, joining across column and page ends.

    Lines set aside (out of the text's flow) make blocks of their own, placed after the
    paragraph they stand in, which goes on around them.
    """
    blocks: list[Block] = []
    asides: list[Block] = []
    strong = _headline_bold(lines)
    heading_sizes = sorted({ln.size for ln in lines if ln.size >= body_size * 1.12}, reverse=True)
    pitch = line_pitch(lines, body_size)
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for line in lines:
        key = (line.page, line.region)
        left, right = edges.get(key, (line.x0, line.x1))
        edges[key] = (min(left, line.x0), max(right, line.x1))
    prev: Line | None = None
    for line in lines:
        if line.aside:
            if asides and asides[-1].lines[-1].page == line.page:
                asides[-1].text = join(asides[-1].text, line.text, vocab)
                asides[-1].lines.append(line)
            else:
                asides.append(Block(line.text, page=line.page, marks=list(line.marks), lines=[line]))
            continue
        kind, level = "paragraph", 0
        if line.size >= body_size * 1.12 and len(line.text) < 200:
            kind, level = "heading", min(heading_sizes.index(line.size) + 1, 6)
        elif id(line) in strong and len(line.text) < 150 and not TERMINAL.search(line.text):
            kind, level = "heading", len(heading_sizes) + 1
        if prev and blocks and blocks[-1].kind == kind and _continues(prev, line, pitch, edges, strong):
            block = blocks[-1]
            joined = join(block.text, line.text, vocab)
            shift = len(joined) - len(line.text)
            block.marks = [(min(o, len(joined)), n) for o, n in block.marks]
            block.marks += [(o + shift, n) for o, n in line.marks]
            block.text = joined
            block.lines.append(line)
        else:
            blocks.extend(asides)
            asides.clear()
            block = Block(line.text, kind=kind, level=min(level, 6), page=line.page, marks=list(line.marks))
            block.lines.append(line)
            blocks.append(block)
        prev = line
    blocks.extend(asides)
    return blocks


def _headline_bold(lines: list[Line]) -> set[int]:
    """Ids of the bold lines that may be headings: a run of more than BOLD_RUN bold lines of
    one size is bold body text (emphasis, or an OCR layer that calls its font bold)."""
    out: set[int] = set()
    run: list[Line] = []
    for line in [*lines, None]:
        if line is not None and line.bold and not line.aside and (not run or abs(run[-1].size - line.size) < 0.6):
            run.append(line)
            continue
        if len(run) <= BOLD_RUN:
            out.update(id(ln) for ln in run)
        run = [line] if line is not None and line.bold and not line.aside else []
    return out


def _continues(
    prev: Line, line: Line, pitch: float, edges: dict[tuple[int, int], tuple[float, float]], strong: set[int]
) -> bool:
    """Whether ``line`` carries on the paragraph that ``prev`` ends."""
    if abs(prev.size - line.size) > 0.5 or (id(prev) in strong) != (id(line) in strong):
        return False
    ended = bool(TERMINAL.search(prev.text))
    em = line.size
    prev_left, prev_right = edges[(prev.page, prev.region)]
    full = prev.x1 >= prev_right - 2 * em
    if (prev.page, prev.region) != (line.page, line.region):  # a column or page end
        left = edges[(line.page, line.region)][0]
        indented = line.x0 > left + 0.8 * em
        return not ended or (full and not indented and line.text[:1].islower())
    step = prev.base - line.base
    scale = pitch * line.size / prev.size if prev.size else pitch
    if step > scale * 1.3 + 0.1 * em or step < 0.3 * em:
        return False
    left = prev_left
    indented = line.x0 > left + 0.8 * em and line.x0 > prev.x0 + 0.8 * em
    if ended and (not full or indented):
        return False
    return not (indented and not full)
