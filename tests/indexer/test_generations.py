"""Index generations made by hard links (no copy of the corpus), kills mid-ingest on that path,
segment merges (``optimize_index``), and the facet and postings caches kept per segment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from indexer import facets as facets_module
from indexer.facets import FacetCache
from indexer.pipeline import ingest
from indexer.ranking import CACHE_SETTING, RankingCache, default_max_items
from indexer.search import Searcher
from indexer.store import DocumentStore
from indexer.writer import (
    activate,
    current_generation,
    new_generation,
    open_index,
    optimize_index,
    swap_lock,
    write_documents,
)
from tests.common.backend import backend_for_tests, searcher_for_tests
from tests.common.indexing import make_document

CORPUS = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus"
ROOT = Path(__file__).resolve().parents[2]
NO_ENTITIES: list = []


def _doc(doc_id: str, words: str, n: int = 3):
    return make_document(doc_id, [f"{words} paragraph {i} of {doc_id}." for i in range(n)], title=f"Title {doc_id}")


def _inodes(generation: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in generation.iterdir() if p.is_file()}


def _segment_files(generation: Path) -> set[str]:
    return {p.name for p in generation.iterdir() if p.suffix == ".seg"}


def test_next_generation_shares_the_segment_files_and_adds_one(tmp_path):
    index = tmp_path / "index"
    first = write_documents(index, [(_doc(f"d{i}", "Frontex border"), NO_ENTITIES) for i in range(20)])
    second = write_documents(index, [(_doc("new", "Frontex asylum"), NO_ENTITIES)])
    old, new = _inodes(first), _inodes(second)
    shared = _segment_files(first) & _segment_files(second)
    assert shared, "the big segment is in both generations"
    for name in shared:  # the same file, linked, not a copy
        assert old[name] == new[name]
        assert (second / name).stat().st_nlink >= 2
    assert len(_segment_files(second) - _segment_files(first)) == 1  # only the new document's segment
    assert current_generation(index) == second
    searcher = Searcher(index)
    assert searcher.search("Frontex").total == 63
    assert searcher.search("asylum").total == 3
    # the previous generation, kept beside the live one, is still a whole index
    with whoosh_index.open_dir(str(first)).searcher() as old_searcher:
        assert old_searcher.doc_count() == 60


def test_replacing_a_document_in_the_new_generation_leaves_the_previous_one_unchanged(tmp_path):
    index = tmp_path / "index"
    first = write_documents(index, [(_doc(f"d{i}", "Frontex border"), NO_ENTITIES) for i in range(10)])
    before = _inodes(first)
    sizes = {p.name: p.stat().st_size for p in first.iterdir() if p.is_file()}
    write_documents(index, [(_doc("d3", "replaced asylum"), NO_ENTITIES)])  # a deletion in a shared segment
    assert _inodes(first) == before
    assert {p.name: p.stat().st_size for p in first.iterdir() if p.is_file()} == sizes
    with whoosh_index.open_dir(str(first)).searcher() as old_searcher:
        assert old_searcher.doc_count() == 30  # the deletion is the new generation's only
    searcher = Searcher(index)
    assert searcher.search("Frontex").total == 27
    assert searcher.search("replaced").total == 3


def test_a_merge_in_an_unfinished_generation_leaves_the_live_one_whole(tmp_path):
    """A writer killed after committing a merge, before the swap: the merge deleted the old
    segments' names in its own directory only; the live generation keeps its links."""
    index = tmp_path / "index"
    for i in range(6):
        write_documents(index, [(_doc(f"d{i}", "Frontex border"), NO_ENTITIES)])
    live = current_generation(index)
    files = sorted(p.name for p in live.iterdir())
    total = Searcher(index).search("Frontex").total
    unfinished = new_generation(index, copy=True)
    ix = whoosh_index.open_dir(str(unfinished))
    ix.writer().commit(optimize=True)  # and then the process dies: no activate
    assert len(whoosh_index.open_dir(str(unfinished))._segments()) == 1
    assert current_generation(index) == live
    assert sorted(p.name for p in live.iterdir()) == files
    fresh = Searcher(index)
    assert fresh.search("Frontex").total == total == 18
    # the next writer starts from the live generation and drops the unfinished one
    write_documents(index, [(_doc("after", "asylum"), NO_ENTITIES)])
    assert not unfinished.exists()
    assert Searcher(index).search("Frontex OR asylum").total == 21


