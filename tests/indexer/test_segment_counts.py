"""indexer.whoosh_internals.segment_counts: the segments of a real index on disk, through
Whoosh's private segment list and through its public reader (the fallback), which agree."""

from __future__ import annotations

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema

from indexer import whoosh_internals
from indexer.whoosh_internals import _public_segment_counts, segment_counts


@pytest.fixture
def ix(tmp_path):
    index = whoosh_index.create_in(str(tmp_path), Schema(key=ID(unique=True, stored=True), body=TEXT))
    yield index
    index.close()


def _add(ix, *keys: str) -> None:
    writer = ix.writer()
    for key in keys:
        writer.add_document(key=key, body=f"passage {key}")
    writer.commit(merge=False)


def test_counts_agree_on_an_empty_index_segments_and_deletions(ix):
    assert segment_counts(ix) == _public_segment_counts(ix) == (0, False)
    _add(ix, "a", "b")
    _add(ix, "c")
    assert segment_counts(ix) == _public_segment_counts(ix) == (2, False)
    writer = ix.writer()
    writer.delete_by_term("key", "a")
    writer.commit(merge=False)
    assert segment_counts(ix) == _public_segment_counts(ix) == (2, True)


def test_falls_back_to_the_public_reader_when_the_private_name_changes(ix, monkeypatch):
    _add(ix, "a")
    _add(ix, "b")

    def broken():
        raise AttributeError("'FileIndex' has no attribute 'segments' in this release")

    monkeypatch.setattr(ix, "_segments", broken)
    assert segment_counts(ix) == (2, False)
    monkeypatch.delattr(ix, "_segments")
    monkeypatch.delattr(type(ix), "_segments")
    assert not hasattr(ix, "_segments")
    assert segment_counts(ix) == (2, False)


def test_optimize_index_uses_it(tmp_path, monkeypatch):
    from indexer.writer import activate, new_generation, optimize_index

    root = tmp_path / "index"
    for key in ("a", "b", "c"):
        generation = new_generation(root, copy=True)
        index = whoosh_index.open_dir(str(generation))
        writer = index.writer()
        writer.add_document(pid=key, doc_id=key, text=f"passage {key}")
        writer.commit(merge=False)
        activate(root, generation)
    calls = []
    real = whoosh_internals.segment_counts

    def counting(index):
        calls.append(index)
        return real(index)

    monkeypatch.setattr("indexer.writer.segment_counts", counting)
    assert optimize_index(root) == (3, 1)
    assert len(calls) == 2
