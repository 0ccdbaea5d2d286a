"""The per-file ingest budget is an ordinary setting: glossa.cfg and the environment set it,
and a bad value refuses to start, naming the setting."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask import Flask

from webui.cli import cli

GOOD_TEXT = "Frontex and the European Commission met in Belgrade on 3 March 2023.\n"
#: a paragraph with 200,000 attributes: lxml takes minutes over it, far beyond a 1 s budget
HOSTILE_HTML = "<html><body><p {}>Frontex.</p></body></html>".format(" ".join(f'a{i}="v"' for i in range(200_000)))


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder of its own, so the test's glossa.cfg is the one the app reads."""
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    return folder


def _ingest(tmp_path, env=None):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "good.txt").write_text(GOOD_TEXT)
    (src / "attributes.html").write_text(HOSTILE_HTML)
    env = {"GLOSSA_SECRET_KEY": "test", "GLOSSA_DATA": None, **(env or {})}
    return CliRunner().invoke(cli, ["--data", str(tmp_path / "data"), "ingest", str(src), "--json"], env=env)


def _report(result) -> dict:
    return json.loads(result.stdout[result.stdout.index("{") :])


def test_timeout_from_the_instance_file(tmp_path, instance):
    (instance / "glossa.cfg").write_text("INGEST_FILE_TIMEOUT = 1\n")
    result = _ingest(tmp_path)
    assert result.exit_code == 0, result.output
    report = _report(result)
    failed = {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in report["failed"]}
    assert list(failed) == ["attributes.html"]
    assert failed["attributes.html"].startswith("took longer than 1 s")
    assert "INGEST_FILE_TIMEOUT" in failed["attributes.html"]
    assert len(report["added"]) == 1


def test_environment_wins_over_the_instance_file(tmp_path, instance):
    (instance / "glossa.cfg").write_text("INGEST_FILE_TIMEOUT = 600\n")
    result = _ingest(tmp_path, {"GLOSSA_INGEST_FILE_TIMEOUT": "1"})
    assert result.exit_code == 0, result.output
    reasons = [f["reason"] for f in _report(result)["failed"]]
    assert len(reasons) == 1 and reasons[0].startswith("took longer than 1 s")


@pytest.mark.parametrize(
    ("cfg", "env"),
    [
        ('INGEST_FILE_MEMORY = "lots"\n', {}),
        ("INGEST_FILE_TIMEOUT = -3\n", {}),
        ("", {"GLOSSA_INGEST_FILE_MEMORY": "1.5"}),
    ],
)
def test_a_bad_budget_refuses_to_start(tmp_path, instance, cfg, env):
    (instance / "glossa.cfg").write_text(cfg)
    result = _ingest(tmp_path, env)
    assert result.exit_code == 2
    assert "INGEST_FILE_" in result.output and "whole number" in result.output
    assert not (tmp_path / "data" / "index").exists()  # refused before anything was written
