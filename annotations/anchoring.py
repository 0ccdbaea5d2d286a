"""Re-find a quoted passage in a (possibly edited) text.

Every place the quote may now be is scored as the best anchoring code does (Hypothesis's
``match-quote``): how closely the quote matches (edit distance), how closely the stored
prefix and suffix match next to it (edit distance too, so a reworded neighbour costs only
its edits), and how far it is from the old position, weighted 50 / 20 / 20 / 2.

Unlike a search that stops at the first exact copy, an exact copy elsewhere competes with
close matches at the old place: a typo inside the annotated copy of a repeated phrase stays
put. A place is accepted only with evidence that it is the annotated one: matching context,
or a quote that was unique in the document and is unique now. Otherwise the annotation is
orphaned, never moved to an unrelated copy. A selector made elsewhere (no record of how
distinctive its quote was) is judged by the text as it is now: its quote places it when
both ends of the quote match and no other place matches as well.

Matching runs on a normalised view of both texts (whitespace runs are one space, NFKC
compatibility forms, soft hyphens and zero-width characters dropped), so text re-read from
a PDF matches; positions are mapped back to the original text. The edit distances come from
Myers' bit-parallel algorithm (Python integers as bit vectors), run on small windows around
candidate places: the stored position, every exact copy, and places voted for by exact
pieces of the quote and of its context.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

CONTEXT_CHARS = 32
MAX_CONTEXT_CHARS = 256  # context grows (doubling) until it tells the quote from its copies

# Hypothesis's weights: quote, prefix, suffix, position.
QUOTE_WEIGHT = 50.0
PREFIX_WEIGHT = 20.0
SUFFIX_WEIGHT = 20.0
POSITION_WEIGHT = 2.0

# A side of the context "matches" when this similar (random English text scores ~0.3-0.5).
CONTEXT_MATCH = 0.7
# ... or both sides together, on average.
CONTEXT_MEAN = 0.6
# A quote alone identifies its place only when it was unique and matches this closely.
UNIQUE_QUOTE = 0.9
# A new place must score this much better than the best other copy did when anchored.
RIVAL_MARGIN = 0.01

MAX_EXACT_HITS = 2000  # exact copies looked at (the nearest to the old position first)
EXACT_EVALUATED = 6  # exact copies aligned in full (best context first)
SEED_HITS = 64  # a quote piece found more often than this says nothing
RIVALS_SCORED = 12  # other copies scored when a selector is described
MAX_CANDIDATES = 10  # places aligned in full per quote
GOOD_ENOUGH = 0.9  # a place scoring this well is not looked past
END_CHARS = 32  # each end of a longer quote matched by itself must match this many characters
SCAN_MAX_CHARS = 1_000_000  # a whole-text search costs about a second per million characters

_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer; CJK ideographs,
# kana, bopomofo): each of their characters is a boundary of its own, so a quote may begin
# or end at any of them. (Hangul is written with spaces and is not among them.)
_UNSPACED = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x2E80, 0x312F),
    (0x3190, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x3FFFF),
)

# How a quote's start (or end) must sit relative to the words of the text.
FREE, SOFT, HARD = 0, 1, 2


@lru_cache(maxsize=4096)
def _wordish(ch: str) -> bool:
    """Is `ch` a letter or digit that joins its neighbours into a word?"""
    if not ch.isalnum():
        return False
    o = ord(ch)
    return not any(lo <= o <= hi for lo, hi in _UNSPACED)


def _boundary_modes(nq: str, np_: str, ns: str) -> tuple[int, int]:
    """How the quote's start and end must fall on word boundaries.

    FREE: the quote began (ended) inside a word (its context runs on in the same word).
    HARD: it began (ended) at a boundary, and its context says so.
    SOFT: no context on that side (the text's edge, or a selector made elsewhere): a word
    boundary is preferred, a place inside a word taken only when nothing else fits as well.
    """

    def mode(mine: str, theirs: str) -> int:
        if not theirs:
            return SOFT
        return FREE if _wordish(mine) and _wordish(theirs) else HARD

    return mode(nq[0], np_[-1:]), mode(nq[-1], ns[:1])


def text_hash(text: str) -> str:
    """SHA-256 of a document's text (identifies the version an annotation was anchored to)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def context_of(text: str, start: int, end: int, size: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The prefix and suffix (up to `size` characters) around text[start:end]."""
    return text[max(0, start - size) : start], text[end : end + size]


_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The comparable form of a piece of text (whitespace runs one space, NFKC, no soft hyphens)."""
    if text.isascii():
        return _SPACES.sub(" ", text)
    return _normalize(text)[0]


def _normalize(text: str) -> tuple[str, array]:
    """Normalised text and, for each of its characters, the index of the original character."""
    if text.isascii():
        out: list[str] = []
        pos = array("i")
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch.isspace():
                j = i + 1
                while j < n and text[j].isspace():
                    j += 1
                out.append(" ")
                pos.append(i)
                i = j
                continue
            out.append(ch)
            pos.append(i)
            i += 1
        pos.append(n)
        return "".join(out), pos
    out = []
    pos = array("i")
    in_space = False
    for i, ch in enumerate(text):
        if ch in _DROP:
            continue
        if ch.isspace():
            if not in_space:
                out.append(" ")
                pos.append(i)
                in_space = True
            continue
        in_space = False
        if ch.isascii():
            out.append(ch)
            pos.append(i)
            continue
        if out and unicodedata.combining(ch):
            composed = unicodedata.normalize("NFC", out[-1] + ch)
            if len(composed) == 1:  # e + U+0301 is é
                out[-1] = composed
                continue
        folded = unicodedata.normalize("NFKC", ch)
        for c in folded:
            if c.isspace():
                continue
            out.append(c)
            pos.append(i)
    pos.append(len(text))
    return "".join(out), pos


# --- Myers' bit-parallel edit distance -------------------------------------------------


@lru_cache(maxsize=64)
def _peq(pattern: str) -> dict[str, int]:
    masks: dict[str, int] = {}
    bit = 1
    for ch in pattern:
        masks[ch] = masks.get(ch, 0) | bit
        bit <<= 1
    return masks


def distances(pattern: str, text: str, anchored: bool = False) -> list[int]:
    """Edit distances of `pattern` to text ending at each position 0..len(text).

    Free start (``anchored=False``): d[j] = min over i of lev(pattern, text[i:j]), the
    approximate-search row of Myers (1999). Anchored: d[j] = lev(pattern, text[:j]).
    """
    m = len(pattern)
    if m == 0:
        return list(range(len(text) + 1)) if anchored else [0] * (len(text) + 1)
    peq = _peq(pattern)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    pv, mv, score = full, 0, m
    out = [m]
    append = out.append
    carry = 1 if anchored else 0
    get = peq.get
    for ch in text:
        eq = get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | carry) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
        append(score)
    return out


def levenshtein(a: str, b: str) -> int:
    """The edit distance of two strings."""
    if len(a) < len(b):
        a, b = b, a
    return distances(b, a, anchored=True)[-1] if b else len(a)


# --- matching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Where a quote was found: original-text offsets, how, and how well (scores 0..1)."""

    start: int
    end: int
    method: str  # "position" (stored offsets hold), "exact" (an exact copy), "fuzzy"
    score: float
    quote_score: float
    prefix_score: float
    suffix_score: float
    changed: bool  # the text at the new place differs from the quote (beyond whitespace)

    @property
    def span(self) -> tuple[int, int]:
        """(start, end)."""
        return self.start, self.end


@dataclass(frozen=True)
class Selector:
    """How an annotation is stored: quote, context, offsets, and its best rival's score."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    rival: float


@dataclass
class _Candidate:
    start: int  # normalised offsets
    end: int
    quote: float
    prefix: float | None
    suffix: float | None
    score: float = 0.0

    @property
    def span(self) -> tuple[int, int]:
        """(start, end), normalised offsets."""
        return self.start, self.end


def quote_threshold(n: int) -> float:
    """The least quote similarity accepted: short quotes must match more closely."""
    if n < 40:
        return 0.75
    return 0.7


class Anchorer:
    """Finds quotes in one text; build it once per text and call `find` for each annotation."""

    def __init__(self, text: str):
        self.text = text
        self.norm, self._pos = _normalize(text)

    def _to_norm(self, offset: int) -> int:
        return bisect_left(self._pos, offset, 0, len(self.norm))

    def _to_orig(self, start: int, end: int) -> tuple[int, int]:
        s = self._pos[start]
        e = self._pos[end - 1] + 1 if end > start else s
        text = self.text
        while e < len(text) and unicodedata.combining(text[e]):
            e += 1  # a combining mark belongs to the character before it
        return s, e

    # -- scoring helpers

    def _side_scores(self, nq: str, np_: str, ns: str, s: int, e: int) -> tuple[float | None, float | None]:
        t = self.norm
        p = None
        if np_:
            lo = max(0, s - len(np_) - len(np_) // 2)
            p = 1.0 - distances(np_, t[lo:s])[-1] / len(np_)
        x = None
        if ns:
            hi = e + len(ns) + len(ns) // 2
            x = 1.0 - distances(ns[::-1], t[e:hi][::-1])[-1] / len(ns)
        return p, x

    def _total(self, c: _Candidate, hint: int | None) -> float:
        pos = 1.0
        if hint is not None and self.norm:
            pos = 1.0 - abs(c.start - hint) / len(self.norm)
        p = 1.0 if c.prefix is None else c.prefix
        s = 1.0 if c.suffix is None else c.suffix
        raw = QUOTE_WEIGHT * c.quote + PREFIX_WEIGHT * p + SUFFIX_WEIGHT * s + POSITION_WEIGHT * pos
        return raw / (QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT)

    def _align(self, nq: str, np_: str, ns: str, guess: int, slack: int, again: int = 2) -> _Candidate | None:
        """Best span for the quote near `guess`, its boundaries fixed jointly with the context.

        When the span runs into the edge of the window looked at, the window is moved to it
        and the alignment done again (the guess was off, or text was inserted in the quote).
        """
        t, m = self.norm, len(nq)
        lp, ls = len(np_), len(ns)
        lo = max(0, guess - slack)
        hi = min(len(t), guess + m + slack)
        if hi <= lo:
            return None
        # distance of the quote to text ending at each e (free start), and of the suffix
        # to text starting at each e (free far end): pick the end that fits both best
        qf = distances(nq, t[lo:hi])
        sx_hi = min(len(t), hi + ls + ls // 2 + 1)
        sf = distances(ns[::-1], t[lo:sx_hi][::-1]) if ls else None
        # a quote that began (ended) at a word boundary begins (ends) at one again; with no
        # context on that side a boundary is preferred among equally good places
        start_mode, end_mode = _boundary_modes(nq, np_, ns)
        inside = self._inside_word
        # context that no longer matches says nothing about where the quote ends: its cost
        # is capped at half its length (what unrelated text scores)
        pcap, scap = lp // 2, ls // 2

        tail, head = nq[-8:], nq[:8]

        def best_end(first: int, dist: list[int], anchored: bool) -> int | None:
            """The end (from first+1 on) with the least quote + suffix cost (an end inside a
            word, with no suffix to say so, costs one edit more); ties go to a word boundary,
            then to the end after which the quote's own last characters match, then (from a
            fixed start) to a length nearer the quote's: a changed word replaced, not dropped."""
            best, best_key = None, None
            for j in range(1, len(dist)):
                e = first + j
                c = dist[j] + (min(sf[sx_hi - e], scap) if sf is not None else 0)
                pen = 0
                if end_mode and inside(e):
                    if end_mode == HARD:
                        continue
                    pen = 1
                    c += 1
                if best_key is not None and c > best_key[0]:
                    continue
                key = (c, pen, -_common_suffix(t[max(0, e - 8) : e], tail), abs(j - m) if anchored else 0)
                if best_key is None or key < best_key:
                    best, best_key = e, key
            return best

        best_e = best_end(lo, qf, False)
        if best_e is None:
            return None
        e = best_e
        # for that end, every start: quote distance (anchored at e) and prefix distance
        px_lo = max(0, lo - lp - lp // 2 - 1)
        qr = distances(nq[::-1], t[lo:e][::-1], anchored=True)
        pf = distances(np_, t[px_lo:e]) if lp else None
        best_s, best_key = None, None
        for k in range(1, e - lo + 1):
            s = e - k
            c = qr[k] + (min(pf[s - px_lo], pcap) if pf is not None else 0)
            pen = 0
            if start_mode and inside(s):
                if start_mode == HARD:
                    continue
                pen = 1
                c += 1
            if best_key is not None and c > best_key[0]:
                continue
            key = (c, pen, -_common_prefix(t[s : s + 8], head), abs(k - m))
            if best_key is None or key < best_key:
                best_s, best_key = s, key
        if best_s is None:
            return None
        s = best_s
        # the start fixed, settle the end again (anchored at s)
        qa = distances(nq, t[s:hi], anchored=True)
        best_e = best_end(s, qa, True)
        if best_e is None:
            return None
        e = best_e
        edge = slack // 2
        if again and ((e > hi - edge and hi < len(t)) or (s < lo + edge and lo > 0)):
            wider = slack + max(0, (e - s) - m)
            return self._align(nq, np_, ns, s if s > lo + 1 else s - (e - s) // 2, wider, again - 1)
        quote = 1.0 - qa[e - s] / m
        prefix = 1.0 - pf[s - px_lo] / lp if pf is not None else None
        suffix = 1.0 - sf[sx_hi - e] / ls if sf is not None else None
        return _Candidate(s, e, quote, prefix, suffix)

    def _inside_word(self, i: int) -> bool:
        """Does normalised offset i fall between two characters of one word?"""
        t = self.norm
        return 0 < i < len(t) and _wordish(t[i - 1]) and _wordish(t[i])

    def _exact_hits(self, nq: str, hint: int | None, np_: str = "", ns: str = "") -> tuple[list[int], list[int]]:
        """Exact copies of the quote: those whose ends sit as its boundary modes ask, and
        those inside a word on a side without context (taken when nothing fits better)."""
        t, m = self.norm, len(nq)
        start_mode, end_mode = _boundary_modes(nq, np_, ns)
        inside = self._inside_word
        fits: list[int] = []
        soft: list[int] = []
        pos = t.find(nq)
        while pos != -1:
            a = bool(start_mode) and inside(pos)
            b = bool(end_mode) and inside(pos + m)
            if not a and not b:
                fits.append(pos)
            elif not (a and start_mode == HARD) and not (b and end_mode == HARD):
                soft.append(pos)
            pos = t.find(nq, pos + 1)
        h = hint or 0
        if len(fits) > MAX_EXACT_HITS:
            fits = sorted(sorted(fits, key=lambda p: abs(p - h))[:MAX_EXACT_HITS])
        if len(soft) > MAX_EXACT_HITS:
            soft = sorted(sorted(soft, key=lambda p: abs(p - h))[:MAX_EXACT_HITS])
        return fits, soft

    def _seeds(self, nq: str, np_: str, ns: str, allowed: int) -> list[tuple[int, int]]:
        """(votes, start) of places where exact pieces of the quote or its context point."""
        t, m = self.norm, len(nq)
        votes: dict[int, int] = {}
        # pieces short enough that one of them misses every error (a few characters at the
        # least: shorter ones are everywhere)
        size = max(3, min(24, m // (allowed + 1) if allowed else m))
        pieces: list[tuple[str, int]] = []
        if m >= size:
            step = max(size, (m - size) // 7 or size)
            offs = sorted(set(range(0, m - size + 1, step)) | {m - size})
            pieces = [(nq[o : o + size], -o) for o in offs]
        tail, head = np_[-16:], ns[:16]
        if len(tail) >= 6:
            pieces.append((tail, len(tail)))
        if len(head) >= 6:
            pieces.append((head, -m))
        bucket = max(4, m // 8)
        for piece, shift in pieces:
            found: list[int] = []
            p = t.find(piece)
            while p != -1 and len(found) <= SEED_HITS:
                found.append(p)
                p = t.find(piece, p + 1)
            if len(found) > SEED_HITS:
                continue
            for p in found:
                key = max(0, p + shift) // bucket
                votes[key] = votes.get(key, 0) + 1
        return [(v, k * bucket) for k, v in votes.items()]

    def find(
        self,
        exact: str,
        prefix: str = "",
        suffix: str = "",
        start: int | None = None,
        end: int | None = None,
        rival: float | None = None,
    ) -> Match | None:
        """The best place for the quote, or None when no place is good enough.

        `rival` is how well the best other copy of the quote scored in the text it was
        anchored to (0.0: the quote was unique; None: not known). A place must beat it; and
        only a quote that was unique may move to a place whose context does not match. When
        it is not known, a place whose context does not match must be the only one the
        quote matches, or clearly the best, with both ends of the quote there.
        """
        text = self.text
        if not exact:
            return None
        prefix, suffix = prefix or "", suffix or ""
        if (
            start is not None
            and end is not None
            and 0 <= start <= end <= len(text)
            and text[start:end] == exact
            and text[max(0, start - len(prefix)) : start] == prefix
            and text[end : end + len(suffix)] == suffix
        ):
            return Match(start, end, "position", 1.0, 1.0, 1.0, 1.0, False)
        nq, np_, ns = normalize(exact), normalize(prefix), normalize(suffix)
        if not nq.strip():
            return None
        np_, ns = np_[-MAX_CONTEXT_CHARS:], ns[:MAX_CONTEXT_CHARS]
        m = len(nq)
        hint = self._to_norm(start) if start is not None and 0 <= start <= len(text) else None
        threshold = quote_threshold(m)
        allowed = int(m * (1.0 - threshold))
        t = self.norm

        fits, soft = self._exact_hits(nq, hint, np_, ns)
        hits = fits + soft

        def perfect(among: list[int]) -> list[int]:
            return [h for h in among if t[max(0, h - len(np_)) : h] == np_ and t[h + m : h + m + len(ns)] == ns]

        best_copies = perfect(fits) or perfect(soft)
        if best_copies:
            h = min(best_copies, key=lambda p: abs(p - (hint or 0)))
            whole = _Candidate(h, h + m, 1.0, 1.0 if np_ else None, 1.0 if ns else None)
            whole.score = self._total(whole, hint)
            if rival is None or whole.score > rival + RIVAL_MARGIN:
                return self._result(whole, hint, "exact", nq)
            # another copy had this very context: only the checks below can tell them apart

        candidates: list[_Candidate] = []
        for h in self._rank_exact(hits, nq, np_, ns)[:EXACT_EVALUATED]:
            p, s = self._side_scores(nq, np_, ns, h, h + m)
            candidates.append(_Candidate(h, h + m, 1.0, p, s))
        guesses: list[int] = []
        if hint is not None:
            guesses.append(hint)
        seeds = self._seeds(nq, np_, ns, allowed)
        near = hint or 0
        guesses += [g for _, g in sorted(seeds, key=lambda x: (-x[0], abs(x[1] - near)))]
        slack = allowed + 8
        done: list[int] = [c.start for c in candidates]
        tried = 0
        # a place is not looked past only when its context vouches for it: a quote matched by
        # itself is judged against the other places it matches, which must all be seen
        best_so_far = max((self._total(c, hint) for c in candidates if _context_ok(c)), default=0.0)
        for g in guesses:
            if tried and best_so_far >= GOOD_ENOUGH:
                break
            if any(abs(g - d) <= max(4, m // 8) for d in done):
                continue
            done.append(g)
            tried += 1
            if tried > MAX_CANDIDATES:
                break
            c = self._align(nq, np_, ns, g, slack)
            if c is None or c.quote < threshold:
                continue
            if any(c.start == o.start and c.end == o.end for o in candidates):
                continue
            done.append(c.start)
            candidates.append(c)
            if _context_ok(c):
                best_so_far = max(best_so_far, self._total(c, hint))
        candidates = [c for c in candidates if c.quote >= threshold]
        if not candidates and rival is None and len(t) <= SCAN_MAX_CHARS:
            # no exact piece of the quote or its context led anywhere (a short quote with an
            # error, say): a selector made elsewhere may have nothing else, so the whole text
            # is searched for it, as approximate string search does
            candidates = self._scan(nq, np_, ns, allowed, threshold, slack)
        if not candidates:
            return None
        for c in candidates:
            c.score = self._total(c, hint)
        # equal scores (copies alike in every respect): one at word boundaries, the first
        inside = set(soft)
        candidates.sort(key=lambda c: (-round(c.score, 9), c.start in inside, c.start))
        best = candidates[0]
        if not self._identified(best, candidates, rival, hint, nq, np_, ns):
            return None
        method = "exact" if t[best.start : best.end] == nq else "fuzzy"
        return self._result(best, hint, method, nq)

    def _scan(self, nq: str, np_: str, ns: str, allowed: int, threshold: float, slack: int) -> list[_Candidate]:
        """Places anywhere in the text where the quote matches with at most `allowed` errors
        (the best ends first, one per stretch of the quote's length), aligned in full."""
        m = len(nq)
        dist = distances(nq, self.norm)
        ends = sorted((d, j) for j, d in enumerate(dist) if d <= allowed)
        found: list[_Candidate] = []
        taken: list[int] = []
        for _, j in ends:
            if len(taken) >= MAX_CANDIDATES:
                break
            if any(abs(j - k) < m for k in taken):
                continue
            taken.append(j)
            c = self._align(nq, np_, ns, max(0, j - m), slack)
            if c is not None and c.quote >= threshold and not any(c.span == o.span for o in found):
                found.append(c)
        return found

    def _rank_exact(self, hits: list[int], nq: str, np_: str, ns: str) -> list[int]:
        """Exact copies, best context first (a cheap look at the few characters next to them)."""
        if len(hits) <= EXACT_EVALUATED:
            return hits
        t, m = self.norm, len(nq)

        def near(h: int) -> int:
            before = _common_suffix(t[max(0, h - len(np_)) : h], np_)
            after = _common_prefix(t[h + m : h + m + len(ns)], ns)
            return before + after

        return sorted(hits, key=lambda h: -near(h))

    def _identified(
        self,
        best: _Candidate,
        candidates: list[_Candidate],
        rival: float | None,
        hint: int | None,
        nq: str,
        np_: str,
        ns: str,
    ) -> bool:
        """Is there evidence that `best` is the annotated place, not just some similar text?"""
        if rival is not None and best.score <= rival + RIVAL_MARGIN:
            return False  # no better than another copy was: it may well be that copy
        if best.quote == 1.0 and hint is not None and best.start == hint:
            return True  # the very quote, at the very place it was
        if _context_ok(best):
            return True
        others = [c for c in candidates if c is not best and (c.end <= best.start or c.start >= best.end)]
        if rival is None:
            # A selector made elsewhere (an import, an API client): nothing says how distinctive
            # it was, so the text now decides. The quote alone places it when both its ends
            # are there, and it is the only place, or clearly the best; a selector with no
            # context at all says no more than its quote, and alike places go by the hint,
            # then by order, as exact copies do. But a context as long as Glossa stores, that
            # could be compared with the text there and does not match, says it is other text.
            compared = min(len(np_), best.start) + min(len(ns), len(self.norm) - best.end)
            if compared >= CONTEXT_CHARS:
                return False
            if not self._ends_match(nq, best):
                return False
            if not others:
                return True
            runner_up = max(c.score for c in others)
            return best.score > runner_up + RIVAL_MARGIN or not (np_ or ns)
        return rival == 0.0 and best.quote >= UNIQUE_QUOTE and not others

    def _ends_match(self, nq: str, c: _Candidate) -> bool:
        """Do the first and the last END_CHARS characters of a long quote each match at the
        ends of the place as closely as a quote of that length must? (A quote whose errors
        all sit at one end may match overall, yet nothing shows where it starts or ends.)"""
        m = len(nq)
        if m <= END_CHARS or self.norm[c.start : c.end] == nq:
            return True
        t, k = self.norm, END_CHARS
        need = quote_threshold(k)
        head = distances(nq[:k], t[c.start : min(c.end, c.start + k + k // 2)], anchored=True)
        tail = distances(nq[-k:][::-1], t[max(c.start, c.end - k - k // 2) : c.end][::-1], anchored=True)
        return 1.0 - min(head) / k >= need and 1.0 - min(tail) / k >= need

    def _result(self, c: _Candidate, hint: int | None, method: str, nq: str) -> Match:
        s, e = self._to_orig(c.start, c.end)
        score = c.score or self._total(c, hint)
        p = 1.0 if c.prefix is None else c.prefix
        x = 1.0 if c.suffix is None else c.suffix
        changed = self.norm[c.start : c.end] != nq
        return Match(s, e, method, round(score, 4), round(c.quote, 4), round(p, 4), round(x, 4), changed)

    def describe(self, start: int, end: int) -> Selector:
        """The selector of text[start:end]: quote, a context long enough to tell it from
        other copies (32 characters, doubled up to 256 while a copy has the same context),
        and the score the best other copy gets (0.0 when the quote occurs once).

        Offsets outside the text are refused (ValueError); an end before the start is an
        empty range at the start, as a collapsed selection is."""
        text, t = self.text, self.norm
        if not 0 <= start <= len(text):
            raise ValueError(f"invalid start offset {start} (the text has {len(text)} characters)")
        if end > len(text):
            raise ValueError(f"invalid end offset {end} (the text has {len(text)} characters)")
        end = max(start, end)
        exact = text[start:end]
        ns_, ne_ = self._to_norm(start), self._to_norm(end)
        nq = t[ns_:ne_]
        if not nq:
            pre, post = context_of(text, start, end)
            return Selector(exact, pre, post, start, end, 0.0)
        others = [h for h in self._exact_hits(nq, ns_, t[max(0, ns_ - 1) : ns_], t[ne_ : ne_ + 1])[0] if h != ns_]
        size = CONTEXT_CHARS
        while True:
            pre, post = context_of(text, start, end, size)
            np_, nx = normalize(pre), normalize(post)
            same = [
                h for h in others if t[max(0, h - len(np_)) : h] == np_ and t[h + len(nq) : h + len(nq) + len(nx)] == nx
            ]
            if not same or size >= MAX_CONTEXT_CHARS or (len(pre) < size and len(post) < size):
                break
            size *= 2
        rival = 0.0
        m = len(nq)
        for h in self._rank_exact(others, nq, np_[-MAX_CONTEXT_CHARS:], nx[:MAX_CONTEXT_CHARS])[:RIVALS_SCORED]:
            p, x = self._side_scores(nq, np_, nx, h, h + m)
            rival = max(rival, self._total(_Candidate(h, h + m, 1.0, p, x), ns_))
        return Selector(exact, pre, post, start, end, round(rival, 4))

    def count(self, exact: str) -> int:
        """How often the (normalised) quote occurs in the text, counting up to 2."""
        nq = normalize(exact)
        first = self.norm.find(nq) if nq else -1
        if first == -1:
            return 0
        return 1 if self.norm.find(nq, first + 1) == -1 else 2


def _context_ok(c: _Candidate) -> bool:
    """Does the context around a place match the stored context well enough to vouch for it?"""
    sides = [x for x in (c.prefix, c.suffix) if x is not None]
    return bool(sides) and (max(sides) >= CONTEXT_MATCH or sum(sides) / len(sides) >= CONTEXT_MEAN)


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


_RECENT: dict[str, Anchorer] = {}


def anchorer_for(text: str) -> Anchorer:
    """An Anchorer for `text`, reused while the same text is asked for again."""
    got = _RECENT.get(text)
    if got is None:
        if len(_RECENT) >= 2:
            _RECENT.pop(next(iter(_RECENT)))
        got = _RECENT[text] = Anchorer(text)
    return got


def find_anchor(
    text: str,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    start: int | None = None,
    end: int | None = None,
    rival: float | None = None,
) -> Match | None:
    """Where `exact` lies in `text` now, with method and scores; None when it is gone."""
    return anchorer_for(text).find(exact, prefix, suffix, start, end, rival)


def describe(text: str, start: int, end: int) -> Selector:
    """The selector to store for text[start:end] (see `Anchorer.describe`)."""
    return anchorer_for(text).describe(start, end)


def anchor(
    text: str, exact: str, prefix: str = "", suffix: str = "", start: int | None = None, end: int | None = None
) -> tuple[int, int] | None:
    """Where `exact` lies in `text` now: (start, end), or None when it is gone."""
    found = find_anchor(text, exact, prefix, suffix, start, end)
    return None if found is None else found.span


# --- a document's notes: several texts searched as one ----------------------------------

NOTE_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class NoteMatch:
    """Where a quote on a note was found: the note and offsets in that note's text."""

    note: str
    match: Match


class NoteStream:
    """A document's footnotes as one text stream for anchoring, in the document's order.

    A note's text is not part of the document's canonical text: an annotation on it names
    the note and counts its offsets in the note's own text, with a quote and a context taken
    from that text. Finding and describing run on every note joined by a blank line, so a
    quote is found again when its note was renumbered, and a copy of the quote in another
    note counts as a rival (as a copy elsewhere in the text does for the body).
    """

    def __init__(self, notes):
        self.numbers: list[str] = []
        self.texts: list[str] = []
        self.starts: list[int] = []
        self._index: dict[str, int] = {}
        pos = 0
        for number, text in notes:
            if number in self._index:  # a repeated number: the first note keeps it
                continue
            self._index[number] = len(self.numbers)
            self.numbers.append(number)
            self.texts.append(text)
            self.starts.append(pos)
            pos += len(text) + len(NOTE_SEPARATOR)
        self.text = NOTE_SEPARATOR.join(self.texts)
        self._anchorer: Anchorer | None = None

    @property
    def anchorer(self) -> Anchorer:
        """The Anchorer of the joined text (built when first needed)."""
        if self._anchorer is None:
            self._anchorer = Anchorer(self.text)
        return self._anchorer

    def text_of(self, note: str) -> str | None:
        """The text of one note, or None when the document has no note with that number."""
        i = self._index.get(note)
        return None if i is None else self.texts[i]

    def _part(self, offset: int) -> int:
        return max(0, bisect_left(self.starts, offset + 1) - 1)

    def describe(self, note: str, start: int, end: int) -> Selector:
        """The selector of note `note`'s text[start:end]: context from that note only, the
        rival scored over every note."""
        i = self._index[note]
        base = self.starts[i]
        sel = self.anchorer.describe(base + start, base + end)
        prefix = sel.prefix[len(sel.prefix) - min(len(sel.prefix), start) :]
        suffix = sel.suffix[: max(0, len(self.texts[i]) - end)]
        return Selector(sel.exact, prefix, suffix, start, end, sel.rival)

    def find(
        self,
        exact: str,
        prefix: str = "",
        suffix: str = "",
        note: str | None = None,
        start: int | None = None,
        end: int | None = None,
        rival: float | None = None,
    ) -> NoteMatch | None:
        """The best place for a quote last seen at `start`..`end` of note `note` (hint: that
        note's place now, if it still exists), or None. A match running into the next note
        is cut at its note's end (and then counts as changed)."""
        i = self._index.get(note) if note is not None else None
        g_start: int | None
        g_end: int | None
        if i is not None and start is not None and end is not None:
            base = self.starts[i]
            g_start, g_end = base + start, base + end
        else:
            g_start = g_end = None
        found = self.anchorer.find(exact, prefix, suffix, g_start, g_end, rival)
        if found is None:
            return None
        j = self._part(found.start)
        base = self.starts[j]
        s, e = found.start - base, min(found.end - base, len(self.texts[j]))
        if s < 0 or e <= s:
            return None
        if e != found.end - base:
            changed_text = self.texts[j][s:e]
            found = Match(
                s + base,
                e + base,
                found.method,
                found.score,
                found.quote_score,
                found.prefix_score,
                found.suffix_score,
                normalize(changed_text) != normalize(exact),
            )
        local = Match(
            s, e, found.method, found.score, found.quote_score, found.prefix_score, found.suffix_score, found.changed
        )
        return NoteMatch(self.numbers[j], local)


_RECENT_NOTES: dict[tuple, NoteStream] = {}


def note_stream_for(notes) -> NoteStream:
    """A NoteStream for `notes` ((number, text) pairs), reused while the same notes are asked for."""
    key = tuple((str(n), str(t)) for n, t in notes)
    got = _RECENT_NOTES.get(key)
    if got is None:
        if len(_RECENT_NOTES) >= 2:
            _RECENT_NOTES.pop(next(iter(_RECENT_NOTES)))
        got = _RECENT_NOTES[key] = NoteStream(key)
    return got
