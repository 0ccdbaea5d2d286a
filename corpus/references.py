"""Parse footnote text into references; resolve Ibid. and op. cit. (to be filled in)."""

from __future__ import annotations

from .models import Footnote


def annotate_footnotes(footnotes: list[Footnote]) -> None:
    """Fill ``references``, ``commentary``, ``kind`` and ``refers_to`` of each footnote in place."""
    for note in footnotes:
        note.commentary = note.text
