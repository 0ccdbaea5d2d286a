"""Annotating a footnote's text in a real headless Chromium: in the reader's notes, on the
note's page and in a mark's popover; the highlight comes back on the note after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_annotation_ui import SELECT_ONLY_JS, saved, tags_of
from tests.browser.test_annotations import LiveServer
from tests.webui.anno_support import build_data_dir, make_test_app

pytestmark = pytest.mark.browser

NOTE = '[data-anno-note="1"]'


@pytest.fixture
def server(tmp_path):
    live = LiveServer(make_test_app(build_data_dir(tmp_path / "data")))
    yield live
    live.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def tab(context, server):
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    assert not errors, errors


def open_reader(page, server, path="/doc/alpha"):
    page.goto(server.url + path)
    page.wait_for_selector("#anno-panel .anno-empty", state="attached")


def tag_selection(page, tag):
    """Keyboard only: t opens the tag field, the tag, Enter adds it, Enter saves."""
    expect(page.locator(".anno-toolbar")).to_be_visible()
    page.keyboard.press("t")
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#anno-panel .anno-status")).to_have_text("Annotation saved.")


def test_select_text_in_a_footnote_tag_it_reload_and_see_it(tab, server):
    open_reader(tab, server)
    assert tab.evaluate(SELECT_ONLY_JS, ["fn-1", "Amnesty International"])
    tag_selection(tab, "amnesty")
    items = saved(tab)
    assert len(items) == 1 and tags_of(items[0]) == ["amnesty"]
    assert items[0]["target"]["source"].endswith("/doc/alpha/fn/1")
    position = next(s for s in items[0]["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert (position["start"], position["end"]) == (0, len("Amnesty International"))

    tab.reload()
    mark = tab.locator(f"#fn-1 {NOTE} mark.anno")
    expect(mark).to_have_text("Amnesty International")
    expect(tab.locator("#doc-body mark.anno")).to_have_count(0)  # not put on the text at offset 0
    expect(tab.locator("#anno-panel .anno-item .anno-on-note")).to_have_text("note 1")
    # the mark's popover shows the note with its highlight
    tab.locator("sup.fnref a").first.hover()
    expect(tab.locator("#fn-popover mark.anno")).to_have_text("Amnesty International")

    # the note's own page shows it and lists it
    open_reader(tab, server, "/doc/alpha/fn/1")
    expect(tab.locator(f"blockquote{NOTE} mark.anno")).to_have_text("Amnesty International")
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(1)


def test_annotate_on_the_note_page_and_in_the_popover(tab, server):
    open_reader(tab, server, "/doc/alpha/fn/1")
    assert tab.evaluate(SELECT_ONLY_JS, ["note-text", "2021"])
    tag_selection(tab, "year")
    open_reader(tab, server)
    expect(tab.locator(f"#fn-1 {NOTE} mark.anno")).to_have_text("2021")

    # in the popover: select its copy of the note, tag it from the toolbar
    tab.locator("sup.fnref a").first.hover()
    expect(tab.locator("#fn-popover")).to_be_visible()
    done = tab.evaluate(
        """(quote) => {
          const note = document.querySelector('#fn-popover [data-anno-note]');
          const walker = document.createTreeWalker(note, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const i = node.data.indexOf(quote);
            if (i >= 0) {
              const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + quote.length);
              const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
              document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
              return true;
            }
          }
          return false;
        }""",
        "International",
    )
    assert done
    expect(tab.locator(".anno-toolbar")).to_be_visible()
    tab.locator(".anno-toolbar .anno-tag-btn").click()
    tab.keyboard.type("org")
    tab.keyboard.press("Enter")
    tab.keyboard.press("Enter")
    expect(tab.locator("#anno-panel .anno-status")).to_have_text("Annotation saved.")
    expect(tab.locator(f"#fn-1 {NOTE} mark.anno")).to_have_count(2)
    texts = sorted(tab.locator(f"#fn-1 {NOTE} mark.anno").all_inner_texts())
    assert texts == ["2021", "International"]
