"""A large tantivy index counts a search's facets in two slices of whole segments, one per
thread, and adds the two results up: every total, facet and page is the one a single
aggregation gives (a real index of the sample corpus in two segments, each document twice:
the second copy added to the first generation, as an ingest adds documents)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from indexer.backend import open_searcher, open_writer, tantivy_backend
from indexer.backend.tantivy_backend import _segment_runs, _slice_bound
from indexer.writer import activate

QUERIES = ["border", "asylum seekers", '"western balkans"', "migra*", "frontx~", "frontex serbia border zzyzzyva qqxxq"]
FILTERS = [{}, {"type": "GPE"}, {"doc": "003-b4544ddbd7f01f68-a"}]


@pytest.fixture(scope="module")
def two_segments(tmp_path_factory, sample_docs, sample_entities):
    """A tantivy searcher over the sample documents twice, each copy in a segment of its own."""
    index_dir = tmp_path_factory.mktemp("slices") / "index"
    for copy in ("a", "b"):
        writer = open_writer(index_dir, "tantivy", copy=copy == "b")
        for document, entities in zip(sample_docs, sample_entities, strict=True):
            writer.add_document(replace(document, doc_id=f"{document.doc_id}-{copy}"), entities)
        writer.commit()
        activate(index_dir, writer.generation)
    searcher = open_searcher(index_dir, "tantivy")
    yield searcher
    searcher.close()


def _seen(res):
    return (
        res.total,
        res.pages,
        res.relaxed,
        res.documents,
        res.facets,
        res.facet_more,
        [(h.doc_id, h.ordinal) for h in res.hits],
    )


def test_the_segments_are_read_as_runs_of_passage_numbers(two_segments):
    state = two_segments._current()
    runs = _segment_runs(state.path, state.searcher)
    assert runs is not None and len(runs) == 2
    (first_a, last_a, n_a), (first_b, last_b, n_b) = sorted(runs)
    assert first_a == 0 and last_a + 1 == first_b and n_a == n_b == last_a + 1
    assert n_a + n_b == state.searcher.num_docs
    assert state.slices() is not None


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("filters", FILTERS)
def test_facets_counted_in_two_slices_are_those_of_one_call(two_segments, query, filters, monkeypatch):
    state = two_segments._current()
    whole = two_segments.search(query, pagelen=4, filters=filters)  # (a small index: one call)
    specs = []
    real = tantivy_backend._AGGREGATOR.submit
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    monkeypatch.setattr(tantivy_backend._AGGREGATOR, "submit", lambda *a: specs.append(a[-1]) or real(*a))
    sliced = two_segments.search(query, pagelen=4, filters=filters)
    assert _seen(sliced) == _seen(whole)
    if whole.total and whole.relaxed is None:  # (a relaxed one's are counted beside its ranking)
        # the whole aggregation in the second thread, not its entity part alone
        assert any(set(spec) > {"ent_facet"} for spec in specs)
    monkeypatch.setattr(state, "slices", lambda: None)
    by_kind = two_segments.search(query, pagelen=4, filters=filters)
    assert _seen(by_kind) == _seen(whole)


@pytest.mark.parametrize("query", QUERIES[:3])
def test_a_cut_through_documents_counts_each_once(two_segments, query, monkeypatch):
    """Slices cut anywhere (here through the middle of documents, which a segment flushed
    while a document is written also does) still add up to the whole: a document counted
    in both slices is one document with the passages of both."""
    whole = two_segments.search(query, pagelen=4)
    state = two_segments._current()
    total = int(state.searcher.num_docs)
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    for cut in (1, total // 3, total // 2 + 7, total - 1):
        schema, unsigned = state.view.tschema, tantivy_backend.tantivy.FieldType.Unsigned
        slices = (
            tantivy_backend.tantivy.Query.range_query(schema, "num", unsigned, 0, cut - 1),
            tantivy_backend.tantivy.Query.range_query(schema, "num", unsigned, cut, 2**63 - 1),
        )
        monkeypatch.setattr(state, "slices", lambda s=slices: s)
        assert _seen(two_segments.search(query, pagelen=4)) == _seen(whole), cut


def test_a_cut_leaves_whole_segments_as_evenly_as_they_allow():
    assert _slice_bound([(0, 99, 100), (100, 199, 100)], 200) == 100
    # three segments: the cut after the first two (60 + 40 against 100) is the even one
    assert _slice_bound([(100, 139, 40), (0, 59, 60), (140, 239, 100)], 200) == 140
    # deleted passages count as gone: the segments' live passages decide
    assert _slice_bound([(0, 99, 10), (100, 149, 50), (150, 199, 50)], 110) == 150


@pytest.mark.parametrize(
    "runs, total",
    [
        (None, 100),
        ([], 0),
        ([(0, 99, 100)], 100),  # one segment: no cut of whole segments
        ([(0, 899, 900), (900, 999, 100)], 1000),  # one segment holds most: the split by kind
        ([(0, 150, 100), (100, 199, 100)], 200),  # numbers overlapping: a cut would halve one
        ([(50, 10, 100), (100, 199, 100)], 200),  # a run that is no run
    ],
)
def test_no_cut_when_the_segments_allow_no_even_one(runs, total):
    assert _slice_bound(runs, total) is None


def test_a_generation_whose_segment_list_disagrees_is_not_cut(two_segments, tmp_path):
    state = two_segments._current()
    assert _segment_runs(tmp_path, state.searcher) is None  # no meta.json
    meta = json.loads((state.path / "meta.json").read_text(encoding="utf-8"))
    (tmp_path / "meta.json").write_text("{not json", encoding="utf-8")
    assert _segment_runs(tmp_path, state.searcher) is None
    one = dict(meta, segments=meta["segments"][:1])
    (tmp_path / "meta.json").write_text(json.dumps(one), encoding="utf-8")
    assert _segment_runs(tmp_path, state.searcher) is None  # fewer segments than the searcher's
    grown = [dict(seg) for seg in meta["segments"]]
    grown[0]["max_doc"] += 5
    (tmp_path / "meta.json").write_text(json.dumps(dict(meta, segments=grown)), encoding="utf-8")
    assert _segment_runs(tmp_path, state.searcher) is None  # sizes adding up to another count
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert _segment_runs(tmp_path, state.searcher) == _segment_runs(state.path, state.searcher) is not None
