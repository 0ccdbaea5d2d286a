"""The search page, the API and the reader on natural queries, phrases and query errors."""

from __future__ import annotations

import re

import pytest

from indexer.store import DocumentStore


@pytest.fixture(scope="module")
def ids(sample_data_dir) -> dict[str, str]:
    return {s.doc_id[:3]: s.doc_id for s in DocumentStore(sample_data_dir).summaries()}


def _marks(html: str, cls: str = "") -> list[str]:
    """Text of the marks in the results or the document's passages (not in the colour key)."""
    html = html[html.find('class="passage') :] if cls else html
    pattern = r"<mark>(.*?)</mark>" if not cls else rf'<mark class="{cls}">(.*?)</mark>'
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(pattern, html, flags=re.S)]


def test_page_and_api_say_when_no_passage_has_every_word(client):
    html = client.get("/", query_string={"q": "BiH reception capacity migrants"}).get_data(as_text=True)
    assert "No passage has all 4 words: passages with 3 of them first" in html
    body = client.get("/api/search", query_string={"q": "BiH reception capacity migrants"}).get_json()
    assert body["total"] > 0 and body["relaxed"]["of"] == 4 and body["relaxed"]["matched_words"] == 3
    assert body["relaxed_message"].startswith("No passage has all 4 words")
    plain = client.get("/api/search", query_string={"q": "Frontex"}).get_json()
    assert plain["relaxed"] is None and plain["relaxed_message"] is None and "facet_more" in plain


def test_phrase_is_marked_as_a_phrase_in_snippets_and_the_reader(client, ids):
    html = client.get("/", query_string={"q": '"border procedure"'}).get_data(as_text=True)
    marks = _marks(html)
    assert marks and all(re.fullmatch(r"border procedures?", m, flags=re.I) for m in marks)
    reader = client.get(f"/doc/{ids['003']}", query_string={"q": '"border procedure"'}).get_data(as_text=True)
    marked = _marks(reader, "term")
    assert marked and all(re.fullmatch(r"border procedures?", m, flags=re.I) for m in marked)
    assert "control procedures" not in " ".join(marked)


def test_reader_marks_what_the_search_matched(client, ids):
    reader = client.get(f"/doc/{ids['003']}", query_string={"q": "policies"}).get_data(as_text=True)
    marked = {m.lower() for m in _marks(reader, "term")}
    assert marked and marked <= {"policies", "policy"}  # never "police"
    alias = client.get(f"/doc/{ids['004']}", query_string={"q": "BiH"}).get_data(as_text=True)
    assert "Bosnia and Herzegovina" in _marks(alias, "term")


@pytest.mark.parametrize(
    "query, says",
    [('"border control', "Unclosed quote"), ("(frontex OR serbia", "Unclosed parenthesis"), ("fn:abc", "fn:")],
)
def test_query_errors_are_clear_on_the_page_and_in_the_api(client, query, says):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 400 and says in response.get_json()["message"]
    page = client.get("/", query_string={"q": query})
    assert page.status_code == 400 and says in page.get_data(as_text=True)
