"""The second stage's statistics after a small change to the index (an ingest of one
document, a replaced one): the same as a freshly opened searcher computes, without reading
again what did not change (Whoosh keeps each segment's passage lengths, tantivy reads them
from its fast fields)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from whoosh.reading import SegmentReader

from indexer import rescore
from indexer.backend import BACKENDS, open_searcher, open_writer
from indexer.writer import activate


def _write(index_dir, name, documents, copy, delete=()):
    writer = open_writer(index_dir, name, copy=copy)
    for doc_id in delete:
        writer.delete_document(doc_id)
    for document in documents:
        writer.add_document(document, [])
    writer.commit()
    activate(index_dir, writer.generation)


def _stats(searcher, name):
    if name == "tantivy":
        return searcher._rescore_stats(searcher._current())
    with searcher._lease() as state:
        return searcher._rescore_stats(state[0])


@pytest.mark.parametrize("sample", [3, rescore.SAMPLE])
@pytest.mark.parametrize("name", BACKENDS)
def test_statistics_after_a_change_are_a_fresh_searchers(tmp_path, sample_docs, name, sample, monkeypatch):
    monkeypatch.setattr(rescore, "SAMPLE", sample)
    index_dir = tmp_path / "index"
    first = sample_docs[:3]
    _write(index_dir, name, first, copy=False)
    searcher = open_searcher(index_dir, name)
    before = _stats(searcher, name)
    assert before.kind_lengths
    # one new document, and the first one replaced (its passages deleted, added again after)
    _write(index_dir, name, [replace(sample_docs[3], doc_id="new-one"), first[0]], copy=True, delete=[first[0].doc_id])
    after = _stats(searcher, name)
    fresh_searcher = open_searcher(index_dir, name)
    fresh = _stats(fresh_searcher, name)
    assert after is not before
    assert after.kind_lengths == pytest.approx(fresh.kind_lengths)
    assert after.overall_length == pytest.approx(fresh.overall_length)
    assert after.passages == fresh.passages == before.passages + len(sample_docs[3].passages)
    if sample == 3:  # the first document's passages left the sample: others' took their place
        assert after.kind_lengths != before.kind_lengths
    searcher.close()
    fresh_searcher.close()


def test_whoosh_reads_a_segments_lengths_once(tmp_path, sample_docs, monkeypatch):
    index_dir = tmp_path / "index"
    _write(index_dir, "whoosh", sample_docs[:2], copy=False)
    searcher = open_searcher(index_dir, "whoosh")
    reads = []
    real = SegmentReader.stored_fields
    monkeypatch.setattr(SegmentReader, "stored_fields", lambda self, n: reads.append(n) or real(self, n))
    with searcher._lease() as state:
        reader = state[0].reader()
        reads.clear()
        once = searcher._sample_lengths(reader)
        read = len(reads)
        again = searcher._sample_lengths(reader)
    assert read == sum(len(d.passages) for d in sample_docs[:2])
    assert again == once and len(reads) == read  # nothing read the second time
    searcher.close()


def test_whoosh_after_deletions_in_a_kept_segment(tmp_path, sample_docs, monkeypatch):
    from indexer.writer import open_index

    monkeypatch.setattr(rescore, "SAMPLE", 5)
    index_dir = tmp_path / "index"
    _write(index_dir, "whoosh", sample_docs[:2], copy=False)
    searcher = open_searcher(index_dir, "whoosh")
    reads = []
    real = SegmentReader.stored_fields
    monkeypatch.setattr(SegmentReader, "stored_fields", lambda self, n: reads.append(n) or real(self, n))
    with searcher._lease() as state:
        reads.clear()
        before = searcher._rescore_stats(state[0])
    read_before = set(reads)
    writer = open_index(index_dir).writer()
    writer.delete_by_term("doc_id", sample_docs[0].doc_id)
    writer.commit(merge=False)  # the same segment, with deletions
    with searcher._lease() as state:
        leaves = state[0].reader().leaf_readers()
        reads.clear()
        after = searcher._rescore_stats(state[0])
    assert len(leaves) == 1 and reads and not read_before & set(reads)  # each passage read once
    fresh_searcher = open_searcher(index_dir, "whoosh")
    fresh = _stats(fresh_searcher, "whoosh")
    assert after.kind_lengths == pytest.approx(fresh.kind_lengths) != before.kind_lengths
    assert after.passages == fresh.passages < before.passages
    searcher.close()
    fresh_searcher.close()
