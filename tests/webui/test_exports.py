"""Exports in the browser: works cited as BibTeX / CSL-JSON (all, filtered, per document) and
annotation links built from the address the request came in on."""

from __future__ import annotations

import json
import re

import pytest

from indexer.store import DocumentStore
from webui.app import create_app

from .anno_support import browser_client, build_data_dir, selector_body, stored_document


@pytest.fixture(scope="module")
def paper(sample_data_dir) -> str:
    """The research paper with 109 notes."""
    return next(s.doc_id for s in DocumentStore(sample_data_dir).list() if s.doc_id.startswith("003"))


def test_works_export_bibtex_and_csl_json(client):
    bib = client.get("/works/export?format=bibtex")
    assert bib.status_code == 200 and bib.mimetype == "application/x-bibtex"
    assert 'filename="works-cited.bib"' in bib.headers["Content-Disposition"]
    entries = re.findall(r"^@(\w+)\{([^,]+),", bib.get_data(as_text=True), re.M)
    csl = client.get("/works/export?format=csl-json")
    assert csl.mimetype == "application/vnd.citationstyles.csl+json"
    items = json.loads(csl.data)
    # one entry per work of the /works page, in both formats
    shown = int(re.search(r"(\d+) works? cited", client.get("/works").get_data(as_text=True)).group(1))
    assert len(entries) == len(items) == shown > 10
    assert all(item.get("type") and item.get("id") for item in items)


def test_works_export_follows_the_filter_and_the_document(client, paper):
    page = client.get("/works?name=beznec").get_data(as_text=True)
    assert "/works/export?format=bibtex&amp;name=beznec" in page
    some = json.loads(client.get("/works/export?format=csl-json&name=beznec").data)
    assert some and all("beznec" in json.dumps(item).casefold() for item in some)
    everything = json.loads(client.get("/works/export?format=csl-json").data)
    mine = json.loads(client.get(f"/works/export?format=csl-json&doc={paper}").data)
    assert 0 < len(mine) <= len(everything)
    reader = client.get(f"/doc/{paper}").get_data(as_text=True)
    assert f"/works/export?format=bibtex&amp;doc={paper}" in reader
    download = client.get(f"/works/export?format=bibtex&doc={paper}")
    assert f'filename="{paper}-cited.bib"' in download.headers["Content-Disposition"]


@pytest.mark.parametrize("query, status", [("format=ris", 400), ("format=bibtex&doc=no-such-document", 404)])
def test_works_export_refuses_bad_parameters(client, query, status):
    response = client.get(f"/works/export?{query}")
    assert response.status_code == status
    assert "bibtex" in response.get_data(as_text=True).lower() or "no-such-document" in response.get_data(as_text=True)


def test_export_links_use_the_address_of_the_request(tmp_path):
    """Without BASE_URL, links point to where the server was reached, not to port 5000."""
    data = build_data_dir(tmp_path / "data")
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(data),
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{data / 'glossa.db'}",
            "TRUSTED_HOSTS": ["localhost"],
        }
    )
    assert app.config["BASE_URL"] is None
    web = browser_client(app)
    doc = stored_document(app)
    body = selector_body(doc, "pushbacks at the Greek border", base="http://localhost:5123")
    created = web.post(
        "/api/annotations", json=body, headers={"X-CSRF-Token": web.csrf}, base_url="http://localhost:5123"
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert json.loads(created.data)["target"]["source"] == "http://localhost:5123/doc/alpha"
    csv_text = web.get("/api/annotations/export?format=csv", base_url="http://localhost:5123").get_data(as_text=True)
    assert "http://localhost:5123/doc/alpha#anno-" in csv_text and ":5000" not in csv_text
