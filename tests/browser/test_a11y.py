"""Keyboard, screen-reader and no-JavaScript use of the search page and the reader (real Chromium)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import HTTP_ERROR
from tests.browser.test_search_reader import CANONICAL_TEXT_JS

PAPER = "Balkan route and the European Union"


def open_paper(page):
    page.goto("/")
    page.locator(".doc-list a", has_text=PAPER).click()
    expect(page.locator("#doc-body")).to_be_visible()
    page.wait_for_load_state("load")  # app.js is deferred


def test_pages_load_without_console_errors(page):
    # the ``page`` fixture fails the test on any console error or uncaught script error
    for url in ("/", "/?q=Frontex", "/?q=%22unbalanced", "/entities", "/works", "/help", "/annotations"):
        page.goto(url)
        expect(page.locator("main")).to_be_visible()
    open_paper(page)
    page.locator(".notes a.note-page").first.click()
    expect(page.locator("h1")).to_contain_text("Note")


def test_search_box_is_focused_on_load_and_by_slash(page):
    page.goto("/")
    expect(page.locator("#q")).to_be_focused()
    page.locator("h2").first.click()  # move focus away
    expect(page.locator("#q")).not_to_be_focused()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value("")  # the "/" itself is not typed
    open_paper(page)  # the reader has the small search box in its header
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()


def test_footnote_popover_opens_on_tab_and_hover(page):
    open_paper(page)
    mark = page.locator("#fnref-4-1")
    passage = mark.evaluate("a => a.closest('.passage').id")
    before = page.locator(f"#{passage}").evaluate(
        "p => { let e = p.previousElementSibling; while (e && !e.querySelector('.plink')) e = e.previousElementSibling;"
        " return e ? e.id : null; }"
    )
    page.locator(f"#{before} .plink").focus()
    for _ in range(15):  # Tab through any other marks of the passage up to note 4's
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "fnref-4-1":
            break
    expect(mark).to_be_focused()
    popover = page.locator("#fn-popover")
    expect(popover).to_be_visible()
    expect(popover).to_have_attribute("role", "tooltip")
    expect(popover).to_contain_text("Governing the Balkan Route")
    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # back onto the mark: open again
    expect(mark).to_be_focused()
    expect(popover).to_be_visible()
    page.locator(f"#{passage} .plink").focus()  # leaving the mark closes it
    expect(popover).to_have_count(0)
    page.mouse.move(5, 5)
    mark.hover()
    expect(page.locator("#fn-popover")).to_contain_text("Governing the Balkan Route")


def test_entity_kinds_are_announced_and_toggles_work(page, sample_data_dir):
    open_paper(page)
    ent = page.locator(".doc-body .ent-ORG").first
    kind = page.locator(".doc-body .ent-ORG + .ent-type").first
    # the kind is text a screen reader reads, visually hidden, outside the canonical text
    expect(kind).to_have_text(" (Organisation)")
    expect(kind).to_have_attribute("data-glossa-skip", "")
    assert kind.bounding_box()["width"] <= 1
    from indexer.store import DocumentStore

    doc_id = page.locator("#doc-body").get_attribute("data-doc-id")
    document = DocumentStore(sample_data_dir).get(doc_id).document
    for el in page.locator(".doc-body .passage").all()[:60]:
        start, end = int(el.get_attribute("data-start")), int(el.get_attribute("data-end"))
        assert el.evaluate(CANONICAL_TEXT_JS) == document.text[start:end]
    colour = "e => getComputedStyle(e).backgroundColor"
    before = ent.evaluate(colour)
    box = page.locator(".ent-toggles input[value=ORG]")
    box.focus()
    page.keyboard.press("Space")  # toggles work from the keyboard
    expect(box).not_to_be_checked()
    expect(page.locator("#doc-body")).to_have_class(re.compile(r"\bhide-ent-ORG\b"))
    assert ent.evaluate(colour) != before
    assert kind.evaluate("e => getComputedStyle(e).display") == "none"  # not announced while off
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    assert ent.evaluate(colour) == before
    assert kind.evaluate("e => getComputedStyle(e).display") != "none"


def test_search_and_reading_work_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and not m.text.startswith(HTTP_ERROR) else None
    )
    try:
        tab.goto("/")
        tab.fill("#q", "Frontex")
        tab.press("#q", "Enter")
        expect(tab).to_have_url(re.compile(r"/\?q=Frontex$"))
        expect(tab.locator("h2.summary")).to_contain_text("passages in")
        # a facet link narrows the search
        tab.locator(".facet a", has_text="Person").first.click()
        expect(tab.locator(".active-filters")).to_contain_text("Person")
        # reading: the hit opens the reader at its passage, terms marked
        tab.locator(".hit a.snippet").first.click()
        expect(tab).to_have_url(re.compile(r"/doc/[^?]+\?q=Frontex#p-\d+$"))
        expect(tab.locator(".doc-body mark.term").first).to_be_visible()
        # the entity toggles fall back to a form with an Apply button
        assert tab.locator(".doc-body .ent-ORG").count() > 0
        tab.locator(".ent-toggles input[value=ORG]").uncheck()
        apply = tab.locator(".ent-toggles button[type=submit]")
        expect(apply).to_be_visible()
        apply.click()
        expect(tab).to_have_url(re.compile(r"types=1"))
        assert tab.locator(".doc-body .ent-ORG").count() == 0
        assert tab.locator(".doc-body .ent").count() > 0
        # footnote marks are plain links to the notes, and the lookup form works
        tab.goto("/")
        tab.locator(".doc-list a", has_text=PAPER).click()
        tab.locator("#fnref-4-1").click()
        expect(tab).to_have_url(re.compile("#fn-4$"))
        tab.fill("#lookup-n", "42")
        tab.click(".lookup button")
        expect(tab.locator("h1")).to_have_text("Note 42")
        expect(tab.locator(".citing blockquote").first).to_contain_text("Disclose")
    finally:
        context.close()
    assert not errors, errors
