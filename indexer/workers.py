"""Reading and tagging the planned files of an ingest: in forked worker processes, each file on a budget.

:class:`Pool`: ``workers`` processes, each holding the loaded model, read *and* tag one file
per task, so the ingesting process only writes the index and the store (with ``workers=1``
and with a single file too: the budget must hold there as well). Every file gets a
:class:`Budget`: a worker reading it may grow its address space by ``megabytes`` at most
(``RLIMIT_AS``, set in the worker), and the parent kills a worker that has spent ``seconds``
of processor time on it, or has not answered in ``WALL_FACTOR`` times that (a busy machine
must not fail good files that merely wait for a core; a stuck parser or tokenizer computes).
Such a file fails alone, with a reason a person understands, and the killed worker is
replaced.

Workers are forked by a *zygote*: a process forked when the pool starts, before the caller
starts any thread, that holds the model and forks a fresh worker whenever the parent asks
(the first ones, and a replacement for each worker that was killed, died or retired). So no
worker is ever forked from the multi-threaded ingesting process, and every worker shares the
model's memory with the others. :func:`in_process` does it all in the calling process (no
``fork`` on this platform: then there is no budget). Outcomes come back in plan order.

With ``Budget.ocr`` (``glossa ingest --ocr``, setting INGEST_OCR) a PDF with no text layer is
run through ``ocrmypdf`` (corpus.pdf_ocr) in a temporary directory and the result is read; the
OCR child gets the worker's memory limit (inherited) and the time the budget allows.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import socket
import struct
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import corpus
from corpus.models import Document, NoTextLayer

from .ner import Entity, EntityTagger
from .store import display_path

log = logging.getLogger(__name__)

#: one planned file: (source path, content hash, doc id)
PlanItem = tuple[str, str, str]

#: the environment variables of the per-file budget (the settings INGEST_FILE_TIMEOUT and
#: INGEST_FILE_MEMORY: ``glossa ingest`` passes their checked values from the app's settings,
#: glossa.cfg included; library callers that pass none get these variables), and the defaults
TIMEOUT_SETTING = "GLOSSA_INGEST_FILE_TIMEOUT"
MEMORY_SETTING = "GLOSSA_INGEST_FILE_MEMORY"
OCR_SETTING = "GLOSSA_INGEST_OCR"
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY = 1024
#: a worker whose resident memory grew this much over its start after a file is replaced by
#: a fresh fork (glibc rarely gives a big file's heap back): memory stays bounded per worker
RETIRE_GROWTH = 256 << 20
#: the time budget counts the worker's processor time (on a busy machine a good file may wait
#: for a core far longer than it computes); a worker that has not answered after this many
#: times the budget in wall-clock time (stuck waiting on something) is stopped as well
WALL_FACTOR = 5
#: outcomes come back in plan order, so those finished after a file still in flight wait in
#: the ingesting process. They are bounded by their size, not their number: a slow file
#: (a hostile one taking its whole time budget) must not leave the other workers idle once a
#: few files behind it are done. A waiting outcome weighs its text's characters plus this
#: many per entity (an Entity and its strings in memory), and at most this much may wait.
ENTITY_WEIGHT = 200
BUFFER_WEIGHT = 64 << 20
#: and at most this many outcomes (many tiny files must not grow the plan's bookkeeping)
BUFFER_FILES = 4096
#: seconds the zygote waits, when the pool closes, for workers to leave before it kills them
EXIT_GRACE = 2.0


@dataclass(frozen=True)
class Budget:
    """What one file may cost in its worker: seconds of processor time, megabytes of address space;
    and whether a scanned PDF may be read by OCR (which then runs within those limits).

    ``None`` (or 0 in the settings) means no limit.
    """

    seconds: float | None = DEFAULT_TIMEOUT
    megabytes: int | None = DEFAULT_MEMORY
    ocr: bool = False

    @classmethod
    def from_settings(
        cls,
        seconds: float | None = None,
        megabytes: int | None = None,
        environ: Mapping[str, str] | None = None,
        ocr: bool | None = None,
    ) -> Budget:
        """The given limits, else the environment's, else the defaults; ValueError names a bad setting."""
        environ = os.environ if environ is None else environ
        return cls(
            _limit(seconds, environ, TIMEOUT_SETTING, DEFAULT_TIMEOUT, float, "seconds"),
            _limit(megabytes, environ, MEMORY_SETTING, DEFAULT_MEMORY, int, "megabytes"),
            _flag(ocr, environ, OCR_SETTING),
        )

    @property
    def ocr_seconds(self) -> float | None:
        """Wall-clock seconds the OCR child may take: under the worker's own backstop, so the
        child is stopped (not orphaned) before the worker is."""
        return None if self.seconds is None else 0.9 * WALL_FACTOR * self.seconds

    def timeout_reason(self) -> str:
        return (
            f"took longer than {self.seconds:g} s to read and tag, so it was stopped "
            f"(the limit is the setting INGEST_FILE_TIMEOUT, env {TIMEOUT_SETTING})"
        )

    @property
    def wall_seconds(self) -> float | None:
        """The wall-clock backstop: a worker that waits (not computes) this long is stopped too."""
        return None if self.seconds is None else WALL_FACTOR * self.seconds

    def memory_reason(self) -> str:
        return (
            f"needed more than {self.megabytes} MB to read and tag, so it was stopped "
            f"(the limit is the setting INGEST_FILE_MEMORY, env {MEMORY_SETTING})"
        )


