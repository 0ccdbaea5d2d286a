"""The document store: DATA/docs/<doc_id>.json and DATA/manifest.json.

Ingest stages its changes in DATA/.staging/<generation>/ and they are applied once that
index generation is live, so documents and index stay consistent after a crash.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import shutil
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.models import Document

from .ner import Entity
from .writer import current_generation

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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


class DocumentStore:
    """Reads and writes the documents of a data directory."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.root = Path(data_dir)
        self.docs_dir = self.root / "docs"
        self.manifest_path = self.root / "manifest.json"
        self.staging_dir = self.root / ".staging"
        self._entity_cache: tuple[float, list[EntityCount]] | None = None
        self.recover(discard=False)

    # reading -----------------------------------------------------------------
    def manifest(self) -> dict[str, dict[str, Any]]:
        """doc_id -> summary fields (source_path, source_hash, ingested_at, title, ...)."""
        try:
            with open(self.manifest_path, encoding="utf-8") as handle:
                return json.load(handle).get("documents", {})
        except FileNotFoundError:
            return {}

    def get(self, doc_id: str) -> StoredDocument | None:
        """The stored document, or None if there is none with this id."""
        if not _SAFE_ID.match(doc_id or ""):
            return None
        try:
            with open(self.docs_dir / f"{doc_id}.json", encoding="utf-8") as handle:
                return StoredDocument.from_dict(json.load(handle))
        except FileNotFoundError:
            return None

    def summaries(self) -> list[DocumentSummary]:
        """Summaries of all documents, by doc_id."""
        names = DocumentSummary.__dataclass_fields__
        rows = []
        for _doc_id, entry in sorted(self.manifest().items()):
            rows.append(DocumentSummary(**{k: v for k, v in entry.items() if k in names}))
        return rows

    def entity_index(self) -> builtins.list[EntityCount]:
        """Every (label, canonical) entity with mentions and documents, most mentioned first."""
        stamp = self.manifest_path.stat().st_mtime if self.manifest_path.exists() else 0.0
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

    # writing -----------------------------------------------------------------
    def put(self, stored: StoredDocument) -> None:
        """Write one document now and record it in the manifest."""
        doc_id = stored.document.doc_id
        write_json(self.docs_dir / f"{doc_id}.json", stored.to_dict())
        manifest = self.manifest()
        manifest[doc_id] = stored.summary().to_dict()
        write_json(self.manifest_path, {"version": 1, "documents": manifest})

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
        write_json(self.staging_dir / generation / "docs" / f"{stored.document.doc_id}.json", stored.to_dict())

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
        shutil.rmtree(staged, ignore_errors=True)
