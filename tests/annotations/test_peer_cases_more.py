"""More cases of the kinds the anchoring peers test, written for Glossa with its own texts.

The peers are Hypothesis's client (match-quote, the HTML/PDF anchoring of position and quote
selectors, text positions), dom-anchor-text-quote (quote and context, hints, long quotes,
quotes not found) and approx-string-match (errors of each kind, long patterns, Unicode).

A selector in these cases comes from outside Glossa (``rival`` unknown): nothing records how
distinctive its quote was when it was made, so the text as it is now decides. Each case says
where the quote must land (the text it must cover, and which copy of that text) or that it
must not be placed at all. Putting a quote on other text is the failure that matters most.
"""

from __future__ import annotations

import pytest

from annotations.anchoring import Anchorer, describe, find_anchor, normalize

AUTUMN = (
    "Late in the autumn, as the committee gathered for its final session, the chair read out "
    "the report that had kept them busy since the spring thaw"
)

SEASONS = (
    "It was a season of hearings, it was a season of reports, it was the month of the vote, "
    "it was the month of the appeal; we had counted every ballot before noon, we had checked "
    "nothing before noon, we were all going home early, we were all going home late."
)

HARBOUR = (
    "The harbour master kept a ledger of every ship, noting cargo, crew and the hour of arrival. "
    "On stormy nights the ledger stayed open on the desk, beside a lamp and a cold cup of tea.\n\n"
    "Nobody knew that the ledger of every ship was copied, page by page, by the clerk upstairs. "
    "The clerk, a patient man, copied the hour of arrival twice when the ink was wet."
)

# as a PDF gives it: pages one after the other, a line break at every line's end
PAGES = (
    "Salt Roads And Silver Mines\nA history in four parts "
    "THE MULE TRAINS that crossed the pass in winter carried salt in\n"
    "leather sacks and came back with silver. Never were the roads busier\n"
    "than in the dry years, when a caravan of forty mules left every week.\n"
    '"Mind the ford," said the guide to the youngest driver, "the river is high\n'
    'again this spring." '
)

CJK = "我们今天讨论边境政策的变化，明天讨论移民政策的变化。"

REPEAT = "tik" * 6 + "tok" * 22 + "tak" * 6
REPEAT_INSERTED = "tik" * 6 + "tok" * 11 + "zap" + "tok" * 11 + "tak" * 6
BLOCKS = "A sentence that is long enough to pass the width of one machine word, and then some."
DISCOVERY = (
    "\n  Every real discovery answers a real question, yet a small discovery hides in the\n"
    "  answer to any question at all.\n  "
)


def nth_start(text: str, piece: str, nth: int) -> int:
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(piece, pos + 1)
    return pos


def case(name, text, quote, want, nth=0, prefix="", suffix="", hint=None, end=None):
    """A quote selector anchored in `text`; `want` is the text it must cover (its `nth` copy),
    a tuple of acceptable texts, or None for "must not be placed"."""
    if hint is not None and end is None:
        end = hint + len(quote)
    return pytest.param(text, quote, prefix, suffix, hint, end, want, nth, id=name)


