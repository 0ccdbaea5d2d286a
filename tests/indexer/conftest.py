"""Shared fixtures: the real spaCy pipeline and a real index of the sample corpus (built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import read_document
from indexer.backend import BACKENDS, open_searcher, open_writer
from indexer.ner import EntityTagger
from indexer.writer import activate
from tests.common.indexing import build_index

CORPUS = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus"


@pytest.fixture(scope="session")
def tagger() -> EntityTagger:
    return EntityTagger()


@pytest.fixture(scope="session")
def sample_docs():
    return [read_document(p) for p in sorted(CORPUS.glob("0*.txt"))]


@pytest.fixture(scope="session")
def sample_entities(tagger, sample_docs):
    return tagger.tag(sample_docs)


@pytest.fixture(scope="session")
def sample_searcher(tmp_path_factory, sample_docs, sample_entities):
    root = tmp_path_factory.mktemp("sample-index")
    searcher = build_index(root / "index", sample_docs, entities=sample_entities)
    yield searcher
    searcher.close()


@pytest.fixture(scope="module")
def backends(tmp_path_factory, sample_docs, sample_entities):
    """Each backend's searcher over the same sample corpus, written through its own writer
    (one pair per test module, so no module sees another's changes)."""
    out = {}
    for name in BACKENDS:
        index_dir = tmp_path_factory.mktemp(f"backend-{name}") / "index"
        writer = open_writer(index_dir, name, copy=False)
        for document, entities in zip(sample_docs, sample_entities, strict=True):
            writer.add_document(document, entities)
        writer.commit()
        activate(index_dir, writer.generation)
        out[name] = open_searcher(index_dir, name)
    yield out
    for searcher in out.values():
        searcher.close()


@pytest.fixture(params=BACKENDS)
def backend(request, backends):
    """One backend's searcher (each test runs on both)."""
    return backends[request.param]
