"""HTML snippets of passages: everything escaped, query terms in <mark>, entities in spans."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from .schema import text_analyzer

_ANALYZER = text_analyzer()
_WORD = re.compile(r"\w+(\.?\w+)*")  # the tokenizer's own pattern


@lru_cache(maxsize=100_000)
def _indexed_form(word: str) -> str | None:
    """The term a word is indexed under (None for stop words); cached per word."""
    for token in _ANALYZER(word, mode="index"):
        return token.text
    return None


def term_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose indexed form is one of ``terms``."""
    if not terms:
        return []
    return [m.span() for m in _WORD.finditer(text) if _indexed_form(m.group()) in terms]


def _window(text: str, marks: Sequence[tuple[int, int]], size: int) -> tuple[int, int]:
    """A window of about ``size`` characters around the first mark, on word boundaries."""
    if len(text) <= size:
        return 0, len(text)
    first = marks[0][0] if marks else 0
    start = max(0, min(first - size // 4, len(text) - size))
    end = min(len(text), start + size)
    if start > 0:
        space = text.find(" ", start, first if first > start else end)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def snippet_html(
    text: str,
    marks: Iterable[tuple[int, int]],
    entities: Iterable[dict[str, Any]],
    size: int = 400,
) -> str:
    """Escaped HTML of (a window of) ``text`` with marks and entity spans properly nested."""
    marks = sorted(marks)
    start, end = _window(text, marks, size)
    ents = [e for e in entities if e["start"] >= start and e["end"] <= end and e["end"] > e["start"]]
    bounds = {start, end}
    for a, b in marks:
        bounds.update(x for x in (a, b) if start <= x <= end)
    for e in ents:
        bounds.update((e["start"], e["end"]))
    points = sorted(bounds)
    parts: list[str] = ["… " if start > 0 else ""]
    open_ent: dict[str, Any] | None = None
    for a, b in zip(points, points[1:], strict=False):
        ent = next((e for e in ents if e["start"] <= a and b <= e["end"]), None)
        marked = any(m0 <= a and b <= m1 for m0, m1 in marks)
        if ent is not open_ent:
            if open_ent is not None:
                parts.append("</span>")
            if ent is not None:
                label = escape(ent["label"])
                title = escape(f"{ent['label']}: {ent['canonical']}")
                parts.append(f'<span class="ent ent-{label}" data-label="{label}" title="{title}">')
            open_ent = ent
        piece = escape(text[a:b])
        parts.append(f"<mark>{piece}</mark>" if marked and piece.strip() else piece)
    if open_ent is not None:
        parts.append("</span>")
    parts.append(" …" if end < len(text) else "")
    return "".join(parts)
