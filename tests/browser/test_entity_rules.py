"""Entity corrections in a real headless Chromium: merge two entities from the reader's entity
panel, find both by one org: query, see the correction on /entities and undo it there."""

from __future__ import annotations

import re
import shutil
import threading

import pytest
from playwright.sync_api import expect

PAPER = "003-b4544ddbd7f01f68"  # names EASO; another sample document names EUAA


@pytest.fixture(scope="module")
def rules_server(sample_data_dir, tmp_path_factory):
    """A server of its own: merging changes the index, which the other browser tests share."""
    from werkzeug.serving import make_server

    from tests.conftest import make_app

    data = tmp_path_factory.mktemp("rules-live") / "data"
    shutil.copytree(sample_data_dir, data, ignore=shutil.ignore_patterns("glossa.db", "secret_key"))
    app = make_app(data, data / "glossa.db")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def tab(browser, rules_server):
    context = browser.new_context(base_url=rules_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not errors, errors  # no script error, no CSP violation


def passages(page, query: str) -> set[str]:
    page.goto(f"/?q={query}")
    return {a.get_attribute("href").split("#", 1)[1] for a in page.locator(".hit a.snippet").all()}


def test_merge_from_the_reader_then_one_org_query_finds_both(tab):
    page = tab
    euaa, easo = passages(page, "org:EUAA"), passages(page, "org:EASO")
    assert euaa and easo and not euaa & easo

    page.goto(f"/doc/{PAPER}")
    panel = page.locator(".doc-entities details", has=page.locator("summary", has_text="Organisation"))
    if not panel.evaluate("d => d.open"):
        panel.locator("summary").click()
    item = panel.locator("li", has=page.locator(".ent-mark", has_text=re.compile(r"^EASO$")))
    item.locator("a.ent-correct").click()
    expect(page.locator("h1")).to_contain_text("EASO")
    page.fill("#merge-name", "EUAA")
    page.get_by_role("button", name="Merge").click()
    # back in the reader, which now counts the EASO mentions as EUAA
    expect(page).to_have_url(re.compile(rf"/doc/{PAPER}"))
    expect(page.locator('.doc-entities .ent-mark[data-canonical="EUAA"]')).to_have_count(1)
    expect(page.locator('.doc-entities .ent-mark[data-canonical="EASO"]')).to_have_count(0)

    # one org: query finds the passages of both names
    merged = passages(page, "org:EUAA")
    assert merged == euaa | easo
    expect(page.locator(".hit .snippet").filter(has_text="EASO").first).to_be_visible()
    # and org:EASO means what EASO now is, saying so
    assert passages(page, "org:EASO") == merged
    expect(page.locator(".notice.rewritten")).to_have_text("EASO is now part of EUAA: showing EUAA")

    # /entities lists the correction; undoing it brings both names back
    page.goto("/entities?type=ORG")
    row = page.locator(".rule-table tr", has_text="merged into")
    expect(row).to_contain_text("EASO")
    expect(row).to_contain_text("local")
    row.get_by_role("button", name=re.compile("Undo")).click()
    expect(page.locator(".notice")).to_contain_text("Correction undone")
    assert passages(page, "org:EUAA") == euaa
    assert passages(page, "org:EASO") == easo
