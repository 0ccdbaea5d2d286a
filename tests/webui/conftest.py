"""Fixtures of the web UI's annotation tests: a small real data directory and a browser-like client."""

from __future__ import annotations

import pytest

from .anno_support import browser_client, build_data_dir, make_test_app


@pytest.fixture
def anno_app(tmp_path):
    """An app over a two-document data directory with a real index and a fresh SQLite file."""
    return make_test_app(build_data_dir(tmp_path / "data"))


@pytest.fixture
def web(anno_app):
    """A client that sends writes the way the browser does, with the page's CSRF token."""
    return browser_client(anno_app)
