"""Ingest: read files, tag entities, index passages, store documents; incremental and crash-safe.

``workers`` forked processes read and tag the files (see :mod:`indexer.workers`) while this
process indexes them with Whoosh and stages the documents in a thread, so reading, NER and
indexing overlap. Each file is read and tagged on a time and memory budget (settings
GLOSSA_INGEST_FILE_TIMEOUT and GLOSSA_INGEST_FILE_MEMORY): a file over it fails alone, with
the reason, and the rest of the folder goes in.
"""

from __future__ import annotations

import fcntl
import hashlib
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

import corpus
from corpus.models import Document

from . import backend as backends
from .backend import GenerationWriter
from .entity_rules import RuleSet
from .ner import TAGGER_RULES_VERSION, EntityTagger
from .store import DocumentStore, StoredDocument, display_path, source_fields, source_key
from .workers import Budget, Outcome, PlanItem, Pool, in_process
from .writer import make_live, open_index, optimize_index


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
    #: unchanged files read and tagged again (``force``, or another tagger than theirs)
    retagged: list[str] = field(default_factory=list)
    #: why they were, in words ("" when none was)
    retag_reason: str = ""
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


#: the version of Glossa's own tagging rules (indexer.ner's rules around the model: the
#: gazetteer ruler, qualified aliases, the label review, money patterns, canonical names),
#: raised in indexer.ner when they change what is tagged: documents tagged under another
#: version are tagged again by the next ``ingest``. The gazetteer's and the place table's
#: contents are part of the version by themselves (their hashes).
TAGGING_RULES_VERSION = str(TAGGER_RULES_VERSION)
#: the name a document tagged without a spaCy model records as its tagger's
FALLBACK_TAGGER = "rule-based fallback"
#: the manifest key of the tagger an ingest expected (:func:`expected_tagger`), recorded
#: when another one tagged the document (the model is installed but failed to load)
EXPECTED_KEY = "tagger_expected"


def tagging_rules_version() -> str:
    """:data:`TAGGING_RULES_VERSION` and the gazetteer's and place table's content hashes
    (``2+gazetteer.1a2b3c4d5e6f+places.0f1e2d3c4b5a``)."""
    from .gazetteer import DATA_FILE, PLACES_FILE

    digests = []
    for data in (DATA_FILE, PLACES_FILE):
        try:
            digests.append(file_hash(data)[:12])
        except OSError:
            digests.append("missing")
    return f"{TAGGING_RULES_VERSION}+gazetteer.{digests[0]}+places.{digests[1]}"


def _model_version(name: str) -> str | None:
    """The version of the spaCy model ``name`` (an installed package or a model folder), read
    from its metadata without loading it; None when there is no such model."""
    import importlib.util
    import json
    from importlib import metadata

    folder = Path(name).expanduser()
    if folder.is_dir():
        try:
            return str(json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("version") or "?")
        except (OSError, ValueError, AttributeError):
            return "?"
    try:
        if importlib.util.find_spec(name) is None:
            return None
        return metadata.version(name)
    except (ImportError, ValueError, metadata.PackageNotFoundError):
        return None


def expected_tagger(model: str | None) -> str:
    """The tagger an ingest with ``model`` will run, as :func:`tagger_identity` names it,
    found without loading spaCy (the first model of ``model`` or the defaults that is installed)."""
    from .ner import DEFAULT_MODELS

    for name in [model] if model else list(DEFAULT_MODELS):
        version = _model_version(name)
        if version is not None:
            return f"spaCy {name} {version}; rules {tagging_rules_version()}"
    return f"{FALLBACK_TAGGER}; rules {tagging_rules_version()}"


