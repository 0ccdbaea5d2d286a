"""Annotations on footnote text through the API and the pages: the note as target source,
errors, `tag:` search where the text cites the note, re-anchoring after a re-ingest."""

from __future__ import annotations

import copy
import json
import re

from .anno_support import DOCS, NOTES, selector_body
from .anno_support import stored_document as document
from .test_annotations_pages import create

LD = "application/ld+json"
NOTE_TEXT = NOTES["alpha"]["notes"]["1"]  # "Amnesty International, 2021."


def note_body(quote: str, number: str = "1", text: str = NOTE_TEXT, tags=("amnesty",), visibility="private") -> dict:
    body = selector_body(document_stub(text), quote, tags=tags, visibility=visibility)
    body["target"]["source"] = f"http://glossa.test/doc/alpha/fn/{number}"
    return body


class document_stub:  # noqa: N801 - stands in for a Document in selector_body
    def __init__(self, text: str):
        self.text, self.doc_id = text, "alpha"


def post(web, body):
    return web.post("/api/annotations", data=json.dumps(body), content_type=LD, headers={"X-CSRF-Token": web.csrf})


def test_create_on_a_note_and_read_it_back(web):
    resp = post(web, note_body("Amnesty International"))
    assert resp.status_code == 201, resp.get_json()
    got = json.loads(resp.data)
    assert got["target"]["source"] == "http://glossa.test/doc/alpha/fn/1"
    position = next(s for s in got["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert (position["start"], position["end"]) == (0, len("Amnesty International"))
    listed = web.get("/api/annotations?doc=alpha").get_json(force=True)
    assert listed["total"] == 1 and listed["first"]["items"][0]["target"]["source"].endswith("/fn/1")
    history = web.get(got["id"].replace("http://glossa.test", "") + "/history").get_json(force=True)
    assert history["glossa:history"][0]["glossa:to"]["glossa:note"] == "1"
    csv = web.get("/api/annotations/export?format=csv").get_data(as_text=True)
    assert "note 1" in csv


def test_annotations_page_names_the_note_and_links_to_it(web):
    assert post(web, note_body("Amnesty International")).status_code == 201
    page = web.get("/annotations").get_data(as_text=True)
    row = re.search(r'<a href="(/doc/alpha/fn/1)"><span class="anno-row-where">note 1:</span>', page)
    assert row, page
    assert web.get(row.group(1)).status_code == 200  # the note page the row links to


def test_errors_on_notes_are_4xx_json(web):
    missing = post(web, note_body("Amnesty", number="7"))
    assert missing.status_code == 404 and "no note '7'" in missing.get_json()["message"]
    wrong = note_body("Amnesty")
    wrong["target"]["selector"][0]["exact"] = "words that are not in the note"
    wrong["target"]["selector"][1] = {"type": "TextPositionSelector", "start": 0, "end": 30}
    assert post(web, wrong).status_code in (400, 422)
    empty = note_body("Amnesty")
    empty["target"]["source"] = "http://glossa.test/doc/alpha/fn/"
    resp = post(web, empty)
    assert resp.status_code == 400 and "names no note" in resp.get_json()["message"]
    unknown = note_body("Amnesty")
    unknown["target"]["source"] = "http://glossa.test/doc/nope/fn/1"
    assert post(web, unknown).status_code == 404


def test_tag_on_a_note_is_found_where_the_text_cites_it(web, anno_app):
    assert post(web, note_body("Amnesty International", tags=["amnesty"])).status_code == 201
    hits = web.get("/api/search?q=tag:amnesty").get_json()
    assert hits["total"] == 1
    assert "pushbacks at the Greek border" in hits["hits"][0]["text"]


def test_patch_moves_an_annotation_onto_a_note(web, anno_app):
    made = create(web, selector_body(document(anno_app), "Asylum seekers wait", tags=["islands"]))
    patch = {"type": "Annotation", "target": note_body("2021")["target"]}
    resp = web.patch(
        f"/api/annotations/{made}", data=json.dumps(patch), content_type=LD, headers={"X-CSRF-Token": web.csrf}
    )
    assert resp.status_code == 200, resp.get_json()
    assert json.loads(resp.data)["target"]["source"].endswith("/fn/1")
    bad = copy.deepcopy(patch)
    bad["target"]["source"] = "http://glossa.test/doc/alpha/fn/5"
    resp = web.patch(
        f"/api/annotations/{made}", data=json.dumps(bad), content_type=LD, headers={"X-CSRF-Token": web.csrf}
    )
    assert resp.status_code == 404


def test_reader_and_note_page_mark_note_text_for_annotation(web):
    html = web.get("/doc/alpha").get_data(as_text=True)
    assert re.search(r'<span class="note-text" data-anno-note="1">Amnesty International, 2021\.</span>', html)
    page = web.get("/doc/alpha/fn/1").get_data(as_text=True)
    assert 'data-anno-note="1"' in page and 'id="anno-panel"' in page and 'data-note="1"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None and re.search(r"\son\w+\s*=", page) is None
    assert 'data-note=""' in html


def test_reingest_reanchors_note_annotations(web, anno_app):
    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document
    from webui.annotate import reanchor_documents

    made = json.loads(post(web, note_body("Amnesty International")).data)["id"].rsplit("/", 1)[1]
    title, paras = DOCS["alpha"]
    # a new note 1 before the old one, which becomes note 2 with one word changed
    new_notes = {"1": "A new first note.", "2": "Amnesty Internationale, 2021."}
    doc = make_document(
        "alpha",
        paras,
        title=title,
        notes=new_notes,
        marks={0: [(5, "1")], 1: [(len("Reports describe pushbacks at the Greek border"), "2")]},
    )
    write_index(anno_app.config["INDEX_DIR"], [(doc, [])])
    DocumentStore(anno_app.config["DATA_DIR"]).put(
        StoredDocument(document=doc, entities=[], ingested_at="2026-02-01T00:00:00Z", source_hash="y")
    )
    summary = reanchor_documents(anno_app, ["alpha"])
    assert summary["alpha"] == {"kept": 0, "moved_unchanged": 0, "moved_changed": 1, "orphaned": 0}
    got = web.get(f"/api/annotations/{made}").get_json(force=True)
    assert got["target"]["source"].endswith("/fn/2") and got["glossa:status"] == "review"
    exact = next(s for s in got["target"]["selector"] if s["type"] == "TextQuoteSelector")["exact"]
    assert exact == "Amnesty Internationale"
    assert got["glossa:previousQuote"]["exact"] == "Amnesty International"
