"""indexer.workers' small parts, on real processes where it matters: the budget's settings and
their errors, how a worker's end is put in words, and which failures fail one file alone."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import corpus
from corpus.models import NoTextLayer
from indexer import workers
from indexer.workers import MEMORY_SETTING, OCR_SETTING, TIMEOUT_SETTING, Budget


def test_budget_settings_from_the_environment():
    budget = Budget.from_settings(environ={TIMEOUT_SETTING: "2.5", MEMORY_SETTING: "300", OCR_SETTING: " Yes "})
    assert (budget.seconds, budget.megabytes, budget.ocr) == (2.5, 300, True)
    assert budget.wall_seconds == 2.5 * workers.WALL_FACTOR and budget.ocr_seconds < budget.wall_seconds
    none = Budget.from_settings(environ={TIMEOUT_SETTING: "0", MEMORY_SETTING: "0", OCR_SETTING: "off"})
    assert (none.seconds, none.megabytes, none.ocr) == (None, None, False)  # 0: no limit
    assert none.wall_seconds is None and none.ocr_seconds is None
    given = Budget.from_settings(7, 64, environ={TIMEOUT_SETTING: "bad", MEMORY_SETTING: "bad"}, ocr=False)
    assert (given.seconds, given.megabytes, given.ocr) == (7.0, 64, False)  # the caller's values win
    assert Budget.from_settings(environ={}) == Budget()


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        (TIMEOUT_SETTING, "soon", "must be a number of seconds (0 for no limit), not 'soon'"),
        (TIMEOUT_SETTING, "-1", "must be a number of seconds"),
        (TIMEOUT_SETTING, "nan", "must be a number of seconds"),
        (MEMORY_SETTING, "1.5", "must be a number of megabytes"),
        (OCR_SETTING, "maybe", "must be true or false, not 'maybe'"),
    ],
)
def test_a_bad_budget_setting_is_named(name, raw, says):
    with pytest.raises(ValueError) as caught:
        Budget.from_settings(environ={name: raw})
    assert str(caught.value).startswith(name) and says in str(caught.value)


def test_the_reasons_name_the_setting_to_change():
    budget = Budget(seconds=3, megabytes=10)
    assert "longer than 3 s" in budget.timeout_reason() and "INGEST_FILE_TIMEOUT" in budget.timeout_reason()
    assert "more than 10 MB" in budget.memory_reason() and "INGEST_FILE_MEMORY" in budget.memory_reason()


def _status_of(child_body) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            child_body()
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1]


def test_how_a_worker_ended_is_put_in_words():
    assert workers._describe(_status_of(lambda: os._exit(3))) == "exit status 3"
    killed = _status_of(lambda: os.kill(os.getpid(), signal.SIGKILL))
    assert workers._describe(killed) == "killed by SIGKILL"


def test_processor_time_of_a_process():
    assert workers._cpu_seconds(os.getpid()) >= 0
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0)
    os.waitpid(pid, 0)
    assert workers._cpu_seconds(pid) is None  # gone: nothing to read


def test_out_of_memory_is_found_through_the_readers_wrapping():
    try:
        try:
            raise MemoryError
        except MemoryError as exc:
            raise corpus.ReadError("x.pdf: could not be read") from exc
    except corpus.ReadError as wrapped:
        assert workers._out_of_memory(wrapped)
    plain = corpus.ReadError("x.pdf: not a PDF")
    assert not workers._out_of_memory(plain)
    loop = ValueError("a")
    loop.__context__ = ValueError("b")
    loop.__context__.__context__ = loop  # a cycle ends the search, not the process
    assert not workers._out_of_memory(loop)


def test_a_reader_bug_fails_that_file_alone(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    path.write_text("Frontex met the EU.\n", encoding="utf-8")

    def broken(path, doc_id=None):
        raise KeyError("page 3")

    monkeypatch.setattr(corpus, "read_document", broken)
    with pytest.raises(corpus.ReadError, match=r"unexpected error while reading: KeyError: 'page 3'"):
        workers.read_one(Path(path), "a")


def test_a_scan_is_not_read_by_ocr_unless_asked():
    scan = Path(__file__).resolve().parents[1] / "data" / "scanned.pdf"
    with pytest.raises(NoTextLayer):
        workers.read_one(scan, "scan", Budget(ocr=False))
    with pytest.raises(NoTextLayer):
        workers.read_one(scan, "scan")  # no budget: no OCR either
