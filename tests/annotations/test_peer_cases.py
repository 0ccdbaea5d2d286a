"""Cases of the kinds the anchoring peers test (written for Glossa, not copied):

- approximate string search (approx-string-match): Myers' edit distances against a plain
  dynamic programme, on seeded random strings, both free-start and anchored;
- quote matching (Hypothesis's match-quote): exact and fuzzy matches, context and position
  deciding between copies, nothing when nothing is close;
- text-quote anchoring (dom-anchor-text-quote): prefix/suffix disambiguation, positions,
  whitespace, Unicode, document edges.

Each case says where the quote must be (`expected`, in the new text) or that it must not be
placed (None). A case that places a quote elsewhere is the failure that matters most.
"""

from __future__ import annotations

import random

import pytest

from annotations.anchoring import Anchorer, describe, distances, find_anchor, levenshtein, normalize


def naive(pattern: str, text: str, anchored: bool) -> list[int]:
    """Edit distance of pattern to text[i:j] (best i; or i=0 when anchored), for each j."""
    m = len(pattern)
    prev = list(range(m + 1))
    out = [m]
    for j, c in enumerate(text, 1):
        cur = [j if anchored else 0] + [0] * m
        for i in range(1, m + 1):
            cur[i] = min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (pattern[i - 1] != c))
        out.append(cur[m])
        prev = cur
    return out


@pytest.mark.parametrize("seed", range(40))
def test_myers_distances_equal_the_dynamic_programme(seed):
    rnd = random.Random(seed)
    alphabet = "ab" if seed % 3 == 0 else ("abcd" if seed % 3 == 1 else "abcdefgh ")
    # patterns longer than a machine word too (Python integers are the bit vectors)
    m = rnd.choice([1, 2, 5, 17, 63, 64, 65, 130])
    pattern = "".join(rnd.choice(alphabet) for _ in range(m))
    text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 200)))
    if seed % 4 == 0 and text:
        k = rnd.randrange(len(text))
        text = text[:k] + pattern + text[k:]  # an exact copy in there
    for anchored in (False, True):
        assert distances(pattern, text, anchored) == naive(pattern, text, anchored)
    if text:
        assert levenshtein(pattern, text) == naive(pattern, text, True)[-1]


TEXT = (
    "The Balkan route became a corridor for people fleeing war. In 2015 the route was open; "
    "by 2016 it was closed again. Frontex deployed officers to Serbia, and Frontex deployed "
    "officers to Albania. The agency's role grew with every agreement. Border control was "
    "the answer of the EU, and border control stayed the answer."
)


def sel(text: str, quote: str, nth: int = 0):
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(quote, pos + 1)
    return describe(text, pos, pos + len(quote))


def place(text: str, quote: str, nth: int = 0):
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(quote, pos + 1)
    return pos, pos + len(quote)


