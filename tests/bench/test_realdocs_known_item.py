"""The known-item measure of bench/realdocs.py: queries made from the reference text alone,
ranked by a real on-disk index of the documents read."""

from pathlib import Path

from bench.realdocs import KNOWN_WORDS, known_item, known_queries
from corpus.pdf import read_pdf

ROOT = Path(__file__).resolve().parents[2]

DATA = ROOT / "tests" / "data"


def test_queries_come_from_the_reference_lines_and_the_title():
    pool = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
        "mike",
        "november",
    ]
    lines = [" ".join(pool[k:] + pool[:k]) + f" {k}" for k in range(8)]  # 14 words (digits do not count)
    queries = known_queries(lines + ["too short a line"], "A Title of Words")
    assert len(queries) == 4
    assert all(len(q.split()) == KNOWN_WORDS for q in queries[:3])
    assert queries[0] == " ".join((pool[2:] + pool[:2])[4:10])  # the middle words of the line at 1/4
    assert queries[-1] == "a title of words"
    assert known_queries([], None) == []


def test_known_item_ranks_each_document_in_a_real_index():
    notes, twocol = read_pdf(DATA / "tex-notes.pdf"), read_pdf(DATA / "tex-twocolumn.pdf")
    kept = {
        "tex-notes.pdf": (
            notes,
            ["the toll tickets survive in three runs and the ledgers of the northern reach"],
            None,
        ),
        "tex-twocolumn.pdf": (twocol, [], "Canals and the Making of Inland Trade"),
    }
    figures = known_item(kept)
    assert figures["pdf"]["queries"] == 2
    assert figures["pdf"]["mrr10"] == 1.0
    assert figures["html"]["queries"] == 0
