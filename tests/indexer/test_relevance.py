"""Search that finds what the user meant: most words when not all, aliases, word forms,
honest suggestions, exact highlighting, small facet lists (real on-disk indexes)."""

from __future__ import annotations

import re

import pytest

from indexer.query import word_root
from indexer.snippets import Highlighter, snippet_html
from indexer.tagfilter import TagResolver
from tests.common.indexing import make_document, temp_index


def _marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_natural_query_lists_passages_with_most_words_when_none_has_all(sample_searcher):
    strict = sample_searcher.search("BiH reception capacity migrants", relax=False)
    assert strict.total == 0
    r = sample_searcher.search("BiH reception capacity migrants")
    assert r.total > 0 and r.relaxed is not None
    assert r.relaxed["of"] == 4 and r.relaxed["matched_words"] == 3 and 1 <= r.relaxed["min_words"] <= 3
    assert "no passage has all 4 words" in r.relaxed_message.lower()
    assert r.to_dict()["relaxed"] == r.relaxed


def test_more_words_rank_first_and_too_few_are_left_out():
    paragraphs = [
        "Alpha beta gamma walked.",
        "Alpha beta, again and again alpha beta alpha beta.",
        "Alpha alone, alpha alpha alpha.",
        "Delta only.",
        "Gamma and zeta here.",
    ]
    doc = make_document("coord", paragraphs)
    with temp_index([doc], entities=[[]]) as s:
        r = s.search("alpha beta gamma zeta")
        assert r.relaxed == {"matched_words": 3, "of": 4, "min_words": 2}
        # 3 words first (even below a 2-word passage's score), then 2 words; 1 word is too few
        assert [h.ordinal for h in r.hits][:1] == [0]
        assert {h.ordinal for h in r.hits} == {0, 1, 4} and r.total == 3
        assert s.search("alpha beta gamma zeta", relax=False).total == 0


def test_all_words_found_means_strict_results(sample_searcher):
    r = sample_searcher.search("Frontex Serbia")
    assert r.relaxed is None and r.total > 0
    assert all("frontex" in h.text.lower() and "serbia" in h.text.lower() for h in r.hits)
    assert r.total < sample_searcher.search("Frontex OR Serbia").total


@pytest.mark.parametrize(
    "text",
    [
        "reception AND capacity AND BiH AND migrants",
        "+reception +capacity +BiH +migrants",
        '"reception capacity migrants"',
    ],
)
def test_explicit_operators_keep_their_strict_meaning(sample_searcher, text):
    """No passage holds all four words (see above): with operators, nothing is relaxed."""
    r = sample_searcher.search(text)
    assert r.relaxed is None and r.total == 0


def test_excluded_words_stay_excluded(sample_searcher):
    r = sample_searcher.search("reception capacity -migrants", pagelen=200)
    assert r.total > 0 and r.relaxed is None
    assert all("migrant" not in h.text.lower() for h in r.hits)
    assert all("reception" in h.text.lower() and "capacit" in h.text.lower() for h in r.hits)


def test_aliases_find_other_names_below_the_name_typed(sample_searcher):
    bih = sample_searcher.search("BiH", pagelen=200)
    texts = [h.text for h in bih.hits]
    assert any("Bosnia and Herzegovina" in t and "BiH" not in t for t in texts)
    assert "BiH" in texts[0]  # the name as typed ranks above its aliases
    turkey = sample_searcher.search("Turkey", pagelen=200)
    assert any("Türkiye" in h.text and "Turkey" not in h.text for h in turkey.hits)
    eu = sample_searcher.search("EU", pagelen=200)
    assert any("European Union" in h.text and not re.search(r"\bEU\b", h.text) for h in eu.hits)
    # and the reader/snippet marks show the alias that matched
    alias_hit = next(h for h in bih.hits if "BiH" not in h.text and "Bosnia and Herzegovina" in h.snippet_html)
    assert "Bosnia and Herzegovina" in _marked(alias_hit.snippet_html)


@pytest.mark.parametrize(
    "query, form",
    [
        ("returnees", "return"),
        ("smugglers", "smuggling"),
        ("liberalisation", "liberalization"),
        ("pushed back", "pushbacks"),
    ],
)
def test_other_word_forms_and_spellings_are_found(sample_searcher, query, form):
    strict = sample_searcher.search(query, relax=False, pagelen=200)
    r = sample_searcher.search(query, pagelen=200)
    assert r.total >= strict.total
    assert any(form in h.text.lower() for h in r.hits)
    # found through the other form: the form's own passages, whether or not they hold the word typed
    alone = sample_searcher.search(form, relax=False, pagelen=200)
    assert {(h.doc_id, h.ordinal) for h in alone.hits} <= {(h.doc_id, h.ordinal) for h in r.hits}


def test_word_roots_join_derived_forms_and_spellings():
    assert word_root("returnees") == word_root("returned") == word_root("return")
    assert word_root("smugglers") == word_root("smuggling") == word_root("smuggled")
    assert word_root("liberalisation") == word_root("liberalization") == word_root("liberalized")
    assert word_root("labour") == word_root("labor")
    assert word_root("border") != word_root("board")


