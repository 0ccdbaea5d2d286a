"""The search page and API by document, and multi-select facets (issue 13), on the sample corpus.

By document: one row per document, its true count of matching passages (over the whole result,
not the page), its best passages and a link to all of them; pages of documents; exact totals.
Facets: each value a link adding or removing it (facets.js makes them checkboxes), values of one
facet OR-ed, facets AND-ed, a facet with a choice counted without its own filter, chosen values
as removable chips, "clear all". Private tags: another user's never change or enter any of it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest

from indexer.store import DocumentStore

from .anno_support import build_data_dir, make_test_app, selector_body


@pytest.fixture(scope="module")
def ids(sample_data_dir) -> dict[str, str]:
    return {s.doc_id[:3]: s.doc_id for s in DocumentStore(sample_data_dir).summaries()}


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response.get_data(as_text=True)


def summary(html):
    m = re.search(r"(\d+) passages? in (\d+) documents?", html)
    return int(m.group(1)), int(m.group(2))


def rows(html):
    """(doc id, its count) of each result row, in page order."""
    return [
        (doc, int(n))
        for doc, n in re.findall(
            r'<article class="doc-group">\s*<h3><a href="/doc/([^?"]+)[^>]*>[^<]*</a>\s*<span class="hit-count">(\d+) passage',
            html,
        )
    ]


def facet(html, param):
    """(value, count, chosen, link) of each entry of one facet."""
    block = re.search(rf'<ul class="facet-options" data-param="{param}"(.*?)</ul>', html, re.S).group(1)
    out = []
    for li in re.findall(r"<li.*?</li>", block, re.S):
        value = unescape(re.search(r'data-value="([^"]*)"', li).group(1))
        chosen = re.search(r'data-chosen="(\w+)"', li).group(1) == "true"
        link = unescape(re.search(r'href="([^"]*)"', li).group(1))
        count = int(re.search(r'<span class="count">(\d+)</span>', li).group(1))
        out.append((value, count, chosen, link))
    return out


def params(link):
    return parse_qsl(urlsplit(link).query)


@pytest.fixture
def small_pages(data_dir, tmp_path):
    """A client of an app showing two results a page (so documents run over several pages)."""
    from tests.conftest import make_app

    return make_app(data_dir, tmp_path / "glossa.db", PAGE_SIZE=2).test_client()


def test_by_document_lists_each_document_once_with_true_counts(small_pages):
    client = small_pages
    passages = page(client, "/?q=border&group=")
    total, ndocs = summary(passages)
    first = page(client, "/?q=border&group=document")
    assert summary(first) == (total, ndocs)
    assert 'aria-current="true">By document</span>' in first and ">By passage</a>" in first
    pages = int(re.search(r'<span class="of">of (\d+) pages of documents</span>', first).group(1))
    assert pages == -(-ndocs // 2) and pages >= 2
    every = rows(first)
    for n in range(2, pages + 1):
        every += rows(page(client, f"/?q=border&group=document&page={n}"))
    docs = [d for d, _ in every]
    assert len(docs) == len(set(docs)) == ndocs  # each document once, on one page of documents
    assert sum(c for _, c in every) == total  # true counts: over the whole result
    # the counts are the document facet's counts (both over the whole result)
    counts = {v: c for v, c, _, _ in facet(passages, "doc")}
    assert all(counts[d] == c for d, c in every if d in counts)


def test_a_document_row_shows_its_best_passages_and_links_to_all_of_them(client, ids):
    html = page(client, "/?q=border&group=document")
    article = re.search(r'<article class="doc-group">.*?</article>', html, re.S).group(0)
    shown = len(re.findall(r'<li class="hit">', article))
    doc, count = rows(article)[0]
    assert 1 <= shown <= 3 and shown == min(3, count)
    if count > shown:
        link = unescape(re.search(r'<p class="in-document"><a href="([^"]+)">all (\d+) passages', article).group(1))
        assert ("doc", doc) in params(link) and ("group", "document") not in params(link)
        narrowed = page(client, link)
        assert summary(narrowed) == (count, 1)


def test_passage_pages_show_each_documents_true_count(client):
    html1, html3 = page(client, "/?q=border"), page(client, "/?q=border&page=3")
    counts = {v: c for v, c, _, _ in facet(html1, "doc")}
    for html in (html1, html3):
        assert rows(html) and all(c == counts[d] for d, c in rows(html))


def test_facet_values_are_links_that_add_or_remove_one_value(client, ids):
    a, b = ids["003"], ids["001"]
    whole = page(client, "/?q=border")
    docs = facet(whole, "doc")
    assert not any(chosen for *_, chosen, _ in docs)
    link_a = next(link for v, _, _, link in docs if v == a)
    assert params(link_a) == [("q", "border"), ("doc", a)]
    one = page(client, link_a)
    link_b = next(link for v, _, _, link in facet(one, "doc") if v == b)
    assert params(link_b) == [("q", "border"), ("doc", a), ("doc", b)]  # a second value: OR
    two = page(client, link_b)
    # both documents' results; the document facet keeps every document with its count
    assert {d for d, _ in rows(page(client, link_b + "&group=document"))} == {a, b}
    assert {d for d, _ in rows(two)} <= {a, b}
    assert [(v, c) for v, c, _, _ in facet(two, "doc")] == [(v, c) for v, c, _, _ in docs]
    assert {v for v, _, chosen, _ in facet(two, "doc") if chosen} == {a, b}
    by_doc = {v: c for v, c, _, _ in docs}
    assert summary(two) == (by_doc[a] + by_doc[b], 2)
    # a chosen value's link removes it alone
    back = next(link for v, _, chosen, link in facet(two, "doc") if v == a and chosen)
    assert params(back) == [("q", "border"), ("doc", b)]


def test_facets_are_and_ed_and_counted_without_their_own_filter(client, ids):
    a, b = ids["003"], ids["001"]
    both = page(client, f"/?q=border&doc={a}&doc={b}&type=GPE&type=ORG")
    only_types = page(client, "/?q=border&type=GPE&type=ORG")
    only_docs = page(client, f"/?q=border&doc={a}&doc={b}")
    assert summary(both)[0] < min(summary(only_types)[0], summary(only_docs)[0])
    strip = lambda entries: [(v, c, ch) for v, c, ch, _ in entries]  # noqa: E731
    assert [(v, c) for v, c, *_ in facet(both, "doc")] == [(v, c) for v, c, *_ in facet(only_types, "doc")]
    assert [(v, c) for v, c, *_ in facet(both, "type")] == [(v, c) for v, c, *_ in facet(only_docs, "type")]
    assert {v for v, _, ch in strip(facet(both, "type")) if ch} == {"GPE", "ORG"}


def test_chosen_values_are_removable_chips_and_clear_all_keeps_the_view(client, ids):
    a, b = ids["003"], ids["001"]
    html = page(client, f"/?q=border&doc={a}&doc={b}&type=GPE&group=document")
    chips = re.search(r'<ul class="active-filters".*?</ul>', html, re.S).group(0)
    links = [unescape(h) for h in re.findall(r'<a href="([^"]+)" title="Remove this filter">', chips)]
    assert len(links) == 3
    assert sorted(params(link) for link in links) == sorted(
        [
            [("q", "border"), ("doc", b), ("type", "GPE"), ("group", "document")],
            [("q", "border"), ("doc", a), ("type", "GPE"), ("group", "document")],
            [("q", "border"), ("doc", a), ("doc", b), ("group", "document")],
        ]
    )
    clear = unescape(re.search(r'<a class="clear" href="([^"]+)">Clear all filters</a>', chips).group(1))
    assert params(clear) == [("q", "border"), ("group", "document")]
    # facet links and page links keep the view too
    assert all(("group", "document") in params(link) for *_, link in facet(html, "type"))


def test_an_unknown_view_lists_passages_on_the_page_and_is_a_400_in_the_api(client):
    assert 'aria-current="true">By passage</span>' in page(client, "/?q=border&group=bogus")
    resp = client.get("/api/search?q=border&group=bogus")
    assert resp.status_code == 400 and resp.is_json
    assert "group" in resp.get_json()["message"] and "document" in resp.get_json()["message"]


def test_the_api_groups_by_document_and_takes_several_values_of_a_filter(client, ids):
    a, b = ids["003"], ids["001"]
    data = client.get("/api/search?q=border&group=document&pagelen=2").get_json()
    assert data["group"] == "document" and len(data["groups"]) == 2
    assert data["pages"] == -(-data["documents"] // 2)
    everything = client.get("/api/search?q=border&pagelen=100").get_json()
    per_doc = Counter(h["doc_id"] for h in everything["hits"])
    assert everything["total"] <= 100 and data["documents"] == len(per_doc)
    assert all(g["count"] == per_doc[g["doc_id"]] and 1 <= len(g["hits"]) <= 3 for g in data["groups"])
    two = client.get(f"/api/search?q=border&doc={a}&doc={b}&pagelen=100").get_json()
    assert {h["doc_id"] for h in two["hits"]} == {a, b} and two["total"] == per_doc[a] + per_doc[b]
    assert two["facets"]["documents"] == everything["facets"]["documents"]
    assert client.get("/api/search?q=border&group=passage").get_json()["group"] is None


def test_the_openapi_spec_describes_grouping(client):
    spec = client.get("/api/openapi.json").get_json()
    params_ = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params_["group"]["schema"]["enum"] == ["passage", "document"]
    assert params_["doc"]["schema"]["type"] == "array"
    results = spec["components"]["schemas"]["SearchResults"]
    assert "documents" in results["required"] and "count" in results["properties"]["groups"]["items"]["required"]


# --- private tags through the new facets and the grouping ---------------------------------------

SECRETS = ("secretplan", "whistleblower-x")
REQUESTS = [
    {"q": "border", "group": "document"},
    {"q": "border", "tag": ["islands"]},
    {"q": "border", "tag": ["islands", "pushbacks"], "group": "document"},
    {"q": "border", "tag": ["secretplan"]},
    {"q": "border", "tag": ["secretplan", "islands"], "group": "document"},
    {"q": "border", "doc": ["alpha", "beta"], "tag": ["islands"]},
    {"q": "tag:*", "tag": ["pushbacks"], "doc": ["alpha", "beta"]},
    {"q": "tag:s*", "group": "document"},
    {"q": "returns OR border", "tag": ["returns", "whistleblower-x"], "group": "document"},
]


def _signed_in(app, name, password):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/doc/alpha"})
    assert resp.status_code == 302
    client.csrf = re.search(r'data-csrf="([^"]+)"', client.get("/doc/alpha").get_data(as_text=True)).group(1)
    return client


def _create(client, body):
    resp = client.post(
        "/api/annotations",
        data=json.dumps(body),
        content_type="application/ld+json",
        headers={"X-CSRF-Token": client.csrf},
    )
    assert resp.status_code == 201, resp.get_json()


def _answers(client):
    out = []
    for request in REQUESTS:
        body = client.get("/api/search", query_string={**request, "pagelen": "50"}).get_json()
        body.pop("elapsed_ms", None)
        html = client.get("/", query_string=request).get_data(as_text=True)
        out.append((body, re.sub(r'<span class="timing">\([^)]*\)</span>', "", html)))
    return out


@pytest.fixture(scope="module")
def tag_runs(tmp_path_factory):
    from webui import services

    app = make_test_app(build_data_dir(tmp_path_factory.mktemp("facet-privacy") / "data"), AUTH="accounts")
    with app.app_context():
        services.get_annotation_service().add_user("alice", "alice's password")
        services.get_annotation_service().add_user("bob", "bob's password!")
        alpha = services.get_store().get("alpha").document
        beta = services.get_store().get("beta").document
    alice, bob = _signed_in(app, "alice", "alice's password"), _signed_in(app, "bob", "bob's password!")
    _create(alice, selector_body(alpha, "Asylum seekers", tags=["islands"], visibility="shared"))
    _create(alice, selector_body(beta, "link visas to returns", tags=["returns"], visibility="shared"))
    _create(bob, selector_body(beta, "EU-Turkey statement", tags=["pushbacks"]))
    before = {"bob": _answers(bob), "alice": _answers(alice)}
    _create(alice, selector_body(alpha, "pushbacks at the Greek border", tags=["secretplan", "whistleblower-x"]))
    _create(alice, selector_body(beta, "Readmission agreements", tags=["secretplan", "islands"]))
    return before, {"bob": _answers(bob), "alice": _answers(alice)}


def test_private_tags_change_nothing_another_user_sees_in_facets_or_groups(tag_runs):
    before, after = tag_runs
    for request, old, new in zip(REQUESTS, before["bob"], after["bob"], strict=True):
        assert old == new, request
        body, html = new
        for secret in SECRETS:
            asked = secret in json.dumps(request)
            assert asked or secret not in json.dumps(body), (request, secret)
            assert asked or secret not in html, (request, secret)
            assert secret not in json.dumps(body["facets"]) and secret not in json.dumps(body["groups"])
    # alice's own answers do change: her tags reach her facets and groups
    changed = sum(o != n for o, n in zip(before["alice"], after["alice"], strict=True))
    assert changed >= len(REQUESTS) // 2, changed
    body = after["alice"][REQUESTS.index({"q": "tag:s*", "group": "document"})][0]
    assert {"value": "secretplan", "label": "secretplan", "count": 2} in body["facets"]["tags"]
    assert sum(g["count"] for g in body["groups"]) == body["total"] >= 2
