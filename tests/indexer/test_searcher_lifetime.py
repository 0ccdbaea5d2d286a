"""A generation switch never closes the Whoosh searcher a running search is using.

Real indexes on disk, real threads: a search is held in the middle of building its hits
(after ranking, while it reads stored fields and makes snippets) while other threads switch
the index to new generations and search them; the held search then finishes on its own
generation, and the searcher it used is closed once it is done.
"""

from __future__ import annotations

import threading

import pytest

from indexer import search as search_module
from indexer.search import Searcher
from indexer.writer import add_document, open_index, write_documents
from tests.common.indexing import make_document

PARAGRAPHS = [
    "Frontex coordinates return operations with the member states.",
    "The agency reported on border surveillance in the Mediterranean.",
    "Readmission agreements with third countries were discussed in Brussels.",
]


def _docs(version: int) -> list:
    """Three documents; version N adds N extra passages about 'frontex' to the first."""
    extra = [f"Frontex update number {i} of version {version}." for i in range(version)]
    return [
        make_document("alpha", PARAGRAPHS + extra, title="Alpha"),
        make_document("beta", list(reversed(PARAGRAPHS)), title="Beta"),
        make_document("gamma", PARAGRAPHS[1:], title="Gamma"),
    ]


def _write(index_dir, version: int) -> None:
    write_documents(index_dir, [(doc, []) for doc in _docs(version)])


class _Hold:
    """Stops searches running in the thread named ``held`` at their first snippet until released."""

    def __init__(self, monkeypatch) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        real = search_module.snippet_html

        def snippet(*args, **kwargs):
            if threading.current_thread().name == "held" and not self.release.is_set():
                self.reached.set()
                assert self.release.wait(30), "the test never released the held search"
            return real(*args, **kwargs)

        monkeypatch.setattr(search_module, "snippet_html", snippet)


def _run_held(searcher: Searcher, query: str, out: dict) -> threading.Thread:
    def run() -> None:
        try:
            out["results"] = searcher.search(query, pagelen=20)
        except BaseException as exc:  # reported by the test, not lost in the thread
            out["error"] = exc

    thread = threading.Thread(target=run, name="held")
    thread.start()
    return thread


@pytest.mark.parametrize("switches", [1, 3])
def test_generation_switch_during_a_search(tmp_path, monkeypatch, switches):
    index_dir = tmp_path / "index"
    _write(index_dir, 0)
    searcher = Searcher(index_dir)
    assert searcher.search("frontex").total == 2  # alpha and beta each hold it once
    hold = _Hold(monkeypatch)
    out: dict = {}
    thread = _run_held(searcher, "frontex", out)
    assert hold.reached.wait(30)
    first = searcher._searcher

    # while it is held: new generations go live (the held one's directory is deleted after
    # two switches), and searches from other threads open them
    for version in range(1, switches + 1):
        _write(index_dir, version)
        assert searcher.search("frontex").total == 2 + version
    assert searcher._searcher is not first
    assert not first.is_closed, "the held search's searcher was closed under it"

    hold.release.set()
    thread.join(30)
    assert "error" not in out, f"the held search failed: {out.get('error')!r}"
    results = out["results"]
    assert results.total == 2  # what its own generation held
    assert sorted(h.doc_id for h in results.hits) == ["alpha", "beta"]
    assert all("<mark>" in h.snippet_html for h in results.hits)
    assert first.is_closed, "the retired searcher was left open after its last search"
    assert searcher._leases == {}
    searcher.close()
    assert searcher._searcher is None


def test_in_place_commit_during_a_search(tmp_path, monkeypatch):
    """A commit into the live generation (in place, no switch) gives new requests a new
    searcher; the held one keeps its own until done."""
    index_dir = tmp_path / "index"
    _write(index_dir, 0)
    searcher = Searcher(index_dir)
    assert searcher.search("frontex").total == 2
    hold = _Hold(monkeypatch)
    out: dict = {}
    thread = _run_held(searcher, "frontex", out)
    assert hold.reached.wait(30)
    first = searcher._searcher

    writer = open_index(index_dir).writer()
    add_document(writer, make_document("delta", ["Frontex opened an office in Warsaw."], title="Delta"), [])
    writer.commit()
    assert searcher.search("frontex").total == 3
    assert searcher._searcher is not first
    assert not first.is_closed

    hold.release.set()
    thread.join(30)
    assert "error" not in out, f"the held search failed: {out.get('error')!r}"
    assert out["results"].total == 2
    assert first.is_closed
    assert searcher._leases == {}
    searcher.close()


def test_many_threads_search_across_switches(tmp_path):
    """Readers in threads while a writer switches generations: no search fails, and every
    total is one a generation held."""
    index_dir = tmp_path / "index"
    _write(index_dir, 0)
    searcher = Searcher(index_dir)
    errors: list[BaseException] = []
    totals: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                totals.add(searcher.search("frontex").total)
            except BaseException as exc:
                errors.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for version in range(1, 7):
        _write(index_dir, version)
    stop.set()
    for t in readers:
        t.join(30)
    assert errors == []
    assert totals <= {2 + v for v in range(7)}
    assert searcher.search("frontex").total == 8
    assert searcher._leases == {}
    searcher.close()
