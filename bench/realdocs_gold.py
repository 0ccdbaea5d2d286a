"""Gold figures for ``bench/realdocs.py``: the hand-corrected GROBID segmentation TEI, and the
text normalisation every comparison uses.

A segmentation TEI file lists a PDF's zones in reading order, each a run of lines separated
by ``<lb/>``: ``<front>``, ``<body>``, ``<page>`` (a page number), ``<note place="headnote">``
(a running head), and the footnote areas, ``<listBibl>`` (notes that cite works) or
``<note place="footnote">`` (commentary). Every footnote line carries its note number at its
start. The files were corrected by hand and carry a few spelling variants (``listbibl``,
``listBiblio``, ``libBibl`` for ``listBibl``; ``biblio`` for ``body``; a lower-case ``<tei>``
without namespace); they are read as what they mean.

The TEI has no page-break element, so pages are inferred: a page ends where body text is
followed by a footnote area or by page furniture (a running head, a page number) and body text
comes again. ``note place="footnote"`` is also used for page footers and download stamps;
an area whose lines carry no note number and whose text repeats on another page, or that
does not follow the page's body or notes, is such furniture and not a note.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BODY_TAGS = {"body", "biblio"}
NOTE_TAGS = {"listbibl", "listbiblio", "libbibl"}
FURNITURE = {"page", "headnote"}

#: hand-checked errors in a gold file, corrected as the file is read (printed by the benchmark)
GOLD_FIXES = {
    "10.32361_201810011903": "excluded: body and footnote zones are mixed up (body text tagged <listBibl>, "
    "notes tagged <body>, page numbers inside notes)",
}

TERMINAL = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
LEADING_NUMBER = re.compile(
    r"^\s*(?:\((\d{1,4})\)|(\d{1,4})(?:[.)](?=\s|$)|(?=\s|$)|(?=[^\d\s.,:;/\-–)])))\s*(.*)$", re.S
)
LEADING_STAR = re.compile(r"^\s*([*†‡]+)\s*(.*)$", re.S)


# --------------------------------------------------------------------------- normalisation
def _strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def dehyphenate(text: str) -> str:
    """Join words cut by a hyphen at a line end (or left as "architec- tural"); drop soft hyphens."""
    text = text.replace("\u00ad", "")
    return re.sub(r"(\w)[-\u2010\u2011]\s*\n\s*(?=[a-zà-ÿß])", r"\1", text)


def words(text: str, digits: bool = True) -> list[str]:
    """Folded word tokens: NFKC, line-end hyphens joined, lower case, accents and punctuation
    dropped; digits kept unless ``digits`` is False (so note marks in body text do not count)."""
    text = dehyphenate(unicodedata.normalize("NFKC", text or ""))
    text = re.sub(r"(\w)[-\u2010\u2011]\s+(?=[a-zà-ÿß])", r"\1", text)
    text = _strip_accents(text).lower()
    pattern = r"[a-z0-9]+" if digits else r"[a-z]+"
    return re.findall(pattern, text.replace("ß", "ss"))


def compact(text: str) -> str:
    """Letters only, no spaces: a key to find a line inside longer text whatever its breaks,
    hyphens, note marks or punctuation."""
    return "".join(words(text, digits=False))


def similarity(a: str, b: str) -> float:
    """difflib ratio over the folded word tokens of two texts (1.0 = same words in same order)."""
    from difflib import SequenceMatcher

    ta, tb = words(a), words(b)
    if not ta and not tb:
        return 1.0
    return SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def token_f1(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of ``predicted`` against ``gold`` (folded tokens)."""
    p, g = Counter(words(predicted)), Counter(words(gold))
    overlap = sum((p & g).values())
    if not p or not g or not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def ends_sentence(text: str) -> bool:
    return bool(TERMINAL.search(text.rstrip()))


# --------------------------------------------------------------------------- the gold
@dataclass
class GoldNote:
    number: str
    lines: list[str]
    page: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class GoldPage:
    body: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Gold:
    name: str
    title: str | None
    pages: list[GoldPage]
    notes: list[GoldNote]
    front: list[str]
    #: footnote-area lines that belong to no note (a reference list set as a footnote area)
    orphans: list[str] = field(default_factory=list)

    @property
    def body_lines(self) -> list[str]:
        return [line for page in self.pages for line in page.body]

    @property
    def note_lines(self) -> list[str]:
        """The lines of the notes (the first one with its number), not the orphan lines."""
        return [
            line
            for note in self.notes
            for line in ([f"{note.number} {note.lines[0]}"] if note.lines else []) + note.lines[1:]
        ]


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1].lower()


def _kind(element: ET.Element) -> str:
    tag = _tag(element)
    if tag in BODY_TAGS:
        return "body"
    if tag in NOTE_TAGS:
        return "notes"
    if tag == "note":
        place = (element.get("place") or "").lower()
        return "notes" if place == "footnote" else "headnote" if place == "headnote" else "other"
    if tag == "page":
        return "page"
    if tag == "front":
        return "front"
    return "other"