CASES = [
    # --- match-quote: quote similarity, context similarity, hints, edges
    case("exact quote, no context: placed", AUTUMN, "final session", "final session"),
    case("first word replaced, no context: the one close match", AUTUMN, "Soon in the autumn", "Late in the autumn"),
    case("one letter dropped, no context", AUTUMN, "committee gathred", "committee gathered"),
    case("two letters swapped, no context", AUTUMN, "the chiar read", "the chair read"),
    case("a whole other text as the quote: not placed", AUTUMN, SEASONS, None),
    case("empty quote: not placed", AUTUMN, "", None),
    case("empty text: not placed", "", "final session", None),
    case("exact prefix picks the first copy", SEASONS, "before noon", "before noon", 0, prefix="counted every ballot "),
    case(
        "exact prefix picks the second copy", SEASONS, "before noon", "before noon", 1, prefix="we had checked nothing "
    ),
    case(
        "prefix with a hyphen inserted picks its copy",
        SEASONS,
        "before noon",
        "before noon",
        0,
        prefix="counted every-ballot ",
    ),
    case(
        "prefix misspelt throughout still picks the closer copy",
        SEASONS,
        "before noon",
        "before noon",
        1,
        prefix="we had chekked nuthing ",
    ),
    case("exact suffix picks the first copy", SEASONS, "we had", "we had", 0, suffix=" counted every"),
    case("exact suffix picks the second copy", SEASONS, "we had", "we had", 1, suffix=" checked nothing"),
    case("suffix with letters swapped picks its copy", SEASONS, "we had", "we had", 0, suffix=" cuonted evrey"),
    case("suffix misspelt throughout picks its copy", SEASONS, "we had", "we had", 1, suffix=" chekked nuthing"),
    case(
        "fuzzy quote in two copies, hint at the first",
        SEASONS,
        "befre noon",
        "before noon",
        0,
        hint=nth_start(SEASONS, "before noon", 0),
    ),
    case(
        "fuzzy quote in two copies, hint at the second",
        SEASONS,
        "befre noon",
        "before noon",
        1,
        hint=nth_start(SEASONS, "before noon", 1),
    ),
    case("fuzzy quote in two copies, no hint: the first", SEASONS, "befre noon", "before noon", 0),
    case(
        "prefix longer than the text before the match",
        AUTUMN,
        "in the autumn",
        "in the autumn",
        prefix="Once upon a time it was very late",
    ),
    case(
        "match at the text's end, with a suffix that is not there",
        AUTUMN,
        "spring thaw",
        "spring thaw",
        suffix=" ended",
    ),
    case(
        "match at the text's start, with a prefix that is not there", AUTUMN, "Late in", "Late in", prefix="Early and "
    ),
    # --- approx-string-match: errors of each kind, long patterns, Unicode, no match
    case("exact at the very start", "five quiet owls", "five", "five"),
    case("exact at the very end", "five quiet owls", "owls", "owls"),
    case("a letter more in the quote", "five quiet owls", "quiiet owls", "quiet owls"),
    case("a letter less in the quote", "five quiet owls", "quet owls", "quiet owls"),
    case("last letter substituted: the whole word is covered", "five quiet owls", "quiet owlz", "quiet owls"),
    case("a letter substituted inside a word", "five quiet owls", "qoiet owls", "quiet owls"),
    case(
        "second letter missing: the whole word is covered", "the newspaper stand", "nwspaper stand", "newspaper stand"
    ),
    case(
        "quote that is an exact piece of a word, no context: that piece",
        "the newspaper stand",
        "ewspaper stand",
        "ewspaper stand",
    ),
    case(
        "spaces missing in the quote",
        "they planted four square and seven round beds",
        "foursquare andseven",
        "four square and seven",
    ),
    case(
        "spaces missing in the text",
        "they planted foursquare andseven round beds",
        "four square and seven",
        "foursquare andseven",
    ),
    case("doubled space in the quote counts as one", "four square and seven", "square  and", "square and"),
    case("an emoji in the text where the quote has a letter", "we sm😊le at dawn", "smile at", "sm😊le at"),
    case("emoji (astral) in the quote, exact", "we sm😊le at dawn", "sm😊le", "sm😊le"),
    case("long quote (66 characters) inside a run of syllables", REPEAT, "tok" * 22, "tok" * 22),
    case(
        "long quote with three letters inserted in the text",
        REPEAT_INSERTED,
        "tok" * 22,
        ("tok" * 11 + "zap" + "tok" * 11, "tok" * 11 + "zap" + "tok" * 10),
    ),
    case("a word with two errors in a two-word text: not placed", "four candles", "foouur", None),
    case("four-letter quote with a letter missing: the whole word", "three grey geese", "gese", "geese"),
    case("four-letter quote with two letters wrong: not placed", "three grey geese", "gase", None),
    case("a letter missing in a word of a long text: whole-text search", HARBOUR, "patent man", "patient man"),
    case("misspelt word that occurs twice, no hint: the first copy", DISCOVERY, "discvery", "discovery", 0),
    case(
        "misspelt word that occurs twice, hint at the second",
        DISCOVERY,
        "discvery",
        "discovery",
        1,
        hint=nth_start(DISCOVERY, "discovery", 1),
    ),
    case("quote of 32 characters, exact", BLOCKS, BLOCKS[1:33], BLOCKS[1:33]),
    case("quote of 33 characters, exact", BLOCKS, BLOCKS[23:56], BLOCKS[23:56]),
    case("quote of 64 characters, exact", BLOCKS, BLOCKS[2:66], BLOCKS[2:66]),
    case("quote of 66 characters with a typo", BLOCKS, BLOCKS[2:40] + "x" + BLOCKS[41:68], BLOCKS[2:68]),
    # a fuzzy quote ending one letter short of a word's end, with nothing after it to say it
    # ended inside the word: covering the whole word costs one edit, as the cut would
    case(
        "fuzzy quote ending inside a word, no context: the word completed",
        BLOCKS,
        BLOCKS[2:40] + "x" + BLOCKS[41:67],
        BLOCKS[2:68],
    ),
    case("the whole text repeated five times, no hint: the first copy", (BLOCKS + " ") * 5, BLOCKS, BLOCKS, 0),
    case(
        "the whole text repeated five times, hint at the fourth",
        (BLOCKS + " ") * 5,
        BLOCKS,
        BLOCKS,
        3,
        hint=3 * (len(BLOCKS) + 1),
    ),
    # --- dom-anchor-text-quote: context, mid-word quotes, hints, long quotes, not found
    case("exact quote under 32 characters", HARBOUR, "cold cup of tea", "cold cup of tea"),
    case(
        "exact quote over 32 characters",
        HARBOUR,
        "On stormy nights the ledger stayed open on the desk",
        "On stormy nights the ledger stayed open on the desk",
    ),
    case("close quote, two letters wrong, no context", HARBOUR, "cold cap of tae", "cold cup of tea"),
    case("close quote, three letters wrong, no context", HARBOUR, "cold cip of tae", "cold cup of tea"),
    case(
        "close quote, three letters wrong, with its context",
        HARBOUR,
        "cold cip of tae",
        "cold cup of tea",
        prefix="beside a lamp and a ",
        suffix=".",
    ),
    case("quote with a quarter of its letters wrong and more: not placed", HARBOUR, "cald cip af tae", None),
    case(
        "exact quote with its context",
        HARBOUR,
        "the ledger",
        "the ledger",
        0,
        prefix="On stormy nights ",
        suffix=" stayed open",
    ),
    case(
        "close quote with its context",
        HARBOUR,
        "the ledgre",
        "the ledger",
        0,
        prefix="On stormy nights ",
        suffix=" stayed open",
    ),
    case("mid-word quote told apart by its prefix", HARBOUR, "erk", "erk", 1, prefix="The cl"),
    case("mid-word quote told apart by its suffix", HARBOUR, "erk", "erk", 0, suffix=" upstairs"),
    case(
        "word-end quote told apart by its suffix from the same word standing alone",
        "We sat on the bench; the canon entered the hall.",
        "on",
        "on",
        1,
        suffix=" entered the",
    ),
    case(
        "context that matches nothing, quote unique: placed by the quote",
        HARBOUR,
        "cold cup of tea",
        "cold cup of tea",
        prefix="xyzzy plugh",
        suffix="plugh xyzzy",
    ),
    case(
        "context as long as Glossa stores that matches nothing there, quote unique: not placed",
        HARBOUR,
        "cold cup of tea",
        None,
        prefix="the kettle whistled in the empty kitchen while ",
        suffix=" was poured for the inspector who never came",
    ),
    case("quote not in the text", HARBOUR, "bogus lantern", None),
    case(
        "long quote whose last words are not in the text, no context: not placed",
        HARBOUR,
        "Nobody knew that the ledger of every shipwreck trawlerman",
        None,
    ),
    case(
        "long quote whose first words are not in the text, no context: not placed",
        HARBOUR,
        "Quixotic pelicans ledger of every ship was copied, page by page",
        None,
    ),
    case("hint picks the last of several exact copies", HARBOUR, "ledger", "ledger", 2, hint=HARBOUR.rindex("ledger")),
    case("hint picks the first of several exact copies", HARBOUR, "ledger", "ledger", 0, hint=HARBOUR.index("ledger")),
    case(
        "quote ending in a line break and indentation, text with a blank line",
        HARBOUR,
        "a cold cup of tea.\n    ",
        "a cold cup of tea.\n",
        prefix="beside a lamp and ",
        suffix="Nobody knew",
    ),
    case(
        "curly quotes and a dash in the quote",
        "He said “hold the lamp — higher” and left.",
        "“hold the lamp — higher”",
        "“hold the lamp — higher”",
    ),
    case(
        "hint far from the match: the copy whose context matches wins over the one at the hint",
        HARBOUR,
        "the hour of arrival",
        "the hour of arrival",
        1,
        prefix="a patient man, copied ",
        suffix=" twice when",
        hint=HARBOUR.index("the hour of arrival"),
    ),
    case("quote a letter longer than the whole text", "short text", "short texts", "short text"),
    case("quote a word longer than the whole text: not placed", "short text", "short text here", None),
    case(
        "context longer than the text on both sides",
        "short text",
        "short text",
        "short text",
        prefix="a long prefix that the text does not have",
        suffix="and a suffix just as long as the prefix is",
    ),
    case("Windows line ends in the text", "line one\r\nline two\r\n", "one\nline two", "one\r\nline two"),
    # --- Unicode and case
    case("ligature in the quote, letters in the text", "the final word", "\ufb01nal word", "final word"),
    case("full-width letters in the text", "\uff21\uff22\uff23 corp", "ABC corp", "\uff21\uff22\uff23 corp"),
    case(
        "emoji with a skin-tone modifier",
        "nice \U0001f44d\U0001f3fd work",
        "\U0001f44d\U0001f3fd work",
        "\U0001f44d\U0001f3fd work",
    ),
    case("accents dropped in the quote: not the text", "\u00c0\u00c9\u00ce\u00d5\u00dc", "AEIOU", None),
    case("CJK quote inside a sentence without spaces", CJK, "边境政策", "边境政策"),
    case("CJK quote, second copy by its context", CJK, "政策的变化", "政策的变化", 1, prefix="明天讨论移民"),
    case(
        "CJK quote with one character changed, context kept",
        CJK,
        "讨论边境政䇿的变化",
        "讨论边境政策的变化",
        prefix="我们今天",
        suffix="，明天",
    ),
    case(
        "decomposed accents in the quote, precomposed in the text",
        "a caf\u00e9 society",
        "cafe\u0301 society",
        "caf\u00e9 society",
    ),
    case("the quote in capitals: not the text", AUTUMN, "FINAL SESSION", None),
    case("one capital changed", AUTUMN, "Final session", "final session"),
    case("quote that starts mid-word, no context: found there", "First paragraph.", "rst paragraph", "rst paragraph"),
]


