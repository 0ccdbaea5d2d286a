"""Ingest: read files, tag entities, index passages, store documents; incremental and crash-safe."""

from __future__ import annotations

import fcntl
import hashlib
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from tqdm import tqdm
from whoosh import index as whoosh_index

import corpus
from corpus.models import Document

from .ner import EntityTagger
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
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    with _Lock(data):
        store = DocumentStore(data)
        store.recover(discard=True)
        manifest = store.manifest()
        plan = _plan(_files(paths, report), manifest, report)
        if prune:
            seen = {key for key, _, _ in plan} | {
                manifest[d].get("source_path") for d in report.unchanged}
            report.pruned = sorted(
                doc_id for doc_id, entry in manifest.items()
                if entry.get("source_path") not in seen
                and not Path(entry.get("source_path") or "").exists()
            )
        if plan or report.pruned:
            _run(data, store, manifest, plan, workers, model, progress, report)
        else:
            report.tagger = "not loaded (nothing to tag)"
    report.elapsed = round(time.perf_counter() - began, 3)
    return report


def _plan(files: list[Path], manifest: dict[str, dict[str, Any]],
          report: IngestReport) -> list[tuple[str, str, str]]:
    """(path, content hash, doc id) of the files that are new or changed; ids stay stable."""
    by_path = {entry.get("source_path"): doc_id for doc_id, entry in manifest.items()}
    taken = set(manifest)
    plan = []
    for path in files:
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
            taken.add(doc_id)
        plan.append((key, digest, doc_id))
    return plan


class _IndexWriter(threading.Thread):
    """Adds tagged documents to the new generation in a thread, overlapping with NER."""

    def __init__(self, writer: Any, old: Any) -> None:
        super().__init__(daemon=True)
        self.writer, self.old = writer, old
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.passages = 0

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue
            document, found, is_new = item
            try:
                tags: dict[int, list[str]] = {}
                if not is_new:
                    by_text = document_tags(self.old, document.doc_id) if self.old is not None else {}
                    for passage in document.passages:
                        text = document.passage_text(passage)
                        if text in by_text:
                            tags[passage.ordinal] = by_text[text]
                    delete_document(self.writer, document.doc_id)
                self.passages += add_document(self.writer, document, found, tags)
            except BaseException as exc:  # re-raised in the ingesting thread
                self.error = exc


def _run(data: Path, store: DocumentStore, manifest: dict[str, dict[str, Any]],
         plan: list[tuple[str, str, str]], workers: int, model: str | None, progress: bool,
         report: IngestReport) -> None:
    """Read, tag and index the planned files into a new generation, then swap it in."""
    index_dir = data / "index"
    old = open_index(index_dir)
    generation = new_generation(index_dir, copy=True)
    writer = whoosh_index.open_dir(str(generation)).writer(limitmb=128)
    tagger = EntityTagger(model, workers=workers)
    report.tagger, report.fallback = tagger.description, tagger.fallback
    if progress:
        print(f"entity tagger: {tagger.description}", file=sys.stderr)
    bar = tqdm(total=len(plan), desc="ingesting", unit="file", file=sys.stderr, disable=not progress)
    info: dict[str, tuple[str, str]] = {}  # doc_id -> (path, hash)

    def documents() -> Iterator[Document]:
        for key, digest, doc_id in plan:
            try:
                document = _read(Path(key), doc_id)
            except corpus.ReadError as exc:
                report.failed.append((key, str(exc) or "unreadable file"))
                bar.update(1)
                continue
            document.doc_id = doc_id
            info[doc_id] = (key, digest)
            yield document

    thread = _IndexWriter(writer, old)
    thread.start()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    changed: list[StoredDocument] = []
    try:
        for document, found in tagger.stream(documents()):
            is_new = document.doc_id not in manifest
            thread.queue.put((document, found, is_new))
            key, digest = info[document.doc_id]
            stored = StoredDocument(document, found, now, digest)
            changed.append(stored)
            entry = stored.summary().to_dict()
            entry["source_path"] = key
            manifest[document.doc_id] = entry
            (report.added if is_new else report.updated).append(document.doc_id)
            report.entities += len(found)
            bar.update(1)
            if thread.error is not None:
                break
    finally:
        thread.queue.put(None)
        thread.join()
        bar.close()
    if thread.error is not None:
        writer.cancel()
        raise thread.error
    report.passages = thread.passages
    for doc_id in report.pruned:
        delete_document(writer, doc_id)
        manifest.pop(doc_id, None)
    if not changed and not report.pruned:
        writer.cancel()
        shutil.rmtree(generation, ignore_errors=True)
        return
    writer.commit()
    store.stage(generation.name, changed, report.pruned, manifest)
    with swap_lock(index_dir):
        replay_tags(index_dir, generation, {s.document.doc_id for s in changed} | set(report.pruned))
        activate(index_dir, generation)
        clear_journal(index_dir)
    store.recover(discard=True)
