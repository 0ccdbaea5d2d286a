"""Accessibility of every page, checked by axe-core (npm, pinned in tests/browser/axe) in Chromium:
no serious or critical violation, with entity colours, the reader's tools and the forms in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _missing

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: the impacts that fail a page (axe's scale: minor, moderate, serious, critical)
FAILING = ("serious", "critical")
PAPER = "Balkan route and the European Union"


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        _missing(f"axe-core is not installed: run `make install-test` (npm ci in {AXE.parents[2]})")
    return AXE.read_text(encoding="utf-8")


def violations(page, axe_source: str) -> list[str]:
    """axe's serious and critical findings on the page as shown, one readable line each."""
    page.wait_for_load_state("load")
    page.evaluate(axe_source)  # evaluated by the browser's debugger protocol: the page's CSP stays strict
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}" for v in found if v["impact"] in FAILING]


def paper_url(page) -> str:
    page.goto("/")
    return page.locator(".doc-list a", has_text=PAPER).get_attribute("href")


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?q=Frontex",
        "/?q=Frontex&type=PERSON",
        "/?q=%22unbalanced",
        "/entities",
        "/works",
        "/help",
        "/annotations",
    ],
)
def test_pages_have_no_serious_accessibility_violations(page, axe_source, url):
    response = page.goto(url)
    assert response is not None and response.status in (200, 400)
    expect(page.locator("main")).to_be_visible()
    assert violations(page, axe_source) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_reader_and_note_page_have_no_serious_accessibility_violations(page, axe_source, width):
    page.set_viewport_size({"width": width, "height": 900})
    doc = paper_url(page)
    page.goto(doc + "?q=Frontex")
    expect(page.locator("#doc-body")).to_be_visible()
    assert violations(page, axe_source) == []
    page.goto(doc + "/fn/12")
    expect(page.locator("h1")).to_contain_text("Note")
    assert violations(page, axe_source) == []


def test_axe_finds_what_it_should(page, axe_source):
    """The check itself works: a page made inaccessible on purpose fails it."""
    page.goto("/help")
    page.evaluate(
        """() => { const i = document.createElement('img'); i.src = '/static/none.png';
                   document.querySelector('main').appendChild(i);
                   document.documentElement.removeAttribute('lang'); }"""
    )
    found = violations(page, axe_source)
    assert any("image-alt" in v for v in found) and any("html-has-lang" in v for v in found), found
    assert os.path.getsize(AXE) > 100_000
