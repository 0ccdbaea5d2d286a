"""One hostile file fails alone: per-file time and memory budgets, long passages tagged in pieces."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from corpus import read_document
from indexer.ner import MAX_PIECE_CHARS, MAX_RUN_CHARS, passage_pieces, tokenizer_safe
from indexer.pipeline import ingest
from indexer.store import DocumentStore
from indexer.workers import Budget
from tests.common.backend import searcher_for_tests

CORPUS = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus"
GOOD = ["000_c7d6b90c2e1462b7.txt", "004_14094fff2b1dbb4b.txt"]


def _good(src: Path) -> None:
    src.mkdir(parents=True, exist_ok=True)
    for name in GOOD:
        shutil.copy(CORPUS / name, src / name)


def _children() -> list[int]:
    """Processes whose parent is this one (Linux): compare with a count taken before the
    ingest, since other tests of the session (the browser, the PostgreSQL server) may have
    children of their own running."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_hostile_files_fail_alone_and_the_rest_goes_in(tmp_path):
    src = tmp_path / "src"
    _good(src)
    (src / "brackets.txt").write_text("(" * 51_200 + ")" * 51_200)  # 100 KB: hung spaCy's tokenizer
    attributes = " ".join(f'a{i}="v{i}"' for i in range(200_000))  # hangs lxml
    (src / "attributes.html").write_text(f"<html><body><p {attributes}>Frontex.</p><p>More text.</p></body></html>")
    sentence = "The Commission told Frontex in Brussels that Serbia must act "
    paragraph = (
        "\n".join(sentence for _ in range(40_000 // len(sentence))) + "\nFinally Europol met Eurojust in Zagreb."
    )
    (src / "paragraph.md").write_text("# One long paragraph\n\n" + paragraph + "\n")  # one 40 KB passage

    before = set(_children())
    began = time.monotonic()
    report = ingest([src], tmp_path / "data", workers=2, progress=False, file_timeout=30)
    elapsed = time.monotonic() - began
    failed = {Path(p).name: r for p, r in report.failed}
    assert set(failed) == {"attributes.html"}, failed
    assert failed["attributes.html"].startswith("took longer than 30 s")
    assert "GLOSSA_INGEST_FILE_TIMEOUT" in failed["attributes.html"]
    assert len(report.added) == 4
    assert elapsed < 5 * 30 + 120  # the stuck worker was killed, not waited for

    searcher = searcher_for_tests(tmp_path / "data" / "index")
    store = DocumentStore(tmp_path / "data")
    by_name = {Path(s.source_path).name: s.doc_id for s in store.summaries()}
    for name in GOOD:
        assert by_name[name] in {h.doc_id for h in searcher.search("migration", pagelen=200).hits}
    long_doc = store.get(by_name["paragraph.md"])
    assert max(p.end - p.start for p in long_doc.document.passages) > 4 * MAX_PIECE_CHARS  # one passage
    names = {e.canonical for e in long_doc.entities if e.start > len(long_doc.document.text) - 60}
    assert {"Europol", "Eurojust"} <= names, names  # the end of the passage was tagged too
    assert searcher.search('"europol met eurojust"').total == 1
    assert set(_children()) - before == set()  # the zygote and every worker are gone


def _stuck_work(item):
    """Runs in a worker: the file named stuck.txt never finishes."""
    from indexer import workers

    if item[0].endswith("stuck.txt"):
        time.sleep(3600)
    return workers.read_and_tag(item)


@pytest.mark.parametrize("files", ["one file", "several files"])
def test_time_budget_holds_with_one_worker(tmp_path, monkeypatch, files):
    """workers=1, and a single file, go through a worker process too: the budget holds there."""
    from indexer import workers

    src = tmp_path / "src"
    src.mkdir()
    (src / "stuck.txt").write_text("A file whose reading never ends.\n")
    if files == "several files":
        _good(src)
    monkeypatch.setattr(workers, "_work", _stuck_work)
    before = set(_children())
    began = time.monotonic()
    report = ingest([src], tmp_path / "data", workers=1, progress=False, file_timeout=3)
    assert time.monotonic() - began < 5 * 3 + 90  # sleeping is not computing: the wall-clock backstop
    assert [Path(p).name for p, _ in report.failed] == ["stuck.txt"]
    assert report.failed[0][1].startswith("took longer than 3 s")
    assert len(report.added) == (2 if files == "several files" else 0)
    assert set(_children()) - before == set()


def _hungry_work(item):
    """Runs in a worker: hog.txt wants 3 GB."""
    from indexer import workers

    if item[0].endswith("hog.txt"):
        hoard = bytearray(3 << 30)
        hoard[-1] = 1
    return workers.read_and_tag(item)


def test_memory_budget_fails_the_file_and_replaces_the_worker(tmp_path, monkeypatch):
    from indexer import workers

    src = tmp_path / "src"
    _good(src)
    (src / "hog.txt").write_text("A file that needs far too much memory.\n")
    monkeypatch.setattr(workers, "_work", _hungry_work)
    report = ingest([src], tmp_path / "data", workers=1, progress=False, file_memory=300)
    assert [Path(p).name for p, _ in report.failed] == ["hog.txt"]
    assert report.failed[0][1].startswith("needed more than 300 MB")
    assert "GLOSSA_INGEST_FILE_MEMORY" in report.failed[0][1]
    assert len(report.added) == 2  # the files after it went in, on a fresh worker
    assert searcher_for_tests(tmp_path / "data" / "index").search("Frontex").total > 0


def test_budget_settings(monkeypatch):
    assert Budget.from_settings(environ={}) == Budget(120.0, 1024)
    assert Budget.from_settings(environ={"GLOSSA_INGEST_FILE_TIMEOUT": "30", "GLOSSA_INGEST_FILE_MEMORY": "0"}) == (
        Budget(30.0, None)
    )
    assert Budget.from_settings(5, 64, environ={"GLOSSA_INGEST_FILE_TIMEOUT": "30"}) == Budget(5.0, 64)
    with pytest.raises(ValueError, match="GLOSSA_INGEST_FILE_TIMEOUT must be a number of seconds"):
        Budget.from_settings(environ={"GLOSSA_INGEST_FILE_TIMEOUT": "soon"})
    with pytest.raises(ValueError, match="GLOSSA_INGEST_FILE_MEMORY"):
        Budget.from_settings(environ={"GLOSSA_INGEST_FILE_MEMORY": "-5"})
    monkeypatch.setenv("GLOSSA_INGEST_FILE_MEMORY", "lots")
    with pytest.raises(ValueError, match="GLOSSA_INGEST_FILE_MEMORY"):
        ingest([CORPUS / GOOD[0]], "/nonexistent-never-created", progress=False)


def test_long_passages_are_cut_at_sentence_ends():
    text = " ".join(f"Sentence number {i} is about the Commission." for i in range(400))
    cuts = list(passage_pieces(text, 0, len(text)))
    assert cuts[0][0] == 0 and cuts[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:], strict=False))  # contiguous, nothing lost
    assert all(end - start <= MAX_PIECE_CHARS for start, end in cuts)
    assert all(text[end - 2 : end] == ". " for _, end in cuts[:-1])  # at a sentence end
    words = "word " * 1000
    assert all(words[end - 1] == " " for _, end in list(passage_pieces(words, 0, len(words)))[:-1])
    solid = "x" * 5000  # no boundary at all: cut hard
    assert [e - s for s, e in passage_pieces(solid, 0, len(solid))] == [1500, 1500, 1500, 500]


def test_tokenizer_safe_text_keeps_offsets():
    text = "Frontex " + "([" * 3000 + " in Brussels " + "y" * 450 + " end"
    safe = tokenizer_safe(text)
    assert len(safe) == len(text) and safe.startswith("Frontex ") and " in Brussels " in safe
    assert max(len(run) for run in safe.split()) <= MAX_RUN_CHARS
    assert tokenizer_safe("Frontex met Europol.") == "Frontex met Europol."


def test_a_giant_passage_is_tagged_whole(tagger, tmp_path):
    """Past the old limit (spaCy's max_length) entities are still found: every piece is tagged."""
    path = tmp_path / "giant.txt"
    filler = "The agency said it would report again. " * 200
    path.write_text(filler + "Frontex met Europol in Brussels. " + filler + "Finally Eurojust met Interpol in Zagreb.")
    document = read_document(path)
    assert len(document.passages) == 1
    found = tagger.tag([document])[0]
    names = {e.canonical for e in found}
    assert {"Frontex", "Europol", "Eurojust"} <= names, names
    for entity in found:
        assert document.text[entity.start : entity.end] == entity.text
