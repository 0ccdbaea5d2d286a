"""Plain text (often extracted from a PDF or scraped from a page) to blocks."""

from __future__ import annotations

import re
import statistics

from . import clean
from .builder import Block
from .footnotes import decode_marks, encode_marks, has_star_marks, make_footnotes, parse_note_start

_ITEM_START = re.compile(r"^\s*(?:\d{1,3}[.)]|\(?[a-z]\)|[•▪●◦‣–-])\s+\S")
_BULLET = re.compile(r"^\s*[•▪●◦‣–-]\s+")
_SECTION = re.compile(r"^\s*[IVXL]{1,6}\.\s+\S")
_PAGE_BREAK_BLANKS = 5


def _paragraphs(lines: list[str]) -> tuple[list[dict], int]:
    """Group lines into paragraphs (blank-line separated) and count pages."""
    paras: list[dict] = []
    cur: dict | None = None
    page, blanks, started = 1, 0, False
    for line in lines:
        if line.strip(" \t") == "\f":
            cur = None
            if started:
                page, blanks = page + 1, 0
            continue
        line = line.rstrip()
        if not line.strip():
            blanks += 1
            cur = None
            continue
        if started and blanks >= _PAGE_BREAK_BLANKS:
            page += 1
        blanks, started = 0, True
        if cur is not None and _ITEM_START.match(line) and _list_may_start(cur["lines"]):
            cur = None  # a list item starts a new paragraph even without a blank line
        if cur is None:
            cur = {"lines": [], "page": page}
            paras.append(cur)
        cur["lines"].append(line)
    return paras, page


def _list_may_start(lines: list[str]) -> bool:
    """After these lines, may a line starting with "1." or a dash begin a list item?"""
    last = lines[-1].rstrip()
    return bool(_ITEM_START.match(lines[0])) or clean.ends_sentence(last) or last.endswith((":", ";"))


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", clean.collapse_spaces(line).lower())


def _drop_running_lines(paras: list[dict], pages: int) -> list[dict]:
    """Remove running headers/footers and page numbers at the top or bottom of pages."""
    if pages < 3:
        return paras
    by_page: dict[int, list[dict]] = {}
    for p in paras:
        by_page.setdefault(p["page"], []).append(p)
    edges = {page: [(ps[0], 0), (ps[-1], len(ps[-1]["lines"]) - 1)] for page, ps in by_page.items()}
    counts: dict[str, int] = {}
    for spots in edges.values():
        for key in {_key(p["lines"][i]) for p, i in spots}:
            counts[key] = counts.get(key, 0) + 1
    running = {k for k, n in counts.items() if n >= 3 and n >= 0.5 * len(edges) and len(k) <= 100}
    for spots in edges.values():
        for p, i in spots:
            if i < len(p["lines"]) and (_key(p["lines"][i]) in running or clean.is_page_number(p["lines"][i])):
                p["lines"][i] = ""
    for p in paras:
        p["lines"] = [x for x in p["lines"] if x]
    return [p for p in paras if p["lines"]]


def _drop_debris(paras: list[dict], toc: list[dict]) -> list[dict]:
    """Remove page numbers, separator rules, tables of contents and web-widget lines."""
    kept: list[dict] = []
    for p in paras:
        lines = [x for x in p["lines"] if not clean.is_rule(x)]
        if not lines:
            continue
        if len(lines) == 1 and clean.is_page_number(lines[0]):
            continue
        if all(clean.is_toc_line(x) for x in lines):
            toc.extend(clean.toc_entry(x) for x in lines)
            if kept and len(kept[-1]["lines"]) == 1 and clean.is_toc_heading(kept[-1]["lines"][0]):
                kept.pop()
            continue
        if all(clean.is_boilerplate_line(x) for x in lines):
            continue
        kept.append({"lines": lines, "page": p["page"]})
    texts = ["\n".join(p["lines"]) for p in kept]
    return kept[: len(clean.strip_trailing_boilerplate(texts))]


def _heading_like(p: dict) -> bool:
    if len(p["lines"]) != 1:
        return False
    text = clean.collapse_spaces(p["lines"][0])
    if clean.is_caption(text):
        return False
    if len(text) > 100 or len(text.split()) > 15 or clean.ends_sentence(text) or clean.ends_softly(text):
        return False
    if _ITEM_START.match(text) and not _SECTION.match(text):
        return False
    first = next((c for c in text if c.isalpha()), "")
    return first.isupper()


