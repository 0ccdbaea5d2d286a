"""The tantivy facets' single-valued columns (layout 2: ``doc_num``, ``type_mask``) count what the
keyword fields count: documents and entity types as Whoosh gives them, a label without a type
bit included; a generation of layout 1 is read the old way with the same results and is never
copied by a writer (a real index of the sample corpus, with a label of no spaCy model)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from indexer.backend import BackendMismatch, open_searcher, open_writer, tantivy_backend
from indexer.backend.tantivy_backend import (
    DOC_TABLE,
    LAYOUT,
    TYPE_BITS,
    _doc_pairs,
    _DocCounts,
    _DocTable,
    _read_doc_table,
    _read_marker,
    _write_marker,
)
from indexer.ner import Entity
from indexer.writer import activate, current_generation

QUERIES = ["border", "frontex", '"western balkans"', "migra*", "asylum seekers"]


def _with_widgets(sample_docs, sample_entities):
    """The sample corpus, and a copy of its first document whose every ORG is also a WIDGET."""
    first, ents = sample_docs[0], sample_entities[0]
    widgets = [Entity(e.start, e.end, "WIDGET", e.text, e.canonical) for e in ents if e.label == "ORG"]
    return [*zip(sample_docs, sample_entities, strict=True), (replace(first, doc_id="widgets"), [*ents, *widgets])]


@pytest.fixture(scope="module")
def pair(tmp_path_factory, sample_docs, sample_entities):
    """(tantivy index dir, tantivy searcher, Whoosh searcher) over the corpus with widgets."""
    out = []
    for name in ("tantivy", "whoosh"):
        index_dir = tmp_path_factory.mktemp(f"columns-{name}") / "index"
        writer = open_writer(index_dir, name, copy=False)
        for document, entities in _with_widgets(sample_docs, sample_entities):
            writer.add_document(document, entities)
        writer.commit()
        activate(index_dir, writer.generation)
        out.append((index_dir, open_searcher(index_dir, name)))
    yield out[0][0], out[0][1], out[1][1]
    for _dir, searcher in out:
        searcher.close()


def _facets(res):
    return res.total, res.documents, res.facets, res.facet_more, [(g.doc_id, g.count) for g in res.groups]


@pytest.mark.parametrize("query", QUERIES)
def test_a_label_without_a_bit_is_counted_from_the_keyword_field(pair, query):
    _dir, ours, theirs = pair
    assert "WIDGET" not in TYPE_BITS
    mine, want = ours.search(query, pagelen=5), theirs.search(query, pagelen=5)
    assert mine.facets["entity_types"] == want.facets["entity_types"]
    assert mine.facets["documents"] == want.facets["documents"] and mine.documents == want.documents


def test_type_masks_give_the_keyword_fields_counts(backends):
    ours, theirs = backends["tantivy"], backends["whoosh"]
    state = ours._current()
    assert state.layout == LAYOUT >= 2
    for query in QUERIES:
        mine, want = ours.search(query, pagelen=5), theirs.search(query, pagelen=5)
        assert mine.facets["entity_types"] == want.facets["entity_types"] != []
        for group in ("document", None):
            a, b = (
                ours.search(query, pagelen=3, page=2, group=group),
                theirs.search(query, pagelen=3, page=2, group=group),
            )
            assert (a.total, a.documents, a.pages, a.facet_more) == (b.total, b.documents, b.pages, b.facet_more)
            assert [(g.doc_id, g.count) for g in a.groups] == [(g.doc_id, g.count) for g in b.groups]


def test_a_generation_without_its_table_or_of_layout_1_counts_the_same_and_layout_1_is_never_copied(
    tmp_path, sample_docs, sample_entities
):
    index_dir = tmp_path / "index"
    writer = open_writer(index_dir, "tantivy", copy=False)
    for document, entities in _with_widgets(sample_docs[:3], sample_entities[:3]):
        writer.add_document(document, entities)
    writer.commit()
    activate(index_dir, writer.generation)
    searcher = open_searcher(index_dir, "tantivy")
    chosen = searcher.search("border").facets["documents"][1]["value"]
    asked = [(q, {}, None) for q in QUERIES] + [("border", {"doc": chosen}, None), ("frontex", {}, "document")]
    before = [_facets(searcher.search(q, filters=f, group=g)) for q, f, g in asked]
    searcher.close()
    gen = current_generation(index_dir)
    (gen / DOC_TABLE).unlink()  # the document table found by an aggregation instead
    untabled = open_searcher(index_dir, "tantivy")
    assert [_facets(untabled.search(q, filters=f, group=g)) for q, f, g in asked] == before
    untabled.close()
    _write_marker(gen, {**_read_marker(gen), "layout": 1})
    older = open_searcher(index_dir, "tantivy")
    assert older._current().layout == 1
    assert [_facets(older.search(q, filters=f, group=g)) for q, f, g in asked] == before
    older.close()
    with pytest.raises(BackendMismatch, match="reindex --backend tantivy"):
        open_writer(index_dir, "tantivy", copy=True)
    assert [p.name for p in index_dir.glob("gen-*")] == [gen.name]  # the refused one left nothing


class _Tables:
    """What :class:`_DocCounts` asks of a generation: its table, and doc_nums it lacks looked up."""

    def __init__(self, pairs, extra):
        self.table, self.extra, self.asked = _DocTable(pairs), extra, []

    def doc_table(self, missing=()):
        if missing:
            self.asked.append(list(missing))
            self.table = _DocTable(self.table.pairs + [(n, self.extra[n]) for n in missing])
        return self.table


def test_document_counts_rank_by_count_then_id_and_hold_only_matching_documents():
    state = _Tables([(40, "b"), (0, "c"), (7, "a"), (90, "d")], {})
    counts = _DocCounts(state, np.asarray([90.0, 0.0, 40.0]), np.asarray([2, 5, 2]))
    assert list(counts.items()) == [("c", 5), ("b", 2), ("d", 2)] and len(counts) == 3
    assert counts.get("a") is None and counts.get("nowhere", 0) == 0
    with pytest.raises(KeyError):
        counts["a"]
    assert counts.head(2, None) == [("c", 5), ("b", 2)]
    assert counts.head(1, ["D"]) == [("c", 5), ("d", 2)]  # a chosen one stays listed (case folded)
    assert not state.asked


def test_a_document_number_the_table_lacks_is_looked_up_and_counted_with_its_document():
    state = _Tables([(40, "b"), (7, "a")], {95: "a", 3: "z"})
    counts = _DocCounts(state, np.asarray([3.0, 7.0, 40.0, 95.0]), np.asarray([1, 2, 2, 3]))
    assert state.asked == [[3, 95]]
    assert list(counts.items()) == [("a", 5), ("b", 2), ("z", 1)]
    empty = _Tables([], {12: "q"})
    assert list(_DocCounts(empty, np.asarray([12.0]), np.asarray([4])).items()) == [("q", 4)]


def test_the_document_table_is_stored_at_commit_and_read_back(backends):
    state = backends["tantivy"]._current()
    stored = _read_doc_table(state.path)
    assert stored is not None and sorted(stored) == sorted(_doc_pairs(state.searcher, 10_000))
    assert state.doc_table().pairs == sorted(stored)
    assert _read_doc_table(state.path / "nowhere") is None


def test_a_document_id_written_twice_is_counted_as_one_document(tmp_path, sample_docs, sample_entities):
    """Two runs of passage numbers under one id (two documents written under one id, which the
    pipeline never does): the table holds the first; the second is looked up by its passage."""
    index_dir = tmp_path / "index"
    writer = open_writer(index_dir, "tantivy", copy=False)
    for document, entities in [*zip(sample_docs[:2], sample_entities[:2], strict=True)] * 2:
        writer.add_document(document, entities)
    writer.commit()
    activate(index_dir, writer.generation)
    searcher = open_searcher(index_dir, "tantivy")
    res = searcher.search("border")
    per_doc = {}
    for doc, _ordinal in searcher.matching_passages("border"):
        per_doc[doc] = per_doc.get(doc, 0) + 1
    assert [(f["value"], f["count"]) for f in res.facets["documents"]] == sorted(
        per_doc.items(), key=lambda p: (-p[1], p[0])
    )
    assert res.documents == len(per_doc) == 2 and len(searcher._current().doc_table().nums) == 4
    searcher.close()


def test_more_type_masks_than_buckets_asked_count_the_labels_instead(backends, monkeypatch):
    ours, theirs = backends["tantivy"], backends["whoosh"]
    monkeypatch.setattr(tantivy_backend, "MASK_BUCKETS", 1)
    for query in QUERIES[:2]:
        mine, want = ours.search(query, pagelen=5), theirs.search(query, pagelen=5)
        assert len({f["value"] for f in mine.facets["entity_types"]}) > 1  # (more than one mask)
        assert mine.facets["entity_types"] == want.facets["entity_types"]
        assert mine.facets["documents"] == want.facets["documents"] and mine.total == want.total
