"""Upload and removal jobs: kept in the data directory, run one at a time in a runner process.

A job is one JSON file ``DATA/uploads/jobs/<id>.json`` (so its status survives a page reload
and a server restart): ``kind`` (``upload`` or ``remove``), ``status`` (``queued``,
``running``, ``done``, ``failed``), who asked, times, and one entry per file (or document) with
its own ``status`` (``queued``, ``processing``, then ``added``, ``unchanged``, ``updated``,
``failed`` with a ``reason``, or ``removed``). An upload's files wait in
``DATA/uploads/incoming/<id>/`` until the runner moves them into ``DATA/corpus/``.

The web process never ingests: after writing a job it starts a runner (``python -m
webui.job_runner``, a process of its own, configured on its standard input), which takes
``DATA/uploads/runner.lock`` and runs the queued jobs oldest first with
:func:`indexer.pipeline.ingest` (per-file budgets, content-hash dedup, bad files fail alone, a
new index generation switched in atomically; searches keep using the live one meanwhile). A
second runner finds the lock taken and exits; a runner re-reads the queue after letting go of
the lock, so no job is left behind. A job found ``running`` by a runner that holds the lock was
cut off (the server stopped) and is run again.

Finished jobs are kept ``UPLOAD_JOB_KEEP_HOURS`` (a setting) after they end, then pruned with
what they left in ``DATA/uploads/incoming/`` (:meth:`JobStore.prune`: when a runner starts and
after each job it runs); the page and ``/api/jobs/<id>`` of a pruned job answer 404 and say why.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

JOB_ID_RE = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9a-f]{8}")
#: job and file states
JOB_STATES = ("queued", "running", "done", "failed")
FILE_RESULTS = ("added", "unchanged", "updated", "failed", "removed")
#: the settings a runner needs from the app that started it
RUNNER_SETTINGS = (
    "DATA_DIR",
    "INDEX_DIR",
    "DATABASE_URL",
    "SPACY_MODEL",
    "AUTH",
    "SECRET_KEY",
    "BASE_URL",
    "INGEST_FILE_TIMEOUT",
    "INGEST_FILE_MEMORY",
    "UPLOAD_JOB_KEEP_HOURS",
)
#: hours a finished job is kept when no setting says (UPLOAD_JOB_KEEP_HOURS's default)
KEEP_HOURS = 168
#: seconds before a waiting job's page may start another runner
RESTART_PAUSE = 5.0
#: seconds between tries while another ingest (``glossa ingest``) holds the data directory
LOCKED_RETRY = 2.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def uploads_dir(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "uploads"


def corpus_dir(data_dir: str | os.PathLike) -> Path:
    """Where uploaded files are kept: ``DATA/corpus``."""
    return Path(data_dir) / "corpus"


class JobStore:
    """The jobs of one data directory (one JSON file each, replaced atomically on every change)."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.data_dir = Path(data_dir)
        self.jobs_dir = uploads_dir(data_dir) / "jobs"
        self.incoming = uploads_dir(data_dir) / "incoming"

    def _path(self, job_id: str) -> Path:
        if not isinstance(job_id, str) or not JOB_ID_RE.fullmatch(job_id):
            raise KeyError(job_id)
        return self.jobs_dir / f"{job_id}.json"

    @staticmethod
    def new_id() -> str:
        return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)

    def staging(self, job_id: str) -> Path:
        """The folder an upload's files wait in (made by the caller)."""
        self._path(job_id)
        return self.incoming / job_id

    def create(self, job_id: str, kind: str, user: str, files: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """Write a new queued job and return it."""
        job = {
            "id": job_id,
            "kind": kind,
            "status": "queued",
            "user": user,
            "created": _now(),
            "started": None,
            "finished": None,
            "message": "",
            "files": files,
            **extra,
        }
        self.write(job)
        return job

    def write(self, job: dict[str, Any]) -> None:
        path = self._path(job["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(job, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job, or None (also for an id that is not a job id)."""
        try:
            return json.loads(self._path(job_id).read_text(encoding="utf-8"))
        except (KeyError, FileNotFoundError, ValueError):
            return None

    def all(self) -> list[dict[str, Any]]:
        """Every job, oldest first."""
        if not self.jobs_dir.is_dir():
            return []
        jobs = []
        for path in sorted(self.jobs_dir.glob("*.json")):
            job = self.get(path.stem)
            if job is not None:
                jobs.append(job)
        return jobs

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest jobs first."""
        return list(reversed(self.all()))[:limit]

    def pending(self) -> list[dict[str, Any]]:
        """Jobs not finished (queued or running), oldest first."""
        return [j for j in self.all() if j.get("status") in ("queued", "running")]

    def prune(self, keep_seconds: float, now: float | None = None) -> list[str]:
        """Remove the jobs finished (done or failed) more than ``keep_seconds`` ago, with their
        folder in ``incoming/``; also incoming folders and unfinished job writes (``.tmp``) no
        job owns that were last changed that long ago (a runner killed mid-job leaves them).
        Queued and running jobs are never removed. Returns the ids of the jobs removed."""
        now = time.time() if now is None else now
        cutoff = now - keep_seconds
        removed: list[str] = []
        for job in self.all():
            if job.get("status") not in ("done", "failed") or _finished_at(job) > cutoff:
                continue
            with contextlib.suppress(OSError, KeyError):
                self._path(job["id"]).unlink()
                removed.append(job["id"])
            shutil.rmtree(self.incoming / job["id"], ignore_errors=True)
        owned = {path.stem for path in self.jobs_dir.glob("*.json")} if self.jobs_dir.is_dir() else set()
        for folder in self.incoming.iterdir() if self.incoming.is_dir() else ():
            if folder.name not in owned and _changed_before(folder, cutoff):
                if folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        folder.unlink()
        for tmp in self.jobs_dir.glob(".*.tmp") if self.jobs_dir.is_dir() else ():
            if _changed_before(tmp, cutoff):
                with contextlib.suppress(OSError):
                    tmp.unlink()
        if removed:
            log.info("pruned %d finished job(s) older than %.0f hours", len(removed), keep_seconds / 3600)
        return removed


def _finished_at(job: dict[str, Any]) -> float:
    """When a finished job ended (POSIX seconds); its creation when that is unknown, and
    +infinity (never pruned) when neither time can be read."""
    for key in ("finished", "created"):
        try:
            return datetime.fromisoformat(str(job.get(key))).timestamp()
        except ValueError:
            continue
    return float("inf")


def _changed_before(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except OSError:
        return False


def keep_seconds(app) -> float:
    """How long ``app`` keeps finished jobs (UPLOAD_JOB_KEEP_HOURS), in seconds."""
    hours = app.config.get("UPLOAD_JOB_KEEP_HOURS")
    return float(KEEP_HOURS if hours is None else hours) * 3600


def prune_jobs(app) -> list[str]:
    """:meth:`JobStore.prune` of ``app``'s data directory with its setting; never raises (a
    failed prune is logged, and the next one tries again)."""
    try:
        return JobStore(app.config["DATA_DIR"]).prune(keep_seconds(app))
    except Exception:  # noqa: BLE001 - pruning is housekeeping: it must not stop a job
        log.exception("pruning old upload jobs failed")
        return []


def gone_message(app, job_id: str) -> str:
    """What the page and the API say for a job id they do not find."""
    hours = keep_seconds(app) / 3600
    kept = f"{hours / 24:g} days" if hours % 24 == 0 else f"{hours:g} hours"
    return (
        f"There is no job {job_id!r}: it never existed, or it finished more than {kept} ago and was "
        "removed (setting UPLOAD_JOB_KEEP_HOURS). Recent jobs are listed on the upload page and at /api/jobs."
    )


def summarize(job: dict[str, Any]) -> dict[str, int]:
    """How many files ended in each result (and how many are still to do)."""
    counts = {name: 0 for name in (*FILE_RESULTS, "pending")}
    for entry in job.get("files", []):
        status = entry.get("status")
        counts[status if status in FILE_RESULTS else "pending"] += 1
    return counts


def public(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the API shows it: no server paths."""
    files = [{k: v for k, v in f.items() if k not in ("staged", "path", "backup")} for f in job.get("files", [])]
    out = {k: v for k, v in job.items() if k not in ("files",)}
    out["files"] = files
    out["summary"] = summarize(job)
    return out


# --- the runner ---------------------------------------------------------------------------


@contextlib.contextmanager
def _runner_lock(data_dir: Path) -> Iterator[bool]:
    """Hold ``DATA/uploads/runner.lock`` (True), or False when another runner has it."""
    path = uploads_dir(data_dir) / "runner.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def runner_active(data_dir: str | os.PathLike) -> bool:
    """True while a runner holds the data directory's runner lock."""
    with _runner_lock(Path(data_dir)) as got:
        return not got


def runner_config(app) -> dict[str, Any]:
    """The settings a runner needs, taken from ``app`` (JSON-able)."""
    out = {}
    for name in RUNNER_SETTINGS:
        value = app.config.get(name)
        if value is not None:
            out[name] = value if isinstance(value, (str, int, float, bool)) else str(value)
    return out


def start_runner(app) -> None:
    """Start a runner process for ``app``'s data directory (it exits at once if one runs)."""
    procs = app.extensions.setdefault("glossa_job_runners", [])
    procs[:] = [p for p in procs if p.poll() is None]  # reap the finished ones
    data = Path(app.config["DATA_DIR"])
    uploads_dir(data).mkdir(parents=True, exist_ok=True)
    try:
        proc = _spawn(data)
    except OSError as exc:  # the job stays queued; the next look at it (ensure_runner) tries again
        log.error("cannot start the job runner: %s", exc)
        return
    assert proc.stdin is not None
    try:
        proc.stdin.write(json.dumps(runner_config(app)).encode())
        proc.stdin.close()
    except OSError as exc:
        log.error("cannot configure the job runner: %s", exc)
    procs.append(proc)
    app.extensions["glossa_job_runner_started"] = time.monotonic()
    # reaped by a thread of its own: no zombie, and no request waits for it
    threading.Thread(target=proc.wait, name=f"glossa-job-runner-{proc.pid}", daemon=True).start()


def _spawn(data: Path) -> subprocess.Popen:
    with open(uploads_dir(data) / "runner.log", "ab") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "webui.job_runner"],
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            close_fds=True,
            cwd=str(Path(__file__).resolve().parents[1]),
        )