def test_optimize_merges_segments_in_a_new_generation(tmp_path):
    index = tmp_path / "index"
    for i in range(3):  # four segments: Whoosh merges small ones only from five on
        write_documents(index, [(_doc(f"d{i}", "Frontex border"), NO_ENTITIES)])
    write_documents(index, [(_doc("d1", "replaced asylum"), NO_ENTITIES)])
    before_gen = current_generation(index)
    searcher = Searcher(index)
    expected = [(h.doc_id, h.ordinal) for h in searcher.search("Frontex OR asylum", pagelen=50).hits]
    segments_before = len(open_index(index)._segments())
    assert segments_before > 1
    assert optimize_index(index) == (segments_before, 1)
    assert current_generation(index) != before_gen
    got = searcher.search("Frontex OR asylum", pagelen=50)
    assert sorted((h.doc_id, h.ordinal) for h in got.hits) == sorted(expected)
    assert got.total == 9
    assert optimize_index(index) == (1, 1)  # nothing to merge: no new generation
    assert optimize_index(tmp_path / "nothing") is None


def _spawn(src: Path, data: Path) -> subprocess.Popen:
    code = "import sys; from indexer.pipeline import ingest; ingest([sys.argv[1]], sys.argv[2], progress=False)"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code, str(src), str(data)], env=env, cwd=ROOT)


#: a file the new generation holds once its files are linked: Whoosh's table of contents, tantivy's meta
FIRST_FILE = {"whoosh": "_MAIN_1.toc", "tantivy": "meta.json"}[backend_for_tests()]


@pytest.mark.parametrize("marker", [f"index/gen-000002/{FIRST_FILE}", ".staging/gen-000002/READY"])
def test_killed_incremental_ingest_leaves_the_live_generation_and_its_files(tmp_path, marker):
    """One more document into an index: killed once the new generation's files are linked (or
    once its commit is done and staged), the live generation's files are all there, unchanged."""
    src, data = tmp_path / "src", tmp_path / "data"
    src.mkdir()
    shutil.copy(CORPUS / "003_b4544ddbd7f01f68.txt", src)
    ingest([src], data, progress=False)
    live = current_generation(data / "index")
    files = {p.name: (p.stat().st_ino, p.stat().st_size) for p in live.iterdir() if p.is_file()}
    old_total = searcher_for_tests(data / "index").search("Frontex").total
    shutil.copy(CORPUS / "001_ecc342d5c4ab413f.txt", src)
    proc = _spawn(src, data)
    deadline = time.time() + 120
    while not (data / marker).exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    now = {p.name: (p.stat().st_ino, p.stat().st_size) for p in live.iterdir() if p.is_file()}
    assert now == files  # nothing of the live generation was rewritten or removed
    searcher = searcher_for_tests(data / "index")
    if current_generation(data / "index") == live:
        assert searcher.search("Frontex").total == old_total
        assert len(DocumentStore(data).summaries()) == 1
    else:  # killed just after the swap: the documents are rolled forward
        assert len(DocumentStore(data).summaries()) == 2
    report = ingest([src], data, progress=False)
    assert len(report.added) + len(report.unchanged) == 2
    assert searcher.search("Frontex").total > old_total
    assert len(DocumentStore(data).summaries()) == 2
    # the new generation shares the first one's big segment rather than copying it (linked files)
    newest = current_generation(data / "index")
    assert set(_inodes(live).values()) & set(_inodes(newest).values())


