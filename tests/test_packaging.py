"""The built package: a non-editable wheel holds the templates, static files, sample corpus,
gazetteer and migrations, builds without setuptools' packaging warnings, and serves the UI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.common.backend import backend_for_tests

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("corpus", "indexer", "annotations", "webui", "setup.cfg", "pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """(the wheel, pip's output) built from a clean copy of the sources."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, src / name)
    out = work / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("glossa-*.whl")
    return wheel, done.stdout + done.stderr


def test_the_build_has_no_packaging_warnings(built):
    _, output = built
    assert "absent from" not in output and "BuildBackendWarning" not in output, output


def test_the_wheel_holds_the_data_files(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "webui" / "templates").glob("*.html"):
        assert f"webui/templates/{template.name}" in names
    for static in (ROOT / "webui" / "static").iterdir():
        assert f"webui/static/{static.name}" in names
    for sample in (ROOT / "webui" / "sample_corpus").iterdir():
        assert f"webui/sample_corpus/{sample.name}" in names
    assert "indexer/data/gazetteer.jsonl" in names
    assert {"annotations/migrations/env.py", "annotations/migrations/script.py.mako"} <= names
    assert any(n.startswith("annotations/migrations/versions/0001") for n in names)
    assert {"webui/views/search.py", "webui/api/documents.py", "webui/cli/__init__.py"} <= names
    assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "glossa = webui.cli:cli" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_unpacked_wheel_serves_the_ui(built, tmp_path):
    """Import Glossa from the unpacked wheel only (not the source tree) and serve pages."""
    wheel, _ = built
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    backend = backend_for_tests()
    script = textwrap.dedent(
        f"""
        import webui
        assert webui.__file__.startswith({str(site)!r}), webui.__file__
        from webui.app import create_app
        app = create_app({{"TESTING": True, "DATA_DIR": {str(tmp_path / "data")!r}, "SECRET_KEY": "t"}})
        assert app.config["SEARCH_BACKEND"] == {backend!r}, app.config["SEARCH_BACKEND"]
        client = app.test_client()
        for url in ("/", "/help", "/static/app.css", "/api/openapi.json", "/annotations"):
            status = client.get(url).status_code
            assert status == 200, (url, status)
        # the suite's backend, imported from the wheel, indexes a document the UI then finds
        from pathlib import Path
        from corpus import read_document
        from indexer.backend import open_writer
        from indexer.writer import activate
        source = Path({str(tmp_path / "note.txt")!r})
        source.write_text("Packaged\\n\\nA wheel of cheese crossed the border.\\n")
        writer = open_writer(app.config["INDEX_DIR"], {backend!r}, copy=False)
        writer.add_document(read_document(source), [])
        writer.commit()
        activate(app.config["INDEX_DIR"], writer.generation)
        page = client.get("/?q=cheese")
        assert page.status_code == 200 and "wheel of" in page.get_data(as_text=True), page.status_code
        from webui.cli.common import SAMPLE_CORPUS
        assert SAMPLE_CORPUS.is_dir() and str(SAMPLE_CORPUS).startswith({str(site)!r})
        print("served")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GLOSSA_SEARCH_BACKEND": backend},
    )
    assert done.returncode == 0 and "served" in done.stdout, done.stdout + done.stderr
