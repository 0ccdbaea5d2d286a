"""Uploading in a real headless Chromium: three files (one corrupt) chosen and dropped, their results
shown as the background job reports them; a reader sees no upload page and cannot call its API."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_annotations import LiveServer, login
from tests.webui.anno_support import build_data_dir, make_test_app

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "data"
#: the navigation to a page answered 403 on purpose logs this; it is not a script error
REFUSED = "Failed to load resource: the server responded with a status of 403"


@pytest.fixture
def server(tmp_path):
    app = make_test_app(build_data_dir(tmp_path / "data"), AUTH="accounts")
    from webui import services

    with app.app_context():
        service = services.get_annotation_service()
        service.add_user("alice", "alice-password")  # the first account: admin
        service.add_user("ed", "ed-password", role="editor")
        service.add_user("rita", "rita-password")  # reader
    live = LiveServer(app)
    yield live
    live.stop()


@pytest.fixture
def fresh_browser(browser):
    """A Chromium of this test's own: after the session browser has served other tests, its
    file chooser no longer opens from a key press (seen only in the whole suite)."""
    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    own = browser.browser_type.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield own
    own.close()


@pytest.fixture
def new_page(fresh_browser):
    contexts = []

    def make():
        context = fresh_browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: page.errors.append(msg.text) if msg.type == "error" and REFUSED not in msg.text else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()


DROP_JS = """([name, bytes]) => {
  const dt = new DataTransfer();
  dt.items.add(new File([new Uint8Array(bytes)], name, {type: 'application/pdf'}));
  const zone = document.getElementById('upload-drop');
  zone.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
  zone.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
}"""


def row(page, name):
    return page.locator("#upload-rows tr", has=page.locator("td", has_text=name))


def test_editor_uploads_three_files_and_sees_each_result(server, new_page, tmp_path):
    good = tmp_path / "warsaw-meeting.txt"
    good.write_text("Frontex met UNHCR in Warsaw to discuss the Aegean.\n\nA second paragraph.", encoding="utf-8")
    notes = tmp_path / "notes.md"
    notes.write_text("# Field notes\n\nThe European Commission visited Lesbos.", encoding="utf-8")
    corrupt = (DATA / "corrupt.pdf").read_bytes()

    page = new_page()
    login(page, server, "ed", "ed-password")
    page.click("nav >> text=Upload")
    expect(page.locator("h1")).to_have_text("Upload documents")
    page.wait_for_load_state("load")  # upload.js is deferred: its handlers come after the heading
    # the drop zone is reached by keyboard and opens the file chooser with Enter (the press
    # clicks the file input; whether Chromium then raises its chooser event varied with the
    # tests run before in one session, so the files are then set on the input itself)
    page.evaluate(
        "() => document.getElementById('upload-files').addEventListener('click', e => {"
        " window.chooserOpened = true; e.preventDefault(); })"
    )
    page.focus("#upload-drop")
    page.keyboard.press("Enter")
    assert page.evaluate("window.chooserOpened === true")
    page.set_input_files("#upload-files", [str(good), str(notes)])
    page.evaluate(DROP_JS, ["broken.pdf", list(corrupt)])
    expect(page.locator("#upload-rows tr")).to_have_count(3)
    expect(page.locator("#upload-status")).to_contain_text("3 file(s) chosen")

    page.click("#upload-submit")
    expect(page.locator("#upload-status")).to_contain_text("Done", timeout=120_000)
    expect(row(page, "warsaw-meeting.txt").locator(".upload-result")).to_have_text("added")
    expect(row(page, "notes.md").locator(".upload-result")).to_have_text("added")
    expect(row(page, "broken.pdf").locator(".upload-result")).to_have_text("failed")
    expect(row(page, "broken.pdf").locator(".upload-detail")).to_contain_text("PDF")
    expect(page.locator("#upload-status")).to_contain_text("2 added, 1 failed")

    # the job survives a reload: its own page lists the same results
    page.click("#upload-status a")
    expect(page.locator("#upload-status")).to_contain_text("Done")
    expect(row(page, "broken.pdf").locator(".upload-result")).to_have_text("failed")
    # and the new document is searchable and readable
    page.goto(server.url + "/?q=warsaw")
    expect(page.locator("main")).to_contain_text("Frontex met UNHCR in Warsaw")
    assert not page.errors, page.errors


def test_a_reader_cannot_see_the_upload_page_or_call_its_api(server, new_page):
    page = new_page()
    login(page, server, "rita", "rita-password")
    assert page.locator("nav >> text=Upload").count() == 0
    page.goto(server.url + "/doc/alpha")
    assert page.locator("text=Remove this document").count() == 0
    response = page.goto(server.url + "/upload")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("needs the editor role")
    statuses = page.evaluate(
        """async () => {
      const token = document.querySelector('input[name=csrf_token]')?.value
        || document.querySelector('[data-csrf]')?.dataset.csrf || '';
      const data = new FormData();
      data.append('files', new File(['Some text about Frontex.'], 'a.txt'));
      const post = await fetch('/api/documents', {method: 'POST', body: data, headers: {'X-CSRF-Token': token}});
      const del = await fetch('/api/documents/alpha', {method: 'DELETE', headers: {'X-CSRF-Token': token}});
      const jobs = await fetch('/api/jobs');
      return [post.status, (await post.json()).message, del.status, jobs.status];
    }"""
    )
    assert statuses[0] == 403 and "editor role" in statuses[1]
    assert statuses[2:] == [403, 403]
    assert not (Path(server.app.config["DATA_DIR"]) / "corpus").exists()
    assert not page.errors, page.errors
