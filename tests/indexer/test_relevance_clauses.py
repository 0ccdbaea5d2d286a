"""How a natural query's clauses score: a word's forms count once (the best form a passage
holds), a name of several words weighs as one word, and the forms of a word no passage holds
stand for it in full (real on-disk indexes, Whoosh's own matcher as the reference)."""

from __future__ import annotations

import pytest
from whoosh import query as wq
from whoosh.collectors import TopCollector

from indexer.query import VARIANT_BOOST, BestOf, natural_query
from indexer.ranking import rank

pytestmark = pytest.mark.whoosh_only("scores the Whoosh array ranker's clauses against Whoosh's own matcher")


def _natural(searcher, text):
    state = searcher._current()
    whoosh_searcher, _facets, parser, vocab = state
    return whoosh_searcher, natural_query(parser, text, vocab)


def _scores(whoosh_searcher, q) -> dict[int, float]:
    """Every match of ``q`` and its score from Whoosh's own matcher."""
    collector = TopCollector(limit=10**9)
    whoosh_searcher.search_with_collector(q, collector)
    results = collector.results()
    return {results.docnum(i): results.score(i) for i in range(results.scored_length())}


def _boosts(q: wq.Query, fieldname: str) -> list[float]:
    return [sub.boost for sub in q.leaves() if getattr(sub, "fieldname", None) == fieldname]


def test_a_names_forms_are_one_clause_scored_by_the_best_form(sample_searcher):
    whoosh_searcher, natural = _natural(sample_searcher, "BiH")
    (clause,) = natural.clauses
    assert isinstance(clause.query, BestOf)
    forms = list(clause.query.subqueries)
    assert len(forms) == len(set(forms)) >= 2  # "Bosnia and Herzegovina" spelt three ways: kept once
    ours = rank(whoosh_searcher, clause.query, 10**6, cache=sample_searcher._ranking)
    each = [_scores(whoosh_searcher, form) for form in forms]
    assert set(ours.docnums.tolist()) == set().union(*each)
    for docnum, score in zip(ours.docnums.tolist(), ours.scores.tolist(), strict=True):
        assert score == pytest.approx(max(s.get(docnum, 0.0) for s in each), rel=1e-9)  # the best, not the sum
    # Whoosh's own matcher of the clause agrees with the arrays (its DisjunctionMax does not)
    whoosh = _scores(whoosh_searcher, clause.query)
    assert whoosh.keys() == set(ours.docnums.tolist())
    for docnum, score in zip(ours.docnums.tolist(), ours.scores.tolist(), strict=True):
        assert whoosh[docnum] == pytest.approx(score, rel=1e-9)


def test_a_name_of_several_words_weighs_as_one_word(sample_searcher):
    _searcher, natural = _natural(sample_searcher, "North Macedonia visa")
    name, visa = natural.clauses
    assert name.words == ("North", "Macedonia") and visa.words == ("visa",)
    phrases = [sub for sub in name.exact.leaves() if isinstance(sub, wq.Phrase) and sub.fieldname == "text"]
    assert phrases and all(p.boost == pytest.approx(1 / len(p.words)) for p in phrases)
    assert _boosts(visa.exact, "text") == [1.0]


def test_forms_of_a_word_no_passage_holds_weigh_in_full(sample_searcher):
    # "returnees" is in no passage of the sample corpus: "return" is the word's only evidence
    _searcher, natural = _natural(sample_searcher, "returnees")
    (absent,) = natural.clauses
    boosts = _boosts(absent.query, "text")  # the word as typed, then its forms
    assert len(boosts) >= 2 and all(b == 1.0 for b in boosts)
    # "smugglers" is: its other forms ("smuggling") rank below it
    _searcher, natural = _natural(sample_searcher, "smugglers")
    (present,) = natural.clauses
    assert VARIANT_BOOST in _boosts(present.query, "text")
    hits = sample_searcher.search("smugglers", pagelen=5).hits
    assert "smugglers" in hits[0].text.lower()
