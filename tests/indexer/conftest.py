"""Shared fixtures: the real spaCy pipeline and a real index of the sample corpus (built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import read_document
from indexer.ner import EntityTagger
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
