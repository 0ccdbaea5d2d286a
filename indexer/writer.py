"""Writing passages to the index; index generations swapped atomically through a CURRENT file.

Layout of ``index_dir``: ``CURRENT`` names the live generation directory (``gen-000042``),
each generation is a complete Whoosh index. Writers copy the live generation, change the
copy, then :func:`activate` it with one ``os.replace``; a killed writer leaves the old one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import Index

from corpus.models import Document

from .ner import Entity
from .schema import ENTITY_FIELDS, VALUE_SEP, make_schema

CURRENT = "CURRENT"
JOURNAL = "tags.journal"


def current_generation(index_dir: str | os.PathLike) -> Path | None:
    """The live generation directory, or None when there is no index yet."""
    pointer = Path(index_dir) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = Path(index_dir) / name
    return path if name and path.is_dir() else None


def open_index(index_dir: str | os.PathLike) -> Index | None:
    """Open the live generation, or None when there is none."""
    gen = current_generation(index_dir)
    return whoosh_index.open_dir(str(gen)) if gen is not None else None


def new_generation(index_dir: str | os.PathLike, copy: bool = True) -> Path:
    """Create the next generation directory: a copy of the live one, or an empty index."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    path = root / f"gen-{max(numbers, default=0) + 1:06d}"
    live = current_generation(root)
    if copy and live is not None:
        shutil.copytree(live, path, ignore=shutil.ignore_patterns("*.lock", "*_LOCK"))
    else:
        path.mkdir()
        whoosh_index.create_in(str(path), make_schema())
    return path


