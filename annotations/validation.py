"""Input checks for annotations: tags, comment, visibility and the quote selector."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .anchoring import anchor
from .base import AnnotationError
from .models import VISIBILITIES

MAX_COMMENT = 10_000
MAX_QUOTE = 5_000
MAX_TAGS = 20
MAX_TAG_LEN = 40
MAX_DOC_ID = 200
TAG_RE = re.compile(r"[^\W_][\w\-:./]*")


def clean_tags(tags) -> list[str]:
    """Checked, de-duplicated tags in the given order; AnnotationError(400) on a bad one."""
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        raise AnnotationError(400, "tags must be a list of strings")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise AnnotationError(400, "tags must be strings")
        tag = tag.strip()
        if not tag or len(tag) > MAX_TAG_LEN or not TAG_RE.fullmatch(tag):
            raise AnnotationError(
                400, f"bad tag {tag[:60]!r}: 1-{MAX_TAG_LEN} letters, digits, '-', '_', ':', '.', '/' and no spaces"
            )
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise AnnotationError(400, f"at most {MAX_TAGS} tags per annotation")
    return out


def clean_comment(comment) -> str:
    """A comment within the size limit."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise AnnotationError(400, "comment must be text")
    if len(comment) > MAX_COMMENT:
        raise AnnotationError(413, f"comment too long: {len(comment)} characters (max {MAX_COMMENT})")
    return comment


def clean_visibility(visibility) -> str:
    """'private' or 'shared'."""
    if visibility not in VISIBILITIES:
        raise AnnotationError(400, "visibility must be 'private' or 'shared'")
    return visibility


def place_quote(text: str | None, exact, start, end, prefix: str = "", suffix: str = "") -> tuple[int, int]:
    """Check a selector against the document text; returns the (possibly re-anchored) span."""
    if text is None:
        raise AnnotationError(404, "unknown document")
    if not isinstance(exact, str) or not exact:
        raise AnnotationError(400, "the quote (exact) must be non-empty text")
    if len(exact) > MAX_QUOTE:
        raise AnnotationError(413, f"quote too long: {len(exact)} characters (max {MAX_QUOTE})")
    if start is not None or end is not None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise AnnotationError(400, "start and end must be integers")
        if not 0 <= start < end <= len(text):
            raise AnnotationError(400, f"selector {start}..{end} is outside the document text (0..{len(text)})")
        if text[start:end] == exact:
            return start, end
    found = anchor(text, exact, prefix or "", suffix or "", start, end)
    if found is None:
        where = f" at {start}..{end}" if start is not None else ""
        raise AnnotationError(422, f"the quote does not match the document text{where}")
    return found
