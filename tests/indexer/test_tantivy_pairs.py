"""Phrases on the tantivy backend's word-pair fields (layout 3): a phrase of words side by side
matches the passages the positions give (the Whoosh index's, and a layout 2 generation's, which
has no pairs and is read and written as it was); a phrase with slop is matched on positions."""

from __future__ import annotations

import pytest
import tantivy

from indexer.backend import open_searcher, open_writer, tantivy_backend
from indexer.backend.tantivy_backend import PAIR_JOIN, PAIRS, _read_marker, word_pairs
from indexer.writer import activate, current_generation

PHRASES = [
    '"western balkans"',
    '"western balkans route"',
    '"rule of law"',
    '"european union" frontex',
    'title:"western balkans"',
    '"border control" OR "border procedure"',
    '"border procedure"~3',
    '"balkans western"',
]


def _answer(searcher, query, group=None):
    res = searcher.search(query, pagelen=200, group=group)
    hits = sorted((h.doc_id, h.ordinal) for h in res.hits)
    return res.total, hits, res.facets, res.facet_more, res.documents


def _write(index_dir, docs, copy):
    writer = open_writer(index_dir, "tantivy", copy=copy)
    for document, entities in docs:
        writer.add_document(document, entities)
    writer.commit()
    activate(index_dir, writer.generation)
    return writer


def _write_layout_2(index_dir, docs):
    """A new tantivy index of ``docs`` as a version of layout 2 wrote it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tantivy_backend, "LAYOUT", 2)
        _write(index_dir, docs, copy=False)


@pytest.fixture(scope="module")
def layout_2(tmp_path_factory, sample_docs, sample_entities):
    """A layout 2 tantivy index of the sample corpus but its last document."""
    index_dir = tmp_path_factory.mktemp("layout-2") / "index"
    _write_layout_2(index_dir, list(zip(sample_docs, sample_entities, strict=True))[:-1])
    return index_dir


def test_word_pairs_join_each_two_neighbours():
    assert word_pairs("rule law western balkan") == f"rule{PAIR_JOIN}law law{PAIR_JOIN}western western{PAIR_JOIN}balkan"
    assert word_pairs("alone") == "" == word_pairs("")
    assert set(PAIRS) == set(tantivy_backend.POSITIONAL)


@pytest.mark.parametrize("query", PHRASES)
def test_phrases_on_pairs_match_what_positions_and_whoosh_match(backends, layout_2, query):
    ours, whoosh = backends["tantivy"], backends["whoosh"]
    state = ours._current()
    assert state.layout == 3 and state.translate.pairs
    assert all(_has_field(state.index.schema, name) for name in PAIRS.values())
    mine, want = _answer(ours, query), _answer(whoosh, query)
    assert mine[:2] == want[:2] and mine[2]["documents"] == want[2]["documents"]
    older = open_searcher(layout_2, "tantivy")
    try:
        state = older._current()
        assert state.layout == 2 and not state.translate.pairs
        assert not any(_has_field(state.index.schema, name) for name in PAIRS.values())
        assert older.search(query).total <= mine[0]  # (it lacks the last document)
    finally:
        older.close()


def test_a_layout_2_generation_takes_new_documents_and_stays_layout_2(tmp_path, sample_docs, sample_entities):
    docs = list(zip(sample_docs, sample_entities, strict=True))
    full = tmp_path / "full"
    _write(full, docs, copy=False)
    index_dir = tmp_path / "older"
    _write_layout_2(index_dir, docs[:-1])
    writer = _write(index_dir, docs[-1:], copy=True)  # this version's writer, adding to it
    assert writer.layout == 2 and _read_marker(current_generation(index_dir))["layout"] == 2
    added, fresh = open_searcher(index_dir, "tantivy"), open_searcher(full, "tantivy")
    try:
        assert fresh._current().layout == 3
        for query in PHRASES:
            assert _answer(added, query) == _answer(fresh, query), query
            assert _answer(added, query, "document")[0] == _answer(fresh, query, "document")[0]
    finally:
        added.close()
        fresh.close()


def _has_field(schema, name):
    try:
        tantivy.Query.term_query(schema, name, "x")
    except ValueError:
        return False
    return True
