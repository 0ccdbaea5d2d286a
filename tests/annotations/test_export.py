"""Exports (JSON-LD, CSV, Markdown) and the JSON-LD import round trip."""

from __future__ import annotations

import csv
import io
import json

import pytest

from annotations import db
from annotations.base import AnnotationError
from annotations.export import export_csv, export_jsonld, export_markdown, import_jsonld, md_escape
from annotations.service import AnnotationService

from .w3c import COLLECTION_MUSTS, failed_assertions

BASE = "http://localhost:5000"
TEXT = (
    "Page one text. The *Balkan* route became a [buffer] zone.\n\nPage two: =SUM(A1) "
    "appears in a quote; Frontex <script>alert(1)</script> signed agreements."
)


@pytest.fixture
def filled(service):
    alice = service.add_user("alice", "alice-password")
    bob = service.add_user("bob", "bob-password1")
    q1 = "The *Balkan* route became a [buffer] zone."
    a1 = service.create(
        alice,
        "doc-1",
        TEXT,
        q1,
        TEXT.index(q1),
        TEXT.index(q1) + len(q1),
        comment="Emphasis _and_ <b>html</b>\nsecond line",
        tags=["route", "eu"],
        visibility="shared",
    )
    q2 = "=SUM(A1) appears"
    a2 = service.create(
        bob, "doc-1", TEXT, q2, TEXT.index(q2), TEXT.index(q2) + len(q2), comment="-1 formula?", visibility="private"
    )
    q3 = "Frontex <script>alert(1)</script> signed"
    a3 = service.create(
        alice, "doc-1", TEXT, q3, TEXT.index(q3), TEXT.index(q3) + len(q3), tags=["frontex"], visibility="private"
    )
    service.reanchor("doc-1", TEXT.replace(" Frontex <script>alert(1)</script> signed agreements.", ""))
    assert service.get(a3.id, alice).status == "orphaned"
    return service, (alice, bob), (a1, a2, a3)


def all_items(service, users):
    seen = {}
    for u in users:
        for a in service.list(u):
            seen[a.id] = a
    return sorted(seen.values(), key=lambda a: a.id)


def test_jsonld_round_trip_into_a_fresh_database(filled, tmp_path):
    service, users, _ = filled
    items = all_items(service, users)
    exported = export_jsonld(items, BASE)
    assert failed_assertions(exported, COLLECTION_MUSTS) == []
    payload = json.loads(json.dumps(exported))  # through real JSON text
    url = db.default_url(tmp_path / "other")
    fresh = AnnotationService.from_url(url)
    report = import_jsonld(payload, fresh)
    assert (report.imported, report.skipped, report.errors) == (3, 0, [])
    restored_users = [fresh.get_user("alice"), fresh.get_user("bob")]
    assert all(restored_users)
    assert fresh.authenticate("alice", "alice-password") is None  # unusable password
    again = all_items(fresh, restored_users)
    strip = lambda a: {k: v for k, v in vars(a).items() if k != "creator_id"}  # noqa: E731
    assert [strip(a) for a in again] == [strip(a) for a in items]
    assert export_jsonld(again, BASE) == exported
    assert {a.status for a in again} == {"anchored", "orphaned"}
    second = import_jsonld(payload, fresh)
    assert (second.imported, second.skipped) == (0, 3)


def test_import_reports_bad_items_and_keeps_good_ones(filled, tmp_path):
    service, users, _ = filled
    data = export_jsonld(all_items(service, users), BASE)
    data["first"]["items"][1]["target"] = {"source": "http://elsewhere/x"}
    data["first"]["items"][2]["body"] = [{"type": "TextualBody", "purpose": "tagging", "value": "bad tag"}]
    fresh = AnnotationService.from_url(db.default_url(tmp_path / "other"))
    report = import_jsonld(data, fresh)
    assert report.imported == 1 and [i for i, _ in report.errors] == [1, 2]
    assert "target.source" in report.errors[0][1] and "bad tag" in report.errors[1][1]
    with pytest.raises(AnnotationError) as err:
        import_jsonld({"type": "Nonsense"}, fresh)
    assert err.value.status == 400


def test_csv_export(filled):
    service, users, (a1, a2, a3) = filled
    items = all_items(service, users)
    text = export_csv(
        items,
        BASE,
        passage_for=lambda doc_id, offset: 1 if offset < 60 else 2,
        doc_info=lambda d: {"title": "=Paper one", "page_for": lambda off: 3 if off < 60 else 4},
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    by_quote = {r["quote"]: r for r in rows}
    r1 = by_quote[a1.exact]
    assert r1["document"] == "doc-1" and r1["passage"] == "1" and r1["tags"] == "route; eu"
    assert r1["title"] == "'=Paper one" and r1["page"] == "3"  # titles are untrusted text too
    assert r1["author"] == "alice" and r1["comment"].endswith("second line")
    assert r1["link"] == f"{BASE}/doc/doc-1#anno-{a1.id}"
    assert r1["created"].endswith("Z")
    assert "'=SUM(A1) appears" in by_quote  # spreadsheet formula neutralised
    assert by_quote["'=SUM(A1) appears"]["comment"] == "'-1 formula?"
    assert by_quote["'=SUM(A1) appears"]["passage"] == "2"


def test_markdown_export(filled):
    service, users, (a1, a2, a3) = filled
    items = service.list(users[0])
    md = export_markdown(
        items, BASE, doc_info=lambda d: {"title": "Paper *one*", "page_for": lambda off: 1 if off < 60 else 2}
    )
    assert "> The \\*Balkan\\* route became a \\[buffer\\] zone." in md
    assert "— *Paper \\*one\\**, p. 1, [link](" + f"{BASE}/doc/doc-1#anno-{a1.id})" in md
    assert "<script>" not in md and "&lt;script&gt;" in md and "<b>" not in md
    assert "orphaned" in md and "Tags: `route`, `eu`" in md
    assert "=SUM" not in md  # bob's private note is not in alice's list
    plain = export_markdown(items, BASE)
    assert "*doc-1*" in plain


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("the authorities. (2019) e-mail!", "the authorities. (2019) e-mail!"),  # prose stays bare
        (
            "*bold* _it_ `code` [link](x) a|b ~s~ back\\slash",
            r"\*bold\* \_it\_ \`code\` \[link\](x) a\|b \~s\~ back\\slash",
        ),
        ("# heading", r"\# heading"),
        ("  - item", r"  \- item"),
        ("+ item", r"\+ item"),
        ("12. numbered", r"12\. numbered"),
        ("3) numbered", r"3\) numbered"),
        ("> quote <b>&", "&gt; quote &lt;b&gt;&amp;"),
    ],
)
def test_markdown_escapes_only_what_renders(text, escaped):
    assert md_escape(text) == escaped