# (name, quote, nth copy in TEXT, edit: (old, new) replaced once in TEXT, expected quote text or None)
MATCH_QUOTE = [
    ("exact, unedited", "corridor for people", 0, None, "corridor for people"),
    (
        "exact, text inserted before",
        "corridor for people",
        0,
        ("The Balkan", "Since 2011 the Balkan"),
        "corridor for people",
    ),
    (
        "exact, text deleted before",
        "it was closed again",
        0,
        ("In 2015 the route was open; ", ""),
        "it was closed again",
    ),
    ("one substitution", "became a corridor", 0, ("became a corridor", "became a carridor"), "became a carridor"),
    (
        "one insertion",
        "became a corridor",
        0,
        ("became a corridor", "became a corridoor"),
        "became a corridoor",
    ),
    ("one deletion", "people fleeing war", 0, ("people fleeing war", "people feeing war"), "people feeing war"),
    (
        "two errors in a long quote",
        "The agency's role grew with every agreement",
        0,
        ("role grew with every", "rol grew wiht every"),
        "The agency's rol grew wiht every agreement",
    ),
    ("case change", "Border control was", 0, ("Border control was", "Border Control was"), "Border Control was"),
    (
        "first copy by context",
        "Frontex deployed officers",
        0,
        ("The Balkan", "Once, the Balkan"),
        "Frontex deployed officers",
    ),
    (
        "second copy by context",
        "Frontex deployed officers",
        1,
        ("The Balkan", "Once, the Balkan"),
        "Frontex deployed officers",
    ),
    (
        "typo in the first copy stays",
        "Frontex deployed officers",
        0,
        ("Frontex deployed officers to Serbia", "Frontex deploiyed officers to Serbia"),
        "Frontex deploiyed officers",
    ),
    (
        "typo in the second copy stays",
        "Frontex deployed officers",
        1,
        ("Frontex deployed officers to Albania", "Frontex deployed oficers to Albania"),
        "Frontex deployed oficers",
    ),
    (
        "repeated phrase, the other copy's neighbour reworded",  # "Border" is no copy: case counts
        "border control",
        0,
        ("Border control was", "Border control is"),
        "border control",
    ),
    (
        "repeated phrase, its sentence deleted",
        "officers to Albania",
        0,
        (" and Frontex deployed officers to Albania.", "."),
        None,
    ),
    ("quote gone entirely", "people fleeing war", 0, ("people fleeing war", "travellers"), None),
    (
        "quote mostly rewritten",
        "by 2016 it was closed again",
        0,
        ("by 2016 it was closed again", "later the doors shut"),
        None,
    ),
    ("short quote gone", "EU", 0, ("of the EU,", "of Europe,"), None),
    ("short quote kept", "EU", 0, ("The Balkan", "Today the Balkan"), "EU"),
    ("short quote with a typo", "the answer", 0, ("was the answer", "was the anwser"), "the anwser"),
    (
        "quote longer than the text",
        "Border control was the answer of the EU",
        0,
        None,
        "Border control was the answer of the EU",
    ),
    (
        "quote with its context edited on both sides",
        "deployed officers to Serbia",
        0,
        ("Frontex deployed officers to Serbia, and", "Frontex quietly deployed officers to Serbia; and"),
        "deployed officers to Serbia",
    ),
    (
        "whitespace changed inside",
        "route was open; by 2016",
        0,
        ("open; by", "open;\n\n  by"),
        "route was open;\n\n  by 2016",
    ),
    (
        "line breaks as in PDF text",
        "The agency's role grew with every agreement",
        0,
        ("role grew with", "role\ngrew  with"),
        "The agency's role\ngrew  with every agreement",
    ),
    (
        "paragraph moved to the front",
        "The agency's role grew",
        0,
        [
            ("The agency's role grew with every agreement. ", ""),
            ("The Balkan", "The agency's role grew with every agreement. The Balkan"),
        ],
        "The agency's role grew",
    ),
    (
        "first word replaced",
        "became a corridor for people",
        0,
        ("became a corridor", "formed a corridor"),
        "formed a corridor for people",
    ),
    (
        "last word replaced",
        "became a corridor for people",
        0,
        ("for people fleeing", "for peoples fleeing"),
        "became a corridor for peoples",
    ),
    (
        "first word lengthened",
        "deployed officers to Serbia",
        0,
        ("Frontex deployed officers to Serbia", "Frontex redeployed officers to Serbia"),
        "redeployed officers to Serbia",
    ),
    ("last word shortened", "grew with every agreement", 0, ("every agreement", "every deal"), None),
    ("the old place got a different copy", "the route", 0, ("In 2015 the route", "In 2015 a path"), None),
    ("punctuation changed", "open; by 2016", 0, ("open; by", "open, by"), "open, by 2016"),
]


def _edited(edit):
    text = TEXT
    for old, new in [] if edit is None else edit if isinstance(edit, list) else [edit]:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(("name", "quote", "nth", "edit", "expected"), MATCH_QUOTE, ids=[c[0] for c in MATCH_QUOTE])
def test_match_quote_cases(name, quote, nth, edit, expected):
    s = sel(TEXT, quote, nth)
    new = _edited(edit)
    found = find_anchor(new, s.exact, s.prefix, s.suffix, s.start, s.end, rival=s.rival)
    if expected is None:
        assert found is None, (name, found and new[found.start : found.end])
        return
    assert found is not None, name
    got = new[found.start : found.end]
    assert got == expected, name
    assert found.changed == (normalize(got) != normalize(quote)), name
    if expected == quote and nth:
        # the right copy: the one the same number of copies in
        assert new[: found.start].count(quote) == nth


