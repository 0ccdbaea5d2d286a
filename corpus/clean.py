"""Cleaning shared by the readers: whitespace, wrapped lines, page debris, boilerplate."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .builder import Block
from .models import Footnote

#: characters that end a sentence, optionally followed by closing quotes or brackets
_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]*_]*$")
_SOFT_END = re.compile(r"[:;,][\"'”’»)\]*_]*$")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:(?:page|p\.|pag\.|seite)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?\s*(?:(?:/|of|di|von)\s*\d{1,4})?\s*$",
    re.IGNORECASE,
)
_TOC_LINE = re.compile(r"^.{2,}?(?:\s*\.{3,}|\s*…{2,}|\t)\s*\.*\s*\d{1,4}\s*$")
_TOC_HEADING = re.compile(
    r"^(?:table of contents|contents|sommario|indice|index|inhalt|inhaltsverzeichnis|"
    r"sommaire|table des mati[eè]res|[ií]ndice|summary of contents)$",
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_ODD_SPACE = re.compile(r"[^\S\n\f\t]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

#: phrases that only appear in web widgets (comments, sharing, shops, cookies, newsletters)
_BOILERPLATE = re.compile(
    r"\b(?:leave a (?:reply|comment)|post a comment|add a comment|\d+ comments?|no comments|"
    r"happy to hear your thoughts|share (?:this|on|via)|follow us|sign up|subscribe|newsletter|"
    r"log ?in|sign in|cookie|privacy policy|terms of (?:use|service)|all rights reserved|"
    r"shopping (?:cart|bag)|add to (?:cart|basket|wishlist)|compare items?|wishlist|"
    r"best deals|our newest merchandise|merchandise|checkout|related (?:posts|articles|stories)|"
    r"read more|advertisement|you may also like|recommended for you|skip to content)\b",
    re.IGNORECASE,
)
_SHORT_WIDGET = re.compile(
    r"^(?:[•·|»>-]\s*)?(?:logo|compare|menu|search|home|total\s*\(\d+\)|\d{1,3}|[•·|»>-]+)$", re.IGNORECASE
)


def normalize_text(text: str) -> str:
    """Unify newlines, drop zero-width and control characters, map odd spaces to plain spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    text = unicodedata.normalize("NFC", text)
    text = _ODD_SPACE.sub(" ", text)
    return _CONTROL.sub("", text)


def collapse_spaces(text: str) -> str:
    """Collapse every run of whitespace into one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


def ends_sentence(text: str) -> bool:
    """True if the text ends with sentence-final punctuation (closing quotes allowed)."""
    return bool(_TERMINAL.search(text.rstrip()))


def ends_softly(text: str) -> bool:
    """True if the text ends with a colon, semicolon or comma."""
    return bool(_SOFT_END.search(text.rstrip()))


def starts_lower(text: str) -> bool:
    """True if the first letter of the text (past quotes and markup) is lower case."""
    for ch in text:
        if ch.isalpha():
            return ch.islower()
        if ch.isdigit():
            return False
    return False


def join_lines(lines: list[str]) -> str:
    """Join hard-wrapped lines into one paragraph, undoing line-end hyphenation."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        out = join_pieces(out, line)
    return out


def join_pieces(left: str, right: str) -> str:
    """Join two pieces of one paragraph that a line or page break separated."""
    left, right = left.rstrip(), right.lstrip()
    if not left:
        return right
    if not right:
        return left
    if left.endswith("-") and left[-2:-1].isalpha():
        if right[:1].islower():
            return left[:-1] + right  # "manage-" + "ment" -> "management"
        return left + right  # "EU-" + "Turkey" -> "EU-Turkey"
    return left + " " + right


def is_page_number(line: str) -> bool:
    """True for a line that is only a page number ("12", "- 12 -", "Page 3 of 9")."""
    return bool(_PAGE_NUMBER.match(line)) and any(c.isdigit() for c in line)


def is_toc_line(line: str) -> bool:
    """True for a table-of-contents line (dotted leaders or a tab, then a page number)."""
    return bool(_TOC_LINE.match(line.strip()))


def is_toc_heading(text: str) -> bool:
    """True for a heading that announces a table of contents ("Contents", "Sommario")."""
    return bool(_TOC_HEADING.match(collapse_spaces(text).strip(" :*_#")))


def is_rule(line: str) -> bool:
    """True for a separator line such as ``***``, ``---`` or ``* * *``."""
    return bool(_RULE_LINE.match(line))


