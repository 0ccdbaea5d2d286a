"""Footnote marks in running text and footnote bodies, whatever the source format.

Marks are first replaced by a sentinel (``OPEN number CLOSE``) so that the rest of the
cleaning can rewrite the text freely; :func:`decode_marks` then removes the sentinels and
returns the offsets where the marks stood.
"""

from __future__ import annotations

import re

from .models import Footnote

OPEN, CLOSE = "\ue000", "\ue001"
_SENTINEL = re.compile(OPEN + "([^" + CLOSE + "]*)" + CLOSE)

_SUP_MARK = re.compile(r"<sup>\s*(?:<a\b[^>]*>\s*)?\[?(\d{1,4}|[*†‡§])\]?\s*(?:</a>\s*)?</sup>", re.IGNORECASE)
_BRACKET_MARK = re.compile(r"\[\^([^\]\s]{1,12})\](?!:)")
_CARET_MARK = re.compile(r"(?<=[^\s\d^\[])\^(\d{1,4})(?![\d\]])")
_STAR_MARK = re.compile(r"(?<=[^\W\d_])\*(?=[\s.,;:)\]”’\"']|$)")

_NOTE_STARTS = (
    re.compile(r"^\s*<sup>\s*\[?(\d{1,4}|[*†‡§])\]?\s*</sup>\s*(.*)$", re.IGNORECASE),
    re.compile(r"^\s*\[\^([^\]\s]{1,12})\]:\s*(.*)$"),
    re.compile(r"^\s*\^(\d{1,4})\s+(.*)$"),
)
_STAR_NOTE = re.compile(r"^\s*\*(?!\s*\*)\s*(\S.*)$")
_CLOSERS = ".,;:!?)]}”’»\"'"


def encode_marks(text: str, asterisk: bool = False) -> str:
    """Replace footnote marks (``<sup>N</sup>``, ``[^N]``, ``word^N``, optionally ``word*``) by sentinels."""
    text = _SUP_MARK.sub(lambda m: OPEN + m.group(1) + CLOSE, text)
    text = _BRACKET_MARK.sub(lambda m: OPEN + m.group(1) + CLOSE, text)
    text = _CARET_MARK.sub(lambda m: OPEN + m.group(1) + CLOSE, text)
    if asterisk:
        text = _STAR_MARK.sub(OPEN + "*" + CLOSE, text)
    return text


def has_star_marks(text: str) -> bool:
    """True if the text holds a word directly followed by an asterisk mark (``Kosovo*``)."""
    return bool(_STAR_MARK.search(text))


def decode_marks(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Remove mark sentinels; return the stripped text and (offset, number) for each mark."""
    out = ""
    marks: list[tuple[int, str]] = []
    pos = 0
    for m in _SENTINEL.finditer(text):
        out += text[pos : m.start()]
        pos = m.end()
        nxt = text[pos : pos + 1]
        if out.endswith(" ") and (nxt in ("", " ", OPEN) or nxt in _CLOSERS):
            out = out.rstrip(" ")
        marks.append((len(out), m.group(1)))
    out += text[pos:]
    lead = len(out) - len(out.lstrip())
    stripped = out.strip()
    marks = [(min(max(off - lead, 0), len(stripped)), num) for off, num in marks]
    return stripped, marks


def strip_sentinels(text: str) -> str:
    """Drop any mark sentinels (for text where marks are not wanted, e.g. titles)."""
    return decode_marks(text)[0]


def parse_note_start(line: str, asterisk: bool = False) -> tuple[str, str] | None:
    """If the line starts a footnote body, return (number, rest of the line)."""
    for pattern in _NOTE_STARTS:
        m = pattern.match(line)
        if m:
            return m.group(1), m.group(2)
    if asterisk:
        m = _STAR_NOTE.match(line)
        if m:
            return "*", m.group(1)
    return None


def make_footnotes(notes: list[tuple[str, str, int | None]]) -> list[Footnote]:
    """Build ``Footnote`` records from (number, clean text, page), merging repeated numbers."""
    result: list[Footnote] = []
    by_number: dict[str, Footnote] = {}
    for number, text, page in notes:
        text = strip_sentinels(text)
        if not text:
            continue
        if number in by_number:
            by_number[number].text += " " + text
            continue
        note = Footnote(number=number, text=text, page=page)
        by_number[number] = note
        result.append(note)
    return result
