"""The JSON API over the ingested sample corpus: every endpoint, good and bad input."""

from __future__ import annotations

import pytest

PAPER = "003-b4544ddbd7f01f68"
SAMPLE_IDS = {
    "000-c7d6b90c2e1462b7",
    "001-ecc342d5c4ab413f",
    "002-91bd122e1223309b",
    PAPER,
    "004-14094fff2b1dbb4b",
}


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json, response.content_type
    body = response.get_json()
    assert body["status"] == status
    assert body["message"] and isinstance(body["message"], str)
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


# search ---------------------------------------------------------------------------------


def test_search_returns_grouped_hits_facets_and_timing(both_client):
    body = both_client.get("/api/search?q=frontex").get_json()
    assert body["query"] == "frontex"
    assert body["total"] > 0 and body["page"] == 1 and body["pages"] >= 1
    assert isinstance(body["elapsed_ms"], (int, float))
    assert body["groups"], body
    for group in body["groups"]:
        assert group["doc_id"] in SAMPLE_IDS
        for hit in group["hits"]:
            assert hit["doc_id"] == group["doc_id"]
            assert "frontex" in hit["text"].lower() or "<mark>" in hit["snippet_html"]
    assert {"documents", "entity_types", "entities", "tags"} <= set(body["facets"])


def test_search_doc_filter_and_paging(both_client):
    body = both_client.get(f"/api/search?q=migration&doc={PAPER}&pagelen=3").get_json()
    assert body["total"] > 3
    assert [g["doc_id"] for g in body["groups"]] == [PAPER]
    first = [(h["doc_id"], h["ordinal"]) for g in body["groups"] for h in g["hits"]]
    assert len(first) == 3
    second = both_client.get(f"/api/search?q=migration&doc={PAPER}&pagelen=3&page=2").get_json()
    assert second["page"] == 2
    later = [(h["doc_id"], h["ordinal"]) for g in second["groups"] for h in g["hits"]]
    assert later and not set(later) & set(first)


def test_search_snippet_is_escaped_html(client):
    body = client.get("/api/search?q=frontex&pagelen=50").get_json()
    for group in body["groups"]:
        for hit in group["hits"]:
            assert "<script" not in hit["snippet_html"].lower()


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20"])
def test_search_without_query_is_400(client, query):
    body = assert_json_error(client.get(f"/api/search?{query}"), 400)
    assert "'q'" in body["message"]


@pytest.mark.parametrize(
    "args, word",
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("pagelen=0", "pagelen"),
        ("pagelen=1000", "pagelen"),
        ("page=1.5", "page"),
        ("page=99999", "page"),
    ],
)
def test_search_bad_paging_is_400(client, args, word):
    body = assert_json_error(client.get(f"/api/search?q=frontex&{args}"), 400)
    assert repr(word) in body["message"]


def test_search_page_past_the_end_is_empty_with_the_true_total(both_client):
    first = both_client.get("/api/search?q=frontex&pagelen=10").get_json()
    assert first["total"] > 0 and first["hits"]
    for page in (first["pages"] + 1, 9999):  # as search engines answer: no hits, the real counts
        response = both_client.get(f"/api/search?q=frontex&pagelen=10&page={page}")
        assert response.status_code == 200
        body = response.get_json()
        assert body["hits"] == [] and body["groups"] == []
        assert (body["total"], body["pages"], body["page"]) == (first["total"], first["pages"], page)
        assert body["facets"] == first["facets"]  # facets count every match, whatever the page
    last = both_client.get(f"/api/search?q=frontex&pagelen=10&page={first['pages']}").get_json()
    assert last["hits"] and len(last["hits"]) <= 10
    assert_json_error(both_client.get("/api/search?q=frontex&page=10001"), 400)  # over MAX_PAGE: still refused


def test_search_without_hits_is_200_with_a_suggestion(both_client):
    body = both_client.get("/api/search?q=frontexx").get_json()
    assert body["total"] == 0 and body["groups"] == []
    assert body["suggestion"] and "frontex" in body["suggestion"].lower()


@pytest.mark.parametrize("query, says", [("bogus:frontex", 'Unknown field "bogus:"'), ("*", "*")])
def test_search_malformed_query_is_400_with_parser_message(both_client, query, says):
    body = assert_json_error(both_client.get("/api/search", query_string={"q": query}), 400)
    assert body["message"].startswith(f"Cannot understand the query {query!r}")
    assert says in body["message"]


# documents ------------------------------------------------------------------------------


def test_documents_lists_the_sample_corpus(client):
    rows = client.get("/api/documents").get_json()["documents"]
    assert {r["doc_id"] for r in rows} == SAMPLE_IDS
    paper = next(r for r in rows if r["doc_id"] == PAPER)
    assert paper["footnotes"] == 109 and paper["passages"] > 20 and paper["word_count"] > 5000