def test_did_you_mean_is_from_body_text_and_only_when_it_finds_more(sample_searcher):
    assert sample_searcher.search("frontexx").suggestion == "frontex"
    assert sample_searcher.search("Frontexx deployments").suggestion == "Frontex deployments"
    # a known name is no typo, and a query whose words all occur gets no suggestion
    assert sample_searcher.search("BiH reception capacity migrants").suggestion is None
    assert sample_searcher.search("Frontex").suggestion is None


@pytest.mark.parametrize("backend", ["whoosh", "tantivy"])
def test_no_suggestion_finds_fewer_than_a_query_whose_every_word_is_found(backend):
    """A word the body text lacks but finds in other forms ("returnees": returned, returns) is
    no typo to correct when some passage holds every word of the query: its passages with most
    of the words follow those with all of them, and a respelling must find more passages with
    every word than those, not more than none. A word found in no form is still respelt."""
    paragraphs = [
        "The returned families reached Bosnia after a voluntary departure.",
        "Voluntary schemes in Bosnia helped returned people.",
        "Returns from Serbia were few in winter.",
        "Bosnia kept its border open.",
    ]
    with temp_index([make_document("sugg", paragraphs)], entities=[[]], backend=backend) as s:
        every = s.search("returnees Bosnia voluntary")
        assert every.relaxed is not None and every.relaxed["matched_words"] == 3
        assert every.total >= 2 and every.suggestion is None
        typo = s.search("voluntry Bosnia returned")
        assert typo.relaxed is not None and typo.relaxed["matched_words"] == 2
        assert typo.suggestion == "voluntary Bosnia returned"


def test_suggestions_never_come_from_tags_or_internal_forms(tagger):
    doc = make_document("tagged", ["Frontex officers met in Belgrade.", "Border control in the region."])
    end = len("Frontex officers met in Belgrade.")
    tags = TagResolver([("tagged", 0, end, "zanzibarite"), ("tagged", 0, end, "quokkaphile")])
    with temp_index([doc], tagger) as s:
        assert s.search("tag:zanzibarite", tag_resolver=tags).total == 1  # the tags are visible
        # near-misses of tag words: the body text has nothing near, so no suggestion
        for text in ("zanzibarit", "quokkaphil", "frontex zanzibarit"):
            r = s.search(text, tag_resolver=tags)
            assert r.suggestion is None, text
            assert r.to_dict()["suggestion"] is None
        assert s.search("@3@quokkaphil", tag_resolver=tags).suggestion is None  # an internal form is never respelt
        # the user's own field values stay as typed; only the misspelt word changes
        assert s.search("tag:zanzibarite frontexx", tag_resolver=tags).suggestion == "tag:zanzibarite frontex"
        assert s.search("frontexx", tag_resolver=tags).suggestion == "frontex"


def test_phrase_marks_the_phrase_not_each_word(tmp_path, tagger):
    doc = make_document(
        "phr",
        [
            "Member States apply the border procedure to applicants. New border control procedures and "
            "a procedure at the border are planned.",
        ],
    )
    with temp_index([doc], tagger) as s:
        hit = s.search('"border procedure"').hits[0]
        assert _marked(hit.snippet_html) == ["border procedure"]
        words = s.search("border procedure").hits[0]
        assert len(_marked(words.snippet_html)) > 1
        assert s.highlighter('"border procedure"').spans(hit.text) == [
            (hit.text.index("border procedure"), hit.text.index("border procedure") + len("border procedure"))
        ]


def test_highlighter_uses_the_index_analyzer():
    text = "Police forces enforce policies; the policy of the police."
    spans = Highlighter.from_words(["policies"]).spans(text)
    assert [text[a:b] for a, b in spans] == ["policies", "policy"]
    phrase = Highlighter.from_words(['"bosnia and herzegovina"'])
    t2 = "Bosnia and Herzegovina, and Bosnia."
    assert [t2[a:b] for a, b in phrase.spans(t2)] == ["Bosnia and Herzegovina"]


def test_snippet_is_cut_around_the_best_match():
    text = (
        "Frontex appears once here. "
        + "Filler words without the terms. " * 30
        + ("Frontex and Serbia and readmission all together here.")
        + " More filler text follows. " * 30
    )
    marks = Highlighter.from_words(["frontex", "serbia", "readmission"]).spans(text)
    html = snippet_html(text, marks, [])
    assert set(_marked(html)) == {"Frontex", "Serbia", "readmission"}


def test_facet_lists_hold_the_top_entries_and_say_how_many_more():
    docs = [make_document(f"d{i:02d}", [f"Frontex report number {i}."] * (1 + i % 3)) for i in range(27)]
    with temp_index(docs, entities=[[] for _ in docs]) as s:
        r = s.search("Frontex")
        assert len(r.facets["documents"]) == 20 and r.facet_more["documents"] == 7
        counts = [d["count"] for d in r.facets["documents"]]
        assert counts == sorted(counts, reverse=True) and counts[0] == 3
        assert r.total == sum(1 + i % 3 for i in range(27))
        assert r.to_dict()["facet_more"]["documents"] == 7
