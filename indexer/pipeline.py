"""Ingest: read files, tag entities, index passages, store documents; incremental and crash-safe."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from tqdm import tqdm
from whoosh import index as whoosh_index

import corpus
from corpus.models import Document

from .ner import Entity, EntityTagger
from .store import DocumentStore, StoredDocument
from .writer import (
    activate, add_document, clear_journal, delete_document, document_tags, new_generation,
    open_index, replay_tags, swap_lock,
)


class IngestLocked(RuntimeError):
    """Another ingest holds the data directory."""


@dataclass
class IngestReport:
    """What an ingest did, per document id (failed: source path and reason)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    tagger: str = ""
    fallback: bool = False
    passages: int = 0
    entities: int = 0
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        data = asdict(self)
        data["failed"] = [{"path": p, "reason": r} for p, r in self.failed]
        return data


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Lock:
    """An exclusive, non-blocking lock on DATA/ingest.lock (released by the OS if we die)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "ingest.lock"

    def __enter__(self) -> "_Lock":
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            owner = self.handle.read().strip() or "?"
            self.handle.close()
            raise IngestLocked(
                f"Another ingest is already running on {self.path.parent} (pid {owner}); "
                "wait for it to finish"
            ) from None
        self.handle.truncate(0)
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *exc: Any) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _files(paths: Iterable[str | os.PathLike], report: IngestReport) -> list[Path]:
    """Supported files under ``paths``; missing or unreadable paths go to ``report.failed``."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            report.failed.append((str(path), "no such file or directory"))
            continue
        try:
            found.extend(Path(p) for p in corpus.iter_files([path]))
        except Exception as exc:  # a broken directory must not stop the others
            report.failed.append((str(path), f"cannot list files: {exc}"))
    return list(dict.fromkeys(p.resolve() for p in found))


def _read(path: Path, doc_id: str) -> Document:
    """Read one document, mapping any failure to corpus.ReadError with a reason."""
    try:
        return corpus.read_document(path, doc_id)
    except corpus.ReadError:
        raise
    except Exception as exc:  # reader bugs fail this file alone
        raise corpus.ReadError(f"unexpected error while reading: {type(exc).__name__}: {exc}") from exc


def ingest(paths: Sequence[str | os.PathLike], data_dir: str | os.PathLike, workers: int = 1,
           prune: bool = False, progress: bool = True, model: str | None = None) -> IngestReport:
    """Bring the index and document store of ``data_dir`` up to date with ``paths``."""
    began = time.perf_counter()
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    with _Lock(data):
        store = DocumentStore(data)
        store.recover(discard=True)
        manifest = store.manifest()
        by_path = {entry.get("source_path"): doc_id for doc_id, entry in manifest.items()}
        taken = set(manifest)
        todo: list[tuple[Document, str, bool, str]] = []  # document, hash, is_new, path
        files = _files(paths, report)
        for path in tqdm(files, desc="reading", unit="file", file=sys.stderr, disable=not progress):
            key = str(path)
            try:
                digest = file_hash(path)
            except OSError as exc:
                report.failed.append((key, f"cannot read file: {exc.strerror or exc}"))
                continue
            doc_id = by_path.get(key)
            if doc_id is not None and manifest[doc_id].get("source_hash") == digest:
                report.unchanged.append(doc_id)
                continue
            if doc_id is None:
                doc_id = corpus.make_doc_id(path.stem, taken)
            try:
                document = _read(path, doc_id)
            except corpus.ReadError as exc:
                report.failed.append((key, str(exc) or "unreadable file"))
                continue
            document.doc_id = doc_id
            taken.add(doc_id)
            todo.append((document, digest, doc_id not in manifest, key))
        seen = {str(p) for p in files}
        if prune:
            report.pruned = sorted(
                doc_id for doc_id, entry in manifest.items()
                if entry.get("source_path") not in seen and not Path(entry.get("source_path", "")).exists()
            )
        entities = _tag([t[0] for t in todo], workers, model, progress, report)
        if todo or report.pruned:
            _commit(data, store, manifest, todo, entities, report)
    report.elapsed = round(time.perf_counter() - began, 3)
    return report


def _tag(documents: list[Document], workers: int, model: str | None, progress: bool,
         report: IngestReport) -> list[list[Entity]]:
    """Entities of every document (one nlp.pipe stream over all their passages)."""
    if not documents:
        report.tagger = "not loaded (nothing to tag)"
        return []
    tagger = EntityTagger(model, workers=workers)
    report.tagger, report.fallback = tagger.description, tagger.fallback
    if progress:
        print(f"entity tagger: {tagger.description}", file=sys.stderr)
    out: list[list[Entity]] = [[] for _ in documents]
    bar = tqdm(total=len(documents), desc="tagging", unit="doc", file=sys.stderr, disable=not progress)
    for index, found in tagger.iter_tag(documents):
        out[index] = found
        bar.update(1)
    bar.close()
    return out


def _commit(data: Path, store: DocumentStore, manifest: dict[str, dict[str, Any]],
            todo: list[tuple[Document, str, bool, str]], entities: list[list[Entity]],
            report: IngestReport) -> None:
    """Write a new index generation and staged documents, then swap both in."""
    index_dir = data / "index"
    old = open_index(index_dir)
    generation = new_generation(index_dir, copy=True)
    ix = whoosh_index.open_dir(str(generation))
    writer = ix.writer(limitmb=128)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    changed: list[StoredDocument] = []
    for (document, digest, is_new, key), found in zip(todo, entities):
        tags: dict[int, list[str]] = {}
        if not is_new:
            by_text = document_tags(old, document.doc_id) if old is not None else {}
            for passage in document.passages:
                if document.passage_text(passage) in by_text:
                    tags[passage.ordinal] = by_text[document.passage_text(passage)]
            delete_document(writer, document.doc_id)
        report.passages += add_document(writer, document, found, tags)
        report.entities += len(found)
        (report.added if is_new else report.updated).append(document.doc_id)
        stored = StoredDocument(document, found, now, digest)
        changed.append(stored)
        entry = stored.summary().to_dict()
        entry["source_path"] = key
        manifest[document.doc_id] = entry
    for doc_id in report.pruned:
        delete_document(writer, doc_id)
        manifest.pop(doc_id, None)
    writer.commit()
    store.stage(generation.name, changed, report.pruned, manifest)
    with swap_lock(index_dir):
        replay_tags(index_dir, generation, {s.document.doc_id for s in changed} | set(report.pruned))
        activate(index_dir, generation)
        clear_journal(index_dir)
    store.recover(discard=True)
