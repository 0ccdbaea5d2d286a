"""The document store: DATA/docs/<doc_id>.json and DATA/manifest.json.

Ingest stages its changes in DATA/.staging/<generation>/ and they are applied once that
index generation is live, so documents and index stay consistent after a crash.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.clean import fold
from corpus.models import Document
from corpus.works import WorkPart, WorksIndex, document_parts

from .ner import Entity
from .writer import current_generation

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_log = logging.getLogger(__name__)


def doc_version(entry: dict[str, Any] | StoredDocument | None) -> str:
    """What names one version of a document (its ingest time and content hash), as the
    works index records it."""
    if isinstance(entry, StoredDocument):
        return f"{entry.ingested_at}\t{entry.source_hash}"
    entry = entry or {}
    return f"{entry.get('ingested_at') or ''}\t{entry.get('source_hash') or ''}"


@dataclass
class StoredDocument:
    """A document as ingested, with its entities."""

    document: Document
    entities: list[Entity]
    ingested_at: str
    source_hash: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (the docs/<doc_id>.json content)."""
        return {
            "document": self.document.to_dict(),
            "entities": [e.to_dict() for e in self.entities],
            "ingested_at": self.ingested_at,
            "source_hash": self.source_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredDocument:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            document=Document.from_dict(data["document"]),
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            ingested_at=data.get("ingested_at", ""),
            source_hash=data.get("source_hash", ""),
        )

    def summary(self) -> DocumentSummary:
        """The manifest/list view of this document."""
        doc = self.document
        return DocumentSummary(
            doc_id=doc.doc_id,
            title=doc.title,
            format=doc.format,
            source_path=doc.source_path,
            pages=doc.pages,
            word_count=doc.word_count,
            passages=len(doc.passages),
            footnotes=len(doc.footnotes),
            entities=len(self.entities),
            ingested_at=self.ingested_at,
            source_hash=self.source_hash,
        )


@dataclass
class DocumentSummary:
    """One row of the document list."""

    doc_id: str
    title: str
    format: str
    source_path: str
    pages: int | None
    word_count: int
    passages: int
    footnotes: int
    entities: int
    ingested_at: str
    source_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


@dataclass
class EntityCount:
    """An entity across the corpus: how often it is mentioned and in how many documents."""

    label: str
    canonical: str
    mentions: int
    documents: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def display_path(text: str) -> str:
    """``text`` (a path, or a name taken from one) safe to show, to store as UTF-8 and to index.

    A file name that is not valid UTF-8 comes from the OS as surrogate escapes (``os.fsdecode``);
    each byte that is not UTF-8 is then written as ``\\xNN``, as Python shows it
    (``caf\\xe9.txt``). Valid text is returned as it is.
    """
    if not isinstance(text, str):
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def source_fields(key: str) -> dict[str, str]:
    """Manifest fields for a source path: ``source_path`` to show, and ``source_bytes`` (hex
    of the name's bytes) when the name is not UTF-8, so the file is found again."""
    shown = display_path(key)
    fields = {"source_path": shown}
    if shown != key:
        with contextlib.suppress(UnicodeError):
            fields["source_bytes"] = os.fsencode(key).hex()
    return fields


def source_key(entry: dict[str, Any]) -> str:
    """The path (as ``os.fsdecode`` gives it) of a manifest entry's source file."""
    raw = entry.get("source_bytes")
    if raw:
        with contextlib.suppress(ValueError):
            return os.fsdecode(bytes.fromhex(raw))
    return entry.get("source_path") or ""


