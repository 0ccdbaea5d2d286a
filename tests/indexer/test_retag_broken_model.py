"""A spaCy model that is installed but fails to load (indexer.pipeline's tagger record).

The ingest predicts its tagger without loading spaCy (:func:`expected_tagger` reads the
model's version from its metadata), but what tags is the rule-based fallback when the model
does not load. The manifest records what actually tagged, and the prediction it was made
under, so a second ingest of unchanged files says "unchanged" instead of tagging every
document again on every run.
"""

from __future__ import annotations

import json

from indexer.pipeline import expected_tagger, ingest, tagging_rules_version
from indexer.store import DocumentStore

from .test_retag import NO_MODEL, _corpus, _taggers


def _broken_model(tmp_path, version="1.0.0"):
    """A model folder spaCy cannot load: its metadata names a version, its config is missing."""
    folder = tmp_path / "broken_model"
    folder.mkdir(exist_ok=True)
    (folder / "meta.json").write_text(
        json.dumps({"lang": "en", "name": "broken", "version": version}), encoding="utf-8"
    )
    return str(folder)


def test_a_model_that_fails_to_load_tags_once_and_then_files_are_unchanged(tmp_path):
    src, data = _corpus(tmp_path), tmp_path / "data"
    model = _broken_model(tmp_path)
    predicted = expected_tagger(model)
    assert predicted == f"spaCy {model} 1.0.0; rules {tagging_rules_version()}"

    first = ingest([src], data, progress=False, model=model)
    assert first.fallback and sorted(first.added) == ["a", "b"]
    fallback = f"rule-based fallback; rules {tagging_rules_version()}"
    assert _taggers(data) == {"a": fallback, "b": fallback}  # what actually tagged, not the prediction
    stamp = DocumentStore(data).get("a").ingested_at

    again = ingest([src], data, progress=False, model=model)
    assert sorted(again.unchanged) == ["a", "b"]
    assert not again.retagged and not again.updated and not again.retag_reason
    assert again.tagger == "not loaded (nothing to tag)"  # nothing was read or tagged
    assert DocumentStore(data).get("a").ingested_at == stamp


def test_a_new_version_of_the_broken_model_tags_again_once(tmp_path):
    src, data = _corpus(tmp_path), tmp_path / "data"
    model = _broken_model(tmp_path)
    ingest([src], data, progress=False, model=model)
    model = _broken_model(tmp_path, version="1.0.1")  # reinstalled: the prediction changes
    report = ingest([src], data, progress=False, model=model)
    assert sorted(report.retagged) == ["a", "b"] and sorted(report.updated) == ["a", "b"]
    fallback = f"rule-based fallback; rules {tagging_rules_version()}"
    assert report.retag_reason == (
        "The entity tagger changed: re-tagging 2 unchanged documents "
        f"(tagged 2 by {fallback}; now {expected_tagger(model)})."
    )
    assert not ingest([src], data, progress=False, model=model).retagged  # once only


def test_without_the_broken_model_the_fallback_record_still_matches(tmp_path):
    src, data = _corpus(tmp_path), tmp_path / "data"
    ingest([src], data, progress=False, model=_broken_model(tmp_path))
    # no model at all now: the fallback is predicted, and it is what tagged them
    report = ingest([src], data, progress=False, model=NO_MODEL)
    assert sorted(report.unchanged) == ["a", "b"] and not report.retagged


def test_a_changed_file_is_read_again_and_the_others_stay_unchanged(tmp_path):
    src, data = _corpus(tmp_path), tmp_path / "data"
    model = _broken_model(tmp_path)
    ingest([src], data, progress=False, model=model)
    (src / "a.txt").write_text("Frontex met UNHCR in Skopje.\n", encoding="utf-8")
    report = ingest([src], data, progress=False, model=model)
    assert report.updated == ["a"] and report.unchanged == ["b"] and not report.retagged
    assert not ingest([src], data, progress=False, model=model).updated


def test_the_fallback_says_why_each_model_did_not_load(tmp_path):
    from indexer.ner import EntityTagger

    missing = EntityTagger(NO_MODEL)
    assert missing.fallback
    assert f"model {NO_MODEL} not installed" in missing.description

    broken = _broken_model(tmp_path)
    tagger = EntityTagger(broken)
    assert tagger.fallback and "not installed" not in tagger.description
    assert f"model {broken} could not be loaded: " in tagger.description


def test_a_model_without_an_entity_recogniser_is_named_as_such(tmp_path):
    import spacy

    from indexer.ner import EntityTagger

    folder = tmp_path / "blank_model"
    spacy.blank("en").to_disk(folder)
    tagger = EntityTagger(str(folder))
    assert tagger.fallback
    assert f"model {folder} has no entity recogniser" in tagger.description
