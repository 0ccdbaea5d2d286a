"""Highlighting and HTML snippets of passages: one highlighter for snippets and the reader.

:class:`Highlighter` marks what a query matched, read with the index's own analyzer: a
word is marked when its indexed form (lowercased, accents folded, stemmed) is one the
query searched, a phrase only where its words stand in a row (``"border procedure"``
does not mark "border control procedures"). Snippets are cut around the best match and
escaped, with marks and entity spans properly nested.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from .schema import text_analyzer

_ANALYZER = text_analyzer()


@lru_cache(maxsize=256)
def _tokens(text: str) -> tuple[tuple[str, int, int, int], ...]:
    """(indexed form, position, start, end) of each indexed word of ``text``, as the index reads it."""
    return tuple(
        (t.text, t.pos, t.startchar, t.endchar)
        for t in _ANALYZER(text, positions=True, chars=True, mode="index", removestops=True)
    )


def analyze(text: str) -> list[str]:
    """The indexed forms of the words of ``text`` (stop words dropped)."""
    return [t.text for t in _ANALYZER(text, mode="query")]


@dataclass(frozen=True)
class Highlighter:
    """What to mark: indexed terms, phrases (tuples of indexed terms) and term prefixes."""

    terms: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.prefixes)

    @classmethod
    def from_words(cls, items: Iterable[str]) -> Highlighter:
        """From words as typed: ``word``, ``prefix*`` and ``"a phrase"`` items."""
        terms: set[str] = set()
        phrases: list[tuple[str, ...]] = []
        prefixes: list[str] = []
        for item in items:
            item = item.strip()
            if item.startswith('"') and item.endswith('"') and len(item) > 1:
                stems = tuple(analyze(item.strip('"')))
                if len(stems) > 1:
                    phrases.append(stems)
                else:
                    terms.update(stems)
            elif item.endswith("*") and item.rstrip("*"):
                prefixes.append(item.rstrip("*").lower())
            else:
                terms.update(analyze(item))
        return cls(frozenset(terms), tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(prefixes)))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of ``text`` to mark, sorted, not overlapping."""
        if not self:
            return []
        tokens = _tokens(text)
        found: list[tuple[int, int]] = []
        for term, _pos, start, end in tokens:
            if term in self.terms or (self.prefixes and term.startswith(self.prefixes)):
                found.append((start, end))
        if self.phrases:
            by_pos = {pos: (term, start, end) for term, pos, start, end in tokens}
            for phrase in self.phrases:
                for term, pos, start, _end in tokens:
                    if term != phrase[0]:
                        continue
                    last = None
                    for k, word in enumerate(phrase[1:], 1):
                        at = by_pos.get(pos + k)
                        if at is None or at[0] != word:
                            break
                        last = at[2]
                    else:
                        found.append((start, last if last is not None else _end))
        return _merge(found)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def term_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose indexed form is one of ``terms``."""
    return Highlighter(frozenset(terms)).spans(text)


def _window(text: str, marks: Sequence[tuple[int, int]], size: int) -> tuple[int, int]:
    """A window of about ``size`` characters around the best match, on word boundaries.

    The best match is where the window holds the most different marked words (then the
    most marks, then the earliest).
    """
    if len(text) <= size:
        return 0, len(text)
    best_first, best_key = 0, None
    starts = [a for a, _ in marks]
    for first in starts[:200]:
        start = max(0, min(first - size // 4, len(text) - size))
        inside = marks[bisect_left(starts, start) : bisect_right(starts, start + size)]
        key = (len({text[a:b].lower() for a, b in inside if b <= start + size}), len(inside))
        if best_key is None or key > best_key:
            best_first, best_key = first, key
    first = best_first
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
    marks = _merge(list(marks))
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
    mark_starts = [m[0] for m in marks]  # marks are merged: sorted, not overlapping
    for a, b in zip(points, points[1:], strict=False):
        ent = next((e for e in ents if e["start"] <= a and b <= e["end"]), None)
        j = bisect_right(mark_starts, a) - 1
        marked = j >= 0 and marks[j][1] >= b
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
