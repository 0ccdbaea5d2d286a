"""The stored natural-query vocabulary (indexer.vocab_store), on both backends' real indexes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer import vocab_store
from indexer.backend import BACKENDS, open_searcher, open_writer
from indexer.query import Vocabulary
from indexer.schema import make_schema
from indexer.vocab_store import FILENAME, MAGIC, VocabError, VocabStore, stamp
from indexer.writer import activate, current_generation

SCHEMA = make_schema()
WORDS = ["returnees", "migration", "borders", "liberalisation", "smuggling", "frontex", "serbia", "zzyzzyva"]


def build(index_dir: Path, name: str, docs, entities, copy: bool = False):
    writer = open_writer(index_dir, name, copy=copy)
    for document, ents in zip(docs, entities, strict=True):
        writer.add_document(document, ents)
    writer.commit()
    activate(index_dir, writer.generation)
    return writer


def reader_of(searcher):
    """The term dictionary the backend's vocabulary reads (Whoosh reader or tantivy lexicon)."""
    searcher.search("migration")
    if searcher.name == "tantivy":
        return searcher._current().view.lexicon
    return searcher._current()[0].reader()


def vocab_of(searcher) -> Vocabulary:
    searcher.search("migration")
    state = searcher._current()
    return state.vocab if searcher.name == "tantivy" else state[3]


def same_answers(stored: Vocabulary, built: Vocabulary) -> None:
    assert {k: set(v) for k, v in stored.roots.items()} == dict(built.roots)
    assert set(stored.entities) == set(built.entities)
    assert len(stored.roots) == len(built.roots) and len(stored.entities) == len(built.entities)
    for word in WORDS:
        assert stored.variants(word, set()) == built.variants(word, set())
        assert stored.known_word(word) == built.known_word(word)
    assert stored.compound("pushed", "back") == built.compound("pushed", "back")
    for name in list(built.entities)[:20]:
        assert name in stored.entities
    assert "no such entity name" not in stored.entities


@pytest.fixture(params=BACKENDS)
def indexed(request, tmp_path, sample_docs, sample_entities):
    index_dir = tmp_path / "index"
    writer = build(index_dir, request.param, sample_docs[:3], sample_entities[:3])
    return request.param, index_dir, writer


def test_the_build_stores_the_vocabulary_a_pass_over_the_index_would_make(indexed):
    name, index_dir, writer = indexed
    gen = current_generation(index_dir)
    store = VocabStore(gen / FILENAME, SCHEMA, expect_stamp=stamp(gen))
    assert store.header["words"] == writer.vocab_counts["words"] > 100
    searcher = open_searcher(index_dir, name)
    stored = vocab_of(searcher)
    assert isinstance(stored.store, VocabStore)  # read from the file, not built at open
    same_answers(stored, Vocabulary(reader_of(searcher), SCHEMA))


def test_an_ingest_analyses_only_the_new_words_and_drops_the_gone_ones(indexed, sample_docs, sample_entities):
    name, index_dir, first = indexed
    before = VocabStore(current_generation(index_dir) / FILENAME, SCHEMA).entries()
    second = open_writer(index_dir, name, copy=True)
    second.delete_document(sample_docs[0].doc_id)
    second.add_document(sample_docs[3], sample_entities[3])
    second.commit()
    activate(index_dir, second.generation)
    after = VocabStore(second.generation / FILENAME, SCHEMA).entries()
    assert second.vocab_counts["analysed"] == len(set(after) - set(before)) > 0
    searcher = open_searcher(index_dir, name)
    same_answers(vocab_of(searcher), Vocabulary(reader_of(searcher), SCHEMA))
    # the live generation's file stays as it was (it was replaced by a rename, not written in place)
    assert VocabStore(first.generation / FILENAME, SCHEMA).entries() == before


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "flipped byte":
        at = len(data) - 40
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :])
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "not ours":
        path.write_bytes(b"hello\n")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "other format":
        end = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC) : end])
        header["format"] = 99
        path.write_bytes(MAGIC + json.dumps(header).encode() + data[end:])
    elif how == "other analysis":
        end = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC) : end])
        header["fingerprint"] = "0" * 40
        path.write_bytes(MAGIC + json.dumps(header).encode() + data[end:])
    elif how == "missing":
        path.unlink()


