"""`glossa entities rules export|import|reindex`, and corrections surviving `glossa ingest`
of a changed file (and applying to a new one)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from indexer.backend import live_passages
from tests.common.backend import backend_for_tests
from tests.conftest import sample_corpus_dir
from webui.cli import cli

EASO_FILE = "003_b4544ddbd7f01f68.txt"  # the sample document naming EASO


def run(*args, expect: int = 0, stdin: str | None = None):
    result = CliRunner().invoke(
        cli, [str(a) for a in args], input=stdin, env={"GLOSSA_SECRET_KEY": "test", "GLOSSA_DATA": None}
    )
    assert result.exit_code == expect, result.output
    return result


def org_hits(data, name: str) -> list[dict]:
    out = json.loads(run("--data", data, "search", f'org:"{name}"', "--json", "--limit", "100").stdout)
    return [h for g in out["groups"] for h in g["hits"]] if "groups" in out else out["hits"]


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for path in sorted(sample_corpus_dir().glob("*.txt")):
        shutil.copyfile(path, src / path.name)
    return src


def test_rules_survive_ingest_of_a_changed_file_and_apply_to_new_ones(tmp_path, corpus):
    data = tmp_path / "data"
    run("--data", data, "ingest", corpus, "--no-progress")
    assert "EASO" in run("--data", data, "entities", "--type", "ORG").stdout
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            {"rules": [{"action": "merge", "label": "ORG", "name": "EASO", "new_label": "ORG", "new_name": "EUAA"}]}
        ),
        encoding="utf-8",
    )
    out = run("--data", data, "entities", "rules", "import", rules).stdout
    assert "Imported 1 rule(s)" in out and "re-indexed" in out
    merged = org_hits(data, "EUAA")
    keys = lambda hits: {(h["doc_id"], h["ordinal"]) for h in hits}  # noqa: E731
    assert keys(org_hits(data, "EASO")) == keys(merged)  # org:EASO means what EASO now is

    # a changed file: a new paragraph naming EASO; re-ingested, tagged again, corrected again
    changed = corpus / EASO_FILE
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\nThe EASO office in Malta opened a new registry in 2024.\n",
        encoding="utf-8",
    )
    (corpus / "new.txt").write_text("EASO staff met the Serbian Commissariat in Belgrade.\n", encoding="utf-8")
    out = run("--data", data, "ingest", corpus, "--no-progress").stdout
    assert "updated    1" in out and "added      1" in out
    after = org_hits(data, "EUAA")
    assert keys(org_hits(data, "EASO")) == keys(after)
    texts = [h["text"] for h in after]
    assert any("Malta opened a new registry" in t for t in texts)
    assert any("Serbian Commissariat" in t for t in texts)
    assert len(after) == len(merged) + 2
    listing = run("--data", data, "entities", "--type", "ORG", "--json").stdout
    names = {e["canonical"] for e in json.loads(listing)["entities"]}
    assert "EUAA" in names and "EASO" not in names

    # export, and import into another corpus's database: the same rules
    exported = json.loads(run("--data", data, "entities", "rules", "export").stdout)
    assert [(r["action"], r["name"], r["new_name"]) for r in exported["rules"]] == [("merge", "EASO", "EUAA")]
    assert exported["rules"][0]["author"].startswith("cli")
    again = run("--data", data, "entities", "rules", "import", "-", stdin=json.dumps(exported)).stdout
    assert "Imported 0 rule(s) (1 already in force)" in again
    # nothing changes: Whoosh re-indexes no passage; another backend rebuilds every one from the store
    backend = backend_for_tests()
    redone = 0 if backend == "whoosh" else live_passages(data / "index", backend)
    assert f"Re-indexed {redone} passage(s)" in run("--data", data, "entities", "rules", "reindex").stdout


def test_import_errors_are_clear(tmp_path, corpus):
    data = tmp_path / "data"
    data.mkdir()
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    assert "not valid JSON" in run("--data", data, "entities", "rules", "import", bad, expect=1).output
    bad.write_text(json.dumps([{"action": "merge", "label": "ORG", "name": "EASO"}]), encoding="utf-8")
    out = run("--data", data, "entities", "rules", "import", bad, expect=1).output
    assert "Nothing was imported" in out and "new_label" in out
    assert json.loads(run("--data", data, "entities", "rules", "export").stdout) == {"rules": []}
    missing = run("--data", tmp_path / "nowhere", "entities", "rules", "export", expect=1).output
    assert "No data directory" in missing
