"""anchor(): stored positions, exact re-finding, fuzzy matching, orphans, speed."""

from __future__ import annotations

import random

from annotations.anchoring import anchor, context_of

TEXT = (
    "Migration policy in the Western Balkans is shaped by the EU. Frontex deploys officers "
    "to Serbia and Albania. The same phrase appears twice: border control. Later, border "
    "control again, with a different context around it."
)


def args(text, quote, nth=0):
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(quote, pos + 1)
    pre, post = context_of(text, pos, pos + len(quote))
    return quote, pre, post, pos, pos + len(quote)


def test_stored_position_kept():
    q = args(TEXT, "Frontex deploys officers")
    assert anchor(TEXT, *q) == (q[3], q[4])


def test_insertion_before_quote_moves_it():
    q = args(TEXT, "Frontex deploys officers")
    new = "A new opening sentence was added. " + TEXT
    s, e = anchor(new, *q)
    assert new[s:e] == "Frontex deploys officers" and s == q[3] + 34


def test_repeated_quote_picks_the_one_with_matching_context():
    second = args(TEXT, "border control", nth=1)
    new = "Inserted. " + TEXT
    s, e = anchor(new, *second)
    assert new[s:e] == "border control" and s == second[3] + len("Inserted. ")
    first = args(TEXT, "border control", nth=0)
    s1, _ = anchor(new, *first)
    assert s1 == first[3] + len("Inserted. ")


def test_edit_inside_quote_is_found_fuzzily():
    q = args(TEXT, "Frontex deploys officers to Serbia and Albania")
    new = TEXT.replace("deploys officers", "sends many officers")
    s, e = anchor(new, *q)
    assert new[s:e] == "Frontex sends many officers to Serbia and Albania"


def test_deleted_quote_is_orphaned():
    q = args(TEXT, "Frontex deploys officers to Serbia and Albania.")
    new = TEXT.replace("Frontex deploys officers to Serbia and Albania. ", "")
    assert anchor(new, *q) is None
    assert anchor("", *q) is None
    assert anchor(TEXT, "", "", "", 0, 0) is None


def test_short_quote_not_matched_to_unrelated_text():
    q = args(TEXT, "EU. ")
    new = TEXT.replace("shaped by the EU. ", "")
    assert anchor(new, *q) is None


def test_positions_out_of_range_fall_back_to_search():
    quote, pre, post, _, _ = args(TEXT, "Albania")
    s, e = anchor(TEXT, quote, pre, post, 10_000, 10_007)
    assert TEXT[s:e] == "Albania"


def _random_quotes(text, n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        s = rnd.randrange(0, len(text) - 300)
        e = s + rnd.randint(10, 200)
        out.append((text[s:e], *context_of(text, s, e), s, e))
    return out


def test_reanchoring_1000_on_the_paper(corpus_text):
    # (how long it takes is measured by bench/annotations.py)
    anns = _random_quotes(corpus_text, 1000, seed=7)
    cut = corpus_text.index("\n\n", 40_000)
    new = ("Inserted paragraph.\n\n" + corpus_text[:cut] + corpus_text[cut + 600 :]).replace("Frontex", "FRONTEX")
    results = [anchor(new, *a) for a in anns]
    untouched = [r for a, r in zip(anns, results, strict=False) if a[4] < cut and "Frontex" not in a[0] + a[1] + a[2]]
    assert untouched and all(r is not None for r in untouched)
    assert sum(r is None for r in results) < 50


def test_fuzzy_path_for_every_quote_is_accurate(corpus_text):
    anns = _random_quotes(corpus_text, 300, seed=8)
    # every 37th character changes case: no quote is found verbatim, all go the fuzzy way
    new = "".join(c.upper() if i % 37 == 0 else c for i, c in enumerate(corpus_text))
    results = [anchor(new, *a) for a in anns]
    close = sum(1 for a, r in zip(anns, results, strict=False) if r and abs(r[0] - a[3]) <= 2 and abs(r[1] - a[4]) <= 2)
    assert close >= 0.95 * len(anns), close