def _zones(element: ET.Element, kind: str) -> list[tuple[str, list[str]]]:
    """(kind, lines) for one top-level element; a zone nested inside another is its own zone."""
    out: list[tuple[str, list[str]]] = []
    buf: list[str] = [element.text or ""]

    def flush() -> None:
        text = "".join(buf)
        lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append((kind, lines))
        buf.clear()

    for child in element:
        if _tag(child) == "lb":
            buf.append("\n")
        elif _kind(child) in ("body", "notes", "headnote", "page"):
            buf.append("\n")
            flush()
            out.extend(_zones(child, _kind(child)))
        else:
            buf.append("".join(child.itertext()))
        buf.append(child.tail or "")
    flush()
    return out


def _title(root: ET.Element) -> str | None:
    for element in root.iter():
        if _tag(element) == "title" and element.get("level") == "a":
            text = re.sub(r"\s+", " ", "".join(element.itertext())).strip()
            if text and text.lower() != "unknown title":
                return text
    for element in root.iter():
        if _tag(element) in ("doctitle", "titlepart"):
            text = re.sub(r"\s+", " ", " ".join(element.itertext())).strip()
            if text:
                return text
    return None


def read_gold(path: str | Path) -> Gold:
    """Parse one ``NAME.segmentation.tei.xml`` into pages, body and note lines, and notes."""
    path = Path(path)
    root = ET.parse(path).getroot()
    text_el = next((e for e in root.iter() if _tag(e) == "text"), None)
    if text_el is None:
        raise ValueError(f"{path.name}: no <text> element")
    zones: list[tuple[str, list[str]]] = []
    for child in text_el:
        if _tag(child) == "lb":
            continue
        zones.extend(_zones(child, _kind(child)))
    name = path.name.split(".segmentation")[0]

    # footnote areas with no numbered line: page furniture when their text repeats elsewhere or
    # when they do not follow the page's body or notes
    counts = Counter(compact(" ".join(lines)) for kind, lines in zones if kind == "notes")
    resolved: list[tuple[str, list[str]]] = []
    for kind, lines in zones:
        if kind == "notes" and not any(LEADING_NUMBER.match(line) or LEADING_STAR.match(line) for line in lines):
            previous = resolved[-1][0] if resolved else None
            if counts[compact(" ".join(lines))] > 1 or previous not in ("body", "notes"):
                kind = "furniture"
        elif kind in FURNITURE:
            kind = "furniture"
        resolved.append((kind, lines))

    pages: list[GoldPage] = [GoldPage()]
    front: list[str] = []
    state = "start"  # what the current page holds so far: start | body | notes | after
    for kind, lines in resolved:
        if kind == "body":
            if state in ("notes", "after"):
                pages.append(GoldPage())
            pages[-1].body.extend(lines)
            state = "body"
        elif kind == "notes":
            if state == "after":
                pages.append(GoldPage())
            pages[-1].notes.extend(lines)
            state = "notes"
        elif kind == "furniture":
            if state in ("body", "notes"):
                state = "after"
        elif kind == "front":
            front.extend(lines)
    pages = [p for p in pages if p.body or p.notes]
    notes, orphans = _split_notes(pages)
    return Gold(name, _title(root), pages, notes, front, orphans)


def _number(line: str) -> tuple[int | None, str]:
    match = LEADING_NUMBER.match(line)
    if not match:
        return None, line
    return int(match.group(1) or match.group(2)), match.group(3)


def _split_notes(pages: list[GoldPage]) -> tuple[list[GoldNote], list[str]]:
    """Cut the footnote lines into notes at each leading number that continues the sequence;
    other lines continue the current note, also onto the next page when the note stops there
    mid-sentence. A number may skip ahead (a note missing from the gold) only when the expected
    one does not follow within the next 40 lines. Returns the notes and the unnumbered lines
    that belong to none (a reference list set as footnote area, or lines before the first note).
    """
    flat = [(index, position, line) for index, page in enumerate(pages) for position, line in enumerate(page.notes)]
    parsed = [_number(line) for _, _, line in flat]
    numbers = [n for n, _ in parsed]
    notes: list[GoldNote] = []
    orphans: list[str] = []
    last = 0
    continuing = False
    for k, (index, position, line) in enumerate(flat):
        n, rest = parsed[k]
        if n is not None:
            ahead = numbers[k + 1 : k + 41]
            if (
                n == last + 1
                or (last < n <= last + 3 and last + 1 not in ahead)
                or (not notes and n < 1000 and last + 1 not in ahead and 1 not in ahead)
            ):
                notes.append(GoldNote(str(n), [rest] if rest else [], index))
                last, continuing = n, True
                continue
        star = LEADING_STAR.match(line)
        if star and last == 0 and not any(note.number == "*" for note in notes):
            notes.append(GoldNote("*", [star.group(2)], index))
            continuing = True
            continue
        if position == 0 and notes:
            # a new footnote area: it continues the last note only if that note stopped mid-sentence
            run = 1
            while k + run < len(flat) and flat[k + run][0] == index and numbers[k + run] is None:
                run += 1
            continuing = not ends_sentence(notes[-1].lines[-1] if notes[-1].lines else "") and run <= 25
        if notes and continuing:
            notes[-1].lines.append(line)
        else:
            orphans.append(line)
    return notes, orphans