def ensure_runner(app) -> None:
    """Start a runner if jobs wait and none runs (after a restart, say)."""
    data = Path(app.config["DATA_DIR"])
    ours = [p for p in app.extensions.get("glossa_job_runners", []) if p.poll() is None]
    if ours or time.monotonic() - app.extensions.get("glossa_job_runner_started", -RESTART_PAUSE) < RESTART_PAUSE:
        return  # one of ours runs, or one just started (a runner that dies at once is not restarted in a loop)
    if JobStore(data).pending() and not runner_active(data):
        start_runner(app)


def run_queue(app) -> int:
    """Run the queued jobs of ``app``'s data directory until none is left; returns how many ran
    (0 when another runner has the lock)."""
    data = Path(app.config["DATA_DIR"])
    jobs = JobStore(data)
    ran = 0
    while True:
        with _runner_lock(data) as got:
            if not got:
                return ran
            prune_jobs(app)  # finished jobs past UPLOAD_JOB_KEEP_HOURS, and what they left
            while True:
                waiting = jobs.pending()
                if not waiting:
                    break
                run_job(app, jobs, waiting[0])
                ran += 1
                prune_jobs(app)
        if not jobs.pending():  # a job written while we let go of the lock: take it again
            return ran


def run_job(app, jobs: JobStore, job: dict[str, Any]) -> None:
    """Run one job to its end; an unexpected error fails the job (and its unfinished files)."""
    job["status"] = "running"
    job["started"] = job.get("started") or _now()
    jobs.write(job)
    try:
        with app.app_context():
            if job.get("kind") == "remove":
                _run_remove(app, jobs, job)
            else:
                _run_upload(app, jobs, job)
        job["status"] = "done"
    except Exception as exc:  # noqa: BLE001 - the job says what went wrong; the runner goes on
        log.exception("job %s failed", job.get("id"))
        job["status"] = "failed"
        job["message"] = f"The job stopped: {exc}"
        for entry in job.get("files", []):
            if entry.get("status") not in FILE_RESULTS:
                entry["status"] = "failed"
                entry["reason"] = f"not done: the job stopped ({exc})"
    job["finished"] = _now()
    jobs.write(job)
    staging = jobs.incoming / job["id"]
    if staging.is_dir():
        shutil.rmtree(staging, ignore_errors=True)


