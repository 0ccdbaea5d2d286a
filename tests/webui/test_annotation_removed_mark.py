"""``GET /api/annotations/<id>`` marks an annotation of a removed document
(``glossa:documentRemoved``, with the removal's title and date) as the collection does."""

from __future__ import annotations

import json

from webui import services

from .test_exports_removed import HEADERS, _annotate, _client


def test_one_annotation_of_a_removed_document_is_marked_like_in_the_collection(app):
    client = _client(app)
    doc_ids = [d["doc_id"] for d in client.get("/api/documents").get_json()["documents"]]
    gone_doc, kept_doc = doc_ids[0], doc_ids[1]
    gone, kept = _annotate(client, gone_doc), _annotate(client, kept_doc)
    assert "glossa:documentRemoved" not in client.get(f"/api/annotations/{gone}").get_json(force=True)
    with app.app_context():
        services.get_annotation_service().mark_removed(gone_doc, title="The removed paper", removed_by="ed")

    one = client.get(f"/api/annotations/{gone}")
    assert one.status_code == 200
    mark = json.loads(one.data)["glossa:documentRemoved"]
    listed = {
        i["id"].rsplit("/", 1)[-1]: i for i in client.get("/api/annotations").get_json(force=True)["first"]["items"]
    }
    assert mark == listed[gone]["glossa:documentRemoved"] and mark["title"] == "The removed paper"
    assert "glossa:documentRemoved" not in json.loads(client.get(f"/api/annotations/{kept}").data)
    assert client.get("/api/annotations/no-such-id", headers=HEADERS).status_code == 404
