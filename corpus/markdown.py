"""Markdown (and Markdown-like .txt) to blocks: markup removed, notes split off, cut paragraphs joined."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from . import clean
from .builder import Block
from .footnotes import decode_marks, encode_marks, make_footnotes, parse_note_start, strip_sentinels

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+(?=\S)")
_BULLET = re.compile(r"^\s*[-*+•]\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_FIELD_LINE = re.compile(r"^\s*[A-Z][\w ]{0,20}:\s+\S")
_WHOLLY_EMPHASISED = re.compile(r"^\s*(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1\s*$", re.DOTALL)

_ESCAPABLE = "\\`*_{}[]()#+-.!|<>~\"'"
_ESCAPE = re.compile(r"\\+([" + re.escape(_ESCAPABLE) + "])")
_IMAGE = re.compile(r"!\[([^\[\]]{0,1000})\]\([^()\s]{0,2000}\)")
_LINK = re.compile(
    r"\[([^\[\]]{0,1000})\]\(\s*<?((?:[^()\[\]\s<>]|\([^()\s]{0,200}\)){0,2000})>?(?:\s+[\"'][^()]{0,500}[\"'])?\s*\)"
)
_REF_LINK = re.compile(r"\[([^\[\]]{1,1000})\]\[[^\[\]]{0,100}\]")
_AUTOLINK = re.compile(
    r"<((?:https?|ftp)://[^<>\s]{1,2000}|www\.[^<>\s]{1,2000}|[^<>\s@]{1,200}@[^<>\s@]{1,200}\.\w+)>"
)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>|<!--.{0,2000}?-->", re.DOTALL)
_LINK_DEF = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:\s+\S+")
_DELIMITER = re.compile(r"\*+|_+")
_CODE = re.compile(r"`+([^`]+)`+")
_STRIKE = re.compile(r"~~([^~\n]{1,500}?)~~")


def _protect(m: re.Match) -> str:
    return chr(0xE100 + _ESCAPABLE.index(m.group(1)))


_RESTORE = {0xE100 + i: c for i, c in enumerate(_ESCAPABLE)}
_PROTECTED = re.compile(f"[{chr(0xE100)}-{chr(0xE100 + len(_ESCAPABLE) - 1)}]")


def _restore(text: str) -> str:
    return text.translate(_RESTORE) if _PROTECTED.search(text) else text


def _link(m: re.Match, keep_urls: bool) -> str:
    label, url = m.group(1).strip(), m.group(2).strip()
    if not keep_urls or not url or url.startswith("#"):
        return label
    plain_label = _restore(_ESCAPE.sub(_protect, label))
    if not label or plain_label == url or re.match(r"(?:https?://|www\.)", plain_label):
        return url
    return f"{label} ({url})"


def _strip_emphasis(text: str) -> str:
    """Remove paired ``*``/``_`` emphasis delimiters in one linear pass (unpaired ones stay)."""
    stack: list[tuple[str, int]] = []  # (delimiter char, index in runs)
    runs = list(_DELIMITER.finditer(text))
    drop: set[int] = set()
    for i, m in enumerate(runs):
        char = m.group(0)[0]
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        can_open = not after.isspace()
        can_close = not before.isspace()
        if char == "_":
            can_open = can_open and not before.isalnum()
            can_close = can_close and not after.isalnum()
        if can_close:
            for depth in range(len(stack) - 1, max(len(stack) - 40, -1), -1):
                if stack[depth][0] == char:
                    drop.update((stack[depth][1], i))
                    del stack[depth:]
                    break
            else:
                if can_open:
                    stack.append((char, i))
                continue
            continue
        if can_open:
            stack.append((char, i))
    if not drop:
        return text
    out, pos = [], 0
    for i in sorted(drop):
        out.append(text[pos : runs[i].start()])
        pos = runs[i].end()
    out.append(text[pos:])
    return "".join(out)


def render_inline(raw: str, keep_urls: bool = False) -> str:
    """Markdown inline markup to plain text; footnote marks become sentinels (see footnotes)."""
    text = encode_marks(raw)
    text = _ESCAPE.sub(_protect, text)
    text = _CODE.sub(lambda m: m.group(1), text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: _link(m, keep_urls), text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
    text = _TAG.sub("", text)
    text = _strip_emphasis(text)
    text = _STRIKE.sub(lambda m: m.group(1), text)
    text = re.sub(r"(?<!\w)\*{2,}|\*{2,}(?!\w)", "", text)  # unbalanced bold markers
    text = html.unescape(_restore(text))
    return clean.collapse_spaces(text)


@dataclass
class _Raw:
    kind: str  # heading | rule | note | item | para | table | toc
    lines: list[str] = field(default_factory=list)
    level: int = 0
    number: str = ""


def _group(lines: list[str]) -> list[_Raw]:
    """Split lines into raw blocks: headings, rules, notes, list items, tables, paragraphs."""
    blocks: list[_Raw] = []
    cur: _Raw | None = None
    fenced = False

    def close() -> None:
        nonlocal cur
        if cur is not None and (cur.lines or cur.kind == "rule"):
            blocks.append(cur)
        cur = None

    for line in lines:
        if _FENCE.match(line):
            if not fenced:
                close()
                cur = _Raw("para")
            fenced = not fenced
            continue
        if fenced:
            assert cur is not None  # opening a fence starts a block
            cur.lines.append(line)
            continue
        if not line.strip():
            close()
            continue
        if line.strip() in ("-", "*", "+", "•"):
            close()  # an empty list item
            continue
        if line.lstrip().startswith(">"):
            line = re.sub(r"^\s*(>\s?)+", "", line)
        note = parse_note_start(line)
        heading = _HEADING.match(line)
        if heading:
            close()
            blocks.append(_Raw("heading", [heading.group(2)], level=len(heading.group(1))))
        elif _SETEXT.match(line) and cur is not None and cur.kind == "para" and len(cur.lines) == 1:
            cur.kind, cur.level = "heading", 1 if "=" in line else 2
            close()
        elif clean.is_rule(line):
            close()
            blocks.append(_Raw("rule"))
        elif note:
            close()
            cur = _Raw("note", [note[1]], number=note[0])
        elif clean.is_toc_line(line):
            if cur is None or cur.kind != "toc":
                close()
                cur = _Raw("toc")
            cur.lines.append(line)
        elif _TABLE_ROW.match(line):
            if cur is None or cur.kind != "table":
                close()
                cur = _Raw("table")
            if not _TABLE_SEP.match(line):
                cur.lines.append(line)
        elif _ITEM.match(line) and not (cur is not None and cur.kind == "note"):
            close()
            text = _ITEM.sub("", line, count=1) if _BULLET.match(line) else line.strip()
            cur = _Raw("item", [text])
        else:
            if cur is None:
                cur = _Raw("para")
            cur.lines.append(line)
    close()
    return blocks


def _table_text(lines: list[str]) -> str:
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(" | ".join(render_inline(c) for c in cells if c))
    return "\n".join(r for r in rows if r)


def _split_fields(blocks: list[_Raw]) -> list[_Raw]:
    """A paragraph made only of ``Label: value`` lines (a memo header) becomes one block per line."""
    out: list[_Raw] = []
    for b in blocks:
        if b.kind == "para" and len(b.lines) > 1 and all(_FIELD_LINE.match(x) for x in b.lines):
            out.extend(_Raw("para", [x]) for x in b.lines)
        else:
            out.append(b)
    return out


def _continues(prev: str, nxt: str) -> bool:
    """True if ``nxt`` continues the sentence left open at the end of ``prev`` (cut by a page)."""
    prev_text = strip_sentinels(render_inline(prev))
    if not prev_text or clean.ends_sentence(prev_text):
        return False
    next_text = strip_sentinels(render_inline(nxt))
    if clean.starts_lower(next_text):
        return True
    return not clean.ends_softly(prev_text) and not prev_text.endswith(":")


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a YAML front-matter block (``---`` / ``key: value`` lines / ``---``) off the top."""
    start = next((i for i, x in enumerate(lines) if x.strip()), 0)
    if start >= len(lines) or lines[start].strip() != "---":
        return {}, lines
    meta: dict[str, str] = {}
    for j in range(start + 1, min(len(lines), start + 60)):
        line = lines[j]
        if line.strip() in ("---", "..."):
            return (meta, lines[j + 1 :]) if meta else ({}, lines)
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if m:
            meta[m.group(1).lower()] = m.group(2).strip().strip("\"'")
        elif line.strip() and not line.startswith((" ", "\t", "-")):
            return {}, lines
    return {}, lines


