"""The works index kept on disk (DATA/works.db): written by ingest, checked against the document
list, rebuilt when missing or damaged, the same works as building it from every document."""

from __future__ import annotations

import re
import shutil
from dataclasses import asdict

import pytest

from corpus.works import WorkPart, WorksIndex, build_works, document_parts
from indexer.pipeline import ingest, remove_documents
from indexer.store import DocumentStore, doc_version
from tests.conftest import make_app


def _full(store: DocumentStore) -> list:
    """The works as build_works makes them from every stored document, most cited first."""
    docs = [store.get(s.doc_id).document for s in store.summaries()]
    return sorted(build_works(docs), key=lambda w: (-len(w.citations), w.key))


def _counting(monkeypatch) -> list[str]:
    read: list[str] = []
    real_get = DocumentStore.get
    monkeypatch.setattr(DocumentStore, "get", lambda self, doc_id: read.append(doc_id) or real_get(self, doc_id))
    return read


def test_ingest_writes_the_works_index_and_a_new_process_reads_no_document(data_dir, tmp_path, monkeypatch):
    assert (data_dir / "works.db").is_file()
    expected = _full(DocumentStore(data_dir))
    assert len(expected) > 6
    read = _counting(monkeypatch)
    client = make_app(data_dir, tmp_path / "g.db").test_client()
    html = client.get("/works").get_data(as_text=True)
    assert read == []  # the works came from works.db, not from the documents
    assert f"{len(expected)} works cited" in html
    top = expected[0]
    assert f"cited {len(top.citations)} times" in html and f"cites:{top.key}" in html
    stored = DocumentStore(data_dir).works_index().works()
    assert [asdict(w) for w in stored] == [asdict(w) for w in expected]


@pytest.mark.parametrize("damage", ["missing", "garbage", "old format"])
def test_a_missing_or_damaged_works_file_is_built_again(data_dir, damage):
    expected = [asdict(w) for w in _full(DocumentStore(data_dir))]
    path = data_dir / "works.db"
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"this is not an SQLite file" * 100)
    else:
        import sqlite3

        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA user_version = 99")
    store = DocumentStore(data_dir)
    assert [asdict(w) for w in store.works_index().works()] == expected
    # written back: the next process finds it complete
    again = WorksIndex(path)
    assert again.versions() == {d: doc_version(e) for d, e in store.manifest().items()}


def test_ingest_and_removal_update_only_what_changed(data_dir, sample_files, tmp_path, monkeypatch):
    store = DocumentStore(data_dir)
    before = {w.key: len(w.citations) for w in store.works_index().works()}
    source = tmp_path / "extra.txt"
    shutil.copyfile(sample_files[3], source)  # a copy: every work it cites is cited once more
    report = ingest([source], data_dir, progress=False)
    new_id = report.added[0]
    read = _counting(monkeypatch)
    fresh = DocumentStore(data_dir)
    after = {w.key: len(w.citations) for w in fresh.works_index().works()}
    assert read == []  # ingest put the new document's parts in works.db
    parts = document_parts(fresh.get(new_id).document)
    assert parts and {k: after[k] - before.get(k, 0) for k in parts} == {k: len(p.citations) for k, p in parts.items()}
    assert {k: n for k, n in after.items() if k not in parts} == {k: n for k, n in before.items() if k not in parts}
    remove_documents([new_id], data_dir)
    gone = DocumentStore(data_dir)
    assert {w.key: len(w.citations) for w in gone.works_index().works()} == before
    assert new_id not in WorksIndex(data_dir / "works.db").versions()


def test_a_document_changed_behind_the_index_is_read_again(data_dir):
    store = DocumentStore(data_dir)
    doc_id = store.summaries()[0].doc_id
    index = WorksIndex(data_dir / "works.db")
    index.update({doc_id: ("an old version", {"made-up-work": WorkPart(title="Made up", citations=["1"])})})
    assert "made-up-work" in {w.key for w in index.works()}
    fresh = DocumentStore(data_dir)
    assert "made-up-work" not in {w.key for w in fresh.works_index().works()}
    assert [asdict(w) for w in fresh.works_index().works()] == [asdict(w) for w in _full(fresh)]


def test_update_applied_twice_changes_nothing(tmp_path):
    index = WorksIndex(tmp_path / "works.db")
    part = WorkPart(authors=["Beznec, B."], title="Governing the Balkan Route", citations=["1", "4"])
    change = {"a": ("v1", {"beznec-2016": part}), "b": ("v1", {"beznec-2016": WorkPart(year="2016", citations=["2"])})}
    index.update(change)
    first = [asdict(w) for w in index.works()]
    index.update(change)
    assert [asdict(w) for w in index.works()] == first
    (work,) = index.works()
    assert work.citations == [("a", "1"), ("a", "4"), ("b", "2")] and work.year == "2016"
    rows, total = index.page("BALKAN", 0, 10)
    assert total == 1 and rows[0].cited == 3
    index.update({"a": None, "b": None})
    assert index.works() == [] and index.versions() == {}


def test_works_page_links_match_the_routes(app, client):
    html = client.get("/works").get_data(as_text=True)
    links = re.findall(r'<li><a href="(/doc/[^"]+/fn/[^"]+)">', html)
    assert links
    with app.test_request_context():
        from flask import url_for

        from webui.views.catalog import _DocumentLinks

        store = DocumentStore(app.config["DATA_DIR"])
        doc_id = store.summaries()[0].doc_id
        made = _DocumentLinks(store)
        for number in ("12", "*", "3a", "†", "a b"):
            assert made.note(doc_id, number)["url"] == url_for("reader.footnote", doc_id=doc_id, number=number)
        assert made.entry(doc_id, 4)["url"] == url_for("reader.document", doc_id=doc_id) + "#p-4"


def test_search_page_links_match_the_routes(app, client):
    from flask import url_for

    from webui.render import DocumentLinks

    html = client.get("/?q=frontex+border").get_data(as_text=True)
    with app.test_request_context():
        doc_id = DocumentStore(app.config["DATA_DIR"]).summaries()[0].doc_id
        for q in ("frontex border", 'org:"European Commission" & x', None):
            links = DocumentLinks(q)
            assert links.document(doc_id) == url_for("reader.document", doc_id=doc_id, q=q)
            assert links.passage(doc_id, 7) == url_for("reader.document", doc_id=doc_id, q=q) + "#p-7"
            assert links.note(doc_id, "*") == url_for("reader.footnote", doc_id=doc_id, number="*")
        shown = re.findall(r'<a class="snippet" href="([^"]+)"', html)
        assert shown and all(u.startswith("/doc/") and "?q=frontex+border#p-" in u for u in shown)