@pytest.mark.parametrize(("text", "quote", "prefix", "suffix", "hint", "end", "want", "nth"), CASES)
def test_peer_kind(text, quote, prefix, suffix, hint, end, want, nth):
    found = Anchorer(text).find(quote, prefix, suffix, hint, end)
    if want is None:
        assert found is None, text[found.start : found.end]
        return
    assert found is not None
    got = text[found.start : found.end]
    wants = want if isinstance(want, tuple) else (want,)
    assert got in wants
    assert found.start == nth_start(text, got, nth)
    assert found.changed == (normalize(got) != normalize(quote))


# --- scores fall as the quote or its context differs more (match-quote)


def scores(text, variants, place):
    out = []
    for v in variants:
        found = find_anchor(text, *place(v))
        assert found is not None, v
        out.append((found.start, found.score))
    return out


@pytest.mark.parametrize(
    ("variants", "place"),
    [
        pytest.param(
            ["Late in the autumn", "Late in teh autumn", "Lat in teh autumn", "Soon in the autumn"],
            lambda v: (v, "", ""),
            id="quote less similar scores less, same place",
        ),
        pytest.param(
            ["Late in the autumn", "Late in teh autumn", "Soon in the autumn", "Soon at the start"],
            lambda v: (", as the committee", v, ""),
            id="prefix less similar scores less, same place",
        ),
        pytest.param(
            [
                ", as the committee gathered",
                ", as a committee gathered",
                ", as the council gathered",
                ", while we waited",
            ],
            lambda v: ("Late in the autumn", "", v),
            id="suffix less similar scores less, same place",
        ),
    ],
)
def test_scores_fall_with_similarity(variants, place):
    got = scores(AUTUMN, variants, place)
    assert len({s for s, _ in got}) == 1
    assert all(a[1] > b[1] for a, b in zip(got, got[1:], strict=False))


