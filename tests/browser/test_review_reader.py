"""An annotation moved onto changed text ("review") in the reader, in a real headless Chromium:
the marker on its highlight, the quote as it was next to the text now, Accept and Re-place
reached with the keyboard, and no script the page's CSP would refuse."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_annotation_ui import SELECT_ONLY_JS, saved
from tests.browser.test_annotations import LiveServer
from tests.webui.anno_support import DOCS, build_data_dir, make_test_app

pytestmark = pytest.mark.browser

QUOTE = "pushbacks at the Greek border"
#: QUOTE's paragraph with one word of it changed: found again, on different text
CHANGED = "Reports describe pushbacks at the Greek frontier and the role of Frontex."


@pytest.fixture
def server(tmp_path):
    live = LiveServer(make_test_app(build_data_dir(tmp_path / "data")))
    yield live
    live.stop()


@pytest.fixture
def tab(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/doc/alpha")
    page.wait_for_selector("#anno-panel .anno-empty", state="attached")
    yield page
    context.close()
    assert not errors, errors  # a CSP violation is reported as a console error too


def annotate_then_change_the_document(tab, server):
    """Tag QUOTE in the reader, re-ingest the document with a word of it changed, reload."""
    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document
    from webui.annotate import reanchor_documents

    assert tab.evaluate(SELECT_ONLY_JS, ["p-1", QUOTE])
    expect(tab.locator(".anno-toolbar")).to_be_visible()
    tab.keyboard.press("t")
    tab.keyboard.type("pushbacks")
    tab.keyboard.press("Enter")
    tab.keyboard.press("Enter")
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(1)
    expect(tab.locator(".anno-review-flag")).to_have_count(0)
    app = server.app
    title, paras = DOCS["alpha"]
    new = make_document("alpha", ["A new opening paragraph.", paras[0], CHANGED, paras[2]], title=title)
    write_index(app.config["INDEX_DIR"], [(new, [])])
    DocumentStore(app.config["DATA_DIR"]).put(StoredDocument(new, [], "2026-02-01T00:00:00Z", "y"))
    assert reanchor_documents(app, ["alpha"])["alpha"]["moved_changed"] == 1
    tab.reload()
    tab.wait_for_selector("#anno-panel .anno-item")


def test_review_marker_original_quote_and_accept_by_keyboard(tab, server):
    annotate_then_change_the_document(tab, server)
    flag = tab.locator("#doc-body .anno-review-flag")
    expect(flag).to_have_count(1)
    expect(flag).to_be_visible()
    mark = tab.locator("#doc-body mark.anno.anno-review")
    expect(mark).to_have_text("pushbacks at the Greek frontier")
    # the marker sits right before the highlight and says what it is
    assert flag.evaluate("(f) => f.nextElementSibling && f.nextElementSibling.matches('mark.anno-review')")
    assert QUOTE in flag.get_attribute("aria-label")
    item = tab.locator("#anno-panel .anno-item.anno-under-review")
    expect(item.locator(".anno-previous")).to_have_text(QUOTE)
    expect(item.locator(".anno-current")).to_have_text("pushbacks at the Greek frontier")
    # the marker is not part of the text: copying the passage gives the text alone
    assert (
        tab.evaluate(
            "() => { const p = document.querySelector('#doc-body mark.anno').closest('.passage');"
            " const w = document.createTreeWalker(p, NodeFilter.SHOW_TEXT); let t = '', n;"
            " while ((n = w.nextNode())) if (!n.parentElement.closest('[data-glossa-skip]')) t += n.data; return t; }"
        )
        == CHANGED
    )

    # keyboard only: focus the marker, Enter leads to Accept, Enter accepts
    flag.focus()
    tab.keyboard.press("Enter")
    accept = item.locator(".anno-accept")
    expect(accept).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.locator("#anno-panel .anno-status")).to_contain_text("Accepted")
    expect(tab.locator(".anno-review-flag")).to_have_count(0)
    expect(tab.locator("mark.anno.anno-review")).to_have_count(0)
    expect(tab.locator("#doc-body mark.anno")).to_have_text("pushbacks at the Greek frontier")
    assert saved(tab)[0]["glossa:status"] == "anchored"
    tab.reload()
    tab.wait_for_selector("#doc-body mark.anno")
    expect(tab.locator(".anno-review-flag")).to_have_count(0)


def test_review_replace_on_new_text(tab, server):
    annotate_then_change_the_document(tab, server)
    item = tab.locator("#anno-panel .anno-item.anno-under-review")
    item.locator(".anno-replace").click()
    expect(tab.locator("#anno-panel .anno-status")).to_contain_text("Place here")
    assert tab.evaluate(SELECT_ONLY_JS, ["p-2", "the role of Frontex"])
    expect(tab.locator(".anno-toolbar .anno-place")).to_be_visible()
    tab.keyboard.press("p")
    expect(tab.locator("#anno-panel .anno-status")).to_have_text("Annotation re-placed.")
    expect(tab.locator(".anno-review-flag")).to_have_count(0)
    expect(tab.locator("#doc-body mark.anno")).to_have_text("the role of Frontex")
    got = saved(tab)[0]
    assert got["glossa:status"] == "anchored"
    exact = next(s for s in got["target"]["selector"] if s["type"] == "TextQuoteSelector")["exact"]
    assert exact == "the role of Frontex"
