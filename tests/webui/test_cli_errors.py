"""The glossa command's user errors: said as what to do, with the right exit code, never as
an internal bug; and its output can be cut short by a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from webui.cli import cli

PAPER = "003-b4544ddbd7f01f68"
ROOT = Path(__file__).resolve().parents[2]


def run(*args, **env):
    """Invoke glossa with a fixed secret key (reading commands then write nothing)."""
    return CliRunner().invoke(
        cli, [str(a) for a in args], env={"GLOSSA_SECRET_KEY": "test", "GLOSSA_DATA": None, **env}
    )


@pytest.mark.parametrize(
    "command",
    [("docs",), ("search", "x"), ("entities",), ("works", "export"), ("user", "list"), ("annotations", "export")],
)
def test_a_mistyped_data_dir_is_an_error_and_creates_nothing(tmp_path, command):
    typo = tmp_path / "glosa-data"
    result = run("--data", typo, *command)
    assert result.exit_code == 1, result.output
    assert f"No data directory at {typo}" in result.output and "Unexpected" not in result.output
    assert not typo.exists()


def test_a_bad_setting_is_a_usage_error_naming_it(sample_data_dir):
    result = run("--data", sample_data_dir, "docs", GLOSSA_PAGE_SIZE="many")
    assert result.exit_code == 2, result.output
    assert "PAGE_SIZE" in result.output and "GLOSSA_PAGE_SIZE" in result.output
    assert "Unexpected" not in result.output and "report it" not in result.output


def test_an_unknown_auth_mode_stops_rather_than_opening_up(sample_data_dir):
    result = run("--data", sample_data_dir, "docs", GLOSSA_AUTH="acounts")
    assert result.exit_code == 2 and "'single' or 'accounts'" in result.output


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a url", "not a database URL"),
        ("nosuchdb://u@h/x", "does not support"),  # refused by the settings check, before connecting
        ("postgresql+psycopg://glossa:secret@127.0.0.1:1/glossa", "Cannot open the annotation database"),
    ],
)
def test_a_wrong_database_url_is_a_user_error(sample_data_dir, url, said):
    result = run("--data", sample_data_dir, "user", "list", GLOSSA_DATABASE_URL=url)
    assert result.exit_code in (1, 2), result.output
    assert said in result.output and "DATABASE_URL" in result.output
    assert "Unexpected" not in result.output and "secret" not in result.output


def test_a_mistyped_model_is_an_error_not_a_fallback(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("Frontex met the European Commission in Belgrade.\n", encoding="utf-8")
    data = tmp_path / "data"
    result = run("--data", data, "ingest", source, "--no-progress", "--model", "en_core_web_smm")
    assert result.exit_code == 2, result.output
    assert "No spaCy model 'en_core_web_smm' is installed" in result.output
    assert not (data / "index").exists()
    from_setting = run("--data", data, "ingest", source, "--no-progress", GLOSSA_SPACY_MODEL="xx_nothing")
    assert from_setting.exit_code == 2 and "'xx_nothing'" in from_setting.output


def test_prune_removes_documents_whose_file_is_gone_wherever_they_came_from(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    (first / "kept.txt").write_text("The Council of the EU discussed Serbia.\n", encoding="utf-8")
    (first / "gone.txt").write_text("Frontex met the Commission in Belgrade.\n", encoding="utf-8")
    (second / "other.txt").write_text("Ylva Johansson visited Skopje.\n", encoding="utf-8")
    data = tmp_path / "data"
    assert run("--data", data, "ingest", first, second, "--no-progress").exit_code == 0
    (first / "gone.txt").unlink()
    result = run("--data", data, "ingest", first, "--prune", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "pruned     1 (gone)" in result.output
    listed = run("--data", data, "docs").output
    assert "kept" in listed and "other" in listed and "gone" not in listed


def test_settings_prints_every_default_it_promises():
    result = run("settings")
    assert result.exit_code == 0
    assert "see below" not in result.output
    assert "DATA_DIR  [default: ./glossa-data; env GLOSSA_DATA]" in result.output
    assert "INDEX_DIR  [default: DATA_DIR/index; env GLOSSA_INDEX_DIR]" in result.output


def test_works_help_names_only_commands_that_exist():
    text = run("works", "--help").output
    assert "list them" not in text
    assert set(cli.commands["works"].commands) == {"export"}


def test_output_cut_short_by_a_pipe_ends_quietly(sample_data_dir):
    """`glossa show DOC | head -1`: the reader goes away; glossa exits 0 and says nothing."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), GLOSSA_SECRET_KEY="test")
    env.pop("GLOSSA_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "webui", "--data", str(sample_data_dir), "show", PAPER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"# ")
    proc.stdout.close()  # like head after its first line
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == ""