def test_facet_arrays_of_unchanged_segments_are_kept_across_generations(tmp_path):
    index = tmp_path / "index"
    write_documents(index, [(_doc(f"d{i}", "Frontex border"), NO_ENTITIES) for i in range(8)])
    searcher = Searcher(index)
    first = searcher.search("Frontex")
    cache_before = searcher._facets
    big = {id(seg) for _, seg in cache_before.segments}
    write_documents(index, [(_doc("new", "Frontex asylum"), NO_ENTITIES)])
    second = searcher.search("Frontex")
    cache_after = searcher._facets
    assert cache_after is not cache_before
    assert big <= {id(seg) for _, seg in cache_after.segments}  # the big segment was not decoded again
    assert len(cache_after.segments) == len(cache_before.segments) + 1
    assert second.total == first.total + 3
    docs = {d["value"]: d["count"] for d in second.facets["documents"]}
    assert docs["new"] == 3 and docs["d0"] == 3 and len(docs) == 9
    assert {d["value"]: d["label"] for d in second.facets["documents"]}["new"] == "Title new"


def test_facet_counts_across_segments_match_one_merged_segment(tmp_path):
    """The same matches counted over many segments (with a replaced document) and over the
    index merged into one give the same facets, in the same order."""
    index = tmp_path / "index"
    for i in range(3):
        write_documents(index, [(_doc(f"d{i}", "Frontex border", n=2 + i), NO_ENTITIES)])
    write_documents(index, [(_doc("d2", "Frontex replaced", n=9), NO_ENTITIES)])
    searcher = Searcher(index)
    many = searcher.search("Frontex", pagelen=100)
    assert len(searcher._facets.segments) > 1
    optimize_index(index)
    one = searcher.search("Frontex", pagelen=100)
    assert len(searcher._facets.segments) == 1
    assert many.total == one.total == sum(2 + i for i in range(3)) - 4 + 9
    assert many.facets["documents"] == one.facets["documents"]
    assert {d["value"]: d["label"] for d in many.facets["documents"]}["d2"] == "Title d2"


def test_facet_cache_counts_unsorted_docnums_and_ignores_other_segments(tmp_path):
    index = tmp_path / "index"
    for i in range(3):
        write_documents(index, [(_doc(f"d{i}", "Frontex"), NO_ENTITIES)])
    ix = open_index(index)
    with ix.searcher() as s:
        cache = FacetCache(s)
        everything = np.arange(s.doc_count_all())[::-1].copy()
        counts = dict(cache.counts(everything, "doc_id"))
        assert counts == {"d0": 3, "d1": 3, "d2": 3}
        assert cache.counts(np.zeros(0, dtype=np.int64), "doc_id") == []
        assert facets_module.shared_segments() >= 3


def test_postings_cache_bound_comes_from_the_setting_or_memory(monkeypatch):
    assert default_max_items({CACHE_SETTING: "64"}) == 64 * (1 << 20) // 8
    auto = default_max_items({})
    assert 512 * (1 << 20) // 8 <= auto <= 4096 * (1 << 20) // 8
    assert default_max_items({CACHE_SETTING: "0"}) == auto
    with pytest.raises(ValueError, match=CACHE_SETTING):
        default_max_items({CACHE_SETTING: "lots"})
    monkeypatch.setenv(CACHE_SETTING, "1")
    assert RankingCache().max_items == (1 << 20) // 8
    assert RankingCache(max_items=10).max_items == 10


def test_swap_lock_and_activate_keep_only_live_and_previous(tmp_path):
    index = tmp_path / "index"
    gens = [write_documents(index, [(_doc(f"d{i}", "Frontex"), NO_ENTITIES)]) for i in range(4)]
    assert sorted(p.name for p in index.glob("gen-*")) == [gens[-2].name, gens[-1].name]
    with swap_lock(index):
        activate(index, gens[-1])
    assert Searcher(index).search("Frontex").total == 12
