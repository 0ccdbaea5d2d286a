"""What opening a tantivy generation and its first search read: the same answers as the long way
(the stored passages), from the fast fields and the generation's own files."""

from __future__ import annotations

import pytest
import tantivy

from indexer import rescore
from indexer.backend.tantivy_backend import kind_lengths


@pytest.fixture(scope="module")
def state(backends):
    return backends["tantivy"]._current()


def test_kind_lengths_are_the_stored_texts_lengths(state):
    samples = kind_lengths(state.searcher, state.view.tschema, state.view.lexicon)
    assert set(samples) == set(state.view.lexicon.field_terms("kind")) and len(samples) > 1
    for kind, lengths in samples.items():
        q = tantivy.Query.term_query(state.view.tschema, "kind", kind)
        hits = state.searcher.search(
            q, limit=rescore.SAMPLE, count=False, order_by_field="num", order=tantivy.Order.Asc
        ).hits
        assert lengths == [len(state.stored(addr)["text"]) for _num, addr in hits]
        assert lengths


def test_the_build_stores_the_kind_averages_worked_out_at_open(state, monkeypatch):
    stored = state.vocab.store.header["extra"]["kind_averages"]
    worked_out = rescore.kind_averages(kind_lengths(state.searcher, state.view.tschema, state.view.lexicon))
    assert state.kind_averages() == worked_out == (stored[0], stored[1])
    monkeypatch.setitem(state.vocab.store.header, "extra", {})  # a file written before they were stored
    assert state.kind_averages() == worked_out


def test_second_stage_statistics_are_whooshs(backends):
    ours, whoosh = backends["tantivy"], backends["whoosh"]
    for searcher in (ours, whoosh):
        searcher.search("returns of rejected asylum seekers")  # a natural query: the second stage runs
    stats, theirs = ours._stats[1], whoosh._stats[1]
    assert stats.kind_lengths == pytest.approx(theirs.kind_lengths) and len(stats.kind_lengths) > 1
    assert stats.overall_length == pytest.approx(theirs.overall_length)
