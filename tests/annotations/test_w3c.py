"""What Glossa emits passes the W3C Web Annotation MUST assertions; the harness itself is checked."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from annotations.model import AnnotationRecord, collection_jsonld, from_jsonld, to_jsonld

from .w3c import ANNOTATION_MUSTS, COLLECTION_MUSTS, failed_assertions, sample_verdicts

BASE = "https://glossa.example.org"


def rec(comment="", tags=(), **kw) -> AnnotationRecord:
    fields = dict(
        id="0b5f6e8e-2b7c-4bb5-9a44-3f1c2f4bd0a1",
        doc_id="003_b4544ddbd7f01f68",
        creator="alice",
        visibility="shared",
        exact="buffer zone",
        prefix="as a ",
        suffix=" for Europe",
        start=120,
        end=131,
        comment=comment,
        tags=list(tags),
        created=datetime(2026, 11, 24, 14, 0, 5, tzinfo=UTC),
        modified=datetime(2026, 11, 24, 15, 30, 0, 250000, tzinfo=UTC),
        status="anchored",
        text_hash="a" * 64,
    )
    fields.update(kw)
    return AnnotationRecord(**fields)


VARIANTS = {
    "comment_only": rec(comment="A key notion <b>here</b>"),
    "tags_only": rec(tags=["buffer-zone", "balkans"]),
    "comment_and_tags": rec(comment="Both", tags=["eu"]),
    "neither": rec(),
    "orphaned_private": rec(comment="x", status="orphaned", visibility="private", doc_id="doc with spaces/and slash"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_annotation_passes_every_must(name):
    data = to_jsonld(VARIANTS[name], BASE)
    assert failed_assertions(data, ANNOTATION_MUSTS) == []


def test_emitted_shape():
    data = to_jsonld(VARIANTS["comment_and_tags"], BASE)
    assert data["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "Annotation" and data["id"].startswith(BASE + "/")
    assert data["created"] == "2026-11-24T14:00:05Z"
    assert data["modified"] == "2026-11-24T15:30:00.250000Z"
    assert data["creator"] == {"id": BASE + "/users/alice", "type": "Person", "name": "alice"}
    assert data["body"] == [
        {"type": "TextualBody", "purpose": "commenting", "value": "Both", "format": "text/plain"},
        {"type": "TextualBody", "purpose": "tagging", "value": "eu"},
    ]
    assert data["target"]["source"] == BASE + "/doc/003_b4544ddbd7f01f68"
    assert data["target"]["selector"] == [
        {"type": "TextQuoteSelector", "exact": "buffer zone", "prefix": "as a ", "suffix": " for Europe"},
        {"type": "TextPositionSelector", "start": 120, "end": 131},
    ]


def test_collection_passes_every_must():
    items = list(VARIANTS.values())
    data = collection_jsonld(items, BASE)
    assert failed_assertions(data, COLLECTION_MUSTS) == []
    assert data["total"] == len(items) and data["first"]["type"] == "AnnotationPage"
    for item in data["first"]["items"]:  # embedded items inherit the collection's @context
        assert "@context" not in item
        assert failed_assertions({"@context": data["@context"], **item}, ANNOTATION_MUSTS) == []
    empty = collection_jsonld([], BASE)
    assert failed_assertions(empty, COLLECTION_MUSTS) == [] and empty["total"] == 0


def test_harness_catches_broken_output():
    data = to_jsonld(VARIANTS["comment_only"], BASE)
    for mutate in (
        lambda d: d.pop("target"),
        lambda d: d.update(type="Note"),
        lambda d: d.update(created="yesterday"),
        lambda d: d.update({"@context": "x"}),
        lambda d: d.update(bodyValue="both body and bodyValue"),
    ):
        broken = copy.deepcopy(data)
        mutate(broken)
        assert failed_assertions(broken, ANNOTATION_MUSTS), broken
    coll = collection_jsonld(list(VARIANTS.values()), BASE)
    coll.pop("first")
    assert failed_assertions(coll, COLLECTION_MUSTS)


def test_harness_on_the_suite_samples():
    correct = sample_verdicts("correct")
    incorrect = sample_verdicts("incorrect")
    assert len(correct) == 41 and sum(correct.values()) == 38
    assert len(incorrect) == 39 and sum(not ok for ok in incorrect.values()) == 38
    # with the date-time/uri formats checked too, the one remaining bad sample is caught
    strict = sample_verdicts("incorrect", strict_formats=True)
    assert sum(not ok for ok in strict.values()) == 39
    assert [n for n, ok in correct.items() if not ok] == [
        n for n, ok in sample_verdicts("correct", strict_formats=True).items() if not ok
    ]


def test_round_trip_through_from_jsonld():
    a = VARIANTS["comment_and_tags"]
    inp = from_jsonld(to_jsonld(a, BASE))
    assert (inp.id, inp.doc_id, inp.exact, inp.prefix, inp.suffix, inp.start, inp.end) == (
        a.id,
        a.doc_id,
        a.exact,
        a.prefix,
        a.suffix,
        a.start,
        a.end,
    )
    assert (inp.comment, inp.tags, inp.creator, inp.created, inp.modified) == (
        a.comment,
        a.tags,
        a.creator,
        a.created,
        a.modified,
    )
    assert (inp.visibility, inp.status, inp.text_hash) == (a.visibility, a.status, a.text_hash)
    odd = from_jsonld(to_jsonld(VARIANTS["orphaned_private"], BASE))
    assert odd.doc_id == "doc with spaces/and slash"
