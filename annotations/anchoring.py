"""Re-find a quoted passage in a (possibly edited) text: positions, exact quote, then fuzzy."""

from __future__ import annotations

import hashlib
from difflib import SequenceMatcher

CONTEXT_CHARS = 32
FUZZY_THRESHOLD = 0.75
CONTEXT_THRESHOLD = 0.8
LONG_QUOTE = 60
GOOD_ENOUGH = 0.92
MAX_EXACT_HITS = 200
MAX_FUZZY_CANDIDATES = 12


def text_hash(text: str) -> str:
    """SHA-256 of a document's text (identifies the version an annotation was anchored to)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def context_of(text: str, start: int, end: int, size: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The prefix and suffix (up to `size` characters) around text[start:end]."""
    return text[max(0, start - size) : start], text[end : end + size]


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """0..1: how much of the stored prefix/suffix surrounds text[start:end]."""
    total = len(prefix) + len(suffix)
    if total == 0:
        return 0.0
    got = _common_suffix(text[max(0, start - len(prefix)) : start], prefix)
    got += _common_prefix(text[end : end + len(suffix)], suffix)
    return got / total


def _occurrences(text: str, needle: str, limit: int) -> list[int]:
    hits, pos = [], text.find(needle)
    while pos != -1 and len(hits) < limit:
        hits.append(pos)
        pos = text.find(needle, pos + 1)
    return hits


def _best_exact(text: str, exact: str, prefix: str, suffix: str, old: int) -> tuple[int, int] | None:
    hits = _occurrences(text, exact, MAX_EXACT_HITS)
    if not hits:
        return None
    size = max(len(text), 1)

    def score(pos: int) -> float:
        ctx = _context_score(text, pos, pos + len(exact), prefix, suffix)
        return 2.0 * ctx - abs(pos - old) / size

    best = max(hits, key=score)
    return best, best + len(exact)


def _candidate_starts(text: str, exact: str, prefix: str, suffix: str) -> dict[int, int]:
    """Votes for where the quote may now start, from exact pieces of quote and context."""
    n = len(exact)
    k = max(5, min(24, n // 4))
    votes: dict[int, int] = {}

    def vote(pos: int) -> None:
        bucket = max(0, pos)
        votes[bucket] = votes.get(bucket, 0) + 1

    if n >= k:
        for off in sorted({0, n // 4, n // 2, (3 * n) // 4, n - k}):
            for p in _occurrences(text, exact[off : off + k], 100):
                vote(p - off)
    tail = prefix[-16:]
    if len(tail) >= 6:
        for p in _occurrences(text, tail, 50):
            vote(p + len(tail))
    head = suffix[:16]
    if len(head) >= 6:
        for p in _occurrences(text, head, 50):
            vote(p - n)
    return votes


def _align(text: str, exact: str, guess: int) -> tuple[int, int, float] | None:
    """Best span for `exact` in a window around `guess`, with its similarity ratio."""
    n = len(exact)
    lo = max(0, guess - n // 2 - 8)
    hi = min(len(text), guess + 2 * n + 8)
    window = text[lo:hi]
    sm = SequenceMatcher(None, window, exact, autojunk=False)
    blocks = all_blocks = [b for b in sm.get_matching_blocks() if b.size]
    solid = [b for b in blocks if b.size >= min(4, n)]
    if solid:
        blocks = solid
    if not blocks:
        return None
    main = max(blocks, key=lambda b: b.size)
    drift = max(10, n // 3)
    blocks = [b for b in blocks if abs((b.a - b.b) - (main.a - main.b)) <= drift]
    first, last = blocks[0], blocks[-1]
    start = lo + first.a - first.b
    end = lo + last.a + last.size + (n - last.b - last.size)
    start, end = max(lo, start), min(hi, end)
    if end <= start:
        return None
    matched = sum(b.size for b in all_blocks if start <= lo + b.a and lo + b.a + b.size <= end)
    return start, end, 2.0 * matched / (end - start + n)


def _ratio(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _quote_threshold(n: int) -> float:
    """Short quotes must match more closely: few characters say little."""
    if n < 20:
        return 0.9
    if n < LONG_QUOTE:
        return 0.8
    return FUZZY_THRESHOLD


def _with_context(text: str, start: int, end: int, ratio: float, exact: str, prefix: str, suffix: str) -> float:
    """Similarity of prefix + quote + suffix, weighted by length."""
    before = text[max(0, start - len(prefix)) : start]
    after = text[end : end + len(suffix)]
    lp, ls, n = len(prefix), len(suffix), len(exact)
    total = ratio * n + _ratio(before, prefix) * lp + _ratio(after, suffix) * ls
    return total / (n + lp + ls)


def _fuzzy(text: str, exact: str, prefix: str, suffix: str, old: int) -> tuple[int, int] | None:
    votes = _candidate_starts(text, exact, prefix, suffix)
    size = max(len(text), 1)
    ranked = sorted(votes, key=lambda p: (-votes[p], abs(p - old)))
    if 0 <= old < len(text):
        ranked.insert(0, old)
    threshold = _quote_threshold(len(exact))
    seen: list[int] = []
    best, best_score = None, -1.0
    for guess in ranked:
        if any(abs(guess - s) <= max(4, len(exact) // 8) for s in seen):
            continue
        seen.append(guess)
        if len(seen) > MAX_FUZZY_CANDIDATES:
            break
        found = _align(text, exact, guess)
        if not found or found[2] < threshold:
            continue
        start, end, ratio = found
        combined = _with_context(text, start, end, ratio, exact, prefix, suffix)
        if len(exact) < LONG_QUOTE and combined < CONTEXT_THRESHOLD:
            continue
        score = combined - 0.5 * abs(start - old) / size
        if score > best_score:
            best, best_score = (start, end), score
        if combined >= GOOD_ENOUGH:
            break  # candidates come nearest-first: a near-perfect match will not be beaten
    return best


def anchor(
    text: str, exact: str, prefix: str = "", suffix: str = "", start: int | None = None, end: int | None = None
) -> tuple[int, int] | None:
    """Where `exact` lies in `text` now: stored positions, nearest exact hit, fuzzy match, or None."""
    if not exact:
        return None
    prefix, suffix = prefix or "", suffix or ""
    if start is not None and end is not None and 0 <= start <= end <= len(text) and text[start:end] == exact:
        return start, end
    old = start if start is not None else 0
    hit = _best_exact(text, exact, prefix, suffix, old)
    if hit is not None:
        return hit
    return _fuzzy(text, exact, prefix, suffix, old)
