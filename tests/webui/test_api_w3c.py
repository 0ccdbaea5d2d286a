"""What the HTTP API emits passes every MUST assertion of the W3C Web Annotation test suite."""

from __future__ import annotations

import json

import pytest

from tests.annotations.w3c import ANNOTATION_MUSTS, COLLECTION_MUSTS, failed_assertions

from .anno_support import browser_client, selector_body, stored_document

LD = "application/ld+json"


@pytest.fixture
def web(anno_app):
    client = browser_client(anno_app)
    client.document = stored_document(anno_app)
    return client


def _post(client, body):
    return client.post(
        "/api/annotations", data=json.dumps(body), content_type=LD, headers={"X-CSRF-Token": client.csrf}
    )


@pytest.mark.parametrize(
    "tags, comment",
    [(["pushbacks"], ""), ([], "A comment with a link https://example.org"), (["a", "b"], "both")],
    ids=["tags-only", "comment-only", "tags-and-comment"],
)
def test_created_annotation_passes_every_must(web, tags, comment):
    quote = web.document.text.split()[3]
    response = _post(web, selector_body(web.document, quote, tags=tags, comment=comment))
    assert response.status_code == 201, response.get_json()
    emitted = json.loads(response.data)
    assert failed_assertions(emitted, ANNOTATION_MUSTS) == []

    short = emitted["id"].rsplit("/", 1)[1]
    fetched = json.loads(web.get(f"/api/annotations/{short}").data)
    assert failed_assertions(fetched, ANNOTATION_MUSTS) == []


def test_listed_and_exported_collections_pass_every_must(web):
    words = web.document.text.split()
    for word, tag in ((words[2], "x"), (words[5], "y")):
        assert _post(web, selector_body(web.document, word, tags=[tag])).status_code == 201

    listed = json.loads(web.get("/api/annotations").data)
    exported = json.loads(web.get("/api/annotations/export?format=jsonld").data)
    for collection in (listed, exported):
        assert collection["type"] == "AnnotationCollection" and collection["total"] == 2
        assert failed_assertions(collection, COLLECTION_MUSTS) == []
        for item in collection["first"]["items"]:
            # embedded annotations inherit the collection's @context (JSON-LD scoping)
            assert "@context" not in item
            assert failed_assertions({"@context": collection["@context"], **item}, ANNOTATION_MUSTS) == []