def activate(index_dir: str | os.PathLike, generation: Path) -> None:
    """Make ``generation`` live atomically; keep the previous one, drop older or orphaned ones."""
    root = Path(index_dir)
    previous = current_generation(root)
    tmp = root / f".{CURRENT}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(generation.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT)
    keep = {generation.name, previous.name if previous else ""}
    for old in root.glob("gen-*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def swap_lock(index_dir: str | os.PathLike) -> Iterator[None]:
    """Serialise in-place updates of the live generation with generation swaps."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".swap.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def clean_tag(tag: str) -> str:
    """A tag as indexed: lowercase, single spaces, no commas (they separate tags)."""
    return " ".join(str(tag).replace(",", " ").lower().split())


def _entity_rows(entities: Iterable[Entity], start: int, end: int) -> list[list[Any]]:
    return [
        [e.start - start, e.end - start, e.label, e.canonical] for e in entities if e.start >= start and e.end <= end
    ]


def record_fields(base: dict[str, Any]) -> dict[str, Any]:
    """Complete a record from its stored fields (entity fields are derived from ``entities``)."""
    rows = json.loads(base.get("entities") or "[]")
    record = dict(base)
    for field, labels in ENTITY_FIELDS.items():
        names = sorted({row[3] for row in rows if row[2] in labels})
        record[field] = VALUE_SEP.join(names)
    record["entity"] = VALUE_SEP.join(sorted({row[3] for row in rows}))
    record["entity_types"] = VALUE_SEP.join(sorted({row[2] for row in rows}))
    record["ent_facet"] = VALUE_SEP.join(sorted({f"{row[2]}\t{row[3]}" for row in rows}))
    if record.get("page") is None:
        record.pop("page", None)
    return record


def passage_records(
    document: Document,
    entities: Sequence[Entity],
    tags: dict[int, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """One index record per passage of ``document``."""
    ordered = sorted(entities, key=lambda e: e.start)
    records = []
    for passage in document.passages:
        notes = []
        cites: list[str] = []
        for number in passage.footnotes:
            note = document.footnote(number)
            if note is None:
                continue
            notes.append({"number": note.number, "text": note.text})
            cites.extend(r.work_key for r in note.references if r.work_key)
        base = {
            "pid": f"{document.doc_id}:{passage.ordinal}",
            "doc_id": document.doc_id,
            "title": document.title,
            "ordinal": passage.ordinal,
            "start": passage.start,
            "end": passage.end,
            "page": passage.page,
            "kind": passage.kind,
            "text": document.text[passage.start : passage.end],
            "entities": json.dumps(_entity_rows(ordered, passage.start, passage.end)),
            "fn": " ".join(passage.footnotes),
            "notes": json.dumps(notes),
            "notes_text": "\n".join(n["text"] for n in notes),
            "tags": ",".join(filter(None, map(clean_tag, (tags or {}).get(passage.ordinal, [])))),
            "cites": ",".join(dict.fromkeys(cites)),
        }
        records.append(record_fields(base))
    return records


def delete_document(writer: Any, doc_id: str) -> int:
    """Delete every passage record of a document; return how many."""
    return writer.delete_by_term("doc_id", doc_id)


def add_document(
    writer: Any, document: Document, entities: Sequence[Entity], tags: dict[int, Sequence[str]] | None = None
) -> int:
    """Add the passages of a document (delete them first to replace); return how many."""
    records = passage_records(document, entities, tags)
    for record in records:
        writer.add_document(**record)
    return len(records)


def replace_document(
    writer: Any, document: Document, entities: Sequence[Entity], tags: dict[int, Sequence[str]] | None = None
) -> int:
    """Replace all passages of a document."""
    delete_document(writer, document.doc_id)
    return add_document(writer, document, entities, tags)


def document_tags(ix: Index, doc_id: str) -> dict[str, list[str]]:
    """Passage text -> tags for the tagged passages of a document (to carry tags over edits)."""
    out: dict[str, list[str]] = {}
    with ix.searcher() as searcher:
        for fields in searcher.documents(doc_id=doc_id):
            if fields.get("tags"):
                out[fields["text"]] = fields["tags"].split(",")
    return out


#: one-record segments that annotation tag updates may leave before a commit merges them
TAG_SEGMENTS_BEFORE_MERGE = 16


def _apply_tags(ix: Index, doc_id: str, ordinal: int, tags: Sequence[str]) -> bool:
    with ix.searcher() as searcher:
        stored = searcher.document(pid=f"{doc_id}:{ordinal}")
    if stored is None:
        return False
    stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
    stored["tags"] = ",".join(sorted({clean_tag(t) for t in tags if clean_tag(t)}))
    writer = ix.writer(timeout=30.0)
    writer.update_document(**record_fields(stored))
    # A tag change rewrites one record. Merging small segments on every such commit costs
    # more than the write itself, so merge only once they have piled up.
    writer.commit(merge=len(ix._segments()) >= TAG_SEGMENTS_BEFORE_MERGE)
    return True


def set_passage_tags(index_dir: str | os.PathLike, doc_id: str, ordinal: int, tags: Sequence[str]) -> bool:
    """Set the tags of one passage, keeping its other fields; False if there is no such passage."""
    root = Path(index_dir)
    with swap_lock(root):
        ix = open_index(root)
        if ix is None:
            return False
        found = _apply_tags(ix, doc_id, ordinal, tags)
        if found:
            entry = {"doc_id": doc_id, "ordinal": ordinal, "tags": list(tags), "ts": time.time()}
            with open(root / JOURNAL, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
        return found


def replay_tags(index_dir: str | os.PathLike, generation: Path, skip_docs: set[str]) -> int:
    """Apply journalled tag changes to a new generation (call under :func:`swap_lock`)."""
    path = Path(index_dir) / JOURNAL
    if not path.exists():
        return 0
    ix = whoosh_index.open_dir(str(generation))
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("doc_id") not in skip_docs:
            count += _apply_tags(ix, entry["doc_id"], int(entry["ordinal"]), entry["tags"])
    return count


def clear_journal(index_dir: str | os.PathLike) -> None:
    """Forget journalled tag changes once a new generation holds them (under swap_lock)."""
    (Path(index_dir) / JOURNAL).unlink(missing_ok=True)


def write_documents(
    index_dir: str | os.PathLike, items: Iterable[tuple[Document, Sequence[Entity]]], limitmb: int = 128
) -> Path:
    """Add or replace documents in a new generation and make it live; return the generation."""
    generation = new_generation(index_dir, copy=True)
    ix = whoosh_index.open_dir(str(generation))
    writer = ix.writer(limitmb=limitmb)
    seen: set[str] = set()
    for document, entities in items:
        if document.doc_id not in seen:
            delete_document(writer, document.doc_id)
        seen.add(document.doc_id)
        add_document(writer, document, entities)
    writer.commit()
    with swap_lock(index_dir):
        replay_tags(index_dir, generation, seen)
        activate(index_dir, generation)
        clear_journal(index_dir)
    return generation
