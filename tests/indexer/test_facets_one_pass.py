"""A facet with a value chosen is counted over the query's matches without the filters: the
array ranking finds those in the pass that ranks the filtered query, and what it finds must be
what a second, unfiltered ranking gives (sample corpus, Whoosh backend)."""

from __future__ import annotations

import pytest

from indexer.search import Searcher

pytestmark = pytest.mark.whoosh_only("counts the calls of the Whoosh Searcher's array ranking")

A, B = "003-b4544ddbd7f01f68", "001-ecc342d5c4ab413f"
QUERIES = ["frontex", "border control", "migration policy libya turkey greece zzyzzyva", '"european union"', "migra*"]
FILTERS = [{"doc": [A, B]}, {"type": ["ORG", "GPE"]}, {"doc": [A], "type": ["PERSON"]}, {"entity": ["Frontex"]}]


def _two_passes(monkeypatch) -> list[int]:
    """Make Searcher._ranked ignore ``wide`` (the unfiltered ranking runs apart); count its calls."""
    calls: list[int] = []
    real = Searcher._ranked

    def ranked(self, searcher, q, natural, fq, limit, wide=None, whole=False):
        calls.append(1)
        return real(self, searcher, q, natural, fq, limit, whole=whole)

    monkeypatch.setattr(Searcher, "_ranked", ranked)
    return calls


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f))
def test_one_pass_gives_the_facets_of_two(sample_searcher, monkeypatch, query, filters):
    one = sample_searcher.search(query, filters=filters).to_dict()
    calls = _two_passes(monkeypatch)
    two = sample_searcher.search(query, filters=filters).to_dict()
    assert len(calls) >= 2  # the unfiltered ranking ran apart
    for key in ("total", "documents", "facets", "facet_more", "relaxed"):
        assert one[key] == two[key], key
    assert [h["ordinal"] for h in one["hits"]] == [h["ordinal"] for h in two["hits"]]


def test_one_pass_runs_one_ranking_of_the_query(sample_searcher, monkeypatch):
    calls: list[bool] = []
    real = Searcher._ranked

    def ranked(self, searcher, q, natural, fq, limit, wide=None, whole=False):
        calls.append(natural is not None and fq is None)  # an unfiltered ranking of the query itself
        return real(self, searcher, q, natural, fq, limit, wide, whole)

    monkeypatch.setattr(Searcher, "_ranked", ranked)
    sample_searcher.search("border control", filters={"doc": [A, B], "type": ["ORG"]})
    assert calls and not any(calls)
