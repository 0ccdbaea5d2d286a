"""Annotations re-anchored onto changed text ("review"): the list, the page, accept, history, export."""

from __future__ import annotations

import json
import re

from .anno_support import DOCS, selector_body
from .anno_support import stored_document as document
from .test_annotations_pages import _reingest, create

QUOTE = "pushbacks at the Greek border"
#: the paragraph of QUOTE with one word of it changed: found again, but on different text
CHANGED = "Reports describe pushbacks at the Greek frontier and the role of Frontex."


def _under_review(web, app) -> str:
    """An annotation that re-anchoring moved onto changed text; returns its id."""
    from webui.annotate import reanchor_documents

    annotation_id = create(web, selector_body(document(app), QUOTE, tags=["pushbacks"]))
    paras = DOCS["alpha"][1]
    _reingest(app, "alpha", ["A new opening paragraph.", paras[0], CHANGED, paras[2]])
    summary = reanchor_documents(app, ["alpha"])
    assert summary["alpha"]["moved_changed"] == 1, summary
    return annotation_id


def test_review_status_in_api_list_and_annotation(web, anno_app):
    annotation_id = _under_review(web, anno_app)
    got = web.get(f"/api/annotations/{annotation_id}").get_json(force=True)
    assert got["glossa:status"] == "review"
    assert got["glossa:previousQuote"] == {"type": "TextQuoteSelector", "exact": QUOTE}
    exact = next(s for s in got["target"]["selector"] if s["type"] == "TextQuoteSelector")["exact"]
    assert exact != QUOTE and "frontier" in exact
    listed = web.get("/api/annotations?status=review").get_json(force=True)
    assert listed["total"] == 1
    assert web.get("/api/annotations?status=anchored").get_json(force=True)["total"] == 0
    bad = web.get("/api/annotations?status=nope")
    assert bad.status_code == 400 and "'review'" in bad.get_json()["message"]


def test_page_shows_counts_badge_previous_quote_and_accept(web, anno_app):
    annotation_id = _under_review(web, anno_app)
    create(web, selector_body(document(anno_app), "Introduction"))
    page = web.get("/annotations").get_data(as_text=True)
    counts = dict(re.findall(r'status=(\w+)(?:&amp;[^"]*)?">[^<]+</a> <span class="count">(\d+)', page))
    assert counts == {"anchored": "1", "review": "1", "orphaned": "0"}
    row = re.search(rf'<tr id="anno-{annotation_id}".*?</tr>', page, re.S).group(0)
    assert "anno-review" in row and "needs review" in row
    assert f"was: <del>“{QUOTE}”</del>" in row and "frontier" in row
    assert f'action="/annotations/{annotation_id}/accept"' in row
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None and re.search(r"\son\w+\s*=", page) is None
    only = web.get("/annotations?status=review").get_data(as_text=True)
    assert only.count('<tr id="anno-') == 1 and '<option value="review" selected>needs review</option>' in only

    # the form posts with the page's CSRF token and comes back to the list
    token = re.search(r'name="csrf_token" value="([^"]+)"', row).group(1)
    refused = web.post(f"/annotations/{annotation_id}/accept", data={"next": "/annotations"}, headers={})
    assert refused.status_code == 403
    done = web.post(
        f"/annotations/{annotation_id}/accept", data={"csrf_token": token, "next": "/annotations?status=review"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/annotations?status=review")
    assert web.get(f"/api/annotations/{annotation_id}").get_json(force=True)["glossa:status"] == "anchored"
    after = web.get("/annotations").get_data(as_text=True)
    assert "needs review</span>" not in after and "/accept" not in after
    assert web.post("/annotations/nope/accept", data={"csrf_token": token}).status_code == 404


def test_api_accept_and_history(web, anno_app):
    annotation_id = _under_review(web, anno_app)
    url = f"/api/annotations/{annotation_id}"
    assert web.post(url + "/accept", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    accepted = web.post(url + "/accept", headers={"X-CSRF-Token": web.csrf})
    assert accepted.status_code == 200
    body = accepted.get_json(force=True)
    assert body["glossa:status"] == "anchored" and "glossa:previousQuote" not in body
    again = web.post(url + "/accept", headers={"X-CSRF-Token": web.csrf})
    assert again.status_code == 409 and "not under review" in again.get_json()["message"]
    missing = web.post("/api/annotations/nope/accept", headers={"X-CSRF-Token": web.csrf})
    assert missing.status_code == 404 and missing.is_json

    history = web.get(url + "/history")
    assert history.status_code == 200
    steps = history.get_json(force=True)["glossa:history"]
    assert [s["glossa:event"] for s in steps] == ["created", "changed", "accepted"]
    before = next(s for s in steps[1]["glossa:from"]["selector"] if s["type"] == "TextQuoteSelector")
    after = next(s for s in steps[1]["glossa:to"]["selector"] if s["type"] == "TextQuoteSelector")
    assert before["exact"] == QUOTE and "frontier" in after["exact"]
    assert web.get("/api/annotations/nope/history").status_code == 404


def test_exports_carry_the_history(web, anno_app):
    annotation_id = _under_review(web, anno_app)
    exported = json.loads(web.get("/api/annotations/export?format=jsonld").data)
    (item,) = exported["first"]["items"]
    assert item["glossa:status"] == "review"
    assert [s["glossa:event"] for s in item["glossa:history"]] == ["created", "changed"]
    assert item["id"].endswith(annotation_id)


def test_cli_export_carries_the_history(web, anno_app, tmp_path):
    from click.testing import CliRunner

    from webui.cli import cli

    _under_review(web, anno_app)
    out = tmp_path / "all.jsonld"
    result = CliRunner().invoke(
        cli, ["--data", anno_app.config["DATA_DIR"], "annotations", "export", "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    (item,) = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
    assert item["glossa:visibility"] == "private"  # an administrator's export: private histories too
    assert [s["glossa:event"] for s in item["glossa:history"]] == ["created", "changed"]