def toc_entry(line: str) -> dict[str, object]:
    """Split a table-of-contents line into its title and page number."""
    m = re.match(r"^(.*?)[\s.…\t]*(\d{1,4})\s*$", line.strip())
    if not m:
        return {"title": collapse_spaces(line), "page": None}
    return {"title": collapse_spaces(m.group(1)), "page": int(m.group(2))}


def is_boilerplate_line(line: str) -> bool:
    """True for a short line that belongs to a web widget (comments, shop, sharing)."""
    text = collapse_spaces(line)
    if not text or len(text) > 80 or ends_sentence(text) and len(text.split()) > 8:
        return False
    if _SHORT_WIDGET.match(text):
        return True
    found = _BOILERPLATE.search(text)
    # the widget phrase must be most of the line: "Cookie consent under the GDPR" is a heading
    return bool(found) and len(_BOILERPLATE.sub(" ", text).split()) <= 3


def _widget_like(paragraph: str) -> bool:
    lines = [collapse_spaces(x) for x in paragraph.split("\n") if x.strip()]
    return bool(lines) and all(len(x) <= 60 and not ends_sentence(x) or is_boilerplate_line(x) for x in lines)


def strip_trailing_boilerplate(paragraphs: list[str]) -> list[str]:
    """Drop the run of widget-like short paragraphs at the end of a web page, if it is one."""
    cut = len(paragraphs)
    while cut > 1 and _widget_like(paragraphs[cut - 1]):
        cut -= 1
    tail = paragraphs[cut:]
    lines = [x for p in tail for x in p.split("\n") if x.strip()]
    if not lines:
        return paragraphs
    known = sum(1 for x in lines if is_boilerplate_line(x))
    if known == 0:
        return paragraphs
    if not any(len(p) > 200 for p in paragraphs[:cut]):
        return paragraphs  # not an article followed by widgets: keep everything
    return paragraphs[:cut]


def is_caption(text: str) -> bool:
    """True for a photo caption or credit line."""
    if len(text) > 400:
        return False
    return bool(
        re.search(
            r"©|\((?:photo|image|picture|credit)s?\b|^(?:photo|image|picture)s?\s*:|"
            r"\b(?:getty images|shutterstock|/afp|/reuters|/ap\b|photo credit)",
            text,
            re.IGNORECASE,
        )
    )


# --- accent folding and slugs: the one implementation (corpus.references' work keys,
# corpus.reader's document ids, indexer.gazetteer's lookup keys and the index's entity terms,
# indexer.store's title search; annotations.entity_rules.name_key, which may import nothing
# of ours, is the same fold, checked by tests/test_stored_keys.py) -------------------------

_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def strip_accents(text: str) -> str:
    """``text`` without accents: decomposed (NFKD: ligatures, full-width and superscript
    forms become plain letters and digits too), combining marks dropped. Letters with no
    decomposition (ø, ß, ł, Greek, Cyrillic) stay as they are."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """A lookup key: accents stripped, case folded, whitespace runs one space
    (``"  Türkiye\u00a0Report"`` -> ``"turkiye report"``)."""
    return " ".join(strip_accents(text).casefold().split())


def slug(text: str, other: str = "-") -> str:
    """Lower-case ASCII words joined by hyphens (for ids and keys), accents stripped.

    A character left with no ASCII form (ø, ß, ’, –, Greek, CJK) becomes ``other``: by default
    a word break (work keys: ``Women’s`` gives ``women-s``); document ids pass ``""`` and so
    leave it out (``womens``). Both forms are stored keys and stay as they always were."""
    return _NOT_SLUG.sub("-", _NOT_ASCII.sub(other, strip_accents(text)).lower()).strip("-")


def short_title(text: str, limit: int = 100) -> str:
    """The first sentence of a text, cut at a word boundary if longer than ``limit``."""
    text = collapse_spaces(text)
    m = re.match(r"(.+?[.!?])(?:\s|$)", text)
    first = m.group(1) if m else text
    if len(first) <= limit:
        return first.rstrip(".")
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


@dataclass
class Parsed:
    """What a format reader hands to :mod:`corpus.reader`: blocks, notes, title, metadata."""

    blocks: list[Block] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    title: str = ""
    pages: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


_DATE = re.compile(
    r"\b(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\s+(?:\d{1,2},\s+)?\d{4}\b"
)


def find_date(text: str) -> str | None:
    """The first written-out date in the text ("19 November 2024", "January 2025"), if any."""
    m = _DATE.search(text)
    return m.group(0) if m else None
