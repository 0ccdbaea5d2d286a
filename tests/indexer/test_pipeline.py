"""Ingest: incremental runs, bad files, pruning, locking, and a SIGKILLed ingest."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.pipeline import IngestLocked, _Lock, ingest
from indexer.store import DocumentStore
from indexer.writer import JOURNAL, holds_tags, open_index, record_fields, remove_index_tags
from tests.common.backend import searcher_for_tests

CORPUS = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus"
ROOT = Path(__file__).resolve().parents[2]


def _copy(src_names, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in src_names:
        shutil.copy(CORPUS / name, dest / name)


def test_incremental_bad_files_and_prune(tmp_path):
    src, data = tmp_path / "src", tmp_path / "data"
    _copy(["000_c7d6b90c2e1462b7.txt", "004_14094fff2b1dbb4b.txt"], src)
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02")
    first = ingest([src], data, progress=False)
    assert len(first.added) == 2 and first.failed and first.failed[0][0].endswith("broken.pdf")
    assert first.failed[0][1] and "Traceback" not in first.failed[0][1]
    assert first.tagger.startswith("spaCy") and not first.fallback
    store = DocumentStore(data)
    ids = {s.doc_id: s.source_path for s in store.summaries()}
    assert set(ids) == set(first.added)
    searcher = searcher_for_tests(data / "index")
    before = searcher.search("Frontex").total
    assert before > 0

    again = ingest([src], data, progress=False)
    assert sorted(again.unchanged) == sorted(first.added) and not again.added and not again.updated

    news = src / "000_c7d6b90c2e1462b7.txt"
    news.write_text(news.read_text() + "\n\nA new paragraph about Frontex in Montenegro.\n")
    changed = ingest([src], data, progress=False)
    assert len(changed.updated) == 1 and len(changed.unchanged) == 1
    assert set(DocumentStore(data).manifest()) == set(ids)  # doc ids stable across runs
    hit = searcher.search('"new paragraph"')  # the same Searcher sees the new generation
    assert hit.total == 1 and hit.hits[0].doc_id == changed.updated[0]
    stored = DocumentStore(data).get(changed.updated[0])
    assert "new paragraph" in stored.document.text and stored.entities

    (src / "004_14094fff2b1dbb4b.txt").unlink()
    kept = ingest([src], data, progress=False)
    assert not kept.pruned and len(DocumentStore(data).summaries()) == 2
    pruned = ingest([src], data, progress=False, prune=True)
    assert len(pruned.pruned) == 1
    assert [s.doc_id for s in DocumentStore(data).summaries()] == changed.updated
    assert DocumentStore(data).get(pruned.pruned[0]) is None
    assert {h.doc_id for h in searcher.search("migration", pagelen=100).hits} == set(changed.updated)


def test_missing_path_reported(tmp_path):
    report = ingest([tmp_path / "nope"], tmp_path / "data", progress=False)
    assert report.failed == [(str(tmp_path / "nope"), "no such file or directory")]
    assert report.to_dict()["failed"][0]["reason"]


def test_lock_prevents_concurrent_ingest(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with _Lock(data), pytest.raises(IngestLocked, match="already running"):
        ingest([CORPUS / "000_c7d6b90c2e1462b7.txt"], data, progress=False)


def _spawn(src: Path, data: Path) -> subprocess.Popen:
    code = "import sys; from indexer.pipeline import ingest; ingest([sys.argv[1]], sys.argv[2], progress=False)"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code, str(src), str(data)], env=env, cwd=ROOT)


@pytest.mark.parametrize("marker", ["index/gen-000002", ".staging"])
def test_killed_ingest_leaves_old_index(tmp_path, marker):
    src, data = tmp_path / "src", tmp_path / "data"
    _copy(["000_c7d6b90c2e1462b7.txt"], src)
    ingest([src], data, progress=False)
    old_total = searcher_for_tests(data / "index").search("Frontex").total
    _copy(["001_ecc342d5c4ab413f.txt", "002_91bd122e1223309b.txt", "004_14094fff2b1dbb4b.txt"], src)
    proc = _spawn(src, data)
    deadline = time.time() + 60
    while not (data / marker).exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    searcher = searcher_for_tests(data / "index")
    if (data / "index" / "CURRENT").read_text() == "gen-000001":
        # the previous index and documents are intact and usable
        assert searcher.search("Frontex").total == old_total
        assert len(DocumentStore(data).summaries()) == 1
    else:  # killed just after the swap: documents are rolled forward, all consistent
        assert searcher.search("Frontex").total > old_total
        assert len(DocumentStore(data).summaries()) == 4
        return
    # and the next run completes the work
    report = ingest([src], data, progress=False)
    assert len(report.added) == 3 and len(report.unchanged) == 1
    assert searcher.search("Frontex").total > old_total
    assert len(DocumentStore(data).summaries()) == 4
    assert sorted(p.name for p in (data / "index").glob("gen-*"))[-1] == (data / "index" / "CURRENT").read_text()


def _old_style_tags(index_dir: Path, doc_id: str, ordinal: int, tags: str) -> None:
    """Put tags in a passage record the way versions before tags left the index did."""
    ix = open_index(index_dir)
    with ix.searcher() as s:
        stored = s.document(pid=f"{doc_id}:{ordinal}")
    stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
    stored["tags"] = tags
    writer = ix.writer()
    writer.update_document(**record_fields(stored))
    writer.commit()


def _indexed_tags(index_dir: Path) -> list[str]:
    """Tags held by live records (a term of deleted records only may stay in the lexicon)."""
    ix = open_index(index_dir)
    with ix.searcher() as s:
        reader = s.reader()
        return [t.decode() for t in reader.lexicon("tags") if list(reader.postings("tags", t).all_ids())]


@pytest.mark.whoosh_only("an older version's tags were left in Whoosh index records; no tantivy index held them")
def test_ingest_and_reindex_remove_tags_older_versions_left_in_the_index(tmp_path):
    src, data = tmp_path / "src", tmp_path / "data"
    _copy(["000_c7d6b90c2e1462b7.txt", "004_14094fff2b1dbb4b.txt", "001_ecc342d5c4ab413f.txt"], src)
    first = ingest([src], data, progress=False)
    news, other, note = sorted(first.added)
    index = data / "index"
    assert _indexed_tags(index) == [] and not holds_tags(index)
    _old_style_tags(index, news, 0, "lead,@1@secretplan")
    _old_style_tags(index, note, 1, "@2@whistleblower-x")
    (index / JOURNAL).write_text('{"doc_id": "x", "ordinal": 0, "tags": ["@1@secretplan"]}\n')
    assert holds_tags(index) and "@1@secretplan" in _indexed_tags(index)
    searcher = searcher_for_tests(index)
    before = searcher.search("frontex OR border").total
    # re-ingesting one changed document clears the tags of every record, changed or not
    path = src / "000_c7d6b90c2e1462b7.txt"
    path.write_text(path.read_text() + "\n\nAn added closing paragraph.\n")
    report = ingest([src], data, progress=False)
    assert report.updated == [news] and sorted(report.unchanged) == sorted([other, note])
    assert _indexed_tags(index) == [] and not (index / JOURNAL).exists()
    assert searcher.search("frontex OR border").total >= before
    assert searcher.search("tag:lead").total == 0
    # and remove_index_tags (glossa annotations reindex-tags) does it without an ingest
    _old_style_tags(index, note, 1, "@2@whistleblower-x")
    total = searcher.search("frontex OR border").total
    assert remove_index_tags(index) == 1
    assert _indexed_tags(index) == [] and not holds_tags(index)
    assert searcher.search("frontex OR border").total == total
    assert remove_index_tags(index) == 0


def _snapshot(data: Path) -> dict:
    store = DocumentStore(data)
    out = {}
    for summary in store.summaries():
        stored = store.get(summary.doc_id)
        out[summary.doc_id] = (
            stored.document.text,
            [p.start for p in stored.document.passages],
            [(e.start, e.end, e.label, e.canonical) for e in stored.entities],
        )
    return out


def test_worker_processes_match_in_process(tmp_path):
    src = tmp_path / "src"
    _copy(["000_c7d6b90c2e1462b7.txt", "002_91bd122e1223309b.txt", "004_14094fff2b1dbb4b.txt"], src)
    (src / "empty.txt").write_bytes(b"")
    one = ingest([src], tmp_path / "one", workers=1, progress=False)
    two = ingest([src], tmp_path / "two", workers=2, progress=False)
    assert sorted(two.added) == sorted(one.added) and len(two.added) == 3
    assert [(Path(p).name, r) for p, r in two.failed] == [(Path(p).name, r) for p, r in one.failed]
    assert two.failed and "empty" in two.failed[0][1]
    assert (two.passages, two.entities, two.tagger) == (one.passages, one.entities, one.tagger)
    assert _snapshot(tmp_path / "two") == _snapshot(tmp_path / "one")
    totals = [searcher_for_tests(tmp_path / d / "index").search("Frontex").total for d in ("one", "two")]
    assert totals[0] == totals[1] > 0
    assert not [p for p in (tmp_path / "two" / ".staging").rglob("*") if p.is_file()]


def _dying_work(item):
    """Runs in a forked worker: the worker given the first file is killed."""
    from indexer import workers

    if item[0].endswith("000_c7d6b90c2e1462b7.txt"):
        os.kill(os.getpid(), signal.SIGKILL)
    return workers.read_and_tag(item)


def test_dead_worker_fails_its_file_alone(tmp_path, monkeypatch):
    from indexer import workers

    src = tmp_path / "src"
    _copy(["000_c7d6b90c2e1462b7.txt", "002_91bd122e1223309b.txt", "004_14094fff2b1dbb4b.txt"], src)
    monkeypatch.setattr(workers, "_work", _dying_work)
    report = ingest([src], tmp_path / "data", workers=2, progress=False)
    assert [Path(p).name for p, _ in report.failed] == ["000_c7d6b90c2e1462b7.txt"]
    assert "died" in report.failed[0][1]
    assert len(report.added) == 2 and len(DocumentStore(tmp_path / "data").summaries()) == 2


def test_file_name_that_is_not_utf8(tmp_path):
    """b'caf\\xe9.txt' (Latin-1, common in old archives) is stored, shown and found again."""
    src, data = tmp_path / "src", tmp_path / "data"
    _copy(["004_14094fff2b1dbb4b.txt"], src)
    raw = os.path.join(os.fsencode(src), b"caf\xe9.txt")
    with open(raw, "wb") as handle:
        handle.write(b"The caf\xc3\xa9 near Frontex headquarters in Warsaw serves migration officers.\n")
    name = os.fsdecode(raw)  # 'caf\udce9.txt': a surrogate escape, not encodable as UTF-8
    first = ingest([src], data, progress=False)
    assert not first.failed and len(first.added) == 2
    store = DocumentStore(data)
    rows = {Path(s.source_path).name: s for s in store.summaries()}
    assert set(rows) == {"004_14094fff2b1dbb4b.txt", "caf\\xe9.txt"}  # shown readably
    shown = rows["caf\\xe9.txt"]
    json.dumps(shown.to_dict(), ensure_ascii=False).encode("utf-8")  # displayable anywhere
    stored = store.get(shown.doc_id)
    assert stored.document.source_path.endswith("caf\\xe9.txt") and "warsaw" in stored.document.text.lower()
    hits = searcher_for_tests(data / "index").search("Warsaw").hits
    assert [h.doc_id for h in hits] == [shown.doc_id]
    again = ingest([src], data, progress=False, prune=True)  # found again by its real name
    assert sorted(again.unchanged) == sorted(first.added) and not again.pruned and not again.added
    os.unlink(raw)
    gone = ingest([src], data, progress=False, prune=True)
    assert gone.pruned == [shown.doc_id]
    assert name not in json.dumps(gone.to_dict())


def test_unreadable_folder_is_reported(tmp_path, monkeypatch):
    """A folder that cannot be listed is in the failure list. Tests run as root, who reads any
    folder whatever its mode, so the refusal is simulated at os.scandir."""
    src, data = tmp_path / "src", tmp_path / "data"
    _copy(["004_14094fff2b1dbb4b.txt"], src)
    _copy(["000_c7d6b90c2e1462b7.txt"], src / "locked")
    real = os.scandir

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = ingest([src], data, progress=False)
    assert len(report.added) == 1
    assert report.failed == [(str(src / "locked"), "cannot read this folder: Permission denied")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder; see test_unreadable_folder_is_reported")
def test_chmod_000_folder_is_reported(tmp_path):
    src, data = tmp_path / "src", tmp_path / "data"
    _copy(["004_14094fff2b1dbb4b.txt"], src)
    _copy(["000_c7d6b90c2e1462b7.txt"], src / "locked")
    (src / "locked").chmod(0)
    try:
        report = ingest([src], data, progress=False)
    finally:
        (src / "locked").chmod(0o755)
    assert len(report.added) == 1
    assert [(Path(p).name, r) for p, r in report.failed] == [("locked", "cannot read this folder: Permission denied")]