def _wait_for_ingest(call: Callable[[], Any], jobs: JobStore, job: dict[str, Any]) -> Any:
    """``call()``, retried while another ingest holds the data directory."""
    from indexer.pipeline import IngestLocked

    while True:
        try:
            return call()
        except IngestLocked:
            if job.get("message") != "waiting for another ingest to finish":
                job["message"] = "waiting for another ingest to finish"
                jobs.write(job)
            time.sleep(LOCKED_RETRY)


def _run_upload(app, jobs: JobStore, job: dict[str, Any]) -> None:
    from indexer.pipeline import file_hash, ingest
    from indexer.store import DocumentStore, display_path, source_key

    from .entity_corrections import rules_for_ingest

    data = Path(app.config["DATA_DIR"])
    staging = jobs.incoming / job["id"]
    corpus = corpus_dir(data)
    store = DocumentStore(data)
    manifest = store.manifest()
    by_hash = {entry.get("source_hash"): doc_id for doc_id, entry in manifest.items() if entry.get("source_hash")}
    todo: dict[str, dict[str, Any]] = {}
    in_job: dict[str, str] = {}  # content hash -> the file of this upload that has it
    for entry in job["files"]:
        if entry.get("status") in FILE_RESULTS:
            continue
        target = corpus / entry["name"]
        staged = staging / entry["staged"]
        source = staged if staged.exists() else target if target.exists() else None
        if source is None:
            entry.update(status="failed", reason="the uploaded file was lost before it could be read")
            continue
        digest = file_hash(source)
        entry["hash"] = digest
        same = by_hash.get(digest)
        if same is not None and source_key(manifest[same]) != str(target.resolve()):
            # the same content is already in the corpus (under another name): one document
            entry.update(status="unchanged", doc_id=same, reason=f"same content as the document {same}")
            continue
        twin = in_job.get(digest)
        if twin is not None:
            entry.update(status="unchanged", reason=f"same content as {twin} in this upload")
            continue
        in_job[digest] = entry["name"]
        if source is staged:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # kept until the new version is in: a failed update keeps the old
                backup = staging / ".previous" / entry["staged"]
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target, backup)
                entry["backup"] = str(backup)
            os.replace(staged, target)
        entry["status"] = "processing"
        todo[str(target.resolve())] = entry
    job["message"] = f"reading {len(todo)} file(s)" if todo else ""
    jobs.write(job)
    if not todo:
        return

    def on_file(path: str, doc_id: str | None, result: str, reason: str) -> None:
        entry = todo.get(path)
        if entry is None:
            return
        entry.update(status=result, doc_id=doc_id, reason=reason)
        jobs.write(job)

    report = _wait_for_ingest(
        lambda: ingest(
            list(todo),
            data,
            workers=1,
            progress=False,
            model=app.config.get("SPACY_MODEL") or None,
            file_timeout=app.config.get("INGEST_FILE_TIMEOUT"),
            file_memory=app.config.get("INGEST_FILE_MEMORY"),
            ocr=app.config.get("INGEST_OCR"),
            backend=app.config.get("SEARCH_BACKEND"),
            entity_rules=rules_for_ingest(app),  # the editors' corrections, as glossa ingest applies them
            on_file=on_file,
        ),
        jobs,
        job,
    )
    failed = dict(report.failed)
    manifest = DocumentStore(data).manifest()
    by_path = {source_key(entry): doc_id for doc_id, entry in manifest.items()}
    for path, entry in todo.items():
        if entry.get("status") in ("added", "updated"):
            continue
        reason = failed.get(display_path(path))
        if reason is not None or entry.get("status") == "failed":
            entry.update(status="failed", reason=entry.get("reason") or reason)
        elif by_path.get(path) in report.unchanged:
            entry.update(status="unchanged", doc_id=by_path[path], reason="")
        else:
            entry.update(status="failed", reason=reason or "not read (no reason given)")
    for path, entry in todo.items():
        if entry.get("status") != "failed":
            continue
        backup = entry.get("backup")
        if backup and Path(backup).exists():  # the old version stays the document
            os.replace(backup, path)
        elif by_path.get(path) is None:  # not in the corpus: do not keep it among its files
            with contextlib.suppress(OSError):
                os.remove(path)
    job["message"] = ""
    job["reanchored"] = _reattach(app, report.added, report.updated, todo)
    job["tagger"] = report.tagger
    jobs.write(job)