def test_copy_chosen_by_context_not_by_order():
    s = sel(TEXT, "Frontex deployed officers", 1)
    # the annotated copy is the second; a third copy with other context is put in front
    new = "Frontex deployed officers everywhere. " + TEXT
    found = find_anchor(new, s.exact, s.prefix, s.suffix, s.start, s.end, rival=s.rival)
    assert found is not None and found.start == new.index("officers to Albania") - len("Frontex deployed ")


def test_position_breaks_a_tie_between_identical_copies():
    text = "alpha beta gamma. " * 4
    s = describe(text, 36, 46)  # "alpha beta" of the third copy
    moved = "x" + text
    found = find_anchor(moved, s.exact, s.prefix, s.suffix, s.start, s.end, rival=s.rival)
    assert found is not None and found.start == 37


# text-quote anchoring: (name, text, quote, prefix, suffix, hint, expected start or None)
HAYSTACK = "one two three one two three one two four"
TEXT_QUOTE = [
    ("unique quote", HAYSTACK, "four", "", "", None, 36),
    ("first of three by suffix", HAYSTACK, "one two", "", " three one", None, 0),
    ("second by prefix and suffix", HAYSTACK, "one two", "three ", " three", 14, 14),
    ("third by suffix", HAYSTACK, "one two", "three ", " four", None, 28),
    ("third by prefix alone", HAYSTACK, "one two", "two three ", "", 28, 28),
    ("by hint when context is the same", HAYSTACK, "two three", "one ", "", 18, 18),
    ("hint for the first copy", HAYSTACK, "two three", "one ", "", 4, 4),
    ("not in the text", HAYSTACK, "five", "", "", None, None),
    ("at the very start", HAYSTACK, "one", "", " two three one", 0, 0),
    ("at the very end", HAYSTACK, "four", "one two ", "", 36, 36),
    ("whole text", "short text", "short text", "", "", 0, 0),
    (
        "prefix longer than the text before",
        "one two three",
        "two three",
        "a long prefix that is not here one ",
        "",
        4,
        4,
    ),
    ("unicode quote", "Mamma mia, così è la vita. Così è.", "così è", "Mamma mia, ", " la vita", 11, 11),
    ("combining accents equal precomposed", "Cafe\u0301 society", "Café", "", " society", 0, 0),
    ("ligature in the text", "the e\ufb03cient border", "efficient", "the ", " border", 4, 4),
    ("soft hyphen in the text", "migra\u00adtion routes", "migration routes", "", "", 0, 0),
    ("non-breaking space", "ten\u00a0thousand people", "ten thousand people", "", "", 0, 0),
    ("tab and newline", "closed\tthe\nborder today", "closed the border", "", " today", 0, 0),
    ("quote with leading space", HAYSTACK, " four", "one two", "", 35, 35),
    ("emoji around", "🙂 border 🙂 control", "border", "🙂 ", " 🙂", 2, 2),
    ("punctuation only quote", "Wait... what?!", "...", "Wait", " what", 4, 4),
    ("digits", "In 2015, 2016 and 2017.", "2016", "In 2015, ", " and", 9, 9),
    ("quote not at a word start", "uncontrolled borders", "controlled", "un", " borders", 2, 2),
    ("mixed case copy is not the quote", "Border BORDER border", "border", "BORDER ", "", 14, 14),
    ("empty quote", HAYSTACK, "", "", "", 0, None),
    ("whitespace-only quote in place", HAYSTACK, " ", "one", "two", 3, 3),
    ("hint outside the text", HAYSTACK, "four", "two ", "", 10_000, 36),
    ("negative hint", HAYSTACK, "four", "two ", "", -5, 36),
    ("context only, quote gone", "alpha beta gamma", "delta", "alpha ", " gamma", 6, None),
    ("one of many copies, no context", "ab ab ab ab ab", "ab", "", "", 6, 6),
]


@pytest.mark.parametrize(
    ("name", "text", "quote", "prefix", "suffix", "hint", "expected"), TEXT_QUOTE, ids=[c[0] for c in TEXT_QUOTE]
)
def test_text_quote_cases(name, text, quote, prefix, suffix, hint, expected):
    end = None if hint is None else hint + len(quote)
    found = Anchorer(text).find(quote, prefix, suffix, hint, end)
    if expected is None:
        assert found is None, name
        return
    assert found is not None, name
    assert found.start == expected, name
    assert normalize(text[found.start : found.end]) == normalize(quote), name
