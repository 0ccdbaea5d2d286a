"""indexer.ranking must rank exactly as Whoosh does, on one segment and on several with deletions."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector

from indexer.query import expand_fuzzy_words, expand_partial_names
from indexer.ranking import RankingCache, Unsupported, rank
from indexer.writer import set_passage_tags
from tests.common.indexing import build_index

QUERIES = [
    "Frontex",
    "migration border",
    "Frontex OR Serbia",
    "Frontex NOT Serbia",
    "-serbia frontex",
    "border ANDMAYBE control",
    '"border control"',
    '"human rights" OR visa',
    '"EU-Turkey statement"',
    '"western balkans" asylum',
    "front*",
    "migr* OR asyl*",
    "Frontx~",
    "migraton~",
    "org:frontex migration",
    "place:bih OR place:serbia",
    "person:johansson",
    "type:MONEY",
    "fn:12",
    "page:3",
    "Zuparic",
    "Turkiye",
    "note:frontex",
    "cites:beznec",
    "title:migration",
    "(frontex OR border) AND NOT (serbia OR kosovo)",
    "border^3 control",
    "(border control)^2",
    '"border control"^2 OR asylum^0.5',
    "migration OR NOT border",
    "entity:wb6",
    "tag:review",
]


def _parsed(searcher, text):
    whoosh_searcher = searcher._current()[0]
    reader = whoosh_searcher.reader()
    q = expand_partial_names(searcher.parse(text), reader)
    return whoosh_searcher, expand_fuzzy_words(q, reader, whoosh_searcher.schema)


def _assert_same_ranking(whoosh_searcher, q, ranked, limit, allow=None):
    """Same match set and scores as Whoosh; the top ``limit`` in Whoosh's order up to ties."""
    # every match, scored: the reference (Whoosh's own quality-skipping top N can miss a
    # passage, e.g. for AND NOT over several segments, so it is not the reference)
    collector = TopCollector(limit=10**9)
    whoosh_searcher.search_with_collector(
        q, FilterCollector(collector, allow=allow) if allow is not None else collector
    )
    results = collector.results()
    every = {results.docnum(i): results.score(i) for i in range(results.scored_length())}
    top = sorted(every.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))[:limit]
    ours = dict(zip(ranked.docnums.tolist(), ranked.scores.tolist(), strict=False))
    assert ranked.total == len(every)
    assert list(ranked.docnums) == sorted(every)
    for docnum, score in every.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)
    # Whoosh keeps the lower docnum on a tie; sums may differ in the last bit, so compare
    # rounded scores, and docnums above the lowest kept score
    assert [round(s, 6) for _, s in top] == [round(s, 6) for s in ranked.top_scores.tolist()]
    if top:
        floor = round(top[-1][1], 6)
        assert {d for d, s in top if round(s, 6) > floor} == {
            d for d, s in zip(ranked.top.tolist(), ranked.top_scores.tolist(), strict=False) if round(s, 6) > floor
        }


@pytest.fixture(autouse=True)
def whoosh_or_as_on_large_indexes(monkeypatch):
    """Whoosh scores a many-word prefix as one constant on an index under 5,000 passages and as
    the sum of its words' scores above; ranking does the latter at every size, so the
    comparison asks Whoosh for its large-index Or."""
    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_scores_and_order_as_whoosh(sample_searcher, text):
    whoosh_searcher, q = _parsed(sample_searcher, text)
    for limit in (1, 10, 55):
        _assert_same_ranking(whoosh_searcher, q, rank(whoosh_searcher, q, limit), limit)


@pytest.fixture(scope="module")
def tagged_searcher(tmp_path_factory, sample_docs, sample_entities):
    """The sample corpus with a few passages re-tagged: several segments, with deletions."""
    searcher = build_index(tmp_path_factory.mktemp("ranking") / "index", sample_docs, entities=sample_entities)
    for doc in sample_docs[:3]:
        for ordinal in (0, 3, 5):
            assert set_passage_tags(searcher.index_dir, doc.doc_id, ordinal, ["review", "frontex"])
    yield searcher
    searcher.close()


@pytest.mark.parametrize("text", QUERIES)
def test_same_ranking_over_segments_with_deletions(tagged_searcher, text):
    whoosh_searcher, q = _parsed(tagged_searcher, text)
    assert len(whoosh_searcher.subsearchers) > 1 and whoosh_searcher.reader().has_deletions()
    _assert_same_ranking(whoosh_searcher, q, rank(whoosh_searcher, q, 10), 10)


def test_filters_narrow_as_whoosh_filters(sample_searcher):
    whoosh_searcher, q = _parsed(sample_searcher, "migration OR border")
    allow = wq.And([wq.Term("entity_types", "PERSON"), wq.Not(wq.Term("doc_id", "001"))])
    ranked = rank(whoosh_searcher, q, 10, allow=allow)
    assert 0 < ranked.total < rank(whoosh_searcher, q, 10).total
    _assert_same_ranking(whoosh_searcher, q, ranked, 10, allow=allow)


def test_browsing_every_passage_is_in_document_order(sample_searcher):
    whoosh_searcher = sample_searcher._current()[0]
    ranked = rank(whoosh_searcher, wq.Every(), 20, allow=wq.Term("entity_types", "MONEY"))
    assert list(ranked.top) == sorted(ranked.top)[:20] == list(ranked.docnums[:20])
    assert set(ranked.top_scores.tolist()) == {1.0}


@pytest.mark.parametrize(
    "q",
    [
        wq.NumericRange("page", 2, 5),
        wq.Phrase("text", ["border", "control"], slop=3),
        wq.Or([wq.Term("text", "border"), wq.Term("text", "frontex")], minmatch=2),
    ],
)
def test_unsupported_parts_are_said_so(sample_searcher, q):
    """The Searcher then runs Whoosh's matcher; those queries still search (below)."""
    with pytest.raises(Unsupported):
        rank(sample_searcher._current()[0], q, 10)


@pytest.mark.parametrize("text", ["page:[2 TO 5]", '"border control"~3', "page:[2 TO 5] frontex"])
def test_searcher_falls_back_to_whoosh_for_them(sample_searcher, text):
    whoosh_searcher = sample_searcher._current()[0]
    expected = set(whoosh_searcher.docs_for_query(sample_searcher.parse(text)))
    r = sample_searcher.search(text, pagelen=5)
    assert r.total == len(expected) > 0 and len(r.hits) == min(5, len(expected))
    assert [h.score for h in r.hits] == sorted((h.score for h in r.hits), reverse=True)


def test_cache_is_bounded_and_read_only():
    cache = RankingCache(max_items=10)
    for i in range(5):
        cache.put(("w", "seg", "text", str(i).encode()), (np.arange(2), np.ones(2)))
    assert cache.held <= 10 and cache.get(("w", "seg", "text", b"0")) is None
    ids, weights = cache.get(("w", "seg", "text", b"4"))
    assert list(ids) == [0, 1] and not ids.flags.writeable and not weights.flags.writeable


def test_cached_postings_give_the_same_answer_twice(sample_searcher):
    whoosh_searcher, q = _parsed(sample_searcher, '"border control" OR frontex')
    cache = RankingCache()
    first, second = rank(whoosh_searcher, q, 10, cache=cache), rank(whoosh_searcher, q, 10, cache=cache)
    assert cache.held > 0
    assert list(first.top) == list(second.top) and list(first.docnums) == list(second.docnums)
