"""Seeded edit scenarios over a real text, with the truth of where every quote went.

Each scenario annotates quotes of an old text, makes a new text by edits whose effect on
offsets is known, and judges what the anchoring did with each quote:

- ``right``: found exactly where the quote went (both boundaries), and reported as changed
  exactly when the text there differs from the quote (whitespace aside);
- ``orphaned``: not found although it still exists (lost, but not put on wrong text);
- ``reported``: put elsewhere, but reported as changed (a person is asked to review it);
- ``wrong``: put on other text and reported as unchanged, or reported unchanged when the
  text changed: the failures that must never happen.

``expected`` is a span, or None when the quote's text is gone (orphaning is then right) or
"broken" when an edit cut into the quote (orphaned or reported-as-changed are right).

Used by tests/annotations/test_scenarios.py and bench/annotations.py.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from annotations.anchoring import Anchorer, describe, normalize

BROKEN = "broken"
WORD = re.compile(r"\S+")
SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\n")


@dataclass
class Quote:
    """An annotation as stored: quote, context, offsets and whether it was unique."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    rival: float

    @classmethod
    def at(cls, text: str, start: int, end: int) -> Quote:
        sel = describe(text, start, end)
        return cls(sel.exact, sel.prefix, sel.suffix, start, end, sel.rival)


@dataclass
class Case:
    """One annotation of one scenario: the quote, the new text and where the quote went."""

    quote: Quote
    new_text: str
    expected: tuple[int, int] | str | None


