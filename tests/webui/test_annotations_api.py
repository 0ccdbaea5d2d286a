"""The annotation JSON-LD API through the Flask test client: real SQLite, real Whoosh index."""

from __future__ import annotations

import json

import pytest

from .anno_support import selector_body
from .anno_support import stored_document as doc

LD = "application/ld+json"


def post(client, body, **kw):
    headers = {"X-CSRF-Token": getattr(client, "csrf", ""), **kw.pop("headers", {})}
    return client.post(
        "/api/annotations",
        data=json.dumps(body) if not isinstance(body, (str, bytes)) else body,
        content_type=LD,
        headers=headers,
        **kw,
    )


def test_create_get_list_update_delete(web, anno_app):
    d = doc(anno_app)
    resp = post(
        web, selector_body(d, "pushbacks at the Greek border", tags=["pushbacks"], comment="see https://x.test")
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.headers["Content-Type"].startswith(LD) and "anno.jsonld" in resp.headers["Content-Type"]
    anno = json.loads(resp.data)
    assert anno["type"] == "Annotation" and anno["creator"]["name"] == "local"
    assert resp.headers["Location"] == anno["id"]
    short = anno["id"].rsplit("/", 1)[1]

    got = web.get(f"/api/annotations/{short}")
    assert got.status_code == 200 and json.loads(got.data)["id"] == anno["id"]

    listed = json.loads(web.get("/api/annotations?doc=alpha").data)
    assert listed["type"] == "AnnotationCollection" and listed["total"] == 1
    assert json.loads(web.get("/api/annotations?doc=beta").data)["total"] == 0
    assert json.loads(web.get("/api/annotations?tag=pushbacks").data)["total"] == 1
    assert json.loads(web.get("/api/annotations?q=GREEK").data)["total"] == 1
    assert json.loads(web.get("/api/annotations?visibility=shared").data)["total"] == 0

    patch = {"body": [{"type": "TextualBody", "purpose": "tagging", "value": "frontex"}], "glossa:visibility": "shared"}
    changed = web.patch(
        f"/api/annotations/{short}", data=json.dumps(patch), content_type=LD, headers={"X-CSRF-Token": web.csrf}
    )
    assert changed.status_code == 200, changed.get_json()
    data = json.loads(changed.data)
    assert data["glossa:visibility"] == "shared"
    assert [b["value"] for b in data["body"]] == ["frontex"]

    assert web.delete(f"/api/annotations/{short}", headers={"X-CSRF-Token": web.csrf}).status_code == 204
    assert web.get(f"/api/annotations/{short}").status_code == 404


@pytest.mark.parametrize(
    "mutate, status, words",
    [
        (lambda b: b["target"].update(source="http://glossa.test/doc/nosuchdoc"), 404, "Unknown document"),
        (lambda b: b["target"]["selector"][1].update(start=-3, end=10), 400, "non-negative integer"),
        (lambda b: b["target"]["selector"][0].update(exact="words that are not in the text"), 422, "does not match"),
        (lambda b: b["target"].pop("selector"), 400, "TextQuoteSelector"),
        (
            lambda b: b.update(body=[{"type": "TextualBody", "purpose": "commenting", "value": "x" * 20_000}]),
            413,
            "too long",
        ),
        (
            lambda b: b.update(body=[{"type": "TextualBody", "purpose": "tagging", "value": "two words"}]),
            400,
            "bad tag",
        ),
        (lambda b: b.update({"glossa:visibility": "public"}), 400, "visibility"),
    ],
)
def test_invalid_annotations_are_refused_with_a_reason(web, anno_app, mutate, status, words):
    body = selector_body(doc(anno_app), "pushbacks at the Greek border", tags=["pushbacks"])
    mutate(body)
    resp = post(web, body)
    assert resp.status_code == status, resp.get_json()
    err = resp.get_json()
    assert err["status"] == status and words.lower() in err["message"].lower()
    assert json.loads(web.get("/api/annotations").data)["total"] == 0  # nothing half-stored


def test_malformed_and_oversized_bodies(web):
    resp = post(web, "{not json")
    assert resp.status_code == 400 and "not valid JSON" in resp.get_json()["message"]
    assert post(web, "[1, 2]").status_code == 400
    big = post(web, json.dumps({"type": "Annotation", "pad": "x" * 300_000}))
    assert big.status_code == 413


def test_csrf_is_required_for_browser_writes(web, anno_app):
    body = selector_body(doc(anno_app), "pushbacks at the Greek border")
    no_token = web.post("/api/annotations", data=json.dumps(body), content_type=LD)
    assert no_token.status_code == 403 and "CSRF" in no_token.get_json()["message"]
    wrong = web.post("/api/annotations", data=json.dumps(body), content_type=LD, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert post(web, body).status_code == 201


def test_api_token_auth_is_exempt_from_csrf(anno_app):
    from webui import services

    with anno_app.app_context():
        service = services.get_annotation_service()
        service.add_user("carol", "a long password")
        token = service.create_token("carol")
    client = anno_app.test_client()  # no session, no CSRF token
    body = selector_body(doc(anno_app, "beta"), "Readmission agreements link visas", tags=["returns"])
    resp = client.post(
        "/api/annotations", data=json.dumps(body), content_type=LD, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 201, resp.get_json()
    assert json.loads(resp.data)["creator"]["name"] == "carol"
    bad = client.get("/api/annotations", headers={"Authorization": "Bearer glossa_wrong"})
    assert bad.status_code == 401


def test_tags_endpoint_and_exports(web, anno_app):
    d = doc(anno_app)
    post(web, selector_body(d, "pushbacks at the Greek border", tags=["pushbacks", "greece"], comment="=cmd()"))
    post(web, selector_body(d, "Asylum seekers", tags=["pushbacks"]))
    tags = web.get("/api/annotations/tags").get_json()["tags"]
    assert tags[0] == {"tag": "pushbacks", "count": 2}

    jl = web.get("/api/annotations/export?format=jsonld")
    assert jl.status_code == 200 and "attachment" in jl.headers["Content-Disposition"]
    assert json.loads(jl.data)["total"] == 2
    csv_text = web.get("/api/annotations/export?format=csv").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("document,title,page,passage,quote") and len(lines) == 3
    assert "alpha,Border policy in the Aegean,1,1,pushbacks at the Greek border" in csv_text  # title, page
    assert "'=cmd()" in csv_text  # formula neutralised
    assert ",1,pushbacks at the Greek border" in csv_text  # passage ordinal 1
    md = web.get("/api/annotations/export?format=markdown&tag=greece").get_data(as_text=True)
    assert md.startswith("# Annotations") and "Border policy in the Aegean" in md and "Asylum" not in md
    assert web.get("/api/annotations/export?format=xml").status_code == 400


def test_tag_search_finds_the_annotated_passage(web, anno_app):
    d = doc(anno_app)
    before = web.get("/api/search?q=tag:pushbacks").get_json()
    assert before["total"] == 0
    short = json.loads(post(web, selector_body(d, "pushbacks at the Greek", tags=["pushbacks"])).data)["id"].rsplit(
        "/", 1
    )[1]
    found = web.get("/api/search?q=tag:pushbacks").get_json()
    assert found["total"] == 1
    hit = found["hits"][0] if "hits" in found else found["groups"][0]["hits"][0]
    assert hit["doc_id"] == "alpha" and hit["ordinal"] == 1 and hit["tags"] == ["pushbacks"]
    assert "Frontex" in hit["text"]
    # the HTML search page too
    page = web.get("/?q=tag:pushbacks").get_data(as_text=True)
    assert "role of Frontex" in page
    # deleting the annotation removes the tag from the index
    web.delete(f"/api/annotations/{short}", headers={"X-CSRF-Token": web.csrf})
    assert web.get("/api/search?q=tag:pushbacks").get_json()["total"] == 0


def test_unknown_annotation_and_bad_filters(web):
    assert web.get("/api/annotations/00000000-0000-0000-0000-000000000000").status_code == 404
    assert web.get("/api/annotations/not-a-uuid").status_code == 404
    assert web.get("/api/annotations?visibility=everyone").status_code == 400
    assert web.get("/api/annotations?limit=abc").status_code == 400


def test_writes_check_quotes_against_the_current_text_of_a_document(web, anno_app):
    """The text annotation writes check against is kept between requests, never past a change."""
    from dataclasses import replace

    from indexer.store import StoredDocument
    from tests.common.indexing import make_document
    from webui import services

    assert post(web, selector_body(doc(anno_app), "Asylum seekers", tags=["islands"])).status_code == 201
    new = make_document("alpha", ["A rewritten first paragraph.", "Boats reach the islands at night."])
    with anno_app.app_context():
        services.get_store().put(
            StoredDocument(document=replace(new, title="Border policy"), entities=[], ingested_at="x", source_hash="y")
        )
    assert post(web, selector_body(new, "Boats reach the islands")).status_code == 201
    stale = selector_body(new, "Boats reach the islands")
    stale["target"]["selector"] = [{"type": "TextQuoteSelector", "exact": "Asylum seekers"}]
    assert post(web, stale).status_code == 422
