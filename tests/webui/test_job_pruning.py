"""Old upload and removal jobs are pruned (webui.jobs): finished jobs older than
UPLOAD_JOB_KEEP_HOURS go with the files they left, when the runner starts and after each
job; a pruned job's page and API resource answer 404 (JSON for the API), never 500."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.conftest import make_app
from webui import config as settings
from webui import jobs
from webui.app import create_app

HOUR = 3600.0


def _iso(seconds_ago: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat(timespec="seconds")


def _job(store: jobs.JobStore, status: str, finished_ago: float | None, kind: str = "remove", files=None) -> str:
    job_id = store.new_id()
    while store.get(job_id) is not None:  # ids made in the same second differ by their random part
        job_id = store.new_id()
    job = store.create(job_id, kind, "ed", files or [])
    job["status"] = status
    if finished_ago is not None:
        job["finished"] = _iso(finished_ago)
    store.write(job)
    return job_id


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_prune_removes_old_finished_jobs_and_what_they_left(tmp_path):
    store = jobs.JobStore(tmp_path)
    old_done = _job(store, "done", 200 * HOUR)
    old_failed = _job(store, "failed", 170 * HOUR)
    recent = _job(store, "done", 2 * HOUR)
    queued = _job(store, "queued", None)
    running = _job(store, "running", None)
    # a queued job made long ago is still to run: kept
    stale_queued = store.get(queued)
    stale_queued["created"] = _iso(900 * HOUR)
    store.write(stale_queued)
    # what a runner killed mid-job leaves: the job's files, an orphan folder, a half-written job
    left = store.staging(old_failed)
    (left / ".previous").mkdir(parents=True)
    (left / "a.txt").write_text("x", encoding="utf-8")
    orphan = store.incoming / "20200101T000000-deadbeef"
    orphan.mkdir(parents=True)
    _age(orphan, 300 * HOUR)
    fresh_orphan = store.incoming / "20990101T000000-0badcafe"
    fresh_orphan.mkdir()
    tmp = store.jobs_dir / f".{recent}.json.123.tmp"
    tmp.write_text("{", encoding="utf-8")
    _age(tmp, 300 * HOUR)
    waiting = store.staging(queued)
    waiting.mkdir(parents=True)
    _age(waiting, 300 * HOUR)  # its job is queued: kept however old

    removed = store.prune(168 * HOUR)

    assert sorted(removed) == sorted([old_done, old_failed])
    assert {j["id"] for j in store.all()} == {recent, queued, running}
    assert store.get(old_done) is None and not left.exists()
    assert not orphan.exists() and fresh_orphan.exists() and waiting.exists()
    assert not tmp.exists()
    assert store.prune(168 * HOUR) == []  # nothing more


def test_prune_keeps_a_job_whose_times_cannot_be_read(tmp_path):
    store = jobs.JobStore(tmp_path)
    job_id = _job(store, "done", None)
    job = store.get(job_id)
    job["finished"] = "not a time"
    job["created"] = None
    store.write(job)
    assert store.prune(1) == [] and store.get(job_id) is not None
    assert jobs.JobStore(tmp_path / "nothing-here").prune(1) == []


@pytest.mark.parametrize("value", ["0", "abc", "-3", "100000000"])
def test_the_setting_is_validated(tmp_path, monkeypatch, value):
    monkeypatch.setenv("GLOSSA_UPLOAD_JOB_KEEP_HOURS", value)
    with pytest.raises(settings.SettingsError, match="UPLOAD_JOB_KEEP_HOURS"):
        create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "test"})


def test_the_setting_reaches_the_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("GLOSSA_UPLOAD_JOB_KEEP_HOURS", "48")
    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "test"})
    assert app.config["UPLOAD_JOB_KEEP_HOURS"] == 48
    assert jobs.runner_config(app)["UPLOAD_JOB_KEEP_HOURS"] == 48
    assert jobs.keep_seconds(app) == 48 * HOUR


def test_the_runner_prunes_at_start_and_after_each_job(data_dir, tmp_path, monkeypatch):
    app = make_app(data_dir, tmp_path / "glossa.db", UPLOAD_JOB_KEEP_HOURS=24)
    store = jobs.JobStore(data_dir)
    old = _job(store, "done", 30 * HOUR)
    # two removal jobs of documents that are not there: they run quickly, and fail alone
    first = _job(store, "queued", None, files=[{"doc_id": "no-such-doc", "status": "queued"}])
    second = _job(store, "queued", None, files=[{"doc_id": "nor-this-one", "status": "queued"}])
    calls = []
    real = jobs.prune_jobs

    def counting(app_):
        calls.append([j["id"] for j in store.pending()])
        return real(app_)

    monkeypatch.setattr(jobs, "prune_jobs", counting)
    assert jobs.run_queue(app) == 2
    # at start, then after each job (jobs made in one second run in id order)
    assert [sorted(c) for c in calls] == [sorted([first, second]), [max(first, second)], []]
    assert store.get(old) is None
    assert store.get(first)["status"] == "done" and store.get(first)["files"][0]["status"] == "failed"


def test_a_pruned_job_is_404_on_the_page_and_in_the_api(data_dir, tmp_path):
    app = make_app(data_dir, tmp_path / "glossa.db", UPLOAD_JOB_KEEP_HOURS=24)
    store = jobs.JobStore(data_dir)
    job_id = _job(store, "done", 25 * HOUR)
    client = app.test_client()
    assert client.get(f"/api/jobs/{job_id}").status_code == 200
    assert jobs.prune_jobs(app) == [job_id]

    api = client.get(f"/api/jobs/{job_id}")
    assert api.status_code == 404 and api.is_json
    body = api.get_json()
    assert body["status"] == 404 and "UPLOAD_JOB_KEEP_HOURS" in body["message"] and "1 days" in body["message"]
    page = client.get(f"/upload/jobs/{job_id}")
    assert page.status_code == 404 and "UPLOAD_JOB_KEEP_HOURS" in page.get_data(as_text=True)
    assert job_id not in json.dumps(client.get("/api/jobs").get_json())
    # a job file that is not a job (cut short, hand-edited) is not a 500 either
    (store.jobs_dir / f"{job_id}.json").write_text("{", encoding="utf-8")
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    (store.jobs_dir / f"{job_id}.json").write_text(json.dumps({"id": job_id}), encoding="utf-8")
    assert client.get(f"/api/jobs/{job_id}").status_code == 200
    assert client.get(f"/upload/jobs/{job_id}").status_code == 200
