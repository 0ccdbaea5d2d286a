"""Search, read and cite in a real headless Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from indexer.store import DocumentStore

# what the annotation script does: concatenate text nodes not inside [data-glossa-skip]
CANONICAL_TEXT_JS = """el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let out = "";
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest("[data-glossa-skip]")) out += node.data;
  }
  return out;
}"""


def test_search_shows_highlighted_entities_and_facets(page):
    page.goto("/help")
    page.keyboard.press("/")  # focuses the search box from any page
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("Frontex")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/\?q=Frontex$"))
    expect(page.locator("h2.summary")).to_contain_text("passages in")
    first = page.locator(".hit .snippet").first
    expect(first.locator("mark").first).to_have_text(re.compile("Frontex", re.I))
    org = page.locator(".hit .ent-ORG").first
    expect(org).to_be_visible()
    # the entity's colour differs from the text background, and its kind is readable without colour
    assert org.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert org.get_attribute("data-label") == "ORG"
    # narrowing by a facet puts the filter in the URL and shows it as removable
    page.locator(".facet a", has_text="Person").first.click()
    expect(page).to_have_url(re.compile(r"type=PERSON"))
    expect(page.locator(".active-filters")).to_contain_text("Person")


def test_result_opens_the_reader_at_the_marked_passage(page, sample_data_dir):
    page.goto("/?q=pushbacks")
    link = page.locator(".hit a.snippet").first
    href = link.get_attribute("href")
    anchor = href.split("#", 1)[1]
    link.click()
    expect(page).to_have_url(re.compile(rf"/doc/[^?]+\?q=pushbacks#{anchor}$"))
    passage = page.locator(f"#{anchor}")
    expect(passage).to_be_in_viewport()
    assert passage.evaluate("e => e.matches(':target')")
    expect(passage.locator("mark.term").first).to_be_visible()
    # the DOM text of the passage outside [data-glossa-skip] is the canonical text slice
    doc_id = re.search(r"/doc/([^?]+)", page.url).group(1)
    document = DocumentStore(sample_data_dir).get(doc_id).document
    start, end = int(passage.get_attribute("data-start")), int(passage.get_attribute("data-end"))
    assert passage.evaluate(CANONICAL_TEXT_JS) == document.text[start:end]
    # the entity list marks every mention of one entity in place
    entry = page.locator(".doc-entities .ent-mark").first
    name = entry.get_attribute("data-canonical")
    entry.click()
    marked = page.locator(".doc-body .ent-focus")
    expect(marked.first).to_be_visible()
    assert set(marked.evaluate_all("els => els.map(e => e.dataset.canonical)")) == {name}
    # toggling an entity type off removes its colour without reloading
    colour = "e => getComputedStyle(e).backgroundColor"
    ent = page.locator(".doc-body .ent-ORG").first
    before = ent.evaluate(colour)
    page.locator(".ent-toggles input[value=ORG]").uncheck()
    assert ent.evaluate(colour) != before


def test_hovering_a_footnote_mark_shows_the_note(page):
    page.goto("/")
    page.locator(".doc-list a", has_text="Balkan route and the European Union").click()
    mark = page.locator("sup.fnref a[href='#fn-4']").first
    mark.scroll_into_view_if_needed()
    mark.hover()
    popover = page.locator("#fn-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("Beznec")
    page.mouse.move(5, 5)
    expect(popover).to_have_count(0)
    # keyboard users get it too
    mark.focus()
    expect(page.locator("#fn-popover")).to_contain_text("Governing the Balkan Route")
    # and the note links back to the place citing it
    mark.click()
    expect(page).to_have_url(re.compile("#fn-4$"))
    page.locator("#fn-4 a.backref").first.click()
    expect(page).to_have_url(re.compile("#fnref-4-1$"))


def test_look_up_footnote_42_of_the_paper(page):
    page.goto("/")
    paper = page.locator("#lookup-doc option", has_text="Balkan route and the European Union")
    page.select_option("#lookup-doc", value=paper.get_attribute("value"))
    page.fill("#lookup-n", "42")
    page.click(".lookup button")
    expect(page).to_have_url(re.compile(r"/doc/003[^/]*/fn/42$"))
    expect(page.locator("h1")).to_have_text("Note 42")
    expect(page.locator(".note-body")).to_contain_text("Predicting Migration Flows")
    expect(page.locator(".citing blockquote").first).to_contain_text("Disclose")
    # a number that does not exist explains the valid range
    page.fill("#lookup-n", "200")
    page.click(".lookup button")
    expect(page.locator(".notice")).to_contain_text("Note 200 does not exist; this document has notes 1-109")
