"""The /annotations page, the reader panel markup, and re-anchoring after a re-ingest."""

from __future__ import annotations

import json
import re

from .anno_support import DOCS, selector_body
from .anno_support import stored_document as document

LD = "application/ld+json"


def create(client, body):
    resp = client.post(
        "/api/annotations", data=json.dumps(body), content_type=LD, headers={"X-CSRF-Token": client.csrf}
    )
    assert resp.status_code == 201, resp.get_json()
    return json.loads(resp.data)["id"].rsplit("/", 1)[1]


def test_reader_panel_has_config_and_no_inline_script(web):
    html = web.get("/doc/alpha").get_data(as_text=True)
    panel = re.search(r'<section id="anno-panel".*?</section>', html, re.S).group(0)
    for attr in ('data-doc-id="alpha"', 'data-api="/api/annotations"', 'data-user="local"', 'data-can-annotate="true"'):
        assert attr in panel
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # every script is a file
    assert re.search(r"\son\w+\s*=", html) is None  # no inline handlers (onclick=...)
    assert web.get("/").get_data(as_text=True).count('id="anno-panel"') == 0  # reader only


def test_annotations_page_filters_counts_and_escaping(web, anno_app):
    alpha, beta = document(anno_app), document(anno_app, "beta")
    create(
        web,
        selector_body(alpha, "pushbacks at the Greek border", tags=["pushbacks"], comment="<script>alert(1)</script>"),
    )
    create(web, selector_body(alpha, "Asylum seekers", tags=["pushbacks", "islands"]))
    create(web, selector_body(beta, "Readmission agreements", tags=["returns"]))
    page = web.get("/annotations").get_data(as_text=True)
    assert page.count('<tr id="anno-') == 3
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    counts = dict(
        re.findall(r'class="anno-tag" href="/annotations\?tag=(\w+)">\w+</a> <span class="count">(\d+)', page)
    )
    assert counts == {"pushbacks": "2", "islands": "1", "returns": "1"}
    assert "/api/annotations/export?format=csv" in page
    by_tag = web.get("/annotations?tag=islands").get_data(as_text=True)
    assert by_tag.count('<tr id="anno-') == 1 and "Asylum seekers" in by_tag
    by_doc = web.get("/annotations?doc=beta").get_data(as_text=True)
    assert by_doc.count('<tr id="anno-') == 1 and 'href="/api/annotations/export?format=jsonld&amp;doc=beta"' in by_doc
    by_text = web.get("/annotations?q=greek").get_data(as_text=True)
    assert by_text.count('<tr id="anno-') == 1
    assert web.get("/annotations?author=nobody").get_data(as_text=True).count('<tr id="anno-') == 0
    link = re.search(r'href="(/doc/alpha#anno-[0-9a-f-]+)"', page).group(1)
    assert web.get(link.split("#")[0]).status_code == 200


def _reingest(app, doc_id, paragraphs):
    """Replace a document's text in store and index, as `glossa ingest` does for a changed file."""
    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document

    title = DOCS[doc_id][0]
    doc = make_document(doc_id, paragraphs, title=title)
    write_index(app.config["INDEX_DIR"], [(doc, [])])
    DocumentStore(app.config["DATA_DIR"]).put(
        StoredDocument(document=doc, entities=[], ingested_at="2026-02-01T00:00:00Z", source_hash="y")
    )
    return doc


def test_reanchor_after_reingest_moves_and_orphans(web, anno_app):
    from webui.annotate import reanchor_documents

    alpha = document(anno_app)
    moved = create(web, selector_body(alpha, "pushbacks at the Greek border", tags=["pushbacks"]))
    lost = create(web, selector_body(alpha, "Asylum seekers wait", tags=["islands"]))
    title, paras = DOCS["alpha"]
    new_doc = _reingest(
        anno_app, "alpha", ["A new opening paragraph was added.", *paras[:2], "The islands section was rewritten."]
    )

    summary = reanchor_documents(anno_app, ["alpha", "no-such-doc"])
    assert summary == {"alpha": {"kept": 0, "moved_unchanged": 1, "moved_changed": 0, "orphaned": 1}}
    got = json.loads(web.get(f"/api/annotations/{moved}").data)
    pos = next(s for s in got["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert new_doc.text[pos["start"] : pos["end"]] == "pushbacks at the Greek border"
    # the tag follows the passage in the index (now passage 2)
    hits = web.get("/api/search?q=tag:pushbacks").get_json()["hits"]
    assert [(h["doc_id"], h["ordinal"]) for h in hits] == [("alpha", 2)]

    orphan = json.loads(web.get(f"/api/annotations/{lost}").data)
    assert orphan["glossa:status"] == "orphaned"
    page = web.get("/annotations?status=orphaned").get_data(as_text=True)
    assert "anno-badge-orphaned" in page and "Asylum seekers wait" in page

    # re-placing the orphan by hand on new text
    start = new_doc.text.index("islands section")
    body = selector_body(new_doc, "islands section")
    resp = web.patch(
        f"/api/annotations/{lost}",
        data=json.dumps({"target": body["target"]}),
        content_type=LD,
        headers={"X-CSRF-Token": web.csrf},
    )
    assert resp.status_code == 200, resp.get_json()
    placed = json.loads(resp.data)
    assert placed["glossa:status"] == "anchored"
    pos = next(s for s in placed["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert (pos["start"], pos["end"]) == (start, start + len("islands section"))
    assert web.get("/api/search?q=tag:islands").get_json()["hits"][0]["ordinal"] == 3
    # a target on another document or with a wrong quote is refused
    wrong = selector_body(new_doc, "islands section")
    wrong["target"]["selector"][0]["exact"] = "not there at all"
    resp = web.patch(
        f"/api/annotations/{lost}",
        data=json.dumps({"target": wrong["target"]}),
        content_type=LD,
        headers={"X-CSRF-Token": web.csrf},
    )
    assert resp.status_code == 422
