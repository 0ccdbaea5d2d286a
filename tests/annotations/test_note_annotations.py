"""Annotations on footnote text: stored against the note, re-found after the notes change
(renumbered, edited, removed), exported with the note as target source (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from annotations.anchoring import NoteStream, text_hash
from annotations.base import AnnotationError
from annotations.export import export_csv, export_markdown, import_jsonld
from annotations.model import from_jsonld, to_jsonld

BASE = "http://glossa.test"
BODY = "The text cites a report here and again here, and says nothing of notes."
NOTES = [
    ("1", "Amnesty International, Greece: Frontier of Hope and Fear (London 2014), 12."),
    ("2", "Ibid., 14."),
    ("3", "See UNHCR, Desperate Journeys (Geneva 2019); the report counts pushbacks at sea."),
]


@pytest.fixture
def alice(service):
    return service.add_user("alice", "alice-password")


def on_note(service, user, number, quote, tags=("hope",), notes=NOTES):
    text = dict(notes)[number]
    s = text.index(quote)
    return service.create(user, "paper", None, quote, s, s + len(quote), tags=list(tags), note=number, notes=notes)


def test_create_on_a_note_counts_offsets_in_its_text(service, alice):
    a = on_note(service, alice, "3", "counts pushbacks at sea")
    text = NOTES[2][1]
    assert a.note == "3" and text[a.start : a.end] == "counts pushbacks at sea"
    assert text.endswith(a.suffix) and text[: a.start].endswith(a.prefix)
    assert a.text_hash == text_hash(text)
    got = service.get(a.id, viewer=alice)
    assert got.note == "3" and (got.start, got.end) == (a.start, a.end)
    body = service.create(alice, "paper", BODY, "cites a report", 9, 23)
    assert body.note is None


def test_create_refuses_unknown_notes_and_wrong_quotes(service, alice):
    with pytest.raises(AnnotationError) as err:
        service.create(alice, "paper", None, "Ibid.", 0, 5, note="9", notes=NOTES)
    assert err.value.status == 404 and "no note '9'" in err.value.message
    with pytest.raises(AnnotationError) as err:
        service.create(alice, "paper", None, "nowhere at all", 0, 14, note="1", notes=NOTES)
    assert err.value.status in (400, 422)
    with pytest.raises(AnnotationError) as err:
        service.create(alice, "paper", None, "Ibid.", 0, 5, note="1", notes=None)
    assert err.value.status == 404
    with pytest.raises(AnnotationError) as err:
        service.create(alice, "paper", None, "Ibid.", 0, 5, note="x" * 30, notes=NOTES)
    assert err.value.status == 400


def test_tag_spans_leave_note_offsets_out_of_the_text(service, alice):
    on_note(service, alice, "1", "Frontier of Hope", tags=["hope"])
    service.create(alice, "paper", BODY, "cites a report", 9, 23, tags=["body"])
    assert service.visible_tag_spans(alice) == [("paper", 9, 23, "body")]
    assert service.visible_note_tags(alice) == [("paper", "1", "hope")]
    assert service.visible_note_tags(None) == []  # private
    for viewer in (alice, None, "alice", "nobody"):  # both in one unit of work, the same answers
        assert service.visible_tags(viewer) == (service.visible_tag_spans(viewer), service.visible_note_tags(viewer))


def test_reanchor_notes_unchanged_renumbered_edited_and_removed(service, alice):
    kept = on_note(service, alice, "1", "Frontier of Hope and Fear")
    moved = on_note(service, alice, "3", "Desperate Journeys")
    edited = on_note(service, alice, "3", "counts pushbacks at sea")
    gone = on_note(service, alice, "2", "Ibid., 14.")
    body = service.create(alice, "paper", BODY, "cites a report", 9, 23)

    # a note inserted before note 3 (now note 4), note 2 deleted, a word of note 3 changed
    new_notes = [
        NOTES[0],
        ("2", "A new note on the Evros river and its crossings."),
        ("3", "A second new note about something else entirely, with no shared words."),
        ("4", NOTES[2][1].replace("counts pushbacks", "counted pushbacks")),
    ]
    summary = service.reanchor("paper", BODY, new_notes)
    # kept: the unchanged note 1 and the body text; moved: note 3's quote now in note 4
    assert summary.to_dict() == {"kept": 2, "moved_unchanged": 1, "moved_changed": 1, "orphaned": 1, "total": 5}
    got = {a.id: a for a in service.find(alice)}
    assert got[kept.id].note == "1" and got[kept.id].status == "anchored"
    assert got[body.id].note is None and got[body.id].status == "anchored"
    m = got[moved.id]
    assert m.note == "4" and dict(new_notes)["4"][m.start : m.end] == "Desperate Journeys"
    e = got[edited.id]
    assert e.note == "4" and e.status == "review" and e.previous_exact == "counts pushbacks at sea"
    assert dict(new_notes)["4"][e.start : e.end] == "counted pushbacks at sea"
    assert got[gone.id].status == "orphaned"
    history = service.history(moved.id, alice)
    assert [h.event for h in history] == ["created", "moved"]
    assert history[0].new["note"] == "3" and history[1].old["note"] == "3" and history[1].new["note"] == "4"


def test_moved_into_another_note_counts_as_moved(service, alice):
    a = on_note(service, alice, "3", "Desperate Journeys")
    summary = service.reanchor("paper", BODY, [NOTES[0], NOTES[2]])  # note 2 gone: 3 is now second
    assert summary.kept == 1 and summary.moved_unchanged == 0
    assert service.get(a.id, alice).note == "3"
    renumbered = [NOTES[0], ("2", NOTES[2][1])]
    assert service.reanchor("paper", BODY, renumbered).moved_unchanged == 1
    assert service.get(a.id, alice).note == "2"


def test_reanchor_without_notes_leaves_note_annotations_alone(service, alice):
    a = on_note(service, alice, "1", "Frontier of Hope")
    summary = service.reanchor("paper", "completely different text")
    assert summary.total == 0
    assert service.get(a.id, alice).status == "anchored"


def test_replace_onto_a_note_and_back_onto_the_text(service, alice):
    a = service.create(alice, "paper", BODY, "cites a report", 9, 23)
    text = NOTES[0][1]
    s = text.index("Amnesty")
    r = service.replace_anchor(a.id, alice, s, s + 7, None, note="1", notes=NOTES)
    assert r.note == "1" and r.exact == "Amnesty"
    back = service.replace_anchor(a.id, alice, 9, 23, BODY)
    assert back.note is None and back.exact == "cites a report"
    assert [h.new.get("note") for h in service.history(a.id, alice)] == [None, "1", None]


def test_w3c_round_trip_names_the_note(service, alice):
    a = on_note(service, alice, "3", "counts pushbacks at sea")
    data = to_jsonld(a, BASE)
    assert data["target"]["source"] == f"{BASE}/doc/paper/fn/3"
    inp = from_jsonld(data)
    assert (inp.doc_id, inp.note, inp.start, inp.end) == ("paper", "3", a.start, a.end)
    star = from_jsonld(dict(data, target=dict(data["target"], source=f"{BASE}/doc/paper/fn/%2A")))
    assert star.note == "*"
    plain = from_jsonld(dict(data, target=dict(data["target"], source=f"{BASE}/doc/paper")))
    assert plain.note is None
    # the export keeps the note (history included) and an import restores it
    service.reanchor("paper", BODY, [NOTES[0], NOTES[1], ("3", NOTES[2][1] + " More.")])
    histories = service.histories([a.id], alice)
    from annotations.export import export_jsonld

    exported = export_jsonld([service.get(a.id, alice)], BASE, histories=histories)
    item = exported["first"]["items"][0]
    assert item["glossa:history"][0]["glossa:to"]["glossa:note"] == "3"
    service.delete(a.id, alice)
    report = import_jsonld(exported, service)
    assert report.imported == 1
    back = service.get(a.id, alice)
    assert back.note == "3" and [h.new.get("note") for h in service.history(a.id, alice)][0] == "3"
    assert "note 3" in export_csv([back], BASE)
    assert "note 3" in export_markdown([back], BASE)


def test_note_stream_cuts_matches_at_the_note_end():
    stream = NoteStream([("1", "alpha beta gamma"), ("2", "delta epsilon")])
    found = stream.find("beta gamma", "alpha ", "", "1", 6, 16)
    assert found.note == "1" and (found.match.start, found.match.end) == (6, 16) and not found.match.changed
    sel = stream.describe("2", 0, 5)
    assert sel.prefix == "" and sel.suffix == " epsilon" and sel.exact == "delta"
    assert stream.text_of("3") is None


def test_create_for_a_user_that_is_gone_is_401(service, alice):
    from datetime import UTC, datetime

    from annotations.base import UserRecord

    ghost = UserRecord(id=alice.id + 1000, name="ghost", created=datetime.now(UTC))
    with pytest.raises(AnnotationError) as err:
        service.create(ghost, "paper", BODY, "cites a report", 9, 23, tags=["x"])
    assert err.value.status == 401
    assert service.find(alice) == [] and service.count() == 0