def _joins(prev: dict, nxt: dict, wrapped: bool, width: float) -> bool:
    """True if ``nxt`` continues the paragraph ``prev`` (cut by a blank line or a page break)."""
    first = nxt["lines"][0]
    if _ITEM_START.match(first) or _SECTION.match(first) or clean.is_caption(" ".join(nxt["lines"])):
        return False
    prev_text = clean.join_lines(prev["lines"])
    if clean.is_caption(prev_text) or clean.ends_sentence(prev_text):
        return False
    if (prev_text.endswith("-") and prev_text[-2:-1].isalpha()) or clean.starts_lower(first):
        return True
    if clean.ends_softly(prev_text) or (len(prev["lines"]) == 1 and _SECTION.match(prev_text)):
        return False
    return wrapped and len(prev["lines"][-1].strip()) >= 0.8 * width


def parse_text(source: str) -> clean.Parsed:
    """Parse plain text into blocks, footnotes, title and metadata."""
    text = clean.normalize_text(source).replace("\f", "\n\f\n")
    paras, last_page = _paragraphs(text.split("\n"))
    paras = _drop_running_lines(paras, last_page)
    toc: list[dict] = []
    paras = _drop_debris(paras, toc)
    lengths = sorted(len(x.strip()) for p in paras if len(p["lines"]) > 1 for x in p["lines"])
    width = lengths[int(0.9 * (len(lengths) - 1))] if len(lengths) >= 3 else 0
    wrapped = width >= 40 and statistics.median(lengths) <= 110
    star_notes = {id(p) for p in paras if (parse_note_start(p["lines"][0], asterisk=True) or ("",))[0] == "*"}
    rest = "\n".join(x for p in paras if id(p) not in star_notes for x in p["lines"])
    star = bool(star_notes) and has_star_marks(rest)

    body: list[dict] = []
    notes: list[list] = []
    last_was_note = False
    for p in paras:
        start = parse_note_start(p["lines"][0], asterisk=star)
        if start and (start[0] != "*" or star):
            notes.append([start[0], [start[1]] + p["lines"][1:], p["page"]])
            last_was_note = True
            continue
        if last_was_note and clean.starts_lower(p["lines"][0]) and not clean.ends_sentence(notes[-1][1][-1]):
            notes[-1][1].extend(p["lines"])
            continue
        last_was_note = False
        if body and _joins(body[-1], p, wrapped, width):
            body[-1]["lines"].extend(p["lines"])
            continue
        body.append({"lines": list(p["lines"]), "page": p["page"]})

    paged = last_page > 1
    parsed = clean.Parsed(pages=last_page if paged else None)
    parsed.footnotes = make_footnotes(
        [(n, clean.collapse_spaces(clean.join_lines(ls)), pg if paged else None) for n, ls, pg in notes]
    )
    if toc:
        parsed.metadata["toc"] = toc
    _emit(body, parsed, star, paged)
    return parsed


def _emit(body: list[dict], parsed: clean.Parsed, star: bool, paged: bool) -> None:
    """Classify paragraphs (heading, item, caption), pick the title, emit blocks."""
    headings = [i for i, p in enumerate(body) if i + 1 < len(body) and _heading_like(p)]
    has_sections = any(_SECTION.match(body[i]["lines"][0]) for i in headings)
    first_long = next((i for i, p in enumerate(body) if len(" ".join(p["lines"])) > 200), len(body))
    title_index = next((i for i in headings if i < first_long and i < 5), None)
    heading_set = set(headings)
    for i, p in enumerate(body):
        raw = clean.join_lines(p["lines"])
        text, marks = decode_marks(clean.collapse_spaces(encode_marks(raw, asterisk=star)))
        kind, level = "paragraph", 0
        if i == title_index:
            kind, level = "heading", 1
            parsed.title = text
        elif i in heading_set:
            kind, level = "heading", 2 if _SECTION.match(text) or not has_sections else 3
        elif _ITEM_START.match(text):
            kind = "item"
            bullet = _BULLET.match(text)
            if bullet:
                cut = len(bullet.group(0))
                text, marks = text[cut:], [(max(o - cut, 0), n) for o, n in marks]
        elif clean.is_caption(text):
            kind = "caption"
        parsed.blocks.append(Block(text=text, kind=kind, level=level, page=p["page"] if paged else None, marks=marks))
    if not parsed.title:
        first = next((b.text for b in parsed.blocks if b.kind in ("paragraph", "heading")), "")
        parsed.title = clean.short_title(first) if first else ""
    front = " ".join(b.text for b in parsed.blocks[: max(first_long, 1)][:4])
    date = clean.find_date(front)
    if date:
        parsed.metadata["date"] = date