def parse_markdown(source: str) -> clean.Parsed:
    """Parse Markdown source into blocks, footnotes, title and metadata."""
    lines = clean.normalize_text(source).replace("\f", "\n").split("\n")
    front, lines = _front_matter(lines)
    lines = [x for x in lines if not _LINK_DEF.match(x)]
    raws = _split_fields(_group(lines))
    paged = any(a.kind == "rule" and b.kind == "note" for a, b in zip(raws, raws[1:], strict=False))
    page, pending, crossed = 1, False, False
    body: list[dict] = []
    notes: list[tuple[str, str, int | None]] = []
    toc: list[dict] = []
    for raw in raws:
        if raw.kind == "rule":
            pending = pending or paged
            crossed = crossed or paged
            continue
        if raw.kind == "note":
            text = strip_sentinels(render_inline(" ".join(raw.lines), keep_urls=True))
            notes.append((raw.number, text, page if paged else None))
            pending = crossed = True
            continue
        if raw.kind == "toc":
            toc.extend(clean.toc_entry(x) for x in raw.lines)
            if body and body[-1]["kind"] == "heading" and clean.is_toc_heading(body[-1]["raw"]):
                body.pop()
            continue
        if raw.kind == "para" and len(raw.lines) == 1 and clean.is_page_number(raw.lines[0]):
            pending = crossed = True  # a page number line marks the end of a page
            continue
        if pending and paged:
            page += 1
        pending = False
        joined = " ".join(x.strip() for x in raw.lines)
        last = body[-1] if body else None
        if crossed and raw.kind == "para" and last and last["kind"] == "para" and _continues(last["raw"], joined):
            last["raw"] = clean.join_pieces(last["raw"], joined)
            crossed = False
            continue
        crossed = False
        entry: dict[str, Any] = {"kind": raw.kind, "level": raw.level, "raw": joined, "page": page if paged else None}
        if raw.kind == "table":
            entry["text"] = _table_text(raw.lines)
        body.append(entry)
    _isolated_items_to_headings(body)
    parsed = clean.Parsed(footnotes=make_footnotes(notes), pages=page if paged else None)
    if toc:
        parsed.metadata["toc"] = toc
    _title_and_meta(body, parsed)
    for key in ("author", "date"):
        if front.get(key):
            parsed.metadata[key] = front[key]
    if front.get("title"):
        parsed.title = clean.collapse_spaces(front["title"])
    for entry in body:
        marks: list[tuple[int, str]] = []
        if "text" in entry:
            text = entry["text"]
        else:
            text, marks = decode_marks(render_inline(entry["raw"]))
        kind = "paragraph" if entry["kind"] in ("para", "table") else entry["kind"]
        if kind == "paragraph" and clean.is_caption(text):
            kind = "caption"
        parsed.blocks.append(Block(text=text, kind=kind, level=entry["level"], page=entry["page"], marks=marks))
    return parsed


