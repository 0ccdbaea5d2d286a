"""The web app's exports (JSON-LD, CSV, Markdown, the W3C collection) mark the annotations of
a removed document with the removal's date, and ``glossa annotations import`` of such an
export keeps them and marks the document removed again when the corpus does not hold it."""

from __future__ import annotations

import csv
import io
import json
import shutil

from click.testing import CliRunner

from tests.conftest import make_app
from webui import services

HEADERS = {"X-CSRF-Token": "t0ken"}
QUOTE = "Frontex"


def _client(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    return client


def _cli(data, *args):
    from webui.cli import cli

    return CliRunner().invoke(cli, ["--data", str(data), *args], catch_exceptions=False)


def _annotate(client, doc_id: str) -> str:
    body = {
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": "commenting", "value": "keep me"}],
        "target": {
            "source": f"http://localhost/doc/{doc_id}",
            "selector": [{"type": "TextQuoteSelector", "exact": QUOTE}],
        },
    }
    made = client.post("/api/annotations", json=body, headers=HEADERS)
    assert made.status_code == 201, made.get_data(as_text=True)
    return json.loads(made.data)["id"].rsplit("/", 1)[-1]


def test_exports_mark_a_removed_documents_annotations_and_import_keeps_them(app, data_dir, tmp_path):
    client = _client(app)
    doc_ids = [d["doc_id"] for d in client.get("/api/documents").get_json()["documents"]]
    gone_doc, kept_doc = doc_ids[0], doc_ids[1]
    gone, kept = _annotate(client, gone_doc), _annotate(client, kept_doc)
    with app.app_context():
        record = services.get_annotation_service().mark_removed(gone_doc, title="The removed paper", removed_by="ed")
    when = record.removed_at.astimezone().strftime("%Y-%m-%d")

    ld = json.loads(client.get("/api/annotations/export?format=jsonld").get_data(as_text=True))
    marks = {i["id"].rsplit("/", 1)[-1]: i.get("glossa:documentRemoved") for i in ld["first"]["items"]}
    assert marks[kept] is None and marks[gone]["title"] == "The removed paper"
    assert marks[gone]["removed"].startswith(when)
    w3c = client.get("/api/annotations").get_json(force=True)
    assert {i["id"].rsplit("/", 1)[-1]: i.get("glossa:documentRemoved") for i in w3c["first"]["items"]} == marks
    rows = list(csv.DictReader(io.StringIO(client.get("/api/annotations/export?format=csv").get_data(as_text=True))))
    assert {r["document"]: r["document_removed"][:10] for r in rows} == {gone_doc: when, kept_doc: ""}
    md = client.get("/api/annotations/export?format=markdown").get_data(as_text=True)
    assert md.count("document removed on") == 1 and f"document removed on {when}" in md

    # into another data directory whose corpus holds both documents: nothing to mark
    export_file = tmp_path / "export.jsonld"
    export_file.write_text(json.dumps(ld), encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(data_dir, other, ignore=shutil.ignore_patterns("glossa.db"))
    result = _cli(other, "annotations", "import", str(export_file))
    assert result.exit_code == 0, result.output
    assert "Imported 2" in result.output and "Marked" not in result.output
    with make_app(other, other / "glossa.db").app_context():
        assert services.get_annotation_service().removed_documents() == []

    # one whose corpus does not hold it: its removal comes back with its annotations
    from indexer.pipeline import remove_documents

    third = tmp_path / "third"
    shutil.copytree(data_dir, third, ignore=shutil.ignore_patterns("glossa.db"))
    remove_documents([gone_doc], third)
    result = _cli(third, "annotations", "import", str(export_file))
    assert result.exit_code == 0, result.output
    assert f"Marked 1 document(s) removed again, as the export said ({gone_doc})." in result.output
    with make_app(third, third / "glossa.db").app_context():
        (back,) = services.get_annotation_service().removed_documents()
    assert back.doc_id == gone_doc and back.title == "The removed paper" and back.annotations == 1
    assert back.removed_at == record.removed_at
