"""The document store: round trip, list, entity index, staged changes and unsafe ids."""

from __future__ import annotations

import json
import os

from indexer.ner import Entity
from indexer.store import DocumentStore, StoredDocument, display_path, source_fields, source_key, write_json
from indexer.writer import activate, new_generation
from tests.common.indexing import make_document


def _stored(doc_id: str, names: list[str]) -> StoredDocument:
    doc = make_document(doc_id, [" and ".join(names) + " met."])
    ents, pos = [], 0
    for name in names:
        start = doc.text.index(name, pos)
        ents.append(Entity(start, start + len(name), "ORG", name, name))
        pos = start + len(name)
    return StoredDocument(doc, ents, "2026-01-01T00:00:00+00:00", "abc")


def test_put_get_list_and_entity_index(tmp_path):
    store = DocumentStore(tmp_path)
    store.put(_stored("a", ["Frontex", "Europol"]))
    store.put(_stored("b", ["Frontex"]))
    got = store.get("a")
    assert got.document.text == "Frontex and Europol met." and got.entities[1].text == "Europol"
    assert [s.doc_id for s in store.summaries()] == ["a", "b"]
    assert store.summaries()[0].entities == 2 and store.summaries()[0].passages == 1
    top = store.entity_index()[0]
    assert (top.canonical, top.mentions, top.documents) == ("Frontex", 2, ["a", "b"])
    assert store.get("../etc/passwd") is None and store.get("missing") is None
    assert not list(tmp_path.glob("**/*.tmp"))


def test_staged_changes_apply_only_when_generation_is_live(tmp_path):
    store = DocumentStore(tmp_path)
    store.put(_stored("a", ["Frontex"]))
    gen = new_generation(tmp_path / "index", copy=False)
    manifest = store.manifest()
    manifest["b"] = _stored("b", ["IOM"]).summary().to_dict()
    del manifest["a"]
    store.stage(gen.name, [_stored("b", ["IOM"])], ["a"], manifest)
    assert DocumentStore(tmp_path).get("b") is None  # not live yet: nothing changes
    activate(tmp_path / "index", gen)
    fresh = DocumentStore(tmp_path)  # rolls the staged changes forward
    assert fresh.get("b").entities[0].canonical == "IOM" and fresh.get("a") is None
    assert [s.doc_id for s in fresh.summaries()] == ["b"]
    assert json.loads((tmp_path / "manifest.json").read_text())["documents"].keys() == {"b"}


def test_names_that_are_not_utf8_are_shown_and_kept(tmp_path):
    name = os.fsdecode(b"/archive/caf\xe9 \xff.txt")  # surrogate escapes, as the OS hands them over
    assert display_path(name) == "/archive/caf\\xe9 \\xff.txt"
    assert display_path("/archive/café.txt") == "/archive/café.txt"
    fields = source_fields(name)
    assert fields["source_path"] == "/archive/caf\\xe9 \\xff.txt"
    assert source_key(fields) == name  # the real name, to find the file again
    assert source_fields("/archive/café.txt") == {"source_path": "/archive/café.txt"}
    assert source_key({"source_path": "/archive/café.txt"}) == "/archive/café.txt"
    write_json(tmp_path / "odd.json", {"name": name})  # never a UnicodeEncodeError
    assert json.loads((tmp_path / "odd.json").read_text(encoding="utf-8")) == {"name": name}