def _isolated_items_to_headings(body: list[dict]) -> None:
    """A lone short numbered "item" followed by prose ("1) Joint efforts") is a section heading."""
    for i, entry in enumerate(body):
        if entry["kind"] != "item":
            continue
        prev_item = i > 0 and body[i - 1]["kind"] == "item"
        next_item = i + 1 < len(body) and body[i + 1]["kind"] == "item"
        text = strip_sentinels(render_inline(entry["raw"]))
        if (
            not prev_item
            and not next_item
            and len(text) <= 100
            and not clean.ends_sentence(text)
            and not text.endswith(":")
            and i + 1 < len(body)
        ):
            entry["kind"], entry["level"] = "heading", 2


def _title_and_meta(body: list[dict], parsed: clean.Parsed) -> None:
    """Choose the title (level-1 heading, memo subject, emphasised title block, short first line)."""
    head = body[:12]
    intro_end = next((i for i, e in enumerate(head) if e["kind"] == "para" and len(e["raw"]) > 300), len(head))
    front = head[:intro_end]
    text_of = lambda e: strip_sentinels(render_inline(e["raw"]))  # noqa: E731
    title_entry = next((e for e in front if e["kind"] == "heading" and e["level"] == 1), None)
    subject = next((e for e in head if re.match(r"\s*\**subject\**\s*:", e["raw"], re.IGNORECASE)), None)
    if title_entry is None and subject is not None:
        parsed.title = re.sub(r"^\s*subject\s*:\s*", "", text_of(subject), flags=re.IGNORECASE)
    if title_entry is None and not parsed.title:
        title_entry = next(
            (
                e
                for e in front
                if e["kind"] == "para"
                and _WHOLLY_EMPHASISED.match(e["raw"])
                and len(text_of(e).split()) >= 3
                and len(text_of(e)) <= 250
            ),
            None,
        )
        if title_entry is not None:
            title_entry["kind"], title_entry["level"] = "heading", 1
            idx = body.index(title_entry)
            after = body[idx + 1] if idx + 1 < len(body) else None
            if after and _WHOLLY_EMPHASISED.match(after["raw"]) and 2 <= len(text_of(after).split()) <= 6:
                parsed.metadata["author"] = text_of(after)
    if title_entry is None and not parsed.title:
        title_entry = next(
            (
                e
                for e in front
                if e["kind"] in ("heading", "para")
                and len(text_of(e)) <= 150
                and not clean.ends_sentence(text_of(e))
                and not clean.find_date(text_of(e))
            ),
            None,
        )
    if title_entry is not None:
        parsed.title = text_of(title_entry)
    if not parsed.title:
        first = next((e for e in body if e["kind"] in ("para", "heading")), None)
        parsed.title = clean.short_title(text_of(first)) if first else ""
    date = next((clean.find_date(text_of(e)) for e in head if clean.find_date(text_of(e))), None)
    if date:
        parsed.metadata["date"] = date


def looks_like_markdown(text: str) -> bool:
    """Guess whether a .txt file is Markdown (headings, <sup> notes, bold, rules, links)."""
    sample = text[:200_000]
    signals = 0
    signals += 2 * bool(re.search(r"^#{1,6}\s+\S", sample, re.MULTILINE))
    signals += 2 * bool(re.search(r"<sup>\s*\w+\s*</sup>|\[\^\w+\]", sample))
    signals += 2 * bool(re.search(r"\[[^\]\n]+\]\((?:https?://|/|#)[^)\s]*\)", sample))
    signals += bool(re.search(r"\*\*[^*\n]+\*\*|__[^_\n]+__", sample))
    signals += bool(re.search(r"^-{3,}\s*$", sample, re.MULTILINE))
    signals += bool(re.search(r"^\s*[-*+]\s+\S", sample, re.MULTILINE))
    signals += bool(re.search(r"(?<![\w*])\*[^*\s][^*\n]*[^*\s]\*(?![\w*])", sample))
    signals += bool(re.search(r"<https?://[^>\s]+>", sample))
    return signals >= 2
