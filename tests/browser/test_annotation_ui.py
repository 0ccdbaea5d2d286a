"""What a user sees and can do when annotating in the reader, in a real headless Chromium.

Toolbar contrast (computed WCAG ratio), keyboard-only tagging, tags typed with spaces,
drafts kept across selections and reloads, distinct highlight colours.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_annotations import LiveServer
from tests.webui.anno_support import build_data_dir, make_test_app

pytestmark = pytest.mark.browser

# Select the first occurrence of a quote in an element with the Selection API only (no mouse event).
SELECT_ONLY_JS = """([pid, quote]) => {
  if (document.activeElement) document.activeElement.blur();  // the reader's eyes leave the form
  const p = document.getElementById(pid);
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.data.indexOf(quote);
    if (i >= 0) {
      const r = document.createRange();
      r.setStart(node, i); r.setEnd(node, i + quote.length);
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
      return true;
    }
  }
  return false;
}"""

# Relative luminance and contrast ratio (WCAG 2.x) of an element's computed text colour
# against the first opaque background colour of it or its ancestors.
CONTRAST_JS = """(el) => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const fg = rgb(getComputedStyle(el).color);
  let bg = null;
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) { bg = c.slice(0, 3); break; }
  }
  if (!bg) bg = [255, 255, 255];
  const [a, b] = [lum(fg.slice(0, 3)), lum(bg)].sort((x, y) => y - x);
  return {ratio: (a + 0.05) / (b + 0.05), fg: getComputedStyle(el).color, bg: bg};
}"""


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
    page.wait_for_selector("#anno-panel .anno-empty")
    yield page
    context.close()
    assert not errors, errors


def saved(page) -> list[dict]:
    return page.evaluate("() => fetch('/api/annotations?doc=alpha').then(r => r.json())")["first"]["items"]


def tags_of(anno) -> list[str]:
    body = anno["body"] if isinstance(anno["body"], list) else [anno["body"]]
    return [b["value"] for b in body if b.get("purpose") == "tagging"]


def select(page, pid, quote):
    assert page.evaluate(SELECT_ONLY_JS, [pid, quote])
    expect(page.locator(".anno-toolbar")).to_be_visible()


def test_toolbar_buttons_have_readable_contrast(tab):
    select(tab, "p-1", "pushbacks at the Greek border")
    buttons = tab.locator(".anno-toolbar button")
    expect(buttons).to_have_count(2)
    for i in range(buttons.count()):
        result = buttons.nth(i).evaluate(CONTRAST_JS)
        assert result["ratio"] >= 4.5, (buttons.nth(i).inner_text(), result)


def test_place_here_button_has_readable_contrast(tab, server):
    """The re-place toolbar of an orphaned annotation (orphaned by a real re-ingest)."""
    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document
    from tests.webui.anno_support import DOCS
    from webui.annotate import reanchor_documents

    select(tab, "p-1", "pushbacks at the Greek border")
    tab.keyboard.press("t")
    tab.keyboard.type("gone")
    tab.keyboard.press("Enter")
    tab.keyboard.press("Enter")
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(1)
    app = server.app
    title, paras = DOCS["alpha"]
    new = make_document("alpha", [paras[0], "Nothing of that sentence is left here.", paras[2]], title=title)
    write_index(app.config["INDEX_DIR"], [(new, [])])
    DocumentStore(app.config["DATA_DIR"]).put(StoredDocument(new, [], "2026-02-01T00:00:00Z", "y"))
    assert reanchor_documents(app, ["alpha"])["alpha"]["orphaned"] == 1
    tab.reload()
    tab.locator("#anno-panel .anno-replace").click()
    select(tab, "p-1", "Nothing of that sentence")
    place = tab.locator(".anno-toolbar button", has_text="Place here")
    expect(place).to_have_count(1)
    result = place.evaluate(CONTRAST_JS)
    assert result["ratio"] >= 4.5, result
    tab.keyboard.press("p")  # the shortcut places it
    expect(tab.locator("#anno-panel .anno-item.anno-orphaned")).to_have_count(0)
    assert tab.locator("mark.anno").all_inner_texts() == ["Nothing of that sentence"]


def test_keyboard_only_tagging(tab):
    select(tab, "p-1", "pushbacks at the Greek border")
    # the toolbar follows the selected passage in focus order: one Tab from the selection reaches it
    order = tab.evaluate(
        """() => { const p = document.getElementById('p-1'), t = document.querySelector('.anno-toolbar');
                 return p.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING ? (
                   p.nextElementSibling === t || p.closest('li, .passage').nextElementSibling === t) : false; }"""
    )
    assert order
    tab.keyboard.press("t")
    assert tab.evaluate("() => document.activeElement.name") == "tag"
    tab.keyboard.type("frontex")
    tab.keyboard.press("Enter")
    tab.keyboard.press("Enter")  # Enter on the empty tag field saves
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(1)
    items = saved(tab)
    assert [tags_of(a) for a in items] == [["frontex"]]
    quote = next(s for s in items[0]["target"]["selector"] if s["type"] == "TextQuoteSelector")
    assert quote["exact"] == "pushbacks at the Greek border"

    # "a" opens the comment field; Tab from the page reaches the toolbar right after the passage
    select(tab, "p-2", "Asylum seekers")
    tab.keyboard.press("a")
    assert tab.evaluate("() => document.activeElement.name") == "comment"
    tab.keyboard.type("typed without a mouse")
    tab.keyboard.press("Control+Enter")
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(2)
    assert "typed without a mouse" in tab.locator("#anno-panel .anno-comment").all_inner_texts()


def test_toolbar_is_reached_with_tab_right_after_the_selection(tab):
    select(tab, "p-1", "pushbacks")
    # focus the last focusable thing before the toolbar in document order, then Tab once
    tab.evaluate(
        """() => { const t = document.querySelector('.anno-toolbar');
                 const all = Array.from(document.querySelectorAll('a[href], button, input, select, textarea'));
                 const before = all.filter(e => !t.contains(e) && (e.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING));
                 before[before.length - 1].focus(); }"""
    )
    tab.keyboard.press("Tab")
    assert tab.evaluate("() => document.activeElement.closest('.anno-toolbar') !== null")
    tab.keyboard.press("Enter")  # "Tag" is first
    assert tab.evaluate("() => document.activeElement.name") == "tag"


def test_tag_with_spaces_is_normalised_as_typed_and_saves(tab):
    select(tab, "p-1", "pushbacks at the Greek border")
    tab.keyboard.press("t")
    tab.keyboard.type("border  violence")
    assert tab.input_value("#anno-panel [name=tag]") == "border-violence"  # visible while typing
    tab.keyboard.press("Enter")
    assert tab.locator("#anno-panel .anno-chip").evaluate("c => c.dataset.tag") == "border-violence"
    # pasted text with spaces and punctuation, left in the field at save time
    tab.fill("#anno-panel [name=tag]", "  human rights! ")
    tab.click("#anno-panel .anno-save")
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(1)
    assert tab.locator("#anno-panel .anno-status.anno-error").count() == 0
    assert [tags_of(a) for a in saved(tab)] == [["border-violence", "human-rights"]]


def test_draft_survives_another_selection_and_a_reload(tab):
    select(tab, "p-1", "pushbacks at the Greek border")
    tab.keyboard.press("a")
    tab.keyboard.type("half written")
    # another selection does not lose it
    select(tab, "p-2", "Asylum seekers")
    assert tab.input_value("#anno-panel [name=comment]") == "half written"
    # commenting the new selection starts empty; going back to the first restores the draft
    tab.keyboard.press("a")
    assert tab.input_value("#anno-panel [name=comment]") == ""
    tab.keyboard.type("second")
    select(tab, "p-1", "pushbacks at the Greek border")
    tab.keyboard.press("a")
    assert tab.input_value("#anno-panel [name=comment]") == "half written"
    assert "pushbacks at the Greek border" in tab.locator("#anno-panel .anno-editor-quote").inner_text()
    # a reload reopens the open draft
    tab.reload()
    expect(tab.locator("#anno-panel .anno-editor")).to_be_visible()
    assert tab.input_value("#anno-panel [name=comment]") == "half written"
    tab.click("#anno-panel .anno-save")
    expect(tab.locator("#anno-panel .anno-item")).to_have_count(1)
    assert saved(tab)[0]["body"][0]["value"] == "half written"
    # saving drops the draft; the other one is still there for its own selection
    select(tab, "p-2", "Asylum seekers")
    tab.keyboard.press("a")
    assert tab.input_value("#anno-panel [name=comment]") == "second"
    tab.click("#anno-panel .anno-cancel")  # cancel discards it
    select(tab, "p-2", "Asylum seekers")
    tab.keyboard.press("a")
    assert tab.input_value("#anno-panel [name=comment]") == ""


# Computed background colours of what the reader shows, as [r, g, b], probed with elements of
# the reader's own classes (an annotation mark, a search-hit mark, every entity type).
COLOURS_JS = """() => {
  const body = document.querySelector('.doc-body') || document.body;
  const probe = (tag, cls) => { const e = document.createElement(tag); e.className = cls; e.textContent = 'x';
    body.appendChild(e); const c = getComputedStyle(e).backgroundColor; e.remove(); return c; };
  const out = {anno: probe('mark', 'anno anno-mine'), anno_other: probe('mark', 'anno anno-other'),
               hit: probe('mark', 'term'), current: getComputedStyle(document.getElementById('p-1')).backgroundColor};
  for (const t of ['PERSON', 'ORG', 'GPE', 'LOC', 'NORP', 'LAW', 'EVENT', 'DATE', 'MONEY', 'CARDINAL', 'PRODUCT'])
    out['ent_' + t] = probe('span', 'ent ent-' + t);
  for (const k in out) out[k] = (out[k].match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  return out;
}"""


def _lab(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v):
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a, b) -> float:
    """CIE76 colour difference (about 2.3 is just noticeable; 10+ is clearly another colour)."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def contrast(a, b) -> float:
    def lum(rgb):
        def f(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, bb = (f(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * bb

    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_highlight_colours_are_distinct_and_readable(tab, server):
    tab.goto(server.url + "/doc/alpha#p-1")  # p-1 is the current passage
    tab.wait_for_selector("#anno-panel .anno-empty")
    # the colour the reader ends with: the fragment made the passage the target, and its
    # background's transition (.3 s) is over (the panel can be ready before either)
    tab.wait_for_function(
        "() => document.querySelector('#p-1:target') && !document.getElementById('p-1').getAnimations().length"
    )
    colours = tab.evaluate(COLOURS_JS)
    ink = [int("1f2328"[i : i + 2], 16) for i in (0, 2, 4)]
    special = ["anno", "anno_other", "hit", "current"]
    for name, rgb in colours.items():
        assert contrast(rgb, ink) >= 4.5, (name, rgb)
    for i, a in enumerate(special):
        for b in special[i + 1 :]:
            assert delta_e(colours[a], colours[b]) >= 15, (a, b, colours[a], colours[b])
        for name, rgb in colours.items():
            if name.startswith("ent_"):
                # the current passage is a block tint marked by its focus bar; marks must stand apart
                least = 5 if a == "current" else 10
                assert delta_e(colours[a], rgb) >= least, (a, name, colours[a], rgb)
