"""AnnotationService.reanchor and replace_anchor on both databases."""

from __future__ import annotations

import pytest

from annotations.base import AnnotationError

TEXT = (
    "Chapter one. The Balkan route became a buffer zone for Europe. Frontex signed status "
    "agreements with Albania, Serbia and Montenegro. Pushbacks were reported at several borders."
)


def make(service, user, quote, **kw):
    s = TEXT.index(quote)
    return service.create(user, "paper", TEXT, quote, s, s + len(quote), **kw)


@pytest.fixture
def alice(service):
    return service.add_user("alice", "alice-password")


def test_reanchor_insertion_edit_and_deletion(service, alice):
    moved = make(service, alice, "buffer zone for Europe", tags=["route"], comment="keep me")
    edited = make(service, alice, "Frontex signed status agreements with Albania, Serbia and Montenegro")
    gone = make(service, alice, "Pushbacks were reported at several borders.")
    kept = make(service, alice, "Chapter one.")
    new = (
        TEXT.replace("Chapter one. ", "Chapter one. A new introduction sentence. ")
        .replace("with Albania, Serbia", "with Albania, North Macedonia, Serbia")
        .replace(" Pushbacks were reported at several borders.", "")
    )
    summary = service.reanchor("paper", new)
    assert (summary.kept, summary.moved, summary.orphaned, summary.total) == (1, 2, 1, 4)
    m = service.get(moved.id, alice)
    assert new[m.start : m.end] == "buffer zone for Europe" and m.status == "anchored"
    assert m.tags == ["route"] and m.comment == "keep me"
    e = service.get(edited.id, alice)
    assert (
        new[e.start : e.end] == "Frontex signed status agreements with Albania, North Macedonia, Serbia and Montenegro"
    )
    assert e.exact == new[e.start : e.end]
    g = service.get(gone.id, alice)
    assert g.status == "orphaned" and g.exact == gone.exact  # kept, never deleted
    assert service.get(kept.id, alice).status == "anchored"
    assert [a.id for a in service.find(alice, status="orphaned")] == [gone.id]
    assert service.count(alice, doc_id="paper") == 4
    assert m.text_hash != moved.text_hash


def test_orphan_replaced_by_hand_and_restored_by_later_text(service, alice):
    a = make(service, alice, "Pushbacks were reported at several borders.")
    other = service.add_user("bob", "bob-password")
    without = TEXT.replace(" Pushbacks were reported at several borders.", "")
    assert service.reanchor("paper", without).orphaned == 1
    assert service.reanchor("paper", TEXT).moved == 1  # the quote is back: anchored again
    assert service.get(a.id, alice).status == "anchored"
    service.reanchor("paper", without)
    with pytest.raises(AnnotationError) as err:
        service.replace_anchor(a.id, other, 0, 7, without)
    assert err.value.status in (403, 404)
    with pytest.raises(AnnotationError) as err:
        service.replace_anchor(a.id, alice, 5, 5000, without)
    assert err.value.status == 400
    r = service.replace_anchor(a.id, alice, 0, 12, without)
    assert (r.exact, r.status, r.start, r.end) == ("Chapter one.", "anchored", 0, 12)


def test_reanchor_unknown_doc_is_a_noop(service, alice):
    make(service, alice, "Chapter one.")
    s = service.reanchor("other-doc", "whatever")
    assert s.total == 0