# --- position and quote selectors together (Hypothesis's HTML and PDF anchoring)

POSITION_QUOTE = "said the guide"


@pytest.mark.parametrize(
    ("shift", "name"),
    [
        (0, "position holds"),
        (5, "position off by a few characters"),
        (-60, "position on another line"),
        (len("Salt Roads And Silver Mines\nA history in four parts "), "position a page away"),
        (100_000, "position beyond the text"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_quote_anchors_when_the_position_fails(shift, name):
    start = PAGES.index(POSITION_QUOTE)
    sel = describe(PAGES, start, start + len(POSITION_QUOTE))
    found = find_anchor(PAGES, sel.exact, sel.prefix, sel.suffix, sel.start + shift, sel.end + shift)
    assert found is not None and found.span == (start, start + len(POSITION_QUOTE))
    assert found.method == ("position" if shift == 0 else "exact")


@pytest.mark.parametrize(
    ("start", "end", "name"),
    [(-5, 5, "negative start"), (40, 20, "end before start"), (10, 100_000, "end beyond the text")],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_bad_positions_fall_back_to_the_quote(start, end, name):
    found = find_anchor(PAGES, "leather sacks", "", "", start, end)
    assert found is not None and PAGES[found.start : found.end] == "leather sacks"


def test_a_quote_not_in_the_text_is_not_placed_at_a_valid_position():
    assert find_anchor(PAGES, "phrase that is nowhere in these pages", "", "", 10, 47) is None


def test_an_empty_range_is_not_anchored():
    assert find_anchor(PAGES, "", "", "", 7, 7) is None


SPANS = [
    ("part of a word", PAGES.index("ilver Mines"), 4),
    ("a whole line", PAGES.index("leather sacks"), len("leather sacks and came back with silver.")),
    ("across a line break", PAGES.index("in\nleather"), len("in\nleather")),
    ("across a page join", PAGES.index("parts THE"), len("parts THE MULE")),
    ("the very first character", 0, 1),
    ("the very last characters", len(PAGES) - 8, 8),
    ("the whole text", 0, len(PAGES)),
    ("a quote inside quotation marks", PAGES.index('"Mind'), len('"Mind the ford,"')),
]


@pytest.mark.parametrize(("name", "start", "length"), SPANS, ids=[s[0] for s in SPANS])
@pytest.mark.parametrize("subset", ["position and quote", "quote and context", "position only"])
def test_describe_then_anchor(name, start, length, subset):
    end = start + length
    sel = describe(PAGES, start, end)
    assert sel.exact == PAGES[start:end]
    if subset == "position and quote":
        found = find_anchor(PAGES, sel.exact, sel.prefix, sel.suffix, sel.start, sel.end, rival=sel.rival)
    elif subset == "quote and context":
        found = find_anchor(PAGES, sel.exact, sel.prefix, sel.suffix, rival=sel.rival)
    else:
        found = find_anchor(PAGES, PAGES[sel.start : sel.end], "", "", sel.start, sel.end)
    assert found is not None and found.span == (start, end)


def test_pdf_line_break_read_as_a_space_and_as_nothing():
    start = PAGES.index("salt in\nleather")
    sel = describe(PAGES, start, start + len("salt in\nleather"))
    spaced = PAGES.replace("salt in\nleather", "salt in leather")
    joined = PAGES.replace("salt in\nleather", "salt inleather")
    found = find_anchor(spaced, sel.exact, sel.prefix, sel.suffix, sel.start, sel.end, rival=sel.rival)
    assert found is not None and spaced[found.start : found.end] == "salt in leather" and not found.changed
    found = find_anchor(joined, sel.exact, sel.prefix, sel.suffix, sel.start, sel.end, rival=sel.rival)
    assert found is not None and joined[found.start : found.end] == "salt inleather" and found.changed


def test_anchoring_again_with_the_same_anchorer_gives_the_same_place():
    a = Anchorer(HARBOUR)
    first = a.find("cold cap of tae", "", "", 10, 25)
    again = a.find("cold cap of tae", "", "", 10, 25)
    assert first is not None and first == again


# --- describe(): the selectors stored for a range


def test_describe_a_repeated_quote_grows_its_context_until_it_differs():
    start = nth_start(HARBOUR, "the hour of arrival", 1)
    sel = describe(HARBOUR, start, start + len("the hour of arrival"))
    assert sel.rival > 0.0
    others = [nth_start(HARBOUR, "the hour of arrival", 0)]
    for o in others:
        assert (
            HARBOUR[o - len(sel.prefix) : o] != sel.prefix or HARBOUR[o + 19 : o + 19 + len(sel.suffix)] != sel.suffix
        )
    found = find_anchor(HARBOUR, sel.exact, sel.prefix, sel.suffix, rival=sel.rival)
    assert found is not None and found.start == start


def test_describe_a_unique_quote_has_no_rival():
    start = HARBOUR.index("patient man")
    assert describe(HARBOUR, start, start + 11).rival == 0.0


def test_describe_at_the_edges_of_the_text():
    first = describe(HARBOUR, 0, 11)
    last = describe(HARBOUR, len(HARBOUR) - 4, len(HARBOUR))
    assert first.prefix == "" and first.suffix and last.suffix == "" and last.prefix
    for sel in (first, last):
        found = find_anchor(HARBOUR, sel.exact, sel.prefix, sel.suffix, rival=sel.rival)
        assert found is not None and found.span == (sel.start, sel.end)


@pytest.mark.parametrize(
    ("start", "end", "name"),
    [(-5, 5, "negative start"), (1000, 1010, "start beyond the text"), (0, 1000, "end beyond the text")],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_describe_refuses_offsets_outside_the_text(start, end, name):
    with pytest.raises(ValueError, match="invalid (start|end) offset"):
        describe(HARBOUR, start, end)


def test_describe_an_inverted_range_is_empty_and_not_anchored():
    sel = describe(HARBOUR, 10, 5)
    assert (sel.exact, sel.start, sel.end) == ("", 10, 10)
    assert find_anchor(HARBOUR, sel.exact, sel.prefix, sel.suffix, sel.start, sel.end) is None
