"""A page of documents on tantivy: the ranking walked as :func:`walk_groups` walks it, but each
part of it read once (and a natural query's window rescored once), the page from arrays.

``ranked_document_page`` against the walk of the same ranking written out; the backend's walk
(``TantivyBackend._document_page``) against ``walk_groups`` over the whole ranking, from any first
part and with the ranking read further only past it, each passage once; the ranking's reader
against the whole ranking; a passage's document from stored fields when the documents are not
runs of passage numbers.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer import rescore
from indexer.backend import tantivy_backend as tb
from indexer.facets import GROUP_HITS, ranked_document_page, walk_groups
from indexer.search import Searcher


def walked(doc_idx, first, want, per_doc=GROUP_HITS):
    """The page, by walking the ranking (positions 0.. with documents ``doc_idx``) whole."""
    groups: dict[int, list[int]] = {}
    for place, doc in enumerate(doc_idx):
        kept = groups.setdefault(int(doc), [])
        if len(kept) < per_doc:
            kept.append(place)
    return list(groups.items())[first : first + want] if want > 0 else []


@pytest.mark.parametrize("docs", [1, 4, 30])
def test_a_page_from_a_ranking_in_order_is_that_ranking_walked(docs):
    rng = np.random.default_rng(docs)
    for _ in range(30):
        doc_idx = rng.integers(0, docs, size=int(rng.integers(0, 200)))
        for first, want in ((0, 3), (2, 4), (0, 100), (docs - 1, 2), (docs + 5, 3), (0, 0)):
            for per_doc in (1, GROUP_HITS):
                got = ranked_document_page(doc_idx, first, want, per_doc)
                assert got == walked(doc_idx, first, want, per_doc), (len(doc_idx), first, want)


QUERIES = ["frontex", "migra*", "border control", "migration policy libya turkey greece zzyzzyva", "page:[2 TO 5]"]


def whole_ranking(backend, text):
    """(state, natural, matching, every match's (score, address) in rank order) of ``text``."""
    state = backend._current()
    q, natural = Searcher._read(state.view, state.parser, state.vocab, text, True)
    total = len(backend.matching_passages(text))
    if natural is not None and natural.clauses:
        matching, _total, ranking, _relaxed = backend._natural_page(state, natural, None, 0, total)
    else:
        matching = state.translate(q)
        ranking = list(state.searcher.search(matching, limit=total, count=False).hits)
    assert len(ranking) == total
    return state, natural, matching, ranking


def keys(pairs):
    return [(score, addr.segment_ord, addr.doc) for score, addr in pairs]


@pytest.mark.parametrize("query", QUERIES)
def test_the_ranking_reader_reads_on_past_the_first_part(backends, query):
    backend = backends["tantivy"]
    state, natural, matching, ranking = whole_ranking(backend, query)
    read = backend._ranking_reader(state, natural, None, matching)
    for first in range(rescore.WINDOW, len(ranking) + 2, 7):  # (past a natural query's rescored window)
        assert keys(read(first, 5)) == keys(ranking[first : first + 5]), (query, first)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("seed", [0, 1, 4, rescore.WINDOW])
def test_the_walk_reads_each_passage_once_and_finds_what_walk_groups_finds(backends, query, seed):
    backend = backends["tantivy"]
    state, natural, matching, ranking = whole_ranking(backend, query)
    docs = state.docs_of([addr for _score, addr in ranking])
    counts = Counter(docs)
    reads: list[tuple[int, int]] = []
    real = backend._ranking_reader(state, natural, None, matching)

    def read(first, count):
        reads.append((first, count))
        if first >= rescore.WINDOW:  # the backend's own reader, where it reads
            return real(first, count)
        return ranking[first : first + count]

    pairs = [(addr, score) for score, addr in ranking]
    for want in (1, 2, 50):
        for first in range(len(counts) + 1):
            reads.clear()
            got = tb.TantivyBackend._document_page(state, read, ranking[:seed], len(ranking), counts, first, want)
            expected = walk_groups(lambda n: pairs[:n], state.docs_of, len(ranking), counts, first, want)
            assert [(d, keys(p)) for d, p in got] == [(d, keys([(s, a) for a, s in p])) for d, p in expected], (
                query,
                seed,
                first,
                want,
            )
            ends = [seed] + [f + n for f, n in reads]
            assert [f for f, _n in reads] == ends[:-1]  # each part read once, after what was read before


def test_a_ranking_that_ends_early_ends_the_walk(backends):
    backend = backends["tantivy"]
    state, _natural, _matching, ranking = whole_ranking(backend, "frontex")
    counts = Counter(state.docs_of([addr for _score, addr in ranking]))
    reads = []

    def read(first, count):
        reads.append(first)
        return ranking[first : first + count]

    # a page wider than the documents, of a ranking said to be longer than it is
    got = tb.TantivyBackend._document_page(state, read, [], len(ranking) * 100, counts, 0, 50)
    assert len(got) == len(counts) and reads == [0, len(ranking)]  # read on to the end, then stopped
    assert tb.TantivyBackend._document_page(state, read, [], 0, counts, 0, 2) == []


def test_a_page_of_documents_rescores_once(backends, monkeypatch):
    backend = backends["tantivy"]
    calls = []
    real = rescore.rescore
    monkeypatch.setattr(tb.rescore, "rescore", lambda *a, **k: calls.append(1) or real(*a, **k))
    for page in (1, 2, 3):
        calls.clear()
        res = backend.search("migra*", page=page, pagelen=1, group="document")
        assert res.groups and len(calls) == 1, page


def test_documents_of_passages_from_stored_fields_when_numbers_are_not_runs(backends, monkeypatch):
    backend = backends["tantivy"]
    state, _natural, _matching, ranking = whole_ranking(backend, "migra*")
    addrs = [addr for _score, addr in ranking]
    idx, ids = state.doc_indexes(addrs)
    assert [ids[i] for i in idx.tolist()] == state.docs_of(addrs)
    assert state.doc_indexes([])[0].tolist() == []
    grouped = backend.search("migra*", pagelen=2, page=2, group="document")
    monkeypatch.setattr(state, "doc_ranges", lambda: None)
    again, all_ids = state.doc_indexes(addrs)
    assert [all_ids[i] for i in again.tolist()] == [ids[i] for i in idx.tolist()]
    assert all_ids == sorted(set(all_ids)) and state.doc_indexes([])[0].tolist() == []
    same = backend.search("migra*", pagelen=2, page=2, group="document")
    assert [(g.doc_id, [h.ordinal for h in g.hits]) for g in same.groups] == [
        (g.doc_id, [h.ordinal for h in g.hits]) for g in grouped.groups
    ]
