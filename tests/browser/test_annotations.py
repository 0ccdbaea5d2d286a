"""Annotating in a real headless Chromium: select, tag, reload, search, privacy between users.

Uses its own small live servers (one per auth mode) over a real data directory.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from tests.webui.anno_support import build_data_dir, make_test_app

pytestmark = pytest.mark.browser


class LiveServer:
    """A Glossa app served by werkzeug in a background thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(**config):
        data = build_data_dir(tmp_path / f"data{len(servers)}")
        server = LiveServer(make_test_app(data, **config))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make():
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        return page

    yield make
    for context in contexts:
        context.close()


SELECT_JS = """([pid, quote]) => {
  const p = document.getElementById(pid);
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.data.indexOf(quote);
    if (i >= 0) {
      const r = document.createRange();
      r.setStart(node, i); r.setEnd(node, i + quote.length);
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
      p.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}"""

SPAN_JS = """([a, qa, b, qb]) => {
  const find = (pid, q) => {
    const w = document.createTreeWalker(document.getElementById(pid), NodeFilter.SHOW_TEXT);
    let n; while ((n = w.nextNode())) { const i = n.data.indexOf(q); if (i >= 0) return [n, i]; }
  };
  const [n1, i1] = find(a, qa), [n2, i2] = find(b, qb);
  const r = document.createRange(); r.setStart(n1, i1); r.setEnd(n2, i2 + qb.length);
  const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
  document.getElementById(b).dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
}"""

PASSAGE_TEXTS_JS = """() => Array.from(document.querySelectorAll('.passage[data-start]')).map(p => {
  const w = document.createTreeWalker(p, NodeFilter.SHOW_TEXT); let n, t = '';
  while ((n = w.nextNode())) if (!n.parentElement.closest('[data-glossa-skip]')) t += n.data;
  return [Number(p.dataset.start), Number(p.dataset.end), t];
})"""


def annotate(page, pid, quote, tag=None, comment=None, visibility=None):
    assert page.evaluate(SELECT_JS, [pid, quote])
    page.locator(".anno-toolbar button", has_text="Tag" if tag else "Comment").click()
    if tag:
        page.fill("#anno-panel [name=tag]", tag)
        page.press("#anno-panel [name=tag]", "Enter")
    if comment:
        page.fill("#anno-panel [name=comment]", comment)
    if visibility:
        page.select_option("#anno-panel [name=visibility]", visibility)
    page.click("#anno-panel .anno-save")
    page.wait_for_selector("#anno-panel .anno-item")


def login(page, server, name, password):
    page.goto(server.url + "/login")
    page.fill("[name=name]", name)
    page.fill("[name=password]", password)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(server.url + "/")


def test_select_tag_reload_and_search(serve, new_page):
    server = serve()
    page = new_page()
    page.goto(server.url + "/doc/alpha")
    annotate(
        page,
        "p-1",
        "pushbacks at the Greek border",
        tag="pushbacks",
        comment="<b>bold?</b> see https://example.org/report",
    )
    page.reload()
    mark = page.locator("mark.anno")
    mark.first.wait_for()
    assert "".join(mark.all_inner_texts()) == "pushbacks at the Greek border"
    item = page.locator("#anno-panel .anno-item")
    assert item.count() == 1
    assert item.locator(".anno-tag").inner_text() == "pushbacks"
    comment = item.locator(".anno-comment")
    assert comment.inner_text() == "<b>bold?</b> see https://example.org/report"  # shown as text
    assert comment.locator("b").count() == 0
    assert comment.locator("a").get_attribute("href") == "https://example.org/report"
    # highlights do not break the offset mapping: every passage still reads as its text slice
    text = page.evaluate("() => fetch('/api/documents/alpha').then(r => r.json()).then(d => d.text)")
    for start, end, shown in page.evaluate(PASSAGE_TEXTS_JS):
        assert shown == text[start:end]

    # a second selection across two passages, commented, maps to the canonical offsets
    page.evaluate(SPAN_JS, ["p-1", "role of Frontex.", "p-2", "Asylum seekers"])
    page.locator(".anno-toolbar button", has_text="Comment").click()
    page.fill("#anno-panel [name=comment]", "spans two paragraphs")
    page.click("#anno-panel .anno-save")
    expect(page.locator("#anno-panel .anno-item")).to_have_count(2)
    quotes = page.locator("#anno-panel .anno-quote").all_inner_texts()
    assert "role of Frontex.\n\nAsylum seekers" in [q.replace("\r", "") for q in quotes]

    # the tag reaches search
    page.goto(server.url + "/?q=tag%3Apushbacks")
    assert "role of Frontex" in page.locator("main").inner_text()
    # the /annotations page lists both, linking into the reader
    page.goto(server.url + "/annotations?tag=pushbacks")
    assert page.locator(".anno-row").count() == 1
    page.locator(".anno-row a").first.click()
    page.wait_for_selector("mark.anno")
    assert "#anno-" in page.url
    assert not page.errors, page.errors


