"""Multi-select facets and results by document in a real headless Chromium, by keyboard (issue 13)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_axe import axe_source, violations  # noqa: F401 (axe_source: a fixture)


def facet_counts(page, param):
    """(value, count, checked) of each entry of one facet, as the page shows them."""
    return page.eval_on_selector_all(
        f'ul.facet-options[data-param="{param}"] li',
        """items => items.map(li => {
            const a = li.querySelector('a.facet-option');
            return [a.dataset.value, Number(li.querySelector('.count').textContent), a.getAttribute('aria-checked')];
        })""",
    )


def tab_to(page, selector, limit=300):
    """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_choose_two_documents_by_keyboard_and_the_counts_stay(page, axe_source):  # noqa: F811
    page.goto("/?q=border")
    before = facet_counts(page, "doc")
    assert len(before) >= 3 and all(checked == "false" for *_, checked in before)
    first, second = before[0][0], before[1][0]
    option = 'ul.facet-options[data-param="doc"] a[data-value="{}"]'
    box = page.locator(option.format(first))
    expect(box).to_have_attribute("role", "checkbox")
    tab_to(page, option.format(first))
    page.keyboard.press(" ")
    expect(page).to_have_url(re.compile(rf"[?&]doc={first}"))
    # the page reloaded with the value chosen; the focus is back on its checkbox
    expect(page.locator(option.format(first))).to_have_attribute("aria-checked", "true")
    expect(page.locator(option.format(first))).to_be_focused()
    page.keyboard.press("Tab")  # the next document of the facet
    expect(page.locator(option.format(second))).to_be_focused()
    page.keyboard.press(" ")
    expect(page).to_have_url(re.compile(rf"doc={first}&doc={second}"))
    expect(page.locator(option.format(second))).to_be_focused()
    after = facet_counts(page, "doc")
    # every document stays listed with its count; the two chosen are checked
    assert [(v, n) for v, n, _ in after] == [(v, n) for v, n, _ in before]
    assert {v for v, _, checked in after if checked == "true"} == {first, second}
    counts = {v: n for v, n, _ in before}
    expect(page.locator("h2.summary")).to_contain_text(f"{counts[first] + counts[second]} passages in 2 documents")
    expect(page.locator(".active-filters li a[title='Remove this filter']")).to_have_count(2)
    # by document: both documents, each once, with its true count
    page.locator(".result-views a", has_text="By document").click()
    expect(page).to_have_url(re.compile(r"group=document"))
    rows = page.locator("article.doc-group")
    expect(rows).to_have_count(2)
    shown = {
        row.locator("h3 a").get_attribute("href").split("/doc/")[1].split("?")[0]: int(
            row.locator(".hit-count").inner_text().split()[0]
        )
        for row in rows.all()
    }
    assert shown == {first: counts[first], second: counts[second]}
    assert all(1 <= row.locator("li.hit").count() <= 3 for row in rows.all())
    assert not violations(page, axe_source)
    # Enter on a chosen value removes it (a checkbox worked as a link, too)
    tab_to(page, option.format(first))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"doc={second}&group=document$"))
    expect(rows).to_have_count(1)
    # "clear all" drops the choices and keeps the view
    page.locator(".active-filters a.clear").click()
    expect(page).to_have_url(re.compile(r"/\?q=border&group=document$"))
    expect(page.locator("article.doc-group")).to_have_count(min(10, len(before)))
