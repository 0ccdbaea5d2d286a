"""Browser fixtures: the app served on a free loopback port, and headless Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# a page answered 4xx on purpose (unknown document, bad note number) is not a script error
HTTP_ERROR = "Failed to load resource: the server responded with a status of 4"


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def pytest_collection_modifyitems(items):
    """Every test under tests/browser is a browser test."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_data_dir(sample_data_dir, tmp_path_factory):
    """A session copy of the sample data for the live server (browser tests may annotate it)."""
    target = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(sample_data_dir, target, ignore=shutil.ignore_patterns("glossa.db", "secret_key"))
    return target


@pytest.fixture(scope="session")
def live_app(live_data_dir):
    """The app behind :func:`live_server`."""
    from tests.conftest import make_app

    return make_app(live_data_dir, live_data_dir / "glossa.db")


@pytest.fixture(scope="session")
def live_server(live_app):
    """Base URL (http://127.0.0.1:PORT) of the app served in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (skipped when not installed, failing under CI)."""
    path = chromium_path()
    if not path:
        _missing("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        try:
            instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken browser install
            _missing(f"chromium could not start: {exc}")
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; console errors and failed page scripts make the test fail."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and not msg.text.startswith(HTTP_ERROR) else None,
    )
    yield tab
    context.close()
    assert not errors, errors
