"""End to end: the bundled sample corpus goes in through the `glossa` command, real searches come out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.backend import SearchBackend
from indexer.store import DocumentStore
from tests.common.backend import searcher_for_tests
from webui.cli import cli

SAMPLE = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus"
PAPER = "003_b4544ddbd7f01f68"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    """A writable copy of the sample corpus plus one corrupt PDF among the good files."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in SAMPLE.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body")
    return folder


@pytest.fixture(scope="module")
def ingested(corpus_dir, tmp_path_factory):
    """Run `glossa ingest` once over the folder; return (data dir, command result)."""
    data = tmp_path_factory.mktemp("data")
    result = CliRunner().invoke(cli, ["--data", str(data), "ingest", "--no-progress", str(corpus_dir)])
    return data, result


@pytest.fixture(scope="module")
def searcher(ingested):
    data, _ = ingested
    s = searcher_for_tests(data / "index")
    yield s
    s.close()


def _search(searcher: SearchBackend, query: str):
    return searcher.search(query, pagelen=50)


def test_ingest_reports_the_corrupt_file_and_keeps_the_good_ones(ingested):
    data, result = ingested
    assert result.exit_code == 0, result.output
    assert "broken.pdf" in result.output
    docs = {d.doc_id for d in DocumentStore(data).summaries()}
    assert len(docs) == 5
    assert any(d.startswith("003") for d in docs)


def test_phrase_cut_by_a_page_break_matches(searcher):
    results = _search(searcher, '"Serbia also adopted a similar security policy"')
    assert results.total == 1
    assert results.hits[0].doc_id.startswith("003")


def test_accent_folded_names_match_both_ways(searcher):
    assert _search(searcher, "Turkiye").total >= 1
    assert _search(searcher, "Türkiye").total == _search(searcher, "Turkiye").total
    # Župarić is named in notes 6 and 8 only: the passages citing them match, through
    # their notes, while the passage text itself stays free of note bodies
    hits = _search(searcher, "Zuparic").hits
    assert hits
    for hit in hits:
        assert "Župarić" not in hit.text
        assert any("Župarić" in note["text"] for note in hit.footnotes)


def test_entity_prefixes(searcher):
    frontex = _search(searcher, "org:frontex")
    assert frontex.total >= 10
    assert {h.doc_id[:3] for h in frontex.hits} >= {"000", "003"}
    bih = _search(searcher, "place:bih")
    assert bih.total == _search(searcher, 'place:"bosnia and herzegovina"').total > 0
    person = _search(searcher, 'person:"ylva johansson"')
    assert person.total >= 1


def test_footnote_bodies_are_not_passages(ingested, searcher):
    data, _ = ingested
    stored = next(d for d in DocumentStore(data).summaries() if d.doc_id.startswith("003"))
    doc = DocumentStore(data).get(stored.doc_id).document
    assert len(doc.footnotes) == 109
    body = "\n".join(doc.passage_text(p) for p in doc.passages)
    assert "only a 'potential' candidate" not in body
    assert "Rosa Luxemburg Stiftung" not in body
    # a phrase of note 19's body finds the passage citing note 19, not a passage holding it
    hits = _search(searcher, '"potential candidate for membership"').hits
    assert hits and all("19" in [note["number"] for note in h.footnotes] for h in hits)
    assert all("potential" not in h.text for h in hits)
    assert "<sup>" not in doc.text
    # the note is reachable through the passage that cites it
    assert _search(searcher, "fn:42").total >= 1


def test_web_boilerplate_is_not_indexed(searcher):
    assert _search(searcher, '"Leave a reply"').total == 0
    assert _search(searcher, '"Shopping cart"').total == 0
    assert _search(searcher, '"Border Violence Monitoring"').total >= 1


def test_search_command_prints_the_api_shape(ingested):
    data, _ = ingested
    result = CliRunner().invoke(cli, ["--data", str(data), "search", "--json", "frontex"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["total"] > 0 and payload["groups"] and "facets" in payload


def test_reingest_is_incremental_and_sees_changes(corpus_dir, tmp_path):
    data = tmp_path / "data"
    changed = tmp_path / "c"
    shutil.copytree(corpus_dir, changed)
    runner = CliRunner()
    first = runner.invoke(cli, ["--data", str(data), "ingest", "--no-progress", "--json", str(changed)])
    assert first.exit_code == 0, first.output
    assert len(json.loads(first.stdout)["added"]) == 5

    again = runner.invoke(cli, ["--data", str(data), "ingest", "--no-progress", "--json", str(changed)])
    report = json.loads(again.stdout)
    assert len(report["unchanged"]) == 5 and not report["added"] and not report["updated"]

    news = changed / "000_c7d6b90c2e1462b7.txt"
    news.write_text(news.read_text(encoding="utf-8") + "\n\nA zanzibarian postscript.\n", encoding="utf-8")
    (changed / "004_14094fff2b1dbb4b.txt").unlink()
    third = runner.invoke(cli, ["--data", str(data), "ingest", "--no-progress", "--json", "--prune", str(changed)])
    report = json.loads(third.stdout)
    assert len(report["updated"]) == 1 and len(report["pruned"]) == 1
    s = searcher_for_tests(data / "index")
    try:
        assert s.search("zanzibarian").total == 1
        assert s.search("doc:004*").total == 0
    finally:
        s.close()