@dataclass
class Outcome:
    """Counts of a scenario's judged cases, and the details of the bad ones."""

    name: str
    counts: Counter = field(default_factory=Counter)
    changed_reported: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many annotations were judged."""
        return sum(self.counts.values())

    def line(self) -> str:
        """A one-line summary."""
        c = self.counts
        return (
            f"{self.name:38s} {self.total:4d}: right {c['right']}, orphaned {c['orphaned']}, "
            f"reported elsewhere {c['reported']}, WRONG {c['wrong']} "
            f"(changed and reported as such: {self.changed_reported})"
        )


def _mapper(edits: list[tuple[int, int, str]]) -> tuple[Callable[[int], int | None], Callable[[int], int | None]]:
    """Offset maps for starts and ends through non-overlapping (start, end, replacement) edits."""
    edits = sorted(edits)

    def map_start(x: int) -> int | None:
        shift = 0
        for s, e, rep in edits:
            if s < x < e:
                return None
            if e <= x and (s < x or s == e):
                shift += len(rep) - (e - s)
        return x + shift

    def map_end(x: int) -> int | None:
        shift = 0
        for s, e, rep in edits:
            if s < x < e:
                return None
            if e <= x and s < x:
                shift += len(rep) - (e - s)
        return x + shift

    return map_start, map_end


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """The text with the (non-overlapping) edits applied."""
    out, last = [], 0
    for s, e, rep in sorted(edits):
        out += [text[last:s], rep]
        last = e
    out.append(text[last:])
    return "".join(out)


def _expected(text: str, q: Quote, edits: list[tuple[int, int, str]]) -> tuple[int, int] | str | None:
    map_start, map_end = _mapper(edits)
    for s, e, rep in edits:
        inside = q.start < s < q.end or q.start < e < q.end or (s == e and q.start < s < q.end)
        if inside and not (s >= q.start and e <= q.end and rep.strip()):
            return BROKEN
    s, e = map_start(q.start), map_end(q.end)
    if s is None or e is None or e <= s:
        return BROKEN
    return s, e


def random_quotes(text: str, n: int, seed: int, min_words: int = 3, max_words: int = 40) -> list[Quote]:
    """n word-aligned quotes of min..max words at random places."""
    rnd = random.Random(seed)
    words = [m.span() for m in WORD.finditer(text)]
    out = []
    while len(out) < n:
        i = rnd.randrange(0, len(words) - max_words)
        j = i + rnd.randint(min_words, max_words) - 1
        out.append(Quote.at(text, words[i][0], words[j][1]))
    return out


def repeated_phrases(text: str, n: int, seed: int) -> list[tuple[int, int]]:
    """Spans of n copies of phrases (2-5 words, 12+ characters) that occur more than once."""
    rnd = random.Random(seed)
    words = [m.span() for m in WORD.finditer(text)]
    where: dict[str, list[tuple[int, int]]] = {}
    for size in (2, 3, 4, 5):
        for i in range(len(words) - size):
            s, e = words[i][0], words[i + size - 1][1]
            phrase = text[s:e]
            if len(phrase) >= 12 and re.search(r"[A-Za-z]{3}", phrase):
                where.setdefault(phrase, []).append((s, e))
    repeated = sorted((p, spans) for p, spans in where.items() if len(spans) > 1)
    rnd.shuffle(repeated)
    out, used = [], []
    for _phrase, spans in repeated:
        s, e = rnd.choice(spans)
        if any(s < ue + 40 and e > us - 40 for us, ue in used):
            continue
        used.append((s, e))
        out.append((s, e))
        if len(out) == n:
            break
    return out


def _other_word(rnd: random.Random, vocab: list[str], word: str) -> str:
    while True:
        w = rnd.choice(vocab)
        if w.lower() != word.lower() and normalize(w) != normalize(word):
            return w


def _vocab(text: str) -> list[str]:
    return sorted({w for w in re.findall(r"[A-Za-z]{4,12}", text)})


def _word_before(text: str, pos: int) -> tuple[int, int] | None:
    found = [m.span() for m in WORD.finditer(text, max(0, pos - 60), pos)]
    return found[-1] if found and found[-1][1] <= pos else None


def _word_after(text: str, pos: int) -> tuple[int, int] | None:
    m = WORD.search(text, pos)
    return m.span() if m else None


def _typo(rnd: random.Random, word: str) -> str:
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    i = rnd.choice(letters)
    c = word[i]
    sub = "e" if c.lower() != "e" else "a"
    return word[:i] + (sub.upper() if c.isupper() else sub) + word[i + 1 :]


def reworded_neighbours(text: str, n: int, seed: int) -> list[Case]:
    """A repeated phrase whose neighbouring words (before and after) were reworded."""
    rnd, vocab, cases = random.Random(seed), _vocab(text), []
    for s, e in repeated_phrases(text, n, seed):
        q = Quote.at(text, s, e)
        edits = []
        for span in (_word_before(text, s), _word_after(text, e)):
            if span and span[1] <= s or span and span[0] >= e:
                edits.append((span[0], span[1], _other_word(rnd, vocab, text[span[0] : span[1]])))
        cases.append(Case(q, apply_edits(text, edits), _expected(text, q, edits)))
    return cases


def typo_in_repeated(text: str, n: int, seed: int) -> list[Case]:
    """A typo inside the annotated copy of a repeated phrase (the other copies unedited)."""
    rnd, cases = random.Random(seed), []
    for s, e in repeated_phrases(text, n, seed + 1):
        q = Quote.at(text, s, e)
        words = [m.span() for m in WORD.finditer(text, s, e) if re.search(r"[A-Za-z]", m.group())]
        ws, we = rnd.choice(words)
        edits = [(ws, we, _typo(rnd, text[ws:we]))]
        cases.append(Case(q, apply_edits(text, edits), _expected(text, q, edits)))
    return cases


def sentence_deleted(text: str, n: int, seed: int) -> list[Case]:
    """The sentence holding the annotated copy of a repeated phrase deleted: must orphan."""
    cases = []
    norm = normalize(text)
    for s, e in repeated_phrases(text, 3 * n, seed + 2):
        bounds = [m.end() for m in SENTENCE_END.finditer(text, 0, s)]
        lo = bounds[-1] if bounds else 0
        after = SENTENCE_END.search(text, e)
        hi = after.end() if after else len(text)
        sentence = text[lo:hi]
        if norm.count(normalize(sentence).strip()) > 1 or hi - lo > 600:
            continue  # the sentence itself occurs twice (or is no sentence): not this scenario
        q = Quote.at(text, s, e)
        cases.append(Case(q, text[:lo] + text[hi:], None))
        if len(cases) == n:
            break
    return cases


def edge_word_edited(text: str, quotes: list[Quote], seed: int, last: bool) -> list[Case]:
    """The first (or last) word of each quote replaced by another word."""
    rnd, vocab, cases = random.Random(seed), _vocab(text), []
    for q in quotes:
        words = [m.span() for m in WORD.finditer(text, q.start, q.end)]
        ws, we = words[-1] if last else words[0]
        edits = [(ws, we, _other_word(rnd, vocab, text[ws:we]))]
        cases.append(Case(q, apply_edits(text, edits), _expected(text, q, edits)))
    return cases


def paragraphs_inserted(text: str, quotes: list[Quote], seed: int, count: int = 5) -> list[Case]:
    """New paragraphs inserted at paragraph breaks."""
    rnd = random.Random(seed)
    breaks = [m.end() for m in re.finditer(r"\n\n", text)]
    edits = []
    for i, pos in enumerate(sorted(rnd.sample(breaks, count))):
        para = f"An inserted paragraph number {i} says something new about migration routes and borders.\n\n"
        edits.append((pos, pos, para))
    new = apply_edits(text, edits)
    return [Case(q, new, _expected(text, q, edits)) for q in quotes]


def paragraphs_shuffled(text: str, quotes: list[Quote], seed: int) -> list[Case]:
    """Every paragraph kept, in a random order."""
    rnd = random.Random(seed)
    spans, last = [], 0
    for m in re.finditer(r"\n\n", text):
        spans.append((last, m.start()))
        last = m.end()
    spans.append((last, len(text)))
    order = list(range(len(spans)))
    rnd.shuffle(order)
    new_start, pieces, at = {}, [], 0
    for k in order:
        s, e = spans[k]
        new_start[k] = at
        pieces.append(text[s:e])
        at += e - s + 2
    new = "\n\n".join(pieces)
    cases = []
    for q in quotes:
        home = [k for k, (s, e) in enumerate(spans) if s <= q.start and q.end <= e]
        if home:
            k = home[0]
            shift = new_start[k] - spans[k][0]
            expected = (q.start + shift, q.end + shift)
        else:
            expected = BROKEN
        cases.append(Case(q, new, expected))
    return cases


def reread(old: str, new: str, quotes: list[Quote]) -> list[Case]:
    """The same document read again from another format (offsets matched word by word)."""
    from difflib import SequenceMatcher

    ow = [m for m in WORD.finditer(old)]
    nw = [m for m in WORD.finditer(new)]
    sm = SequenceMatcher(None, [m.group() for m in ow], [m.group() for m in nw], autojunk=False)
    start_of, end_of = {}, {}
    for a, b, size in sm.get_matching_blocks():
        for k in range(size):
            start_of[ow[a + k].start()] = nw[b + k].start()
            end_of[ow[a + k].end()] = nw[b + k].end()
    cases = []
    for q in quotes:
        s, e = start_of.get(q.start), end_of.get(q.end)
        inner = [m for m in ow if q.start <= m.start() and m.end() <= q.end]
        intact = all(m.start() in start_of for m in inner) and s is not None and e is not None
        if intact:
            # the words are there, in order; but a footnote may now sit between them
            intact = normalize(new[s:e]) == normalize(q.exact)
        cases.append(Case(q, new, (s, e) if intact else BROKEN))
    return cases


def judge(name: str, cases: list[Case]) -> Outcome:
    """Re-anchor every case and count right / orphaned / reported / wrong."""
    out = Outcome(name)
    anchorers: dict[int, Anchorer] = {}
    for c in cases:
        key = id(c.new_text)
        if key not in anchorers:
            if len(anchorers) > 4:
                anchorers.clear()
            anchorers[key] = Anchorer(c.new_text)
        q = c.quote
        m = anchorers[key].find(q.exact, q.prefix, q.suffix, q.start, q.end, rival=q.rival)
        verdict = _verdict(c, m)
        out.counts[verdict] += 1
        if m is not None and m.changed:
            out.changed_reported += 1
        if verdict == "wrong" and len(out.failures) < 20:
            got = None if m is None else c.new_text[m.start : m.end]
            out.failures.append(f"{q.exact!r} expected {c.expected} got {m} = {got!r}")
    return out


def _verdict(c: Case, m) -> str:
    if m is None:
        return "right" if c.expected is None or c.expected == BROKEN else "orphaned"
    got = c.new_text[m.start : m.end]
    truly_changed = normalize(got) != normalize(c.quote.exact)
    if m.changed != truly_changed:
        return "wrong"  # the report lies about the text
    if isinstance(c.expected, tuple) and (m.start, m.end) == c.expected:
        return "right"
    return "reported" if m.changed else "wrong"


def standard_scenarios(text: str, pdf_pair: tuple[str, str] | None = None, seed: int = 12) -> list[Outcome]:
    """The edit scenarios of issue 12 over `text`: 100 repeated phrases each, 500 quotes."""
    quotes = random_quotes(text, 500, seed)
    out = [
        judge("repeated phrase, neighbours reworded", reworded_neighbours(text, 100, seed)),
        judge("typo in a repeated phrase", typo_in_repeated(text, 100, seed)),
        judge("sentence of a repeated phrase deleted", sentence_deleted(text, 100, seed)),
        judge("first word edited", edge_word_edited(text, quotes[:100], seed, last=False)),
        judge("last word edited", edge_word_edited(text, quotes[100:200], seed, last=True)),
        judge("paragraphs inserted", paragraphs_inserted(text, quotes, seed)),
        judge("paragraphs shuffled", paragraphs_shuffled(text, quotes, seed)),
    ]
    if pdf_pair is not None:
        old, new = pdf_pair
        out.append(judge("Markdown re-read as PDF", reread(old, new, random_quotes(old, 500, seed + 5))))
    return out
