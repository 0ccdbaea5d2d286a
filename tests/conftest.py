"""Shared fixtures: the sample corpus ingested once per session, and a Flask app on a copy of it.

The search backend of the whole run is ``GLOSSA_TEST_BACKEND`` (else ``GLOSSA_SEARCH_BACKEND``,
else whoosh; tests/common/backend.py): ``GLOSSA_TEST_BACKEND=tantivy pytest ...`` runs the suite
on tantivy. Tests marked ``whoosh_only("reason")`` are about Whoosh's internals and are skipped,
with their reason, on another backend.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer.backend import SETTING
from tests.common.backend import backend_for_tests
from tests.common.client import BufferedClient


def pytest_configure(config):
    """Give every ingest, app and subprocess of the run its backend (the environment they read)."""
    try:
        backend = backend_for_tests()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if backend == "whoosh":
        os.environ.pop(SETTING, None)  # the default, as a user without the setting has it
    else:
        os.environ[SETTING] = backend


def pytest_report_header(config):
    return f"search backend: {backend_for_tests()} (GLOSSA_TEST_BACKEND)"


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("whoosh_only")
    if marker is not None and backend_for_tests() != "whoosh":
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
        pytest.skip(f"Whoosh only: {reason}")


ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "webui" / "sample_corpus"


def sample_corpus_dir() -> Path:
    """The directory holding the five sample documents (shipped in the webui package)."""
    return SAMPLE_CORPUS


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory) -> list[Path]:
    """Copies of the five sample documents (only the .txt files, not the README)."""
    target = tmp_path_factory.mktemp("sample-corpus")
    files = []
    for path in sorted(sample_corpus_dir().glob("*.txt")):
        dest = target / path.name
        shutil.copyfile(path, dest)
        files.append(dest)
    return files


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory, sample_files) -> Path:
    """A data directory with the sample corpus ingested (once per session; treat as read-only)."""
    from indexer.pipeline import ingest

    data_dir = tmp_path_factory.mktemp("sample-data")
    report = ingest(sample_files, data_dir, progress=False)
    assert not report.failed, report.failed
    return data_dir


@pytest.fixture
def data_dir(sample_data_dir, tmp_path) -> Path:
    """A private copy of the ingested sample data directory that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(sample_data_dir, target, ignore=shutil.ignore_patterns("glossa.db", "secret_key"))
    return target


def make_app(data_dir: Path, db_path: Path, **extra):
    """A Glossa app in test mode over ``data_dir`` with an SQLite database at ``db_path``."""
    from webui.app import create_app

    config = {
        "TESTING": True,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": "test",
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def app(data_dir, tmp_path):
    """The Flask app over a private copy of the sample data, with its own SQLite file."""
    return make_app(data_dir, tmp_path / "glossa.db")


@pytest.fixture(scope="session")
def backend_data_dirs(sample_data_dir, tmp_path_factory) -> dict[str, Path]:
    """The sample data directory indexed by each backend: the run's own, and the other ones
    rebuilt from its store (``glossa reindex``; read-only, as :func:`sample_data_dir`)."""
    from indexer.backend import BACKENDS
    from indexer.pipeline import reindex

    dirs = {backend_for_tests(): sample_data_dir}
    for name in BACKENDS:
        if name not in dirs:
            target = tmp_path_factory.mktemp(f"sample-{name}") / "data"
            shutil.copytree(sample_data_dir, target, ignore=shutil.ignore_patterns("glossa.db", "secret_key"))
            reindex(target, name)
            dirs[name] = target
    return dirs


@pytest.fixture(params=["whoosh", "tantivy"])
def both_client(request, backend_data_dirs, tmp_path):
    """A client of the sample corpus on each backend in turn (the key web tests run on both in
    every run; GLOSSA_TEST_BACKEND runs all of them on one)."""
    data = tmp_path / "data"
    shutil.copytree(backend_data_dirs[request.param], data, ignore=shutil.ignore_patterns("glossa.db", "secret_key"))
    return make_app(data, tmp_path / "glossa.db", SEARCH_BACKEND=request.param).test_client()


@pytest.fixture
def client(app):
    """A Flask test client of :func:`app`."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A Click runner for the app's CLI commands."""
    return app.test_cli_runner()