def write_json(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and os.replace (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(data, ensure_ascii=False)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: JSON escapes keep it, and the file valid
        encoded = json.dumps(data, ensure_ascii=True).encode("ascii")
    with open(tmp, "wb") as handle:
        handle.write(encoded)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class _ManifestView:
    """One version of the manifest, parsed, with the document list made from it on first use."""

    def __init__(self, stamp: Any, documents: dict[str, dict[str, Any]]) -> None:
        self.stamp = stamp
        self.documents = documents
        self._lock = threading.Lock()
        self._summaries: list[DocumentSummary] | None = None
        self._haystacks: list[str] | None = None

    def summaries(self) -> list[DocumentSummary]:
        with self._lock:
            if self._summaries is None:
                names = DocumentSummary.__dataclass_fields__
                self._summaries = [
                    DocumentSummary(**{k: v for k, v in entry.items() if k in names})
                    for _doc_id, entry in sorted(self.documents.items())
                ]
            return self._summaries

    def haystacks(self) -> list[str]:
        """Per summary, the folded text a document search looks in: title, id, file name."""
        rows = self.summaries()
        with self._lock:
            if self._haystacks is None:
                self._haystacks = [
                    fold(f"{s.title}\n{s.doc_id}\n{os.path.basename(s.source_path or '')}") for s in rows
                ]
            return self._haystacks


class DocumentStore:
    """Reads and writes the documents of a data directory."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.root = Path(data_dir)
        self.docs_dir = self.root / "docs"
        self.manifest_path = self.root / "manifest.json"
        self.staging_dir = self.root / ".staging"
        self._entity_cache: tuple[Any, list[EntityCount]] | None = None
        self._lock = threading.Lock()
        #: the parsed manifest and what is derived from it, for the file version it was read from
        self._cached: _ManifestView | None = None
        #: the works index (DATA/works.db), and the manifest version it was last checked against
        self.works_path = self.root / "works.db"
        self._works: WorksIndex | None = None
        self._works_checked: Any = None
        self._works_lock = threading.Lock()
        self.recover(discard=False)

    # reading -----------------------------------------------------------------
    def _stamp(self) -> tuple[int, int, int, int] | None:
        """What identifies the manifest file's version: device, inode, size, mtime (ns).

        Every write replaces the file (``os.replace`` of a new one), so its inode changes
        even when the clock is too coarse for the mtime to.
        """
        try:
            info = os.stat(self.manifest_path)
        except FileNotFoundError:
            return None
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)

    def _view(self) -> _ManifestView:
        """The parsed manifest of the file as it is now, read only when the file changed."""
        stamp = self._stamp()
        with self._lock:
            cached = self._cached
            if cached is not None and cached.stamp == stamp:
                return cached
        documents: dict[str, dict[str, Any]] = {}
        if stamp is not None:
            try:
                with open(self.manifest_path, encoding="utf-8") as handle:
                    documents = json.load(handle).get("documents", {})
            except FileNotFoundError:  # replaced between the stat and the open: read it next time
                stamp = None
        view = _ManifestView(stamp, documents)
        with self._lock:
            self._cached = view
        return view

    def invalidate(self) -> None:
        """Forget the parsed manifest (the next read parses the file again)."""
        with self._lock:
            self._cached = None

    def manifest(self) -> dict[str, dict[str, Any]]:
        """doc_id -> summary fields (source_path, source_hash, ingested_at, title, ...).

        Parsed once per version of the file; the mapping is the caller's own (a shallow
        copy), the entries are shared and must not be changed in place.
        """
        return dict(self._view().documents)

    def entry(self, doc_id: str) -> dict[str, Any] | None:
        """The manifest entry of one document (shared: do not change it), or None."""
        return self._view().documents.get(doc_id)

    def count(self) -> int:
        """How many documents the store holds."""
        return len(self._view().documents)

    def version(self) -> Any:
        """A value that changes whenever the document list does (for caches built on it)."""
        return self._view().stamp

    def find(self, text: str, offset: int = 0, limit: int = 20) -> tuple[builtins.list[DocumentSummary], int]:
        """(summaries of the documents whose title, id or source file name contain every word
        of ``text``, case and accents ignored, by doc_id, from ``offset``, at most ``limit``;
        how many match in all). Empty ``text`` lists every document."""
        view = self._view()
        words = fold(text or "").split()
        if not words:
            rows = view.summaries()
            return rows[offset : offset + limit], len(rows)
        found = [s for s, hay in zip(view.summaries(), view.haystacks(), strict=True) if all(w in hay for w in words)]
        return found[offset : offset + limit], len(found)

    def get(self, doc_id: str) -> StoredDocument | None:
        """The stored document, or None if there is none with this id."""
        if not _SAFE_ID.match(doc_id or ""):
            return None
        try:
            with open(self.docs_dir / f"{doc_id}.json", encoding="utf-8") as handle:
                return StoredDocument.from_dict(json.load(handle))
        except FileNotFoundError:
            return None

    def summaries(self) -> builtins.list[DocumentSummary]:
        """Summaries of all documents, by doc_id (made once per manifest version; shared)."""
        return builtins.list(self._view().summaries())

    def entity_index(self) -> builtins.list[EntityCount]:
        """Every (label, canonical) entity with mentions and documents, most mentioned first."""
        stamp = self._stamp()
        if self._entity_cache and self._entity_cache[0] == stamp:
            return self._entity_cache[1]
        mentions: dict[tuple[str, str], int] = defaultdict(int)
        docs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for doc_id in self.manifest():
            stored = self.get(doc_id)
            for entity in stored.entities if stored else []:
                key = (entity.label, entity.canonical)
                mentions[key] += 1
                docs[key].add(doc_id)
        result = [EntityCount(k[0], k[1], n, sorted(docs[k])) for k, n in mentions.items()]
        result.sort(key=lambda e: (-e.mentions, e.label, e.canonical))
        self._entity_cache = (stamp, result)
        return result

    def works_index(self) -> WorksIndex:
        """The works index (corpus.works.WorksIndex), holding every document of the manifest.

        Ingest keeps DATA/works.db up to date as it applies a generation's documents; here it
        is checked once per manifest version against the documents' versions, and a document
        it lacks or holds in another version (a data directory older than the file, a write
        that failed) is read and put in, so the index is right even when the file is missing.
        When the file cannot be written (a read-only data directory), the index is built in
        memory for this process."""
        view = self._view()
        with self._works_lock:
            if self._works is not None and self._works_checked == view.stamp and view.stamp is not None:
                return self._works
            if self._works is None:
                self._works = WorksIndex(self.works_path)
            try:
                self._bring_up_to_date(self._works, view.documents)
            except (sqlite3.Error, OSError) as exc:
                _log.warning("works index %s cannot be written (%s): built in memory", self.works_path, exc)
                self._works = WorksIndex(":memory:")
                self._bring_up_to_date(self._works, view.documents)
            self._works_checked = view.stamp
            return self._works

    def _bring_up_to_date(self, index: WorksIndex, documents: dict[str, dict[str, Any]]) -> None:
        held = index.versions()
        changes: dict[str, Any] = {doc_id: None for doc_id in held.keys() - documents.keys()}
        for doc_id, entry in documents.items():
            version = doc_version(entry)
            if held.get(doc_id) != version:
                stored = self.get(doc_id)
                changes[doc_id] = (version, document_parts(stored.document) if stored is not None else {})
        index.update(changes)

    # writing -----------------------------------------------------------------
    def put(self, stored: StoredDocument) -> None:
        """Write one document now and record it in the manifest (and the works index)."""
        doc_id = stored.document.doc_id
        write_json(self.docs_dir / f"{doc_id}.json", stored.to_dict())
        manifest = self.manifest()
        manifest[doc_id] = stored.summary().to_dict()
        write_json(self.manifest_path, {"version": 1, "documents": manifest})
        self.invalidate()
        self._update_works({doc_id: (doc_version(stored), document_parts(stored.document))})

    def _update_works(self, changes: dict[str, Any]) -> None:
        """Apply changes to DATA/works.db; a failure is logged (the next check mends it)."""
        try:
            index = WorksIndex(self.works_path)
            try:
                index.update(changes)
            finally:
                index.close()
        except (sqlite3.Error, OSError) as exc:
            _log.warning("works index %s not updated (%s); it is mended when next read", self.works_path, exc)

    def stage(
        self,
        generation: str,
        changed: builtins.list[StoredDocument],
        removed: builtins.list[str],
        manifest: dict[str, dict[str, Any]],
    ) -> None:
        """Stage changes to apply once index generation ``generation`` is live."""
        self.discard_stage(generation)
        for stored in changed:
            self.stage_document(generation, stored)
        self.finish_stage(generation, removed, manifest)

    def stage_document(self, generation: str, stored: StoredDocument) -> None:
        """Stage one changed document for ``generation`` (see :meth:`finish_stage`)."""
        doc_id = stored.document.doc_id
        write_json(self.staging_dir / generation / "docs" / f"{doc_id}.json", stored.to_dict())
        parts = {key: part.to_dict() for key, part in document_parts(stored.document).items()}
        write_json(self.staging_dir / generation / "works" / f"{doc_id}.json", [doc_version(stored), parts])

    def finish_stage(self, generation: str, removed: builtins.list[str], manifest: dict[str, dict[str, Any]]) -> None:
        """Complete the staging of ``generation``: removals, the new manifest, then READY."""
        target = self.staging_dir / generation
        write_json(target / "removed.json", removed)
        write_json(target / "manifest.json", {"version": 1, "documents": manifest})
        write_json(target / "READY", True)

    def discard_stage(self, generation: str) -> None:
        """Forget whatever is staged for ``generation``."""
        shutil.rmtree(self.staging_dir / generation, ignore_errors=True)

    def recover(self, discard: bool = True) -> None:
        """Apply staged changes of the live generation; drop others when ``discard``."""
        if not self.staging_dir.is_dir():
            return
        live = current_generation(self.root / "index")
        for staged in sorted(self.staging_dir.iterdir()):
            if live is not None and staged.name == live.name and (staged / "READY").exists():
                self._apply(staged)
            elif discard:
                shutil.rmtree(staged, ignore_errors=True)

    def _apply(self, staged: Path) -> None:
        self.docs_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted((staged / "docs").glob("*.json")):
            with contextlib.suppress(FileNotFoundError):  # another process applied it
                os.replace(path, self.docs_dir / path.name)
        try:
            removed = json.loads((staged / "removed.json").read_text(encoding="utf-8"))
            for doc_id in removed:
                (self.docs_dir / f"{doc_id}.json").unlink(missing_ok=True)
            os.replace(staged / "manifest.json", self.manifest_path)
        except FileNotFoundError:
            pass
        self.invalidate()
        self._apply_works(staged)
        shutil.rmtree(staged, ignore_errors=True)

    def _apply_works(self, staged: Path) -> None:
        """Put the staged documents' works parts, and the removals, in the works index (again,
        harmlessly, when a crash came between this and the staging directory's removal)."""
        changes: dict[str, Any] = {}
        with contextlib.suppress(FileNotFoundError, ValueError):
            for doc_id in json.loads((staged / "removed.json").read_text(encoding="utf-8")):
                changes[doc_id] = None
        for path in sorted((staged / "works").glob("*.json")):
            try:
                version, parts = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # the check on reading puts this document in from the store
            changes[path.stem] = (version, {key: WorkPart.from_dict(data) for key, data in parts.items()})
        self._update_works(changes)
