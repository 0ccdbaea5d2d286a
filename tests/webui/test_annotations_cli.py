"""glossa user / token / annotations commands, run through Click against a real data directory."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from .anno_support import build_data_dir, make_test_app, selector_body


@pytest.fixture
def data(tmp_path):
    return build_data_dir(tmp_path / "data")


def run(data, *args, input=None):
    from webui.cli import cli

    result = CliRunner().invoke(cli, ["--data", str(data), *args], input=input, catch_exceptions=False)
    return result


def test_user_add_list_and_errors(data):
    added = run(data, "user", "add", "alice", input="s3cret-pass\ns3cret-pass\n")
    assert added.exit_code == 0 and "User alice created" in added.output
    mismatch = run(data, "user", "add", "bob", input="one-password\nother-password\none-password\none-password\n")
    assert mismatch.exit_code == 0  # asked again after the mismatch
    assert "do not match" in mismatch.output.lower() or "match" in mismatch.output
    short = run(data, "user", "add", "carol", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "password must be" in short.output
    dup = run(data, "user", "add", "alice", "--password-stdin", input="another-pass\n")
    assert dup.exit_code == 1 and "already exists" in dup.output
    listed = run(data, "user", "list")
    assert listed.exit_code == 0
    names = [line.split("\t")[0] for line in listed.output.splitlines()]
    assert names == ["alice", "bob"]


def test_token_create_then_use_it(data):
    assert run(data, "token", "create", "nobody").exit_code == 1
    run(data, "user", "add", "alice", "--password-stdin", input="s3cret-pass\n")
    created = run(data, "token", "create", "alice", "--label", "script")
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[0]
    assert token.startswith("glossa_")
    app = make_test_app(data, AUTH="accounts")
    client = app.test_client()
    assert client.get("/api/annotations").status_code == 401
    ok = client.get("/api/annotations", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200


def test_export_and_import_round_trip(data, tmp_path):
    app = make_test_app(data)
    client = app.test_client()
    from webui import services

    with app.app_context():
        doc = services.get_store().get("alpha").document
        token = services.get_annotation_service().create_token(services.get_annotation_service().ensure_user("local"))
    body = selector_body(doc, "pushbacks at the Greek border", tags=["pushbacks"], comment="A *note*")
    resp = client.post(
        "/api/annotations",
        data=json.dumps(body),
        content_type="application/ld+json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201

    out = tmp_path / "notes.jsonld"
    exported = run(data, "annotations", "export", "--format", "jsonld", "-o", str(out))
    assert exported.exit_code == 0 and out.exists()
    assert json.loads(out.read_text())["total"] == 1
    md = run(data, "annotations", "export", "--format", "markdown")
    assert "pushbacks at the Greek border" in md.output and r"A \*note\*" in md.output
    csv_out = run(data, "annotations", "export", "--format", "csv")
    assert csv_out.output.startswith("document,title,page,passage,quote")
    assert "http://127.0.0.1:5000/doc/alpha#anno-" in csv_out.output  # the default served address

    # a fresh data directory restores everything and the tag reaches search
    fresh = build_data_dir(tmp_path / "fresh")
    imported = run(fresh, "annotations", "import", str(out))
    assert imported.exit_code == 0 and "Imported 1" in imported.output
    again = run(fresh, "annotations", "import", str(out))
    assert "Imported 0, skipped 1" in again.output
    fresh_client = make_test_app(fresh).test_client()
    assert fresh_client.get("/api/search?q=tag:pushbacks").get_json()["total"] == 1

    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = run(fresh, "annotations", "import", str(bad))
    assert result.exit_code == 1 and "Cannot read" in result.output
    assert run(fresh, "annotations", "import", str(tmp_path / "missing.json")).exit_code == 1


@pytest.mark.whoosh_only("an older version's tags were left in Whoosh index records; no tantivy index held them")
def test_reindex_tags_clears_tags_an_older_version_left_and_counts_the_tagged(data):
    from indexer.writer import JOURNAL, open_index, record_fields
    from webui import services

    app = make_test_app(data)
    with app.app_context():
        service = services.get_annotation_service()
        local = service.ensure_user("local")
        doc = services.get_store().get("alpha").document
        for quote, tags in (("pushbacks at the Greek border", ["pushbacks"]), ("Asylum seekers", ["islands"])):
            start = doc.text.index(quote)
            service.create(local, "alpha", doc.text, quote, start, start + len(quote), tags=tags)
        start = doc.text.index("Introduction")
        gone = service.create(local, "alpha", doc.text, "Introduction", start, start + 12, tags=["intro"])
        service.reanchor("alpha", doc.text.replace("Introduction", "Preface"))
        assert service.get(gone.id, local).status == "orphaned"
    # the index as an older version left it: a private tag in a record, a tags journal
    ix = open_index(data / "index")
    with ix.searcher() as s:
        stored = s.document(pid="alpha:1")
    stored["tags"] = "pushbacks,@1@secretplan"
    stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
    writer = ix.writer()
    writer.update_document(**record_fields(stored))
    writer.commit()
    (data / "index" / JOURNAL).write_text("{}\n")

    first = run(data, "annotations", "reindex-tags")
    assert first.exit_code == 0, first.output
    assert "Removed the tags an older version had left on 1 index records." in first.output
    assert "3 tagged annotations: 2 on indexed passages (found by tag: search), 0 on documents" in first.output
    assert "1 orphaned" in first.output
    assert not (data / "index" / JOURNAL).exists()
    with open_index(data / "index").searcher() as s:
        reader = s.reader()
        assert not [t for t in reader.lexicon("tags") if list(reader.postings("tags", t).all_ids())]
    second = run(data, "annotations", "reindex-tags")
    assert second.exit_code == 0 and "Removed" not in second.output
    client = make_test_app(data).test_client()
    assert client.get("/api/search?q=tag:pushbacks").get_json()["total"] == 1
    assert client.get("/api/search?q=tag:intro").get_json()["total"] == 0
