"""Pages that cost what they show: the document picker that searches, the paged document list
and works index, facet links built once per page, and the manifest read once per version."""

from __future__ import annotations

import re
import threading

import pytest

from indexer.store import DocumentStore, write_json
from tests.conftest import make_app
from webui import services
from webui.views import catalog, search

from .htmlcheck import INLINE_HANDLER


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:500])
    return response.get_data(as_text=True)


@pytest.fixture
def ids(data_dir) -> dict[str, str]:
    return {s.doc_id[:3]: s.doc_id for s in DocumentStore(data_dir).summaries()}


@pytest.fixture
def big_client(data_dir, tmp_path):
    """The app as it is on a corpus too large for a drop-down of every document."""
    return make_app(data_dir, tmp_path / "g.db", DOC_SELECT_MAX=0).test_client()


def test_small_corpus_keeps_the_drop_down(client, ids):
    html = page(client, f"/doc/{ids['003']}")
    assert '<select id="lookup-doc" name="doc"' in html
    assert f'<option value="{ids["003"]}" selected>' in html


def test_large_corpus_gets_a_searching_field_without_inline_script(big_client, ids):
    for url in ("/", f"/doc/{ids['003']}", f"/doc/{ids['003']}/fn/1"):
        response = big_client.get(url)
        html = response.get_data(as_text=True)
        assert "<select" not in html.split('class="lookup"')[1].split("</form>")[0], url
        assert re.search(r'<input id="lookup-doc" name="doc" type="text" required', html), url
        assert 'data-picker="/documents/pick"' in html and 'list="lookup-doc-list"' in html
        assert '<script src="/static/picker.js" defer></script>' in html
        assert not INLINE_HANDLER.search(html) and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    reader = page(big_client, f"/doc/{ids['003']}")
    assert f'value="{ids["003"]}"' in reader.split('id="lookup-doc"')[1].split(">")[0]  # this document chosen
    assert page(big_client, "/static/picker.js").count("fetch(") == 1


def test_pick_endpoint_searches_titles_and_ids(big_client, ids, data_dir):
    store = DocumentStore(data_dir)
    title = store.entry(ids["003"])["title"]
    word = max(title.split(), key=len)
    data = big_client.get("/documents/pick?q=" + word.upper()).get_json()  # case does not matter
    assert ids["003"] in [d["doc_id"] for d in data["documents"]]
    assert data["total"] == len(data["documents"]) >= 1
    assert {"doc_id", "title", "footnotes"} <= set(data["documents"][0])
    every = big_client.get("/documents/pick?limit=2").get_json()
    assert len(every["documents"]) == 2 and every["total"] == len(store.summaries())
    assert big_client.get("/documents/pick?q=zzzz-nothing").get_json() == {"documents": [], "total": 0}
    assert big_client.get("/documents/pick?limit=abc").status_code == 200  # clamped, never a 500