@pytest.mark.parametrize(
    "how", ["flipped byte", "truncated", "not ours", "empty", "other format", "other analysis", "missing"]
)
def test_a_damaged_or_foreign_file_is_refused_and_built_again(indexed, how):
    name, index_dir, _writer = indexed
    gen = current_generation(index_dir)
    path = gen / FILENAME
    good = path.read_bytes()
    damage(path, how)
    if path.exists():
        with pytest.raises((VocabError, OSError)):
            VocabStore(path, SCHEMA, expect_stamp=stamp(gen))
    searcher = open_searcher(index_dir, name)
    stored = vocab_of(searcher)
    same_answers(stored, Vocabulary(reader_of(searcher), SCHEMA))
    assert path.read_bytes() == good  # written back: the next process reads it again


def test_a_file_built_for_other_index_files_is_not_trusted(tmp_path, sample_docs, sample_entities):
    # the vocabulary of a one-document index put into a three-document one (same analysis)
    small = tmp_path / "small"
    build(small, "tantivy", sample_docs[:1], sample_entities[:1])
    big = tmp_path / "big"
    build(big, "tantivy", sample_docs[:3], sample_entities[:3])
    gen = current_generation(big)
    shutil.copy(current_generation(small) / FILENAME, gen / FILENAME)
    with pytest.raises(VocabError, match="other index files"):
        VocabStore(gen / FILENAME, SCHEMA, expect_stamp=stamp(gen))
    searcher = open_searcher(big, "tantivy")
    same_answers(vocab_of(searcher), Vocabulary(reader_of(searcher), SCHEMA))
    VocabStore(gen / FILENAME, SCHEMA, expect_stamp=stamp(gen))  # rebuilt for these files


def test_an_unwritable_generation_keeps_the_built_vocabulary_in_memory(indexed, monkeypatch):
    name, index_dir, _writer = indexed
    (current_generation(index_dir) / FILENAME).unlink()

    def refuse(path, data):
        raise PermissionError(f"read-only: {path}")

    monkeypatch.setattr(vocab_store, "_write", refuse)
    searcher = open_searcher(index_dir, name)
    stored = vocab_of(searcher)
    assert isinstance(stored.store, vocab_store.MemoryStore)
    same_answers(stored, Vocabulary(reader_of(searcher), SCHEMA))


def test_values_with_separators_round_trip(tmp_path):
    entries = [("tab\tword", "root\\x", ["a\tb", "c"]), ("line", "root\\x", ["d\ne"]), ("plain", "alpha", ["alpha"])]
    names = ["name\twith tab", "back\\slash", "new\nline", "ordinary"]
    (tmp_path / "seg").write_bytes(b"x")
    path = tmp_path / FILENAME
    path.write_bytes(vocab_store.encode(entries, names, SCHEMA, stamp(tmp_path)))
    store = VocabStore(path, SCHEMA, expect_stamp=stamp(tmp_path))
    assert dict(store.roots) == {"root\\x": {"a\tb", "c", "d\ne"}, "alpha": {"alpha"}}
    assert set(store.entities) == set(names) and all(n in store.entities for n in names)
    assert "name" not in store.entities and "root" not in store.roots
    assert store.entries()["tab\tword"] == ("root\\x", ("a\tb", "c"))


def test_whooshs_other_generation_writers_store_it_too(tmp_path, sample_docs, sample_entities):
    from indexer.writer import optimize_index, write_documents

    index_dir = tmp_path / "index"
    for doc, ents in zip(sample_docs[:3], sample_entities[:3], strict=True):
        write_documents(index_dir, [(doc, ents)])  # one generation per document: several segments
    optimize_index(index_dir)
    gen = current_generation(index_dir)
    store = VocabStore(gen / FILENAME, SCHEMA, expect_stamp=stamp(gen))
    searcher = open_searcher(index_dir, "whoosh")
    assert vocab_of(searcher).store.header == store.header
    same_answers(vocab_of(searcher), Vocabulary(reader_of(searcher), SCHEMA))


def test_the_tantivy_build_counts_the_faceted_fields_terms(tmp_path, sample_docs, sample_entities):
    from indexer.backend.tantivy_backend import FACETED

    index_dir = tmp_path / "index"
    build(index_dir, "tantivy", sample_docs[:3], sample_entities[:3])
    searcher = open_searcher(index_dir, "tantivy")
    searcher.search("migration")
    state = searcher._current()
    assert state.facet_terms == {f: len(state.view.lexicon._sorted(f)) for f in FACETED}
    assert state.facet_terms["doc_id"] == 3
