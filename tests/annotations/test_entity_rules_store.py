"""The entity rule store (annotations.entity_rules) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from annotations import db
from annotations.base import AnnotationError
from annotations.entity_rules import EntityRuleStore, name_key

MERGE = {"action": "merge", "label": "ORG", "name": "EASO", "new_label": "ORG", "new_name": "EUAA"}
HIDE = {"action": "hide", "label": "NORP", "name": "Non"}


@pytest.fixture
def store(db_url):
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    yield EntityRuleStore(db.make_session_factory(engine))
    engine.dispose()


def test_add_list_undo_keeps_history_with_authors_and_times(store):
    assert store.active() == [] and store.version() == (0, 0)
    made = store.add(MERGE, "alice")
    assert made.id and made.author == "alice" and made.created.tzinfo is not None
    assert made.to_dict() | {"created": "-"} == {
        "id": made.id,
        "action": "merge",
        "label": "ORG",
        "name": "EASO",
        "new_label": "ORG",
        "new_name": "EUAA",
        "author": "alice",
        "created": "-",
    }
    hidden = store.add(HIDE, "bob")
    assert [r.id for r in store.active()] == [made.id, hidden.id]
    v1 = store.version()
    undone = store.delete(made.id, "carol")
    assert undone.deleted is not None and undone.deleted_by == "carol"
    assert [r.id for r in store.active()] == [hidden.id]
    assert [r.id for r in store.history()] == [made.id, hidden.id]
    assert store.get(made.id).deleted is not None
    assert store.version() != v1  # an undo is a change (rows are never removed)
    with pytest.raises(AnnotationError) as missing:
        store.delete(made.id, "carol")
    assert missing.value.status == 404
    # a new rule after an undo is a change too, even though the count of rules in force is the same
    v2 = store.version()
    store.add(MERGE, "alice")
    assert store.version() != v2


def test_check_refuses_and_many_are_all_or_none(store):
    def no_second_rule(active, fields):
        if any(r.name == fields["name"] for r in active):
            return "already corrected"
        return None

    store.add(MERGE, "alice", no_second_rule)
    with pytest.raises(AnnotationError) as refused:
        store.add(dict(MERGE, new_name="Frontex"), "alice", no_second_rule)
    assert refused.value.status == 409 and refused.value.message == "already corrected"
    with pytest.raises(AnnotationError):
        store.add_many([HIDE, HIDE], "bob", no_second_rule)  # the second sees the first
    assert [r.name for r in store.active()] == ["EASO"]  # nothing of the failed import
    with pytest.raises(AnnotationError) as bad:
        store.add({"action": "explode", "label": "ORG", "name": "x"}, "bob")
    assert bad.value.status == 400


def test_name_key_folds_case_accents_and_spaces():
    assert name_key("  Župarić   Brezina ") == "zuparic brezina"
    assert len(name_key("x" * 500)) == 200