def test_edit_and_delete_own_annotation(serve, new_page):
    server = serve()
    page = new_page()
    page.goto(server.url + "/doc/beta")
    annotate(page, "p-0", "EU-Turkey statement", tag="deal")
    page.click("#anno-panel .anno-edit")
    page.fill("#anno-panel [name=comment]", "edited comment")
    page.click("#anno-panel .anno-save")
    page.wait_for_selector("#anno-panel .anno-comment")
    assert page.locator("#anno-panel .anno-comment").inner_text() == "edited comment"
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#anno-panel .anno-delete")
    expect(page.locator("#anno-panel .anno-item")).to_have_count(0)
    assert page.locator("mark.anno").count() == 0
    assert not page.errors, page.errors


def test_private_annotation_invisible_to_another_user(serve, new_page):
    server = serve(AUTH="accounts")
    from webui import services

    with server.app.app_context():
        services.get_annotation_service().add_user("alice", "alice-password")
        services.get_annotation_service().add_user("bob", "bob-password")
    alice = new_page()
    login(alice, server, "alice", "alice-password")
    alice.goto(server.url + "/doc/alpha")
    annotate(alice, "p-1", "pushbacks at the Greek border", tag="secret", visibility="private")
    annotate(alice, "p-2", "Asylum seekers", tag="open", visibility="shared")

    bob = new_page()
    login(bob, server, "bob", "bob-password")
    bob.goto(server.url + "/doc/alpha")
    bob.wait_for_selector("#anno-panel .anno-item")
    assert bob.locator("#anno-panel .anno-item").count() == 1
    assert bob.locator("mark.anno").all_inner_texts() == ["Asylum seekers"]
    assert bob.locator("#anno-panel .anno-edit").count() == 0  # read-only for bob
    bob.goto(server.url + "/?q=tag%3Asecret")
    assert "role of Frontex" not in bob.locator("main").inner_text()
    alice.goto(server.url + "/?q=tag%3Asecret")
    assert "role of Frontex" in alice.locator("main").inner_text()
    assert not alice.errors and not bob.errors, (alice.errors, bob.errors)


def test_selection_across_a_footnote_mark_maps_to_canonical_text(serve, new_page):
    server = serve()
    page = new_page()
    page.goto(server.url + "/doc/alpha")
    page.evaluate(SPAN_JS, ["p-1", "Greek", "p-1", "the role"])
    page.locator(".anno-toolbar button", has_text="Tag").click()
    page.fill("#anno-panel [name=tag]", "marks")
    page.click("#anno-panel .anno-save")
    page.wait_for_selector("#anno-panel .anno-item")
    resp = page.evaluate("() => fetch('/api/annotations').then(r => r.json())")
    anno = resp["first"]["items"][0]
    quote = next(s for s in anno["target"]["selector"] if s["type"] == "TextQuoteSelector")
    pos = next(s for s in anno["target"]["selector"] if s["type"] == "TextPositionSelector")
    text = page.evaluate("() => fetch('/api/documents/alpha').then(r => r.json()).then(d => d.text)")
    assert quote["exact"] == "Greek border and the role" == text[pos["start"] : pos["end"]]
    assert page.locator("sup.fnref mark").count() == 0  # the note number is not highlighted
    assert not page.errors, page.errors


def test_orphan_is_listed_and_can_be_replaced_by_hand(serve, new_page):
    import json as _json

    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document
    from tests.webui.anno_support import DOCS, selector_body
    from webui import services
    from webui.annotate import reanchor_documents

    server = serve()
    app = server.app
    with app.app_context():
        old = services.get_store().get("beta").document
        token = services.get_annotation_service().create_token(services.get_annotation_service().ensure_user("local"))
    client = app.test_client()
    body = selector_body(old, "EU-Turkey statement", tags=["deal"])
    assert (
        client.post(
            "/api/annotations",
            data=_json.dumps(body),
            content_type="application/ld+json",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
        == 201
    )
    new = make_document(
        "beta", ["The 2016 agreement with Ankara changed the route.", DOCS["beta"][1][1]], title=DOCS["beta"][0]
    )
    write_index(app.config["INDEX_DIR"], [(new, [])])
    DocumentStore(app.config["DATA_DIR"]).put(StoredDocument(new, [], "2026-02-01T00:00:00Z", "y"))
    assert reanchor_documents(app, ["beta"])["beta"]["orphaned"] == 1

    page = new_page()
    page.goto(server.url + "/doc/beta")
    item = page.locator("#anno-panel .anno-item.anno-orphaned")
    item.wait_for()
    assert item.locator(".anno-quote").inner_text() == "EU-Turkey statement"
    assert page.locator("mark.anno").count() == 0
    item.locator(".anno-replace").click()
    assert page.evaluate(SELECT_JS, ["p-0", "agreement with Ankara"])
    page.locator(".anno-toolbar button", has_text="Place here").click()
    expect(page.locator("#anno-panel .anno-item.anno-orphaned")).to_have_count(0)
    assert page.locator("mark.anno").all_inner_texts() == ["agreement with Ankara"]
    page.goto(server.url + "/?q=tag%3Adeal")
    assert "Ankara" in page.locator("main").inner_text()
    assert not page.errors, page.errors
