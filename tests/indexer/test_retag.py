"""``ingest(force=True)`` and re-tagging when the tagger changes (indexer.pipeline): each
document records its tagger (spaCy model and version, or the fallback, and Glossa's tagging
rules version) in the manifest; an ingest with another tagger tags unchanged files again."""

from __future__ import annotations

import json

from indexer import pipeline
from indexer.pipeline import expected_tagger, ingest, tagging_rules_version
from indexer.store import DocumentStore

#: no such spaCy model: the rule-based fallback tags (quick, and the same on every machine)
NO_MODEL = "no_such_model_for_tests"


def _corpus(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Frontex met the EU in Belgrade.\n", encoding="utf-8")
    (src / "b.txt").write_text("EASO sent experts to Lesbos.\n", encoding="utf-8")
    return src


def _taggers(data) -> dict[str, str]:
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    entries = manifest.get("documents", manifest)
    return {doc_id: entry.get("tagger") for doc_id, entry in entries.items()}


def test_each_document_records_its_tagger_and_unchanged_files_stay_unchanged(tmp_path):
    src, data = _corpus(tmp_path), tmp_path / "data"
    first = ingest([src], data, progress=False, model=NO_MODEL)
    assert sorted(first.added) == ["a", "b"] and not first.retagged
    expected = f"rule-based fallback; rules {tagging_rules_version()}"
    assert expected_tagger(NO_MODEL) == expected
    assert _taggers(data) == {"a": expected, "b": expected}
    again = ingest([src], data, progress=False, model=NO_MODEL)
    assert sorted(again.unchanged) == ["a", "b"] and not again.updated and not again.retag_reason


def test_force_reads_and_tags_everything_again(tmp_path):
    src, data = _corpus(tmp_path), tmp_path / "data"
    ingest([src], data, progress=False, model=NO_MODEL)
    before = DocumentStore(data).get("a").ingested_at
    report = ingest([src], data, progress=False, model=NO_MODEL, force=True)
    assert sorted(report.updated) == ["a", "b"] and sorted(report.retagged) == ["a", "b"]
    assert report.retag_reason == "--force: reading and tagging 2 unchanged documents again."
    assert report.entities > 0 and report.passages == 2
    assert DocumentStore(data).get("a").ingested_at >= before


def test_a_changed_tagging_rules_version_tags_unchanged_files_again(tmp_path, monkeypatch):
    src, data = _corpus(tmp_path), tmp_path / "data"
    ingest([src], data, progress=False, model=NO_MODEL)
    old = expected_tagger(NO_MODEL)
    monkeypatch.setattr(pipeline, "TAGGING_RULES_VERSION", "999-test")
    new = expected_tagger(NO_MODEL)
    assert new != old and "999-test" in new
    report = ingest([src], data, progress=False, model=NO_MODEL)
    assert sorted(report.retagged) == ["a", "b"] and sorted(report.updated) == ["a", "b"]
    assert report.retag_reason == (
        f"The entity tagger changed: re-tagging 2 unchanged documents (tagged 2 by {old}; now {new})."
    )
    assert set(_taggers(data).values()) == {new}
    assert not ingest([src], data, progress=False, model=NO_MODEL).retagged  # once only


def test_a_changed_model_version_and_an_unrecorded_tagger_tag_again(tmp_path, monkeypatch):
    src, data = _corpus(tmp_path), tmp_path / "data"
    ingest([src], data, progress=False, model=NO_MODEL)
    # a document an earlier Glossa tagged, without recording by what
    manifest_path = data / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entries = manifest.get("documents", manifest)
    entries["a"].pop("tagger")
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    # and the model "installed" since: the expected tagger is another one
    monkeypatch.setattr(pipeline, "expected_tagger", lambda model: "spaCy en_fake 9.9; rules x")
    report = ingest([src], data, progress=False, model=NO_MODEL)
    assert sorted(report.retagged) == ["a", "b"]
    assert "an earlier Glossa that did not record its tagger" in report.retag_reason
    assert "now spaCy en_fake 9.9; rules x" in report.retag_reason


def test_expected_tagger_names_an_installed_model_without_loading_it(tmp_path):
    folder = tmp_path / "my_model"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"name": "my_model", "version": "1.2.3"}), encoding="utf-8")
    assert expected_tagger(str(folder)) == f"spaCy {folder} 1.2.3; rules {tagging_rules_version()}"
    assert expected_tagger(NO_MODEL).startswith("rule-based fallback; rules ")