def _limit(given: Any, environ: Mapping[str, str], name: str, default: Any, kind: type, unit: str) -> Any:
    raw = given if given is not None else environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of {unit} (0 for no limit), not {raw!r}") from None
    if value < 0 or value != value:  # negative or NaN
        raise ValueError(f"{name} must be a number of {unit} (0 for no limit), not {raw!r}")
    return value or None


def _flag(given: bool | None, environ: Mapping[str, str], name: str) -> bool:
    if given is not None:
        return bool(given)
    raw = (environ.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be true or false, not {raw!r}")


@dataclass
class Outcome:
    """What became of one planned file: a tagged document, or the reason it failed."""

    key: str
    digest: str
    doc_id: str
    document: Document | None = None
    entities: list[Entity] = field(default_factory=list)
    reason: str = ""
    #: set by a worker that must not take another file (it ran out of memory)
    retire: bool = False


def read_one(path: Path, doc_id: str, budget: Budget | None = None) -> Document:
    """Read one document, mapping any failure to corpus.ReadError with a reason (a scan is
    read by OCR when ``budget.ocr``)."""
    try:
        document = corpus.read_document(path, doc_id)
    except NoTextLayer:
        if budget is None or not budget.ocr:
            raise
        document = _read_by_ocr(path, doc_id, budget)
    except (corpus.ReadError, MemoryError):
        raise
    except Exception as exc:  # reader bugs fail this file alone
        raise corpus.ReadError(f"unexpected error while reading: {type(exc).__name__}: {exc}") from exc
    document.doc_id = doc_id
    # a file name that is not UTF-8 (surrogate escapes) is shown, stored and indexed readably
    document.source_path = display_path(document.source_path)
    document.title = display_path(document.title)
    return document


def _read_by_ocr(path: Path, doc_id: str, budget: Budget) -> Document:
    """A scanned PDF read from the text layer ``ocrmypdf`` adds (in a temporary directory)."""
    import hashlib

    from corpus.pdf import read_pdf
    from corpus.pdf_ocr import missing_message, ocr_available, ocr_pdf

    if not ocr_available():
        raise corpus.ReadError(missing_message(path.name))
    data = ocr_pdf(path, timeout=budget.ocr_seconds)
    try:
        document = read_pdf(path, doc_id, data=data)
    except NoTextLayer:
        raise corpus.ReadError(f"{path.name}: OCR (ocrmypdf) found no text in the scan") from None
    document.content_hash = hashlib.sha256(path.read_bytes()).hexdigest()  # the source's, not the OCR output's
    document.metadata["ocr"] = "ocrmypdf"
    return document


def _failed(item: PlanItem, exc: corpus.ReadError) -> Outcome:
    return Outcome(*item, reason=display_path(str(exc)) or "unreadable file")


def _out_of_memory(exc: BaseException) -> bool:
    """True if ``exc`` is, or was caused by, a MemoryError (readers wrap their errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, MemoryError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def in_process(plan: Sequence[PlanItem], tagger: EntityTagger, budget: Budget | None = None) -> Iterator[Outcome]:
    """Read lazily and tag in this process (spaCy batches passages across documents); no
    budget is enforced (``budget`` only says whether to OCR scans)."""
    failures: list[Outcome] = []
    items: dict[str, PlanItem] = {}

    def documents() -> Iterator[Document]:
        for item in plan:
            try:
                document = read_one(Path(item[0]), item[2], budget)
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
_BUDGET: Budget | None = None  # the worker's budget (set in the worker)


def read_and_tag(item: PlanItem) -> Outcome:
    """Read and tag one file with the worker's model (in a worker)."""
    assert _TAGGER is not None
    try:
        document = read_one(Path(item[0]), item[2], _BUDGET)
    except corpus.ReadError as exc:
        if _out_of_memory(exc):
            raise MemoryError(str(exc)) from exc
        return _failed(item, exc)
    found = next(_TAGGER.stream(iter([document])))[1]
    return Outcome(*item, document=document, entities=found)


_work = read_and_tag  # what workers run (a module attribute, looked up for each file)


# --- in the zygote and the workers -------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: be killed when the parent dies (a SIGKILLed ingest leaves no process behind)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _statm(field_index: int) -> int | None:
    """A field of /proc/self/statm in bytes (0: address space, 1: resident), None off Linux."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[field_index]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


def _limit_memory(megabytes: int | None) -> tuple[int, int] | None:
    """Let the address space grow by ``megabytes`` from now; the previous limits, to restore."""
    size = _statm(0)
    if not megabytes or size is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = size + (megabytes << 20)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        return None
    return soft, hard


def _run_budgeted(item: PlanItem, budget: Budget) -> Outcome:
    previous = _limit_memory(budget.megabytes)
    try:
        return _work(item)
    except MemoryError:
        return Outcome(*item, reason=budget.memory_reason(), retire=True)
    except Exception as exc:  # a tagger bug fails this file alone
        return Outcome(*item, reason=display_path(f"unexpected error while tagging: {type(exc).__name__}: {exc}"))
    finally:
        if previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, previous)


def _worker_main(conn: Connection, tagger: EntityTagger, budget: Budget) -> None:
    """A worker: take a file, read and tag it on the budget, send the outcome; until told to stop."""
    global _TAGGER, _BUDGET
    _TAGGER, _BUDGET = tagger, budget
    _die_with_parent()
    started = _statm(1)
    while True:
        try:
            item: PlanItem | None = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        outcome = _run_budgeted(item, budget)
        grown = _statm(1)
        if started is not None and grown is not None and grown - started > RETIRE_GROWTH:
            outcome.retire = True  # said before sending, so the parent never sends it another file
        try:
            conn.send(outcome)
        except Exception as exc:  # e.g. no memory left to pickle it: the file fails, not the ingest
            conn.send(Outcome(*item, reason=f"its result could not be passed on ({type(exc).__name__})", retire=True))
            return
        if outcome.retire:
            return


_SPAWN, _WAIT = b"S", b"W"
_MESSAGE = struct.Struct("!ci")  # command, pid
_REPLY = struct.Struct("!ii")  # pid, wait status


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _zygote(ctl: socket.socket, tagger: EntityTagger, inherited: list[int], budget: Budget) -> None:
    """Fork a worker on each request from the parent, pass it its socket, reap it when told."""
    for fd in inherited:  # e.g. the ingest lock: only the parent may hold it
        with contextlib.suppress(OSError):
            os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _die_with_parent()
    tagger.workers = 1
    children: dict[int, int | None] = {}
    try:
        while True:
            try:
                command, pid = _MESSAGE.unpack(_recv_exact(ctl, _MESSAGE.size))
            except (EOFError, OSError):
                break
            if command == _SPAWN:
                ours, theirs = socket.socketpair()
                child = os.fork()
                if child == 0:  # the new worker
                    try:
                        ctl.close()
                        ours.close()
                        _worker_main(Connection(theirs.detach()), tagger, budget)
                    finally:
                        os._exit(0)
                theirs.close()
                children[child] = None
                socket.send_fds(ctl, [_REPLY.pack(child, 0)], [ours.fileno()])
                ours.close()
            elif command == _WAIT:
                status = children.pop(pid, None)
                if status is None:
                    with contextlib.suppress(ChildProcessError):
                        status = os.waitpid(pid, 0)[1]
                ctl.sendall(_REPLY.pack(pid, status or 0))
    finally:
        # workers whose connection closed are leaving on their own (and may be writing, e.g.
        # coverage data): a moment's grace before the rest are killed
        grace = time.monotonic() + EXIT_GRACE
        while children and time.monotonic() < grace:
            for child in list(children):
                with contextlib.suppress(ChildProcessError, OSError):
                    if os.waitpid(child, os.WNOHANG)[0] == 0:
                        continue
                children.pop(child)
            time.sleep(0.02)
        for child in children:
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(child, 0)


# --- in the ingesting process --------------------------------------------------------------


@dataclass
class _Worker:
    pid: int
    conn: Connection
    slot: int | None = None  # plan index of the file it is on
    item: PlanItem | None = None
    deadline: float = float("inf")  # when (monotonic) to look at it next
    began: float = 0.0  # monotonic time the file was sent
    cpu_began: float | None = None  # its processor seconds then


def _cpu_seconds(pid: int) -> float | None:
    """Processor time (user + system) of a process, from /proc; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(number).name}"
        return f"killed by signal {number}"
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return "unknown cause"


