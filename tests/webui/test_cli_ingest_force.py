"""``glossa ingest --force`` and the summary line of a re-tag (the real spaCy model)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from webui.cli import cli


def _ingest(data, *args):
    return CliRunner().invoke(cli, ["--data", str(data), "ingest", *args, "--no-progress"], catch_exceptions=False)


def test_force_and_a_changed_tagger_are_said_in_the_summary(tmp_path, monkeypatch):
    src, data = tmp_path / "src", tmp_path / "data"
    src.mkdir()
    (src / "note.txt").write_text("Frontex and EASO met in Belgrade.\n", encoding="utf-8")
    first = _ingest(data, str(src))
    assert first.exit_code == 0, first.output
    again = _ingest(data, str(src))
    assert "unchanged  1" in again.output and "re-tagging" not in again.output
    forced = _ingest(data, str(src), "--force")
    assert forced.exit_code == 0, forced.output
    assert "updated    1" in forced.output
    assert "--force: reading and tagging 1 unchanged document again." in forced.output

    from indexer import pipeline

    monkeypatch.setattr(pipeline, "TAGGING_RULES_VERSION", "2-test")
    changed = _ingest(data, str(src), "--json")
    report = json.loads(changed.output[changed.output.index("{") :])
    assert report["retagged"] == ["note"] and "The entity tagger changed" in report["retag_reason"]
    assert "rules 2-test+gazetteer." in report["retag_reason"]