def tagger_identity(tagger: EntityTagger) -> str:
    """What the manifest records as the tagger of a document: the spaCy model and its version
    (or the rule-based fallback) and the tagging rules version."""
    name = FALLBACK_TAGGER if tagger.fallback else tagger.description.split(" (", 1)[0]
    return f"{name}; rules {tagging_rules_version()}"


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

    def __enter__(self) -> _Lock:
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            owner = self.handle.read().strip() or "?"
            self.handle.close()
            raise IngestLocked(
                f"Another ingest is already running on {self.path.parent} (pid {owner}); wait for it to finish"
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

    def unreadable(folder: Path, exc: OSError) -> None:
        report.failed.append((display_path(str(folder)), f"cannot read this folder: {exc.strerror or exc}"))

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            report.failed.append((display_path(str(path)), "no such file or directory"))
            continue
        try:
            found.extend(Path(p) for p in corpus.iter_files([path], on_error=unreadable))
        except Exception as exc:  # a broken directory must not stop the others
            report.failed.append((display_path(str(path)), display_path(f"cannot list files: {exc}")))
    return list(dict.fromkeys(p.resolve() for p in found))


def ingest(
    paths: Sequence[str | os.PathLike],
    data_dir: str | os.PathLike,
    workers: int = 1,
    prune: bool = False,
    progress: bool = True,
    model: str | None = None,
    file_timeout: float | None = None,
    file_memory: int | None = None,
    ocr: bool | None = None,
    on_file: Callable[[str, str | None, str, str], None] | None = None,
    entity_rules: RuleSet | None = None,
    backend: str | None = None,
    force: bool = False,
) -> IngestReport:
    """Bring the index and document store of ``data_dir`` up to date with ``paths``.

    A file whose content is unchanged is skipped, unless ``force`` or the tagger that tagged
    it is not the one this ingest runs (another spaCy model or version, or other tagging rules:
    :func:`expected_tagger`; each document's is in the manifest): then it is read and tagged
    again (``report.retagged``, with ``report.retag_reason``).

    ``on_file(path, doc_id, result, reason)`` is called as each planned file is done (result
    ``added``, ``updated`` or ``failed``; files found unchanged are only in the report), before
    the new index is switched in (what the upload page shows while it happens).

    ``entity_rules`` (editors' entity corrections) are applied to what the tagger found
    before it is indexed; the document store keeps the tagger's own entities.

    ``file_timeout`` (seconds) and ``file_memory`` (MB) bound what one file may cost; None
    takes GLOSSA_INGEST_FILE_TIMEOUT / GLOSSA_INGEST_FILE_MEMORY, else 120 s and 1024 MB;
    0 means no limit. ``ocr``: read scanned PDFs with ocrmypdf (None takes GLOSSA_INGEST_OCR,
    else no). ``backend`` (None: GLOSSA_SEARCH_BACKEND, else whoosh) is the search backend
    written (indexer.backend). A bad value raises ValueError naming the setting.
    """
    began = time.perf_counter()
    budget = Budget.from_settings(file_timeout, file_memory, ocr=ocr)
    backend = backends.from_settings(backend)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    with _Lock(data) as lock:
        store = DocumentStore(data)
        store.recover(discard=True)
        manifest = store.manifest()
        expected = expected_tagger(model)
        plan = _plan(_files(paths, report), manifest, report, force=force, tagger=expected)
        if report.retag_reason and progress:
            print(report.retag_reason, file=sys.stderr)
        if prune:
            seen = {key for key, _, _ in plan} | {source_key(manifest[d]) for d in report.unchanged}
            report.pruned = sorted(
                doc_id
                for doc_id, entry in manifest.items()
                if source_key(entry) not in seen and not Path(source_key(entry)).exists()
            )
        if plan or report.pruned:
            _run(
                data,
                store,
                manifest,
                plan,
                workers,
                model,
                progress,
                report,
                lock,
                budget,
                on_file=on_file,
                entity_rules=entity_rules,
                backend=backend,
                expected=expected,
            )
        else:
            report.tagger = "not loaded (nothing to tag)"
    report.elapsed = round(time.perf_counter() - began, 3)
    return report


def remove_documents(doc_ids: Iterable[str], data_dir: str | os.PathLike, backend: str | None = None) -> IngestReport:
    """Take documents out of the index and the document store (their source files are left
    alone), in a new index generation switched in atomically, as ingest does; ids not in the
    store are ignored. ``report.pruned`` lists the ids removed. Raises IngestLocked while an
    ingest runs."""
    began = time.perf_counter()
    data = Path(data_dir)
    report = IngestReport()
    with _Lock(data) as lock:
        store = DocumentStore(data)
        store.recover(discard=True)
        manifest = store.manifest()
        report.pruned = sorted({d for d in doc_ids if d in manifest})
        if report.pruned:
            budget = Budget.from_settings(None, None)
            _run(
                data, store, manifest, [], 1, None, False, report, lock, budget, backend=backends.from_settings(backend)
            )
    report.tagger = "not loaded (nothing to tag)"
    report.elapsed = round(time.perf_counter() - began, 3)
    return report


def optimize(data_dir: str | os.PathLike) -> tuple[int, int] | None:
    """Merge the index's segments into one (under the ingest lock, in a new generation swapped
    in atomically); (segments before, after), or None when there is no index yet.

    Ingest adds a segment per run and merges the small ones as it goes; after many small
    ingests a full merge makes searches read fewer, larger postings lists. Raises
    IngestLocked while an ingest runs.
    """
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    with _Lock(data):
        return optimize_index(data / "index")


def _plan(
    files: list[Path],
    manifest: dict[str, dict[str, Any]],
    report: IngestReport,
    force: bool = False,
    tagger: str | None = None,
) -> list[PlanItem]:
    """(path, content hash, doc id) of the files that are new or changed, or unchanged but to
    be tagged again (``force``, or tagged by another tagger than ``tagger``); ids stay stable."""
    by_path = {source_key(entry): doc_id for doc_id, entry in manifest.items()}
    taken = set(manifest)
    plan = []
    before: dict[str, int] = {}
    for path in files:
        key = str(path)
        try:
            digest = file_hash(path)
        except OSError as exc:
            report.failed.append((display_path(key), f"cannot read file: {exc.strerror or exc}"))
            continue
        doc_id = by_path.get(key)
        if doc_id is not None and manifest[doc_id].get("source_hash") == digest:
            had = manifest[doc_id].get("tagger") or ""
            # unchanged if it was tagged by the tagger expected now, or when this same tagger
            # was expected the last time too (a model installed but failing to load: the
            # fallback tagged it, and would again)
            if not force and (tagger is None or tagger in (had, manifest[doc_id].get(EXPECTED_KEY))):
                report.unchanged.append(doc_id)
                continue
            report.retagged.append(doc_id)
            before[had] = before.get(had, 0) + 1
        if doc_id is None:
            doc_id = corpus.make_doc_id(path.stem, taken)
            taken.add(doc_id)
        plan.append((key, digest, doc_id))
    if report.retagged:
        report.retag_reason = _retag_reason(len(report.retagged), before, tagger, force)
    return plan


def _retag_reason(count: int, before: dict[str, int], tagger: str | None, force: bool) -> str:
    """Why ``count`` unchanged documents are tagged again, in words."""
    what = f"{count} unchanged document{'s' if count != 1 else ''}"
    if force:
        return f"--force: reading and tagging {what} again."
    was = "; ".join(
        f"{n} by {name or 'an earlier Glossa that did not record its tagger'}"
        for name, n in sorted(before.items(), key=lambda item: -item[1])
    )
    return f"The entity tagger changed: re-tagging {what} (tagged {was}; now {tagger})."


class _IndexWriter(threading.Thread):
    """Indexes and stages tagged documents in a thread, overlapping with reading and NER."""

    def __init__(
        self, writer: GenerationWriter, store: DocumentStore, generation: str, rules: RuleSet | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.writer, self.store, self.generation = writer, store, generation
        self.rules = rules or RuleSet()
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
            stored, is_new = item
            try:
                self.passages += self._index(stored.document, stored.entities, is_new)
                self.store.stage_document(self.generation, stored)
            except BaseException as exc:  # re-raised in the ingesting thread
                self.error = exc

    def _index(self, document: Document, found: list[Any], is_new: bool) -> int:
        # no annotation tags: they stay in the annotation database (indexer.tagfilter)
        if not is_new:
            self.writer.delete_document(document.doc_id)
        return self.writer.add_document(document, self.rules.apply(found))  # entity corrections


def _outcomes(
    plan: list[PlanItem], tagger: EntityTagger | None, workers: int, inherited: list[int], budget: Budget
) -> tuple[Iterator[Outcome], Any]:
    """Outcomes in plan order and a closer.

    Forked workers read and tag, each file on ``budget``, while this process writes the index,
    so even ``workers=1`` keeps NER running while Whoosh indexes (they share no core), and a
    single file is on its budget too. Without ``fork`` (not Linux or macOS): everything in this
    process, without a budget.
    """
    if not plan:
        return iter(()), lambda: None
    assert tagger is not None  # made whenever there is a plan (a removal alone has none)
    if "fork" in multiprocessing.get_all_start_methods():
        pool = Pool(plan, tagger, min(workers, len(plan)), inherited, budget)
        return iter(pool), pool.close
    return in_process(plan, tagger, budget), lambda: None


def _run(
    data: Path,
    store: DocumentStore,
    manifest: dict[str, dict[str, Any]],
    plan: list[PlanItem],
    workers: int,
    model: str | None,
    progress: bool,
    report: IngestReport,
    lock: _Lock,
    budget: Budget,
    on_file: Callable[[str, str | None, str, str], None] | None = None,
    entity_rules: RuleSet | None = None,
    backend: str = backends.DEFAULT,
    expected: str = "",
) -> None:
    """Read, tag and index the planned files into a new generation, then swap it in; each
    document records what tagged it and, when that is not the ``expected`` tagger
    (:func:`expected_tagger`), what was expected."""
    tagger = None
    tagged_by = ""
    if plan:  # a removal only (remove_documents) needs no model
        tagger = EntityTagger(model, workers=workers)
        report.tagger, report.fallback = tagger.description, tagger.fallback
        tagged_by = tagger_identity(tagger)
        if progress:
            print(f"entity tagger: {tagger.description}", file=sys.stderr)
    # forks (if it does) before any thread starts or the index writer takes its lock
    outcomes, close = _outcomes(plan, tagger, workers, [lock.handle.fileno()], budget)
    try:
        index_dir = data / "index"
        writer = backends.open_writer(index_dir, backend, copy=True)
        generation = writer.generation
    except BaseException:
        close()
        raise
    bar = tqdm(total=len(plan), desc="ingesting", unit="file", file=sys.stderr, disable=not progress)
    thread = _IndexWriter(writer, store, generation.name, entity_rules)
    thread.start()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    changed: list[str] = []
    try:
        for outcome in outcomes:
            bar.update(1)
            if outcome.document is None:
                report.failed.append((display_path(outcome.key), outcome.reason))
                if on_file is not None:
                    on_file(outcome.key, None, "failed", outcome.reason)
                continue
            document, found = outcome.document, outcome.entities
            is_new = document.doc_id not in manifest
            stored = StoredDocument(document, found, now, outcome.digest)
            thread.queue.put((stored, is_new))
            changed.append(document.doc_id)
            entry = stored.summary().to_dict()
            entry.update(source_fields(outcome.key))
            entry["tagger"] = tagged_by
            if expected and expected != tagged_by:
                entry[EXPECTED_KEY] = expected
            manifest[document.doc_id] = entry
            (report.added if is_new else report.updated).append(document.doc_id)
            report.entities += len(found)
            if on_file is not None:
                on_file(outcome.key, document.doc_id, "added" if is_new else "updated", "")
            if thread.error is not None:
                break
    finally:
        close()
        thread.queue.put(None)
        thread.join()
        bar.close()
    if thread.error is not None:
        writer.cancel()
        raise thread.error
    report.passages = thread.passages
    for doc_id in report.pruned:
        writer.delete_document(doc_id)
        manifest.pop(doc_id, None)
    if not changed and not report.pruned:
        writer.cancel()
        store.discard_stage(generation.name)
        return
    writer.commit()  # (Whoosh: tags an older version left in the copied records go first)
    store.finish_stage(generation.name, report.pruned, manifest)
    make_live(index_dir, generation)
    store.recover(discard=True)


@dataclass
class ReindexReport:
    """What a reindex did: the backend written, documents and passages indexed."""

    backend: str
    documents: int = 0
    passages: int = 0
    previous: str | None = None  # backend of the generation it replaced
    elapsed: float = 0.0
    generation: str | None = None  # the generation it made live

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def reindex(
    data_dir: str | os.PathLike,
    backend: str | None = None,
    progress: bool = False,
    entity_rules: RuleSet | None = None,
) -> ReindexReport:
    """Rebuild the index of ``data_dir`` for ``backend`` (None: GLOSSA_SEARCH_BACKEND, else
    whoosh) from the document store: the documents and entities as stored (with the editors'
    ``entity_rules`` applied, as ingest applies them), nothing read or tagged again. Written as
    a new generation and swapped in atomically, like an ingest, under the ingest lock
    (IngestLocked while an ingest runs)."""
    began = time.perf_counter()
    name = backends.from_settings(backend)
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    index_dir = data / "index"
    report = ReindexReport(name, previous=backends.live_backend(index_dir))
    rules = entity_rules or RuleSet()
    with _Lock(data):
        store = DocumentStore(data)
        store.recover(discard=True)
        doc_ids = sorted(store.manifest())
        writer = backends.open_writer(index_dir, name, copy=False)
        try:
            for doc_id in tqdm(doc_ids, desc="reindexing", unit="doc", file=sys.stderr, disable=not progress):
                stored = store.get(doc_id)
                if stored is None:
                    continue
                report.passages += writer.add_document(stored.document, rules.apply(stored.entities))
                report.documents += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        make_live(index_dir, writer.generation)
        report.generation = writer.generation.name
    report.elapsed = round(time.perf_counter() - began, 3)
    return report


# entity corrections ---------------------------------------------------------------------
# A change to the rules re-indexes only the passages it changes, from the stored tagged
# documents (never tagging again), in a new generation switched in atomically.


@dataclass
class EntityReindexReport:
    """What re-indexing after an entity rule change did."""

    documents: int = 0
    passages: int = 0
    elapsed: float = 0.0
    generation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def _wait_lock(data: Path, wait: float) -> _Lock:
    deadline = time.monotonic() + wait
    while True:
        lock = _Lock(data)
        try:
            lock.__enter__()
            return lock
        except IngestLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def reindex_entities(
    data_dir: str | os.PathLike,
    rules: RuleSet,
    names: Iterable[tuple[str, str]],
    doc_ids: Iterable[str] = (),
    wait: float = 600.0,
) -> EntityReindexReport:
    """Re-index, under ``rules``, the passages of the documents naming one of ``names``
    ((label, canonical) pairs, found through the index's ``entity`` field) or listed in
    ``doc_ids``; only passages whose entities change are written. Waits up to ``wait``
    seconds for a running ingest (IngestLocked after that)."""
    import json
    from bisect import bisect_left
    from dataclasses import replace

    from .writer import _entity_rows, passage_records, replace_passages

    began = time.perf_counter()
    data = Path(data_dir)
    live = backends.live_backend(data / "index")
    if live is not None and live != "whoosh":
        # passage-level replacement is Whoosh's; another backend rebuilds its index from the
        # store with the rules (no tagging), still in a new generation switched in atomically
        full = reindex(data, live, entity_rules=rules)
        return EntityReindexReport(full.documents, full.passages, full.elapsed, full.generation)
    report = EntityReindexReport()
    lock = _wait_lock(data, wait)
    try:
        store = DocumentStore(data)
        store.recover(discard=True)
        index_dir = data / "index"
        ix = open_index(index_dir)
        if ix is None:
            return report
        changed: list[dict[str, Any]] = []
        with ix.searcher() as searcher:
            reader = searcher.reader()
            # doc_id -> {pid: its stored entity rows} of the passages that may change: those
            # naming one of ``names``, and every passage of the documents in ``doc_ids``
            current: dict[str, dict[str, str]] = {}
            for doc_id in doc_ids:
                if reader.doc_frequency("doc_id", doc_id):
                    for docnum in reader.postings("doc_id", doc_id).all_ids():
                        fields = searcher.stored_fields(docnum)
                        current.setdefault(doc_id, {})[fields["pid"]] = fields.get("entities")
            field = ix.schema["entity"]
            for _label, name in names:
                for term in field.process_text(name, mode="index"):
                    if reader.doc_frequency("entity", term):
                        for docnum in reader.postings("entity", term).all_ids():
                            fields = searcher.stored_fields(docnum)
                            current.setdefault(fields["doc_id"], {})[fields["pid"]] = fields.get("entities")
            for doc_id, held in current.items():
                stored = store.get(doc_id)
                if stored is None:
                    continue
                document = stored.document
                corrected = sorted(rules.apply(stored.entities), key=lambda e: e.start)
                starts = [e.start for e in corrected]
                redo = []
                for passage in document.passages:  # of those, the ones whose entities change
                    lo, hi = bisect_left(starts, passage.start), bisect_left(starts, passage.end)
                    rows = _entity_rows(corrected[lo:hi], passage.start, passage.end)
                    pid = f"{document.doc_id}:{passage.ordinal}"
                    if pid in held and held[pid] != json.dumps(rows):
                        redo.append(passage)
                if redo:
                    report.documents += 1
                    changed.extend(passage_records(replace(document, passages=redo), corrected))
        generation = replace_passages(index_dir, changed)
        report.passages = len(changed)
        report.generation = generation.name if generation else None
    finally:
        lock.__exit__(None, None, None)
    report.elapsed = round(time.perf_counter() - began, 4)
    return report
