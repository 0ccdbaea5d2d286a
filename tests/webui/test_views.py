"""The HTML pages through the Flask test client, on the ingested sample corpus."""

from __future__ import annotations

import re

import pytest

from indexer.store import DocumentStore

from .htmlcheck import INLINE_HANDLER, handler_attributes, passage_texts


@pytest.fixture(scope="module")
def ids(sample_data_dir) -> dict[str, str]:
    """Sample doc ids by their three-digit prefix ("003" -> the research paper)."""
    return {s.doc_id[:3]: s.doc_id for s in DocumentStore(sample_data_dir).summaries()}


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:500])
    assert response.headers["Content-Type"].startswith("text/html")
    return response.get_data(as_text=True)


def test_landing_page_has_box_documents_and_lookup(client, ids):
    html = page(client, "/")
    assert re.search(r'<input id="q" type="search" name="q" value="" autofocus', html)
    assert "<summary>Query syntax</summary>" in html and "org:Frontex" in html
    assert f'href="/doc/{ids["003"]}"' in html
    assert 'action="/cite"' in html and f'<option value="{ids["003"]}"' in html


def test_search_groups_results_with_terms_entities_and_facets(both_client, ids):
    html = page(both_client, "/?q=Frontex")
    assert re.search(r"\d+ passages in \d+ documents", html)
    assert '<mark class="term">Frontex</mark>' in html or "<mark>Frontex</mark>" in html
    assert re.search(r'<span class="ent ent-ORG"', html)
    assert re.search(rf'href="/doc/{ids["003"]}\?q=Frontex#p-\d+"', html)
    for heading in ("Documents", "Entity types", "Top entities"):
        assert f"<h3>{heading}</h3>" in html
    assert f'href="/?q=Frontex&amp;doc={ids["003"]}"' in html  # narrowing link
    assert "Colour key" in html and "Organisation" in html
    assert re.search(r"\(\d+ ms\)", html)


def test_filters_narrow_and_can_be_removed(both_client, ids):
    html = page(both_client, f"/?q=Frontex&doc={ids['003']}&type=PERSON")
    assert 'aria-label="Active filters"' in html
    groups = re.findall(r'<article class="doc-group">\s*<h3><a href="/doc/([^?"]+)', html)
    assert groups and set(groups) == {ids["003"]}
    # each active filter has a link that drops just it
    assert f'href="/?q=Frontex&amp;doc={ids["003"]}"' in html
    assert 'href="/?q=Frontex&amp;type=PERSON"' in html
    total = lambda html: int(re.search(r"(\d+) passages? in", html).group(1))  # noqa: E731
    everything = page(both_client, "/?q=Frontex")
    assert 'href="/?q=Frontex&amp;entity=North%20Macedonia"' in everything
    narrowed = page(both_client, "/?q=Frontex&entity=North%20Macedonia")
    assert 0 < total(narrowed) < total(everything)
    only_filter = page(both_client, f"/?doc={ids['000']}")
    assert re.findall(r'<article class="doc-group">\s*<h3><a href="/doc/([^?"]+)', only_filter) == [ids["000"]]


def test_pagination_and_out_of_range_pages(client):
    html = page(client, "/?q=migration")
    assert 'aria-label="Result pages"' in html and 'rel="next" href="/?q=migration&amp;page=2"' in html
    assert page(client, "/?q=migration&page=2").count('class="hit"') > 0
    far = page(client, "/?q=migration&page=99999999999")
    assert "There is no page" in far and "Go to the last page" in far
    assert "passages in" in page(client, "/?q=migration&page=abc")


def test_malformed_query_is_a_friendly_page(client):
    for bad in ("(((", "*", "a:b:c"):
        html = page(client, "/?q=" + bad, status=400)
        assert "We could not run this search" in html and "Traceback" not in html
    assert "too long" in page(client, "/?q=" + "a" * 2000, status=400)