def _reattach(app, added: list[str], updated: list[str], todo: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Annotations of removed documents come back with them (same id, or same content under a
    new id), and every changed document's annotations are re-anchored on its new text."""
    from .annotate import reanchor_documents
    from .services import get_annotation_service

    service = get_annotation_service()
    removed = service.removed_ids()
    back = [d for d in added if d in removed]
    if back:
        service.unmark_removed(back)
    hashes = {e.get("doc_id"): e.get("hash", "") for e in todo.values()}
    for doc_id in added:
        if doc_id in removed:
            continue
        earlier = service.removed_by_hash(hashes.get(doc_id, ""))
        if earlier is not None and earlier.doc_id != doc_id:
            service.move_annotations(earlier.doc_id, doc_id)
    return reanchor_documents(app, list(added) + list(updated))


def _run_remove(app, jobs: JobStore, job: dict[str, Any]) -> None:
    from indexer.pipeline import remove_documents
    from indexer.store import DocumentStore, display_path, source_key

    from .services import get_annotation_service

    data = Path(app.config["DATA_DIR"])
    store = DocumentStore(data)
    manifest = store.manifest()
    ids = [e["doc_id"] for e in job["files"] if e.get("doc_id") in manifest]
    for entry in job["files"]:
        if entry.get("doc_id") not in manifest:
            entry.update(status="failed", reason="no such document (removed already?)")
    if not ids:
        return
    _wait_for_ingest(lambda: remove_documents(ids, data, backend=app.config.get("SEARCH_BACKEND")), jobs, job)
    service = get_annotation_service()
    corpus = corpus_dir(data).resolve()
    for entry in job["files"]:
        doc_id = entry.get("doc_id")
        if doc_id not in ids:
            continue
        meta = manifest[doc_id]
        source = Path(source_key(meta))
        marked = service.mark_removed(
            doc_id,
            title=str(meta.get("title") or ""),
            source_hash=str(meta.get("source_hash") or ""),
            source_name=display_path(source.name),
            removed_by=str(job.get("user") or ""),
        )
        # an uploaded file goes with its document; a file ingested from elsewhere is not ours to delete
        if source.is_relative_to(corpus):
            with contextlib.suppress(OSError):
                source.unlink()
        kept = marked.annotations
        entry.update(
            status="removed",
            annotations_kept=kept,
            reason=f"{kept} annotation(s) kept, marked as belonging to a removed document" if kept else "",
        )
        jobs.write(job)