def test_cite_resolves_title_words_without_a_script(big_client, ids, data_dir):
    title = DocumentStore(data_dir).entry(ids["003"])["title"]
    response = big_client.get("/cite", query_string={"doc": title, "n": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/doc/{ids['003']}/fn/1")
    exact = big_client.get("/cite", query_string={"doc": ids["001"], "n": "2"})
    assert exact.headers["Location"].endswith(f"/doc/{ids['001']}/fn/2")
    # words naming several documents: a list to choose from, each linking to the note
    several = big_client.get("/cite", query_string={"doc": "txt", "n": "3"})
    html = several.get_data(as_text=True)
    assert several.status_code == 200 and "Which document?" in html
    assert len(re.findall(r'href="/doc/[^"/]+/fn/3"', html)) == len(DocumentStore(data_dir).summaries())
    # words naming nothing: the footnote page says there is no such document
    assert big_client.get("/cite", query_string={"doc": "zzzz", "n": "1"}).status_code == 302


def test_landing_page_lists_documents_a_page_at_a_time(client, ids, monkeypatch, data_dir):
    monkeypatch.setattr(search, "LANDING_DOCS", 2)
    every = sorted(s.doc_id for s in DocumentStore(data_dir).summaries())
    first = page(client, "/")
    listed = re.findall(r'<tr><td><a href="/doc/([^"]+)">', first)
    assert listed == every[:2]
    assert 'href="/?docs=2#documents"' in first and f"page 1 of {-(-len(every) // 2)}" in first
    second = re.findall(r'<tr><td><a href="/doc/([^"]+)">', page(client, "/?docs=2"))
    assert second == every[2:4]
    last = re.findall(r'<tr><td><a href="/doc/([^"]+)">', page(client, "/?docs=999"))
    assert last == every[(len(every) - 1) // 2 * 2 :]  # clamped to the last page


def test_works_index_is_paged_and_filtered(client, monkeypatch):
    monkeypatch.setattr(catalog, "WORKS_PER_PAGE", 3)
    first = page(client, "/works")
    total = int(re.search(r"(\d+) works cited in the footnotes", first).group(1))
    assert total > 6
    titles = lambda html: re.findall(r'href="/\?q=cites:([^"]+)">passages citing it', html)  # noqa: E731
    assert len(titles(first)) == 3 and 'href="/works?page=2"' in first
    second = page(client, "/works?page=2")
    assert len(titles(second)) == 3 and not set(titles(first)) & set(titles(second))
    assert '<ol class="works" start="4">' in second
    last = page(client, "/works?page=9999")
    assert f"Page {-(-total // 3)} of {-(-total // 3)}" in last
    filtered = page(client, "/works?name=beznec")
    count = int(re.search(r"(\d+) works? cited", filtered).group(1))
    assert 0 < count < total and "Beznec" in filtered
    if count > 3:
        assert 'href="/works?name=beznec&amp;page=2"' in filtered


def test_facet_links_add_one_value_to_the_current_search(client, ids):
    html = page(client, "/?q=Frontex&type=ORG&page=2")
    assert f'href="/?q=Frontex&amp;type=ORG&amp;doc={ids["003"]}"' in html
    narrowed = page(client, f"/?q=Frontex&doc={ids['003']}")
    assert '<li class="chosen">' in narrowed  # the chosen document, shown without a link
    assert re.search(r'href="/\?q=Frontex&amp;doc=[^"&]+&amp;type=\w+"', narrowed)


def test_manifest_is_parsed_once_per_version(app, client, ids, data_dir, monkeypatch):
    store_module = __import__("indexer.store", fromlist=["json"])
    loads = []
    real_load = store_module.json.load

    def counting_load(handle, *args, **kwargs):
        loads.append(getattr(handle, "name", ""))
        return real_load(handle, *args, **kwargs)

    page(client, "/")  # the first use parses it
    monkeypatch.setattr(store_module.json, "load", counting_load)
    for url in ("/?q=Frontex", f"/doc/{ids['003']}", "/", "/?q=migration"):
        page(client, url)
    assert not [name for name in loads if name.endswith("manifest.json")]
    # another process replaces the manifest (an ingest): the next request sees the new version
    with app.app_context():
        store = services.get_store()
        documents = store.manifest()
    doc_id = ids["003"]
    changed = dict(documents[doc_id], title="A retitled report")
    write_json(data_dir / "manifest.json", {"version": 1, "documents": {**documents, doc_id: changed}})
    assert "A retitled report" in page(client, "/")
    assert len([name for name in loads if name.endswith("manifest.json")]) == 1


def test_manifest_cache_is_safe_under_threads(data_dir):
    store = DocumentStore(data_dir)
    documents = store.manifest()
    errors: list[BaseException] = []
    seen: set[int] = set()

    def read() -> None:
        try:
            for _ in range(200):
                seen.add(len(store.manifest()))
                assert store.entry(next(iter(documents))) is not None
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(20):
        extra = dict(documents)
        if i % 2:
            extra["extra-doc"] = dict(next(iter(documents.values())), doc_id="extra-doc")
        write_json(data_dir / "manifest.json", {"version": 1, "documents": extra})
    for t in threads:
        t.join()
    assert not errors
    assert seen <= {len(documents), len(documents) + 1}
    # the caller's mapping is its own: changing it does not change the store's
    mine = store.manifest()
    mine.clear()
    assert store.count() in (len(documents), len(documents) + 1)


def test_store_find_folds_case_and_accents(data_dir):
    store = DocumentStore(data_dir)
    documents = store.manifest()
    doc_id = next(iter(documents))
    write_json(
        data_dir / "manifest.json",
        {"version": 1, "documents": {**documents, doc_id: dict(documents[doc_id], title="Župarić on Škofja Loka")}},
    )
    found, total = store.find("zuparic skofja")
    assert [d.doc_id for d in found] == [doc_id] and total == 1
    assert store.find("")[1] == len(documents)
    rows, total = store.find("", offset=1, limit=2)
    assert [r.doc_id for r in rows] == sorted(documents)[1:3] and total == len(documents)


def test_works_index_after_one_document_changes_reads_only_that_document(app, client, ids, data_dir, monkeypatch):
    first = page(client, "/works")
    with app.app_context():
        store = services.get_store()
    read: list[str] = []
    real_get = DocumentStore.get  # counted on the store itself (the app may wrap it: entity corrections)
    monkeypatch.setattr(DocumentStore, "get", lambda self, doc_id: read.append(doc_id) or real_get(self, doc_id))
    assert page(client, "/works") == first and not read  # the same manifest: nothing read
    documents = store.manifest()
    doc_id = ids["003"]
    changed = dict(documents[doc_id], ingested_at="2099-01-01T00:00:00+00:00")
    write_json(data_dir / "manifest.json", {"version": 1, "documents": {**documents, doc_id: changed}})
    again = page(client, "/works")
    assert read == [doc_id]
    count = lambda html: re.search(r"(\d+) works? cited", html).group(1)  # noqa: E731
    assert count(again) == count(first)


def test_works_page_lists_a_few_citing_notes_per_work_and_links_the_rest(client, monkeypatch):
    monkeypatch.setattr(catalog, "CITING_SHOWN", 1)
    html = page(client, "/works")
    first = html.split('<li class="work">')[1].split("</li>\n  \n")[0]
    cited = int(re.search(r"cited (\d+) times", first).group(1))
    assert cited > 1
    assert len(re.findall(r'<li><a href="/doc/[^"]+/fn/', first)) == 1
    assert f"and {cited - 1} more" in first and "every passage citing it" in first
