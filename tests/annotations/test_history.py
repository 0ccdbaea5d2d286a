"""Anchor history, review, accept and re-place (SQLite and PostgreSQL), export round trip,
and migration 0002 on a database holding annotations."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from annotations import db
from annotations.anchoring import text_hash
from annotations.base import AnnotationError
from annotations.export import export_jsonld, export_markdown, import_jsonld
from annotations.service import AnnotationService

TEXT = (
    "The Balkan route became a buffer zone for Europe. Frontex signed status agreements with "
    "Albania, Serbia and Montenegro. Pushbacks were reported at several borders in 2021."
)
BASE = "http://glossa.test"


@pytest.fixture
def alice(service):
    return service.add_user("alice", "alice-password")


def make(service, user, quote):
    s = TEXT.index(quote)
    return service.create(user, "paper", TEXT, quote, s, s + len(quote), tags=["t"])


def test_history_keeps_original_and_every_step(service, alice):
    a = make(service, alice, "Frontex signed status agreements")
    first = TEXT.replace("Frontex signed", "Frontex has signed")
    assert service.reanchor("paper", first).moved_changed == 1
    second = "Preface. " + first
    assert service.reanchor("paper", second).moved_unchanged == 1
    third = second.replace(" Frontex has signed status agreements with Albania, Serbia and Montenegro.", "")
    assert service.reanchor("paper", third).orphaned == 1
    steps = service.history(a.id, alice)
    assert [h.event for h in steps] == ["created", "changed", "moved", "orphaned"]
    assert steps[0].new["exact"] == "Frontex signed status agreements"  # the original, untouched
    assert steps[0].new_text_hash == text_hash(TEXT) and steps[0].actor == "alice"
    changed = steps[1]
    assert changed.old["exact"] == "Frontex signed status agreements"
    assert changed.new["exact"] == "Frontex has signed status agreements"
    assert changed.method == "fuzzy" and 0 < changed.score < 1
    assert (changed.old_text_hash, changed.new_text_hash) == (text_hash(TEXT), text_hash(first))
    assert steps[2].new["start"] == steps[2].old["start"] + len("Preface. ")
    assert steps[3].new is None and steps[3].new_text_hash == text_hash(third)
    now = service.get(a.id, alice)
    assert now.status == "orphaned" and now.exact == "Frontex has signed status agreements"
    assert all(h.at is not None for h in steps)
    assert steps == sorted(steps, key=lambda h: h.at)


def test_review_accept_and_replace(service, alice):
    a = make(service, alice, "buffer zone for Europe")
    b = make(service, alice, "Pushbacks were reported")
    new = TEXT.replace("buffer zone for Europe", "buffer zones for Europe").replace("were reported", "were seen")
    summary = service.reanchor("paper", new)
    assert (summary.moved_changed, summary.kept) == (2, 0) or summary.moved_changed + summary.orphaned == 2
    got = service.get(a.id, alice)
    assert got.status == "review" and got.previous_exact == "buffer zone for Europe"
    assert got.exact == new[got.start : got.end] == "buffer zones for Europe"
    assert [x.id for x in service.find(alice, status="review")] == [
        x.id for x in (service.get(a.id, alice), service.get(b.id, alice)) if x.status == "review"
    ]
    bob = service.add_user("bob", "bob-password")
    with pytest.raises(AnnotationError) as err:
        service.accept_anchor(a.id, bob)
    assert err.value.status in (403, 404)
    accepted = service.accept_anchor(a.id, alice)
    assert accepted.status == "anchored" and accepted.previous_exact is None
    with pytest.raises(AnnotationError) as err:
        service.accept_anchor(a.id, alice)
    assert err.value.status == 409
    # a later move with changes shows the accepted text as the previous one
    newer = new.replace("buffer zones for Europe", "buffer zones for all Europe")
    service.reanchor("paper", newer)
    again = service.get(a.id, alice)
    assert again.status == "review" and again.previous_exact == "buffer zones for Europe"
    start = newer.index("zones for all Europe")
    placed = service.replace_anchor(a.id, alice, start, start + len("zones for all Europe"), newer)
    assert placed.status == "anchored" and placed.exact == "zones for all Europe"
    events = [h.event for h in service.history(a.id, alice)]
    assert events == ["created", "changed", "accepted", "changed", "replaced"]
    assert service.history(a.id, alice)[-1].actor == "alice"
    assert service.get(a.id, alice).tags == ["t"]


def test_history_hidden_from_others_and_deleted_with_annotation(service, alice, service_url):
    a = make(service, alice, "Albania, Serbia")
    bob = service.add_user("bob", "bob-password")
    with pytest.raises(AnnotationError) as err:
        service.history(a.id, bob)
    assert err.value.status == 404
    assert service.histories([a.id], bob) == {}
    service.delete(a.id, alice)
    engine = db.make_engine(service_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM annotation_anchors")).scalar() == 0
    engine.dispose()


def test_export_carries_current_selectors_and_history_and_imports_back(service, alice, tmp_path):
    a = make(service, alice, "buffer zone for Europe")
    new = TEXT.replace("buffer zone for Europe", "buffer zones for Europe")
    service.reanchor("paper", new)
    items = service.find(alice)
    histories = service.histories([x.id for x in items], alice)
    data = export_jsonld(items, BASE, histories=histories)
    item = data["first"]["items"][0]
    quote = next(s for s in item["target"]["selector"] if s["type"] == "TextQuoteSelector")
    assert quote["exact"] == "buffer zones for Europe"  # current selectors in the target
    assert item["glossa:status"] == "review"
    assert item["glossa:previousQuote"]["exact"] == "buffer zone for Europe"
    steps = item["glossa:history"]
    assert [s["glossa:event"] for s in steps] == ["created", "changed"]
    assert steps[0]["glossa:to"]["selector"][0]["exact"] == "buffer zone for Europe"
    assert steps[1]["glossa:from"]["selector"][0]["exact"] == "buffer zone for Europe"
    md = export_markdown(items, BASE)
    assert "to review" in md and "buffer zone for Europe" in md
    url = db.default_url(tmp_path / "fresh")
    db.upgrade(url)
    fresh = AnnotationService(db.make_session_factory(db.make_engine(url)))
    report = import_jsonld(data, fresh)
    assert (report.imported, report.errors) == (1, [])
    user = fresh.get_user("alice")
    again = fresh.find(user)
    assert export_jsonld(again, BASE, histories=fresh.histories([x.id for x in again], user)) == data
    assert fresh.history(a.id, user)[0].new["exact"] == "buffer zone for Europe"


def test_import_refuses_a_bad_history(service):
    bad = {
        "type": "Annotation",
        "id": f"{BASE}/api/annotations/8d4bd0c4-6a52-4f0e-9a0e-0f6c8f7b2a11",
        "creator": {"type": "Person", "name": "carol"},
        "target": {"source": f"{BASE}/doc/paper", "selector": [{"type": "TextQuoteSelector", "exact": "x"}]},
        "glossa:history": [{"glossa:event": "teleported"}],
    }
    report = import_jsonld({"type": "AnnotationCollection", "first": {"items": [bad]}}, service)
    assert report.imported == 0 and "glossa:event" in report.errors[0][1]


def test_migration_0002_keeps_annotations_and_tags(db_url):
    db.upgrade(db_url, "0001")
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, name, password_hash, created) VALUES (1, 'old', 'x', :t)"),
            {"t": "2026-01-01 00:00:00+00:00"},
        )
        for i, status in enumerate(("anchored", "orphaned")):
            conn.execute(
                text(
                    "INSERT INTO annotations (id, doc_id, creator_id, visibility, exact, prefix, suffix, "
                    "start_offset, end_offset, comment, created, modified, status, text_hash) VALUES "
                    "(:id, 'd', 1, 'shared', :q, 'p', 's', 3, 8, 'c', :t, :t, :st, '')"
                ),
                {
                    "id": f"00000000-0000-0000-0000-00000000000{i}",
                    "q": f"quote{i}",
                    "t": "2026-01-02 00:00:00+00:00",
                    "st": status,
                },
            )
            conn.execute(
                text("INSERT INTO annotation_tags (annotation_id, tag, position) VALUES (:id, 'kept-tag', 0)"),
                {"id": f"00000000-0000-0000-0000-00000000000{i}"},
            )
    engine.dispose()
    db.upgrade(db_url)
    assert db.current_revision(db_url) == ScriptDirectory.from_config(db.alembic_config(db_url)).get_current_head()
    engine = db.make_engine(db_url)
    service = AnnotationService(db.make_session_factory(engine))
    items = service.find("old")
    assert [(a.exact, a.status, a.tags) for a in items] == [
        ("quote0", "anchored", ["kept-tag"]),
        ("quote1", "orphaned", ["kept-tag"]),
    ]
    steps = service.history(items[0].id, "old")
    assert [(h.event, h.new["exact"], h.new["start"]) for h in steps] == [("recorded", "quote0", 3)]
    # the new status value is allowed now; downgrade and upgrade again keep the data
    engine.dispose()
    cfg = db.alembic_config(db_url)
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    engine.dispose()
    assert db.current_revision(db_url) == "0001"
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    again = AnnotationService(db.make_session_factory(engine)).find("old")
    engine.dispose()
    assert [(a.exact, a.tags) for a in again] == [("quote0", ["kept-tag"]), ("quote1", ["kept-tag"])]
