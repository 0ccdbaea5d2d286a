"""Reading and tagging the planned files of an ingest: in-process, or in forked worker processes.

:class:`Pool`: ``workers`` forked processes, each holding the loaded model, read *and* tag one
file per task, so the ingesting process only writes the index and the store (with
``workers=1`` too: NER and indexing then run side by side). :func:`in_process` does it all in
the calling process (one file, or no ``fork``). Outcomes come back in plan order either way.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import corpus
from corpus.models import Document

from .ner import Entity, EntityTagger

#: one planned file: (source path, content hash, doc id)
PlanItem = tuple[str, str, str]


@dataclass
class Outcome:
    """What became of one planned file: a tagged document, or the reason it failed."""

    key: str
    digest: str
    doc_id: str
    document: Document | None = None
    entities: list[Entity] = field(default_factory=list)
    reason: str = ""


def read_one(path: Path, doc_id: str) -> Document:
    """Read one document, mapping any failure to corpus.ReadError with a reason."""
    try:
        document = corpus.read_document(path, doc_id)
    except corpus.ReadError:
        raise
    except Exception as exc:  # reader bugs fail this file alone
        raise corpus.ReadError(f"unexpected error while reading: {type(exc).__name__}: {exc}") from exc
    document.doc_id = doc_id
    return document


def _failed(item: PlanItem, exc: corpus.ReadError) -> Outcome:
    return Outcome(*item, reason=str(exc) or "unreadable file")


def in_process(plan: Sequence[PlanItem], tagger: EntityTagger) -> Iterator[Outcome]:
    """Read lazily and tag in this process (spaCy batches passages across documents)."""
    failures: list[Outcome] = []
    items: dict[str, PlanItem] = {}

    def documents() -> Iterator[Document]:
        for item in plan:
            try:
                document = read_one(Path(item[0]), item[2])
            except corpus.ReadError as exc:
                failures.append(_failed(item, exc))
                continue
            items[item[2]] = item
            yield document

    for document, found in tagger.stream(documents()):
        yield from failures
        failures.clear()
        yield Outcome(*items.pop(document.doc_id), document=document, entities=found)
    yield from failures


_TAGGER: EntityTagger | None = None


def _init_worker(tagger: EntityTagger, inherited: list[int]) -> None:
    """Runs in each forked worker: keep the inherited model; die with the parent."""
    global _TAGGER
    for fd in inherited:  # e.g. the ingest lock: only the parent may hold it
        with contextlib.suppress(OSError):
            os.close(fd)
    tagger.workers = 1
    _TAGGER = tagger
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    with contextlib.suppress(OSError, AttributeError):  # Linux: a SIGKILLed ingest must not leave its workers behind
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def read_and_tag(item: PlanItem) -> Outcome:
    """Read and tag one file with the worker's model (in a worker)."""
    assert _TAGGER is not None
    try:
        document = read_one(Path(item[0]), item[2])
    except corpus.ReadError as exc:
        return _failed(item, exc)
    found = next(_TAGGER.stream(iter([document])))[1]
    return Outcome(*item, document=document, entities=found)


_work = read_and_tag  # what workers run (a module attribute, looked up at each submit)


class Pool:
    """Forked workers that read and tag files; start it before any other thread."""

    def __init__(
        self, plan: Sequence[PlanItem], tagger: EntityTagger, workers: int, inherited: Sequence[int] = ()
    ) -> None:
        context = multiprocessing.get_context("fork")  # workers share the loaded model
        self.executor = ProcessPoolExecutor(
            max(1, workers), mp_context=context, initializer=_init_worker, initargs=(tagger, list(inherited))
        )
        self.tagger = tagger
        self.todo = deque(plan)
        self.window = 4 * max(1, workers) + 2  # files in flight: bounded memory on large corpora
        self.running: deque[tuple[PlanItem, Future]] = deque()
        self._submit()  # forks every worker now, before the caller starts its threads

    def _submit(self) -> None:
        while self.todo and len(self.running) < self.window:
            item = self.todo.popleft()
            self.running.append((item, self.executor.submit(_work, item)))

    def __iter__(self) -> Iterator[Outcome]:
        while self.running:
            item, future = self.running.popleft()
            try:
                outcome = future.result()
            except BrokenProcessPool:
                # a worker died (killed, out of memory): this file fails, the rest go on here
                yield Outcome(*item, reason="the process reading and tagging it died (out of memory, or killed)")
                rest = [i for i, _ in self.running] + list(self.todo)
                self.running.clear()
                self.todo.clear()
                self.tagger.workers = 1
                yield from in_process(rest, self.tagger)
                return
            self._submit()
            yield outcome

    def close(self) -> None:
        """Stop the workers (files not yet done are dropped)."""
        self.todo.clear()
        self.executor.shutdown(wait=True, cancel_futures=True)
