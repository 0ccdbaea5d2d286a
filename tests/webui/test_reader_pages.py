"""Server-rendered parts of the reader's daily use (issue 13): page markers, pages on note
pages, the Ibid. target beside its note, find in document, the entity index filter."""

from __future__ import annotations

import re

import pytest

from indexer.store import DocumentStore
from webui.views import catalog


@pytest.fixture(scope="module")
def paper(sample_data_dir):
    store = DocumentStore(sample_data_dir)
    return next(store.get(s.doc_id) for s in store.summaries() if s.doc_id.startswith("003")).document


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_reader_marks_every_page_boundary(client, paper):
    html = page(client, f"/doc/{paper.doc_id}")
    starts = {}
    for p in paper.passages:
        if p.page and p.page not in starts:
            starts[p.page] = p.ordinal
    assert len(starts) > 2
    found = dict(
        (int(n), int(o))
        for n, o in re.findall(
            r'<div class="page-mark" id="page-(\d+)" data-glossa-skip><span>p\. \1</span></div>'
            r'<\w+ id="p-(\d+)"',
            html,
        )
    )
    assert found == starts


def test_note_page_gives_the_citing_page_and_a_citation(client, paper):
    mark = next(m for m in paper.marks if paper.passages[m.passage].page)
    cited_on = paper.passages[mark.passage].page
    html = page(client, f"/doc/{paper.doc_id}/fn/{mark.number}")
    assert f'<span class="note-on-page">p. {cited_on}</span>' in html
    assert f"{paper.title}, p. {cited_on}, n. {mark.number}" in html.replace("&#39;", "'").replace("&amp;", "&")
    assert f'href="/doc/{paper.doc_id}#page-{cited_on}">page {cited_on}</a>' in html


def test_ibid_note_shows_what_it_repeats_in_the_notes_list(client, paper):
    ibid = next(n for n in paper.footnotes if n.kind == "ibid" and n.refers_to and paper.footnote(n.refers_to))
    html = page(client, f"/doc/{paper.doc_id}")
    item = html.split(f'<li id="fn-{ibid.number}" class="note">', 1)[1].split("</li>", 1)[0]
    assert f'refers to <a href="#fn-{ibid.refers_to}">note {ibid.refers_to}</a>' in item
    target_words = " ".join(paper.footnote(ibid.refers_to).text.split()[:3])
    assert target_words.split()[0] in item


def test_reader_has_a_find_box_for_this_document(both_client, paper):
    html = page(both_client, f"/doc/{paper.doc_id}?q=Frontex")
    form = html.split('<form class="find"', 1)[1].split("</form>", 1)[0]
    assert f'action="/doc/{paper.doc_id}"' in form and 'name="q" type="search" value="Frontex"' in form
    assert '<mark class="term">Frontex</mark>' in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("BiH", "Bosnia and Herzegovina"),
        ("Türkiye", "Turkey"),
        ("presevo", "Preševo"),
        ("SVABIC", "Milica Švabić"),
        ("frontex", "Frontex"),
    ],
)
def test_entity_filter_honours_aliases_and_accents(client, typed, expected):
    html = page(client, f"/entities?name={typed}")
    assert f">{expected}</span>" in html, typed


def test_entity_filter_match_rules():
    assert catalog._name_matches("zuparic", "PERSON", "Dragan Župarić")
    assert catalog._name_matches("bih", "GPE", "Bosnia and Herzegovina")
    assert not catalog._name_matches("bih", "ORG", "Bosnia and Herzegovina")  # the alias is the place's
    assert not catalog._name_matches("zagreb", "PERSON", "Dragan Župarić")