def test_no_results_suggests_a_spelling(both_client):
    html = page(both_client, "/?q=migartion")
    assert "No results" in html
    assert re.search(r'Did you mean <a href="/\?q=\w+">\w+</a>', html)


def test_query_is_escaped_everywhere(client, ids):
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    for url in ("/?q=", f"/doc/{ids['003']}?q=", "/entities?name=", "/works?name="):
        response = client.get(url + evil)
        html = response.get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)" in html, url
        assert handler_attributes(html) == [], url


def test_script_in_corpus_text_shows_as_text(data_dir, tmp_path):
    from indexer.pipeline import ingest
    from tests.conftest import make_app

    evil = tmp_path / "evil.txt"
    evil.write_text("A hostile page\n\nFrontex wrote <script>alert('pwned')</script> and <b>bold</b> zebrafish.\n")
    assert not ingest([evil], data_dir, progress=False).failed
    client = make_app(data_dir, tmp_path / "g.db").test_client()
    html = page(client, "/?q=zebrafish")
    assert "<script>alert('pwned')" not in html and "&lt;script&gt;alert(" in html
    doc_id = re.search(r'href="/doc/([^?"]+)\?q=zebrafish#p-\d+"', html).group(1)
    reader = page(client, f"/doc/{doc_id}?q=zebrafish")
    assert "<script>alert('pwned')" not in reader and "&lt;b&gt;bold&lt;/b&gt;" in reader


def test_reader_text_maps_to_canonical_offsets(client, ids, sample_data_dir):
    doc = DocumentStore(sample_data_dir).get(ids["003"]).document
    html = page(client, f"/doc/{ids['003']}?q=migration+Frontex")
    passages = passage_texts(html)
    assert len(passages) == len(doc.passages)
    for p in doc.passages:
        got = passages[f"p-{p.ordinal}"]
        assert got["text"] == doc.text[p.start : p.end], p.ordinal
    assert '<mark class="term">migration</mark>' in html
    # footnote marks link to the notes, notes link back to every citation
    assert re.search(
        r'<sup class="fnref" data-glossa-skip><a href="#fn-42" id="fnref-42-1" aria-describedby="fn-42"', html
    )
    assert '<li id="fn-42" class="note"' in html and 'href="#fnref-42-1"' in html
    assert '<aside id="annotation-panel"' in html
    for meta in ("Source", "Format", "Words", "Ingested"):
        assert f"<dt>{meta}</dt>" in html
    assert "003_b4544ddbd7f01f68.txt" in html


def test_reader_entity_toggles_and_focus(client, ids):
    html = page(client, f"/doc/{ids['003']}")
    assert 'class="ent ent-PERSON"' in html and 'class="ent ent-ORG"' in html
    assert 'name="show" value="PERSON"' in html
    only_people = page(client, f"/doc/{ids['003']}?types=1&show=PERSON")
    assert 'class="ent ent-PERSON"' in only_people and 'class="ent ent-ORG"' not in only_people
    focused = page(client, f"/doc/{ids['003']}?ent=ORG:Frontex")
    assert 'class="ent ent-ORG ent-focus" data-label="ORG" data-canonical="Frontex"' in focused
    assert 'href="/?q=entity:%22Frontex%22"' in focused  # search the corpus for it


