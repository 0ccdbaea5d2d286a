"""``glossa optimize``: merges the index's segments in a new generation; refuses without an index."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from indexer.pipeline import _Lock
from indexer.search import Searcher
from indexer.writer import current_generation, open_index
from webui.cli import cli

TEXTS = [
    "Frontex and the European Commission met in Belgrade on 3 March 2023.\n",
    "Ylva Johansson said the Western Balkans route remains a priority.\n",
    "The Council discussed Frontex deployments in Serbia.\n",
]


def run(*args):
    return CliRunner().invoke(
        cli, [str(a) for a in args], catch_exceptions=False, env={"GLOSSA_SECRET_KEY": "test", "GLOSSA_DATA": None}
    )


@pytest.mark.whoosh_only("counts Whoosh's segments, which `glossa optimize` merges")
def test_optimize_merges_what_ingests_added(tmp_path):
    data, src = tmp_path / "data", tmp_path / "src"
    src.mkdir()
    for i, text in enumerate(TEXTS):  # three ingests: three segments
        (src / f"note{i}.txt").write_text(text, encoding="utf-8")
        assert run("--data", data, "ingest", src, "--no-progress").exit_code == 0
    assert len(open_index(data / "index")._segments()) == 3
    total = Searcher(data / "index").search("Frontex").total
    before = current_generation(data / "index")
    result = run("--data", data, "optimize")
    assert result.exit_code == 0 and "Merged 3 segments into 1." in result.output
    assert current_generation(data / "index") != before
    assert len(open_index(data / "index")._segments()) == 1
    assert Searcher(data / "index").search("Frontex").total == total == 2
    again = run("--data", data, "optimize")
    assert again.exit_code == 0 and "already in 1 segment" in again.output


def test_optimize_without_an_index_or_during_an_ingest(tmp_path):
    result = run("--data", tmp_path / "empty", "optimize")
    assert result.exit_code == 1 and "no index" in result.output
    (tmp_path / "empty").mkdir(exist_ok=True)
    with _Lock(tmp_path / "empty"):
        busy = run("--data", tmp_path / "empty", "optimize")
    assert busy.exit_code == 1 and "Another ingest is already running" in busy.output
