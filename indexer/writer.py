"""Writing passages to the index; index generations swapped atomically through a CURRENT file.

Layout of ``index_dir``: ``CURRENT`` names the live generation directory (``gen-000042``),
each generation is a complete Whoosh index. Writers make the next generation from the live
one, change it, then :func:`activate` it with one ``os.replace``; a killed writer leaves the
old one.

The next generation is made with hard links, not copies: a Whoosh segment's files are written
once and never changed (a deletion is recorded in the table of contents, ``_MAIN_N.toc``, which
each commit writes anew under a new name), so the new generation shares the live one's segment
files and a commit only adds its own new segment and table of contents there. Ingesting one
document into a big index then writes that document, not a copy of the corpus, and the
previous generation kept beside the live one costs only what the commit replaced. Where the
file system cannot link (another device, no hard links), the file is copied.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import Index

from corpus.models import Document, Passage

from .ner import Entity
from .schema import ENTITY_FIELDS, VALUE_SEP, make_schema
from .whoosh_internals import segment_counts

CURRENT = "CURRENT"
#: where older versions journalled annotation tag updates; removed on sight (see strip_tags)
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


def _link_or_copy(source: str, target: str) -> str:
    """Hard-link ``source`` as ``target`` (the files are never written again); copy if linking fails."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def new_generation(index_dir: str | os.PathLike, copy: bool = True) -> Path:
    """Create the next generation directory: the live one's files hard-linked (see the module
    docstring; ``copy`` names what it holds, not how), or an empty index."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    path = root / f"gen-{max(numbers, default=0) + 1:06d}"
    live = current_generation(root)
    if copy and live is not None:
        shutil.copytree(live, path, ignore=shutil.ignore_patterns("*.lock", "*_LOCK"), copy_function=_link_or_copy)
    else:
        path.mkdir()
        whoosh_index.create_in(str(path), make_schema())
    return path


def store_vocabulary(generation: Path) -> None:
    """Store a committed Whoosh generation's natural-query vocabulary in it (only words new to
    it analysed: :mod:`indexer.vocab_store`), so its first search does not work it out."""
    from .vocab_store import write_whoosh

    write_whoosh(generation)


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


def _entity_rows(
    entities: Sequence[Entity], start: int, end: int, starts: Sequence[int] | None = None
) -> list[list[Any]]:
    """Rows of the entities inside [start, end); with ``starts`` (the entities' starts, sorted
    as ``entities`` are), only those starting within it are looked at."""
    if starts is not None:
        entities = entities[bisect_left(starts, start) : bisect_right(starts, end)]
    return [
        [e.start - start, e.end - start, e.label, e.canonical] for e in entities if e.start >= start and e.end <= end
    ]


#: the entity search fields each label goes into (besides "entity", which holds every label)
_LABEL_FIELDS: dict[str, tuple[str, ...]] = {}
for _field, _labels in ENTITY_FIELDS.items():
    for _label in _labels:
        _LABEL_FIELDS[_label] = (*_LABEL_FIELDS.get(_label, ()), _field)
#: the multi-valued fields made from a passage's entity rows, in record order
ENTITY_VALUE_FIELDS = (*ENTITY_FIELDS, "entity", "entity_types", "ent_facet")
_NO_VALUES: dict[str, list[str]] = {name: [] for name in ENTITY_VALUE_FIELDS}


def entity_values(rows: Sequence[Sequence[Any]]) -> dict[str, list[str]]:
    """The values of the entity fields made from a passage's entity rows, each field's sorted
    and once each: the names per entity search field (:data:`~indexer.schema.ENTITY_FIELDS`),
    every name (``entity``), the labels (``entity_types``) and "LABEL<TAB>name" (``ent_facet``).
    The returned lists are shared when there are no rows: do not change them."""
    if not rows:
        return _NO_VALUES
    found: dict[str, set[str]] = {name: set() for name in ENTITY_VALUE_FIELDS}
    everything, types, facets = found["entity"], found["entity_types"], found["ent_facet"]
    for row in rows:
        label, name = row[2], row[3]
        everything.add(name)
        types.add(label)
        facets.add(f"{label}\t{name}")
        for field in _LABEL_FIELDS.get(label, ()):
            found[field].add(name)
    return {field: sorted(values) for field, values in found.items()}


def record_fields(base: dict[str, Any], rows: list[list[Any]] | None = None) -> dict[str, Any]:
    """Complete a record from its stored fields (entity fields are derived from ``entities``,
    or from ``rows``, the list it holds, when the caller has it)."""
    if rows is None:
        rows = json.loads(base.get("entities") or "[]")
    record = dict(base)
    for field, values in entity_values(rows).items():
        record[field] = VALUE_SEP.join(values)
    if record.get("page") is None:
        record.pop("page", None)
    return record


def passage_parts(
    document: Document, entities: Sequence[Entity]
) -> Iterator[tuple[Passage, str, list[list[Any]], list[dict[str, str]], str]]:
    """Per passage of ``document``, what its index record is made of: (the passage, its text,
    its entity rows ``[start, end, label, canonical]`` relative to it, the footnotes it cites as
    ``{"number", "text"}``, the work keys it cites joined by commas, each once). Every backend
    builds its records from these."""
    ordered = sorted(entities, key=lambda e: e.start)
    starts = [e.start for e in ordered]
    notes_of: dict[str, Any] = {}
    for footnote in document.footnotes:
        notes_of.setdefault(footnote.number, footnote)  # the first of a number, as Document.footnote
    text = document.text
    for passage in document.passages:
        notes = []
        cites: list[str] = []
        for number in passage.footnotes:
            note = notes_of.get(str(number))
            if note is None:
                continue
            notes.append({"number": note.number, "text": note.text})
            cites.extend(r.work_key for r in note.references if r.work_key)
        cites.extend(r.work_key for r in passage.references if r.work_key)  # a reference-list entry
        rows = _entity_rows(ordered, passage.start, passage.end, starts) if ordered else []
        yield passage, text[passage.start : passage.end], rows, notes, ",".join(dict.fromkeys(cites))


def passage_records(document: Document, entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """One index record per passage of ``document`` (its ``tags`` field empty: see strip_tags)."""
    records = []
    doc_id, title = document.doc_id, document.title
    for passage, text, rows, notes, cites in passage_parts(document, entities):
        record = {
            "pid": f"{doc_id}:{passage.ordinal}",
            "doc_id": doc_id,
            "title": title,
            "ordinal": passage.ordinal,
            "start": passage.start,
            "end": passage.end,
            "page": passage.page,
            "kind": passage.kind,
            "text": text,
            "entities": json.dumps(rows) if rows else "[]",
            "fn": " ".join(passage.footnotes),
            "notes": json.dumps(notes) if notes else "[]",
            "notes_text": "\n".join(n["text"] for n in notes),
            "tags": "",
            "cites": cites,
        }
        for field, values in entity_values(rows).items():
            record[field] = VALUE_SEP.join(values)
        if passage.page is None:
            del record["page"]
        records.append(record)
    return records


def delete_document(writer: Any, doc_id: str) -> int:
    """Delete every passage record of a document; return how many."""
    return writer.delete_by_term("doc_id", doc_id)


def add_document(writer: Any, document: Document, entities: Sequence[Entity]) -> int:
    """Add the passages of a document (delete them first to replace); return how many."""
    records = passage_records(document, entities)
    for record in records:
        writer.add_document(**record)
    return len(records)


def replace_document(writer: Any, document: Document, entities: Sequence[Entity]) -> int:
    """Replace all passages of a document."""
    delete_document(writer, document.doc_id)
    return add_document(writer, document, entities)


def _stale_tag_docnums(searcher: Any) -> list[int]:
    """Document numbers of records whose ``tags`` field holds something (older versions put
    annotation tags there, private ones as ``@<user id>@tag``)."""
    reader = searcher.reader()
    found: set[int] = set()
    for btext in reader.lexicon("tags"):
        found.update(reader.postings("tags", btext).all_ids())
    return sorted(found)


def strip_tags(writer: Any, searcher: Any, skip_docs: set[str] | frozenset[str] = frozenset()) -> int:
    """Rewrite every record of ``searcher`` that still holds annotation tags without them
    (except those of ``skip_docs``, which the writer replaces anyway); returns how many.

    Tags are read from the annotation database at query time (indexer.tagfilter), never from
    the index, so none may stay in it: they would be other readers' private data.
    """
    count = 0
    for docnum in _stale_tag_docnums(searcher):
        stored = dict(searcher.stored_fields(docnum))
        if stored.get("doc_id") in skip_docs:
            continue
        stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
        stored["tags"] = ""
        writer.update_document(**record_fields(stored))
        count += 1
    return count


def holds_tags(index_dir: str | os.PathLike) -> bool:
    """True when the live generation still holds annotation tags or an old tags journal exists."""
    if (Path(index_dir) / JOURNAL).exists():
        return True
    ix = open_index(index_dir)
    if ix is None:
        return False
    with ix.searcher() as searcher:
        return bool(_stale_tag_docnums(searcher))


def remove_index_tags(index_dir: str | os.PathLike) -> int:
    """Strip annotation tags left in the live index by an older version (in a new generation,
    swapped in atomically) and remove its ``tags.journal``; returns how many records changed."""
    root = Path(index_dir)
    if not holds_tags(root):
        return 0
    ix = open_index(root)
    count = 0
    if ix is not None:
        with ix.searcher() as searcher:
            stale = bool(_stale_tag_docnums(searcher))
        if stale:
            generation = new_generation(root, copy=True)
            new_ix = whoosh_index.open_dir(str(generation))
            writer = new_ix.writer()
            with new_ix.searcher() as searcher:
                count = strip_tags(writer, searcher)
            writer.commit()
            store_vocabulary(generation)
            with swap_lock(root):
                activate(root, generation)
    with swap_lock(root):
        clear_journal(root)
    return count


def optimize_index(index_dir: str | os.PathLike) -> tuple[int, int] | None:
    """Merge every segment of the live index into one, in a new generation swapped in
    atomically (a kill leaves the index as it was); returns (segments before, after), or
    None when there is no index. Ingest merges small segments as it goes (Whoosh's
    ``MERGE_SMALL``); this is the occasional full merge, e.g. after many small ingests."""
    root = Path(index_dir)
    ix = open_index(root)
    if ix is None:
        return None
    before, deletions = segment_counts(ix)
    if before <= 1 and not deletions:
        return before, before
    generation = new_generation(root, copy=True)
    new_ix = whoosh_index.open_dir(str(generation))
    new_ix.writer().commit(optimize=True)
    after = segment_counts(new_ix)[0]
    store_vocabulary(generation)
    with swap_lock(root):
        activate(root, generation)
    return before, after


def clear_journal(index_dir: str | os.PathLike) -> None:
    """Remove the ``tags.journal`` older versions kept (tags are no longer in the index)."""
    (Path(index_dir) / JOURNAL).unlink(missing_ok=True)


def make_live(index_dir: str | os.PathLike, generation: Path) -> None:
    """Switch ``CURRENT`` to a committed generation under the swap lock (:func:`activate`),
    and drop the tag journal older versions kept (:func:`clear_journal`)."""
    with swap_lock(index_dir):
        activate(index_dir, generation)
        clear_journal(index_dir)


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
    with ix.searcher() as searcher:
        strip_tags(writer, searcher, seen)
    writer.commit()
    store_vocabulary(generation)
    make_live(index_dir, generation)
    return generation


def replace_passages(index_dir: str | os.PathLike, records: Sequence[dict[str, Any]]) -> Path | None:
    """Replace passage records (matched by ``pid``) in a new generation and make it live
    atomically, as an ingest does; the generation, or None when there was nothing to write.
    (Entity corrections re-index only the passages they change this way.)"""
    if not records:
        return None
    generation = new_generation(index_dir, copy=True)
    ix = whoosh_index.open_dir(str(generation))
    writer = ix.writer()
    try:
        for record in records:
            writer.update_document(**record)
    except BaseException:
        writer.cancel()
        shutil.rmtree(generation, ignore_errors=True)
        raise
    writer.commit()
    store_vocabulary(generation)
    with swap_lock(index_dir):
        activate(index_dir, generation)
    return generation