def test_document_has_text_passages_entities_footnotes_marks(client):
    doc = client.get(f"/api/documents/{PAPER}").get_json()
    text = doc["text"]
    assert len(doc["footnotes"]) == 109
    assert [p["ordinal"] for p in doc["passages"]] == list(range(len(doc["passages"])))
    for passage in doc["passages"]:
        assert 0 <= passage["start"] < passage["end"] <= len(text)
    assert doc["entities"]
    for ent in doc["entities"]:
        assert text[ent["start"] : ent["end"]] == ent["text"]
    assert {m["number"] for m in doc["marks"]} >= {"1", "42", "109"}
    assert "<sup>" not in text


def test_unknown_document_is_404_json(client):
    body = assert_json_error(client.get("/api/documents/no-such-doc"), 404)
    assert "no-such-doc" in body["message"]


# footnotes ------------------------------------------------------------------------------


def test_footnote_42_of_the_paper(client):
    note = client.get(f"/api/documents/{PAPER}/footnotes/42").get_json()
    assert note["number"] == "42" and note["doc_id"] == PAPER
    assert "Predicting Migration Flows" in note["text"]
    assert len(note["citing"]) == 1
    sentence = note["citing"][0]["sentence"]
    assert sentence.endswith("potential human rights violations.")
    assert "Among the major concerns" not in sentence
    assert note["ibid_target"] is None


def test_ibid_footnote_points_to_its_target(client):
    note = client.get(f"/api/documents/{PAPER}/footnotes/21").get_json()
    assert note["kind"] == "ibid" and note["refers_to"]
    assert int(note["refers_to"]) < 21
    assert note["ibid_target"]["number"] == note["refers_to"]
    assert note["ibid_target"]["kind"] != "ibid"


@pytest.mark.parametrize("number", ["999", "0", "abc"])
def test_bad_footnote_number_is_404_with_range(client, number):
    body = assert_json_error(client.get(f"/api/documents/{PAPER}/footnotes/{number}"), 404)
    assert "1-109" in body["message"]


def test_footnote_of_unknown_document_is_404(client):
    assert_json_error(client.get("/api/documents/nope/footnotes/1"), 404)


# entities and works ---------------------------------------------------------------------


def test_entities_by_type_and_text(client):
    rows = client.get("/api/entities").get_json()["entities"]
    assert len({r["label"] for r in rows}) > 3
    orgs = client.get("/api/entities?type=org").get_json()["entities"]
    assert orgs and {r["label"] for r in orgs} == {"ORG"}
    places = client.get("/api/entities?type=place").get_json()["entities"]
    assert places and {r["label"] for r in places} <= {"GPE", "LOC"}
    found = client.get("/api/entities?q=fronte").get_json()["entities"]
    assert found and all("fronte" in r["canonical"].lower() for r in found)
    assert all(r["mentions"] >= 1 and r["documents"] for r in rows)


def test_entities_unknown_type_is_400(client):
    body = assert_json_error(client.get("/api/entities?type=SPACESHIP"), 400)
    assert "PERSON" in body["message"]


def test_works_lists_cited_works(client):
    works = client.get("/api/works").get_json()["works"]
    assert len(works) > 20
    cited = {(c["doc_id"], c["number"]) for w in works for c in w["citations"]}
    assert (PAPER, "42") in cited
    assert any("Predicting Migration Flows" in (w["title"] or "") for w in works)


# errors of the API as a whole -----------------------------------------------------------


def test_unknown_api_route_is_404_json(client):
    assert_json_error(client.get("/api/no/such/route"), 404)


def test_wrong_method_is_405_json(client):
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"  # as a page would send it, so CSRF is not what fails
    headers = {"X-CSRF-Token": "t0ken"}
    assert_json_error(client.post("/api/search?q=x", headers=headers), 405)
    assert_json_error(client.delete("/api/documents", headers=headers), 405)
    assert_json_error(client.put(f"/api/documents/{PAPER}/footnotes/1", headers=headers), 405)


def test_405_keeps_the_allow_header(client):
    response = client.put("/api/documents", headers={"Authorization": "Bearer nope"})
    # an unknown token is refused before routing: still JSON
    assert_json_error(response, 401)
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    response = client.put("/api/documents", headers={"X-CSRF-Token": "t0ken"})
    assert_json_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_api_root_and_unexpected_errors_are_json(app):
    @app.get("/api/_boom")
    def boom():
        raise RuntimeError("secret detail")

    client = app.test_client()
    assert_json_error(client.get("/api"), 404)
    body = assert_json_error(client.get("/api/_boom"), 500)
    assert "secret detail" not in body["message"]
