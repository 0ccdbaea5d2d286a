"""Every key Glossa stores for the sample corpus is the one it stored before accent folding
and slugs had one implementation (corpus.clean: strip_accents, fold, slug).

tests/data/stored_keys.json was written by tests/data/make_stored_keys.py with the code
before that change (three folding functions and two slug functions); this test ingests the
sample corpus again with today's code and compares: document ids, work keys (in the stored
documents and in the index's ``cites`` terms), the index's entity terms, the gazetteer's
lookup keys, and the annotation store's entity-rule name keys, plus the same functions on
names with accents, ligatures, letters without an ASCII form and odd spaces.
"""

from __future__ import annotations

import json

import pytest

from annotations.entity_rules import name_key
from corpus import clean
from indexer import gazetteer, store
from tests.data.make_stored_keys import AWKWARD, OUT, collect

pytestmark = pytest.mark.slow  # ingests the sample corpus (with the rule-based tagger)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return collect(tmp_path_factory.mktemp("stored-keys") / "data")


@pytest.fixture(scope="module")
def before():
    return json.loads(OUT.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "part", ["doc_ids", "doc_ids_of_names", "work_keys", "work_keys_of_names", "gazetteer_keys", "fold", "name_key"]
)
def test_every_stored_key_is_the_same_as_before(keys, before, part):
    assert keys[part] == before[part]


@pytest.mark.parametrize("field", ["person", "org", "place", "entity", "ent_facet", "cites"])
def test_the_index_holds_the_same_terms_as_before(keys, before, field):
    assert keys["index"][field] == before["index"][field]
    assert keys["index"][field], f"no {field} terms: the comparison would prove nothing"


def test_the_sample_corpus_exercises_the_keys(keys):
    """Enough keys that an altered fold or slug would show (not an empty comparison)."""
    assert len(keys["doc_ids"]) == 5
    assert sum(len(v) for v in keys["work_keys"].values()) > 50
    assert len(keys["gazetteer_keys"]) > 500
    assert sum(not name.isascii() for name in keys["fold"]) >= len(AWKWARD) - 1


def test_one_fold_everywhere():
    assert gazetteer.fold is clean.fold
    assert store.fold is clean.fold
    for name in AWKWARD:
        assert name_key(name) == clean.fold(name)[:200]  # the annotation store's own copy agrees
    assert name_key("É" * 300) == "e" * 200
