"""The glossa command, through click's CliRunner (and once as the installed console script)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.backend import MARKER
from tests.common.backend import backend_for_tests
from webui.cli import cli
from webui.cli.read import safe, snippet_text
from webui.config import SETTINGS

PAPER = "003-b4544ddbd7f01f68"
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
GOOD_TEXT = (
    "Frontex and the European Commission met in Belgrade on 3 March 2023.\n\n"
    "Ylva Johansson said the Western Balkans route remains a priority for the European Union.\n"
)


@pytest.fixture
def runner():
    """A plain click runner (the shared one builds an app over a copy of the sample data)."""
    return CliRunner()


def run(runner, *args):
    """Invoke glossa; a fixed secret key so reading commands write nothing into the data dir."""
    return runner.invoke(
        cli, [str(a) for a in args], catch_exceptions=False, env={"GLOSSA_SECRET_KEY": "test", "GLOSSA_DATA": None}
    )


# ingest ---------------------------------------------------------------------------------


@pytest.fixture
def sources(tmp_path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "meeting.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (folder / "note.md").write_text("# A note\n\nThe Council of the EU discussed Serbia.\n", encoding="utf-8")
    return folder


def test_ingest_reports_counts_and_failures(runner, tmp_path, sources):
    shutil.copy(DATA / "corrupt.pdf", sources / "corrupt.pdf")
    data = tmp_path / "cli-data"
    result = run(runner, "--data", data, "ingest", sources, "--no-progress")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "added      2" in out and "failed     1" in out
    assert "corrupt.pdf:" in out
    assert "Entity tagger:" in out
    assert "failed (listed above)" in result.output

    again = run(runner, "ingest", "--data", data, sources, "--no-progress")
    assert again.exit_code == 0
    assert "unchanged  2" in again.output and "added      0" in again.output

    docs = json.loads(run(runner, "--data", data, "docs", "--json").output)["documents"]
    assert {d["doc_id"] for d in docs} == {"meeting", "note"}


def test_ingest_only_bad_files_exits_1(runner, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(DATA / "corrupt.pdf", folder / "a.pdf")
    (folder / "empty.txt").write_bytes(b"")
    result = run(runner, "--data", tmp_path / "cli-data", "ingest", folder, "--no-progress")
    assert result.exit_code == 1
    assert "a.pdf:" in result.output and "empty.txt:" in result.output
    assert "Every file failed" in result.output


def test_ingest_without_supported_files_exits_1(runner, tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    result = run(runner, "--data", tmp_path / "cli-data", "ingest", tmp_path, "--no-progress")
    assert result.exit_code == 1
    assert "No supported file" in result.output
    assert not (tmp_path / "cli-data").exists()


def test_ingest_missing_path_is_a_usage_error(runner, tmp_path):
    result = run(runner, "--data", tmp_path / "cli-data", "ingest", tmp_path / "nope")
    assert result.exit_code == 2 and "does not exist" in result.output


# reading commands over the sample corpus --------------------------------------------------


def test_search_json_is_the_api_body(runner, sample_data_dir, client):
    result = run(runner, "--data", sample_data_dir, "search", "frontex", "--json", "--limit", "4", "--page", "2")
    assert result.exit_code == 0, result.output
    cli_body = json.loads(result.output)
    api_body = client.get("/api/search?q=frontex&pagelen=4&page=2").get_json()
    cli_body.pop("elapsed_ms"), api_body.pop("elapsed_ms")
    assert cli_body == api_body


def test_search_for_people(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "search", "frontex", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "passage(s) match 'frontex'" in result.output
    assert "*Frontex*" in result.output or "*frontex*" in result.output
    assert "<mark>" not in result.output and "&amp;" not in result.output


def test_search_malformed_query_exits_2(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "search", "bogus:frontex")
    assert result.exit_code == 2
    assert "Cannot understand the query" in result.output


def test_docs_lists_five(runner, sample_data_dir):
    result = run(runner, "docs", "--data", sample_data_dir)
    assert result.exit_code == 0
    assert result.output.count("footnotes,") == 5 and PAPER in result.output


def test_show_prints_text_and_entities(runner, sample_data_dir, client):
    result = run(runner, "--data", sample_data_dir, "show", PAPER, "--entities")
    assert result.exit_code == 0
    assert "Itflows" in result.output and "<sup>" not in result.output
    assert "Entities (" in result.output and "ORG" in result.output
    as_json = json.loads(run(runner, "--data", sample_data_dir, "show", PAPER, "--json").output)
    assert as_json == client.get(f"/api/documents/{PAPER}").get_json()


def test_show_unknown_document_exits_1(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "show", "nope")
    assert result.exit_code == 1 and "No document with id 'nope'" in result.output


def test_cite_42_of_the_paper(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "cite", PAPER, "42")
    assert result.exit_code == 0, result.output
    assert "Predicting Migration Flows" in result.output
    assert "potential human rights violations." in result.output
    assert "Cited 1 time(s)" in result.output


def test_cite_ibid_names_its_target(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "cite", PAPER, "21")
    assert result.exit_code == 0
    assert "repeats footnote" in result.output


def test_cite_999_says_the_valid_range(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "cite", PAPER, "999")
    assert result.exit_code == 1
    assert "No footnote '999'" in result.output and "1-109" in result.output


def test_entities_by_type(runner, sample_data_dir):
    result = run(runner, "--data", sample_data_dir, "entities", "--type", "person")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines and all(line.startswith("PERSON") for line in lines)
    bad = run(runner, "--data", sample_data_dir, "entities", "--type", "spaceship")
    assert bad.exit_code == 2 and "Unknown entity type" in bad.output


def test_works_export(runner, sample_data_dir, tmp_path):
    out = tmp_path / "corpus.bib"
    result = run(runner, "--data", sample_data_dir, "works", "export", "--format", "bibtex", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().startswith("@")
    csl = run(runner, "works", "export", "--data", sample_data_dir, "--format", "csl-json")
    assert isinstance(json.loads(csl.output), list)


def test_reading_an_empty_data_dir_says_ingest_first(runner, tmp_path):
    for args in (["docs"], ["search", "x"], ["cite", PAPER, "1"]):
        result = run(runner, "--data", tmp_path / "none", *args)
        assert result.exit_code == 1
        assert "glossa --data" in result.output and "ingest PATH" in result.output


# help and settings ----------------------------------------------------------------------


def test_every_command_has_help_with_an_example(runner):
    for name, _command in cli.commands.items():
        result = run(runner, name, "--help")
        assert result.exit_code == 0, name
        assert "--data DIR" in result.output, name
    for name in ("ingest", "search", "show", "cite", "entities", "serve", "demo", "works"):
        assert "Example" in run(runner, name, "--help").output, name


def test_serve_help(runner):
    result = run(runner, "serve", "--help")
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output and "--debug" in result.output


def test_settings_lists_every_setting(runner):
    result = run(runner, "settings")
    assert result.exit_code == 0
    for setting in SETTINGS:
        assert setting.name in result.output and setting.help[:30] in result.output
    rows = json.loads(run(runner, "settings", "--json").output)
    assert [r["name"] for r in rows] == [s.name for s in SETTINGS]


# terminal safety ------------------------------------------------------------------------


def test_terminal_output_drops_control_characters():
    assert safe("a\x1b[31mred\x07\u202eb") == "a[31mredb"
    assert snippet_text('x &lt;b&gt; <mark>Fron\x1btex</mark> <span class="ent">EU</span>') == "x <b> *Frontex* EU"


# the installed console script -----------------------------------------------------------


def test_installed_console_script(sample_data_dir):
    script = Path(sys.executable).with_name("glossa")
    if not script.exists():
        pytest.skip("glossa is not installed in this environment (pip install -e .)")
    # the source tree first on the path, in case the editable install predates a new package
    env = dict(os.environ, PYTHONPATH=str(ROOT), GLOSSA_DATA=str(sample_data_dir), GLOSSA_SECRET_KEY="test")
    done = subprocess.run([str(script), "settings", "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert [row["name"] for row in json.loads(done.stdout)] == [s.name for s in SETTINGS]
    bad = subprocess.run(
        [str(script), "--data", str(sample_data_dir), "cite", PAPER, "999"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 1 and "1-109" in bad.stderr and "Traceback" not in bad.stderr


# serve and demo -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_on_a_busy_port_says_what_to_do(runner, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(runner, "--data", tmp_path / "cli-data", "serve", "--port", port)
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


@pytest.mark.slow
def test_demo_ingests_the_sample_once_then_serve_answers(runner, tmp_path):
    data = tmp_path / "demo-data"
    first = run(runner, "--data", data, "demo", "--no-serve")
    assert first.exit_code == 0, first.output
    assert "added      5" in first.output
    second = run(runner, "demo", "--data", data, "--no-serve")
    assert "unchanged  5" in second.output and "added      0" in second.output

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), GLOSSA_SECRET_KEY="test")
    server = subprocess.Popen(
        [sys.executable, "-m", "webui", "--data", str(data), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/documents", timeout=5) as response:
                    body = json.load(response)
                break
            except OSError:
                time.sleep(0.3)
        assert body is not None, "the server did not answer"
        assert len(body["documents"]) == 5
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}/" in output


def test_an_unexpected_error_is_one_line_not_a_traceback(runner, tmp_path):
    data = tmp_path / "broken"
    (data / "index").mkdir(parents=True)
    (data / "index" / "CURRENT").write_text("gen-000001")
    (data / "index" / "gen-000001").mkdir()  # a generation that is no index of the suite's backend
    if backend_for_tests() != "whoosh":  # (a generation without the marker is Whoosh's)
        (data / "index" / "gen-000001" / MARKER).write_text(backend_for_tests())
    result = run(runner, "--data", data, "search", "frontex")
    assert result.exit_code == 1
    assert "Unexpected error" in result.output and "GLOSSA_DEBUG=1" in result.output
    assert "Traceback" not in result.output
