"""Build real temporary indexes for tests (like whoosh.util.testing), on the suite's backend
(tests/common/backend.py: ``GLOSSA_TEST_BACKEND``) unless a test names one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from corpus.builder import Block, DocumentBuilder
from corpus.models import Document, Footnote
from indexer.backend import SearchBackend
from indexer.ner import Entity, EntityTagger
from tests.common.backend import searcher_for_tests, write_index


def make_document(
    doc_id: str,
    paragraphs: Sequence[str],
    title: str | None = None,
    notes: dict[str, str] | None = None,
    marks: dict[int, list[tuple[int, str]]] | None = None,
) -> Document:
    """A Document from plain paragraphs (optionally footnotes and marks per paragraph index)."""
    builder = DocumentBuilder()
    for i, text in enumerate(paragraphs):
        builder.add(Block(text=text, page=1 + i // 3, marks=list((marks or {}).get(i, []))))
    footnotes = [Footnote(number=n, text=t) for n, t in (notes or {}).items()]
    return builder.build(
        doc_id=doc_id, title=title or doc_id, footnotes=footnotes, source_path=f"/tmp/{doc_id}.txt", format="txt"
    )


def build_index(
    index_dir: str | Path,
    documents: Sequence[Document],
    tagger: EntityTagger | None = None,
    entities: Sequence[Sequence[Entity]] | None = None,
    backend: str | None = None,
) -> SearchBackend:
    """Tag (unless entities are given) and index ``documents`` into ``index_dir`` on ``backend``
    (None: the suite's); its searcher."""
    if entities is None:
        entities = (tagger or EntityTagger()).tag(documents)
    write_index(index_dir, list(zip(documents, entities, strict=False)), backend)
    return searcher_for_tests(index_dir, backend)


@contextmanager
def temp_index(
    documents: Sequence[Document],
    tagger: EntityTagger | None = None,
    entities: Sequence[Sequence[Entity]] | None = None,
    backend: str | None = None,
) -> Iterator[SearchBackend]:
    """A searcher over a temporary on-disk index of ``documents`` on ``backend`` (None: the
    suite's), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="glossa-index-"))
    searcher = build_index(root / "index", documents, tagger, entities, backend)
    try:
        yield searcher
    finally:
        searcher.close()
        shutil.rmtree(root, ignore_errors=True)
