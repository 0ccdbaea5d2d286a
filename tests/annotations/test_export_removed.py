"""Annotations of removed documents in every export (JSON-LD, the W3C collection, CSV,
Markdown), marked with the removal's date, and an import of such an export that keeps them
and their document's removal (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from annotations import db
from annotations.base import AnnotationError
from annotations.export import (
    REMOVED_KEY,
    export_csv,
    export_jsonld,
    export_markdown,
    import_jsonld,
    removed_map,
)
from annotations.service import AnnotationService

from .w3c import COLLECTION_MUSTS, failed_assertions

BASE = "http://localhost:5000"
TEXT = "Frontex met UNHCR in Warsaw. The Balkan route closed in March."
GONE_AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
def annotated(service):
    alice = service.add_user("alice", "alice-password")
    kept = "The Balkan route closed"
    gone = "met UNHCR in Warsaw"
    a_kept = service.create(
        alice, "doc-kept", TEXT, kept, TEXT.index(kept), TEXT.index(kept) + len(kept), visibility="shared"
    )
    a_gone = service.create(
        alice,
        "doc-gone",
        TEXT,
        gone,
        TEXT.index(gone),
        TEXT.index(gone) + len(gone),
        comment="who else met?",
        tags=["unhcr"],
        visibility="shared",
    )
    marked = service.mark_removed(
        "doc-gone", title="Warsaw notes", source_name="warsaw.txt", removed_by="ed", removed_at=GONE_AT
    )
    assert marked.annotations == 1 and marked.removed_at == GONE_AT
    items = sorted(service.find(alice), key=lambda a: a.doc_id)
    return service, alice, items, a_kept, a_gone


def test_every_export_marks_annotations_of_removed_documents(annotated):
    service, _, items, a_kept, a_gone = annotated
    removed = removed_map(service.removed_documents())
    assert set(removed) == {"doc-gone"}

    collection = export_jsonld(items, BASE, removed=removed)
    assert failed_assertions(collection, COLLECTION_MUSTS) == []
    by_id = {item["id"].rsplit("/", 1)[-1]: item for item in collection["first"]["items"]}
    assert by_id[a_gone.id][REMOVED_KEY] == {
        "removed": "2026-11-03T09:30:00Z",
        "title": "Warsaw notes",
        "sourceName": "warsaw.txt",
    }
    assert REMOVED_KEY not in by_id[a_kept.id]
    assert REMOVED_KEY not in json.dumps(export_jsonld(items, BASE))  # nothing said, nothing marked

    rows = {r["document"]: r for r in csv.DictReader(io.StringIO(export_csv(items, BASE, removed=removed)))}
    assert rows["doc-gone"]["document_removed"] == "2026-11-03T09:30:00Z"
    assert rows["doc-gone"]["title"] == "Warsaw notes"  # the title it had
    assert rows["doc-kept"]["document_removed"] == ""

    md = export_markdown(items, BASE, removed=removed)
    gone_block = md.split("---")[[i for i, a in enumerate(items) if a.id == a_gone.id][0]]
    assert "— *Warsaw notes*" in gone_block and "(document removed on 2026-11-03T09:30:00Z)" in gone_block
    assert "document removed" not in md.split("---")[[i for i, a in enumerate(items) if a.id == a_kept.id][0]]


def test_importing_an_export_keeps_the_annotations_and_the_removal(annotated, tmp_path):
    service, _, items, a_kept, a_gone = annotated
    payload = json.loads(json.dumps(export_jsonld(items, BASE, removed=removed_map(service.removed_documents()))))
    fresh = AnnotationService.from_url(db.default_url(tmp_path / "other"))
    report = import_jsonld(payload, fresh)
    assert (report.imported, report.skipped, report.errors, report.removed) == (2, 0, [], ["doc-gone"])
    (record,) = fresh.removed_documents()
    assert (record.doc_id, record.title, record.source_name, record.annotations) == (
        "doc-gone",
        "Warsaw notes",
        "warsaw.txt",
        1,
    )
    assert record.removed_at.astimezone(UTC) == GONE_AT
    alice = fresh.get_user("alice")
    again = {a.id: a for a in fresh.find(alice)}
    assert again[a_gone.id].exact == a_gone.exact and again[a_gone.id].tags == ["unhcr"]
    # the round trip exports the same marks
    assert (
        export_jsonld(
            sorted(again.values(), key=lambda a: a.doc_id), BASE, removed=removed_map(fresh.removed_documents())
        )
        == payload
    )
    # importing again changes nothing
    second = import_jsonld(payload, fresh)
    assert (second.imported, second.skipped, second.removed) == (0, 2, [])


def test_a_document_back_in_the_corpus_is_not_marked_removed_again(annotated, tmp_path):
    service, _, items, *_ = annotated
    payload = export_jsonld(items, BASE, removed=removed_map(service.removed_documents()))
    fresh = AnnotationService.from_url(db.default_url(tmp_path / "other"))
    report = import_jsonld(payload, fresh, in_corpus={"doc-gone", "doc-kept"})
    assert report.imported == 2 and report.removed == [] and fresh.removed_documents() == []


@pytest.mark.parametrize(
    "value, words",
    [
        ("yesterday", "must be an object"),
        ({"removed": "not a date"}, "ISO 8601"),
        ({"removed": "2026-11-03T09:30:00"}, "time zone"),
        ({"removed": "2026-11-03T09:30:00Z", "title": 3}, "title"),
    ],
)
def test_a_bad_removal_mark_refuses_that_item_alone(annotated, tmp_path, value, words):
    service, _, items, *_ = annotated
    payload = export_jsonld(items, BASE, removed=removed_map(service.removed_documents()))
    payload["first"]["items"][0][REMOVED_KEY] = value
    fresh = AnnotationService.from_url(db.default_url(tmp_path / "other"))
    report = import_jsonld(payload, fresh)
    assert report.imported == 1 and [i for i, _ in report.errors] == [0] and words in report.errors[0][1]
    with pytest.raises(AnnotationError):
        import_jsonld({"type": "Nonsense"}, fresh)