def test_unknown_document_is_a_404_page(client):
    for url in ("/doc/nope", "/doc/..%2F..%2Fetc", "/doc/nope/fn/1", "/cite?doc=nope&n=1"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 404, url
        html = response.get_data(as_text=True)
        assert "Back to search" in html


def test_footnote_page_shows_note_citing_sentence_and_references(client, ids):
    html = page(client, f"/doc/{ids['003']}/fn/42")
    assert "<h1>Note 42" in html and "Predicting Migration Flows" in html
    cited = re.search(r"<h2>Cited in the text</h2>\s*<ul>\s*<li><blockquote>(.*?)</blockquote>", html, re.S).group(1)
    assert cited.startswith("The French NGO Disclose") and cited.endswith('<sup class="fnref-here">42</sup>')
    assert f'href="/doc/{ids["003"]}#fnref-42-1"' in html
    assert "<h2>References</h2>" in html
    assert 'rel="prev" href="/doc/' in html and 'rel="next" href="/doc/' in html


def test_ibid_note_shows_the_note_it_refers_to(client, ids, sample_data_dir):
    doc = DocumentStore(sample_data_dir).get(ids["003"]).document
    ibids = [n for n in doc.footnotes if n.refers_to]
    assert ibids, "the sample paper has several Ibid. notes"
    note = ibids[0]
    target = doc.footnote(note.refers_to)
    html = page(client, f"/doc/{ids['003']}/fn/{note.number}")
    assert f"<h2>Refers to note {note.refers_to}</h2>" in html and '<span class="badge">Ibid.</span>' in html
    assert target.text.split()[0] in html.split("Refers to note")[1]


def test_bad_footnote_numbers_give_the_valid_range(client, ids):
    html = page(client, f"/doc/{ids['003']}/fn/200", status=404)
    assert "Note 200 does not exist; this document has notes 1-109." in html
    assert 'action="/cite"' in html
    assert "does not exist" in page(client, f"/doc/{ids['003']}/fn/abc%3Cb%3E", status=404)
    assert "has no footnotes" in page(client, f"/doc/{ids['000']}/fn/1", status=404)


def test_cite_redirects_and_explains_missing_input(client, ids):
    response = client.get(f"/cite?doc={ids['003']}&n=42")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/doc/{ids['003']}/fn/42")
    html = page(client, "/cite?doc=&n=", status=400)
    assert "footnote number" in html


def test_entity_index_lists_filters_and_links(client):
    html = page(client, "/entities")
    assert "<h1>Entity index</h1>" in html and 'href="/?q=entity:%22Frontex%22"' in html
    people = page(client, "/entities?type=PERSON")
    kinds = set(re.findall(r'<td><a href="/entities\?type=(\w+)', people))
    assert kinds == {"PERSON"}
    named = page(client, "/entities?name=frontex")
    assert "Frontex" in named and "European Union" not in named


def test_works_page_lists_cited_works_with_counts(client, ids):
    html = page(client, "/works")
    assert re.search(r"\d+ works cited in the footnotes", html)
    assert re.search(r'href="/\?q=cites:beznec-2016[\w-]*">passages citing it', html)
    assert re.search(r"cited [2-9]\d* times", html)  # the most cited come first
    assert f'href="/doc/{ids["003"]}/fn/' in html
    assert "Beznec" in page(client, "/works?name=beznec") and "Beznec" not in page(client, "/works?name=zzzz")
    assert "Query syntax" in page(client, "/help")


def test_security_headers_and_no_inline_script(client, ids):
    urls = ["/", "/?q=Frontex", f"/doc/{ids['003']}", f"/doc/{ids['003']}/fn/42", "/entities", "/help", "/doc/nope"]
    for url in urls:
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
        html = response.get_data(as_text=True)
        assert not INLINE_HANDLER.search(html), url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html, url


def test_pages_work_on_an_empty_data_directory(tmp_path):
    from tests.conftest import make_app

    client = make_app(tmp_path / "empty", tmp_path / "g.db").test_client()
    assert "No documents yet" in page(client, "/")
    assert "No results" in page(client, "/?q=Frontex")
    assert "0 entities" in page(client, "/entities")
    assert "0 works cited" in page(client, "/works")
    page(client, "/doc/000-anything", status=404)


def test_every_example_query_finds_something(both_client):
    html = page(both_client, "/")
    examples = re.findall(r'<li><a href="(/\?q=[^"]+)">', html.split('class="examples"')[1].split("</ul>")[0])
    assert len(examples) >= 4
    for url in examples:
        assert re.search(r"\d+ passages? in", page(both_client, url.replace("&amp;", "&"))), url