def _weight(outcome: Outcome) -> int:
    """What a finished outcome holds in memory, roughly (see BUFFER_WEIGHT)."""
    text = len(outcome.document.text) if outcome.document is not None else 0
    return text + ENTITY_WEIGHT * len(outcome.entities)


class Pool:
    """Worker processes that read and tag files on a budget; start it before any other thread."""

    def __init__(
        self,
        plan: Sequence[PlanItem],
        tagger: EntityTagger,
        workers: int,
        inherited: Sequence[int] = (),
        budget: Budget | None = None,
    ) -> None:
        self.budget = budget or Budget()
        self.todo: deque[tuple[int, PlanItem]] = deque(enumerate(plan))
        self.total = len(plan)
        self.size = max(1, min(workers, len(plan) or 1))
        self.waiting = 0  # weight of the finished outcomes waiting for an earlier file (_weight)
        context = multiprocessing.get_context("fork")  # workers share the loaded model
        self._ctl, theirs = socket.socketpair()
        closed = [*inherited, self._ctl.fileno()]  # the zygote must not keep the parent's end open
        self._zygote = context.Process(
            target=_zygote, args=(theirs, tagger, closed, self.budget), name="glossa-ingest-zygote"
        )
        self._zygote.daemon = True
        self._zygote.start()  # forks now, before the caller starts its threads
        theirs.close()
        self.workers: list[_Worker] = [self._spawn() for _ in range(self.size)]
        self.replaced = 0  # workers killed, dead or retired and replaced

    # the zygote ---------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        self._ctl.sendall(_MESSAGE.pack(_SPAWN, 0))
        data, fds, _, _ = socket.recv_fds(self._ctl, _REPLY.size, 1)
        if len(data) < _REPLY.size or not fds:
            raise RuntimeError("the ingest could not start a worker process")
        pid, _ = _REPLY.unpack(data)
        return _Worker(pid, Connection(fds[0]))

    def _reap(self, worker: _Worker) -> int:
        """Close and reap a finished (or killed) worker; its wait status."""
        with contextlib.suppress(OSError):
            worker.conn.close()
        try:
            self._ctl.sendall(_MESSAGE.pack(_WAIT, worker.pid))
            return _REPLY.unpack(_recv_exact(self._ctl, _REPLY.size))[1]
        except (OSError, EOFError):
            return 0

    def _replace(self, worker: _Worker) -> int:
        """Reap ``worker``, put a fresh one in its place; the old one's wait status."""
        status = self._reap(worker)
        self.workers[self.workers.index(worker)] = self._spawn()
        self.replaced += 1
        return status

    # the files ----------------------------------------------------------------------------
    def _dispatch(self, done: int) -> None:
        """Give files to idle workers while the ``done`` outcomes waiting to be handed on are
        within BUFFER_FILES and BUFFER_WEIGHT (memory stays bounded on large corpora)."""
        for i in range(len(self.workers)):
            while self.todo and self.workers[i].item is None:
                if done >= BUFFER_FILES or self.waiting >= BUFFER_WEIGHT:
                    return
                worker = self.workers[i]
                slot, item = self.todo[0]
                try:
                    worker.conn.send(item)
                except OSError:  # it died while idle: a fresh one (at index i) takes the file
                    self._replace(worker)
                    continue
                self.todo.popleft()
                worker.slot, worker.item = slot, item
                worker.began, worker.cpu_began = time.monotonic(), _cpu_seconds(worker.pid)
                worker.deadline = worker.began + self.budget.seconds if self.budget.seconds else float("inf")

    def _finished(self, worker: _Worker, outcome: Outcome, results: dict[int, Outcome]) -> None:
        assert worker.slot is not None
        results[worker.slot] = outcome
        self.waiting += _weight(outcome)
        worker.slot, worker.item, worker.deadline = None, None, float("inf")

    def __iter__(self) -> Iterator[Outcome]:
        results: dict[int, Outcome] = {}
        emitted = 0
        while emitted < self.total:
            self._dispatch(len(results))  # before handing anything on: the caller may block
            if emitted in results:
                outcome = results.pop(emitted)
                self.waiting -= _weight(outcome)
                emitted += 1
                yield outcome
                continue
            busy = [w for w in self.workers if w.item is not None]
            if not busy:  # cannot happen while files remain; guard against a silent hang
                raise RuntimeError("ingest workers stalled")
            now = time.monotonic()
            soonest = min(w.deadline for w in busy)
            timeout = None if soonest == float("inf") else max(0.0, soonest - now)
            ready = set(wait([w.conn for w in busy], timeout))
            for worker in busy:
                if worker.conn in ready:
                    self._collect(worker, results)
                elif time.monotonic() >= worker.deadline and self._over_time(worker):
                    item = worker.item
                    assert item is not None
                    with contextlib.suppress(OSError):
                        os.kill(worker.pid, signal.SIGKILL)
                    log.warning("ingest: %s %s", display_path(item[0]), self.budget.timeout_reason())
                    self._finished(worker, Outcome(*item, reason=self.budget.timeout_reason()), results)
                    self._replace(worker)

    def _over_time(self, worker: _Worker) -> bool:
        """True if ``worker`` spent its file's time budget; else when to look again is set."""
        seconds = self.budget.seconds
        assert seconds is not None
        now = time.monotonic()
        cpu = _cpu_seconds(worker.pid)
        if cpu is None or worker.cpu_began is None:  # no /proc: wall-clock time
            return True
        used = cpu - worker.cpu_began
        wall_left = worker.began + (self.budget.wall_seconds or seconds) - now
        if used >= seconds or wall_left <= 0:
            return True
        worker.deadline = now + min(max(seconds - used, 0.5), wall_left)  # it waited for a core
        return False

    def _collect(self, worker: _Worker, results: dict[int, Outcome]) -> None:
        item = worker.item
        assert item is not None
        try:
            outcome = worker.conn.recv()
        except (EOFError, OSError):  # it died: killed, crashed, or out of memory in C code
            status = self._replace(worker)
            limit = f" (limit {self.budget.megabytes} MB)" if self.budget.megabytes else ""
            reason = (
                f"the process reading and tagging it died ({_describe(status)}); it may have run out of memory{limit}"
            )
            self._finished(worker, Outcome(*item, reason=reason), results)
            return
        self._finished(worker, outcome, results)
        if outcome.retire:  # it exits after this answer: a fresh one takes its place
            self._replace(worker)

    def close(self) -> None:
        """Stop the workers and the zygote (files not yet done are dropped)."""
        self.todo.clear()
        for worker in self.workers:
            if worker.item is not None:
                with contextlib.suppress(OSError):
                    os.kill(worker.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                worker.conn.close()
        with contextlib.suppress(OSError):
            self._ctl.close()
        self._zygote.join(timeout=10)
        if self._zygote.is_alive():
            self._zygote.kill()
            self._zygote.join()
