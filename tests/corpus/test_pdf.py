"""PDF reading on real PDFs typeset by LibreOffice (sources and script in tests/data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.models import ReadError
from corpus.pdf import read_pdf

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt"


@pytest.fixture(scope="module")
def small():
    return read_pdf(DATA / "small.pdf", "small")


@pytest.fixture(scope="module")
def paper():
    return read_pdf(DATA / "paper003.pdf", "paper003")


def passage_with(doc, needle):
    found = [p for p in doc.passages if needle in doc.passage_text(p)]
    assert found, needle
    return found[0]


def test_title_pages_and_format(small):
    assert small.title == "Transit Countries and Footnotes"
    assert small.format == "pdf" and small.pages == 3 and small.doc_id == "small"
    assert len(small.content_hash) == 64


def test_marks_are_removed_and_recorded_at_their_word(small):
    text = small.text
    assert "within its territory and the costs" in text
    assert "territory1" not in text
    at = {m.number: m for m in small.marks}
    assert [m.number for m in small.marks] == ["1", "2", "3", "4", "5"]
    assert text[at["1"].offset - len("territory") : at["1"].offset] == "territory"
    assert text[at["2"].offset - len("turning point") : at["2"].offset] == "turning point"
    assert text[at["4"].offset - 4 : at["4"].offset + 2] == "2021, "
    assert "buffer zones for the rest of Europe" in text
    passage = small.passages[at["1"].passage]
    assert passage.footnotes == ["1", "2"]


def test_years_amounts_and_counts_are_not_marks(small):
    for phrase in (
        "In 2015 more than 760,000 people",
        "for 48 hours only",
        "€80 million in 2016",
        "with 3 pilot projects and 12 drones",
    ):
        assert phrase in small.text
    assert len(small.marks) == len(small.footnotes) == 5


def test_footnotes_have_number_text_and_page_and_stay_out_of_the_body(small):
    notes = {n.number: n for n in small.footnotes}
    assert list(notes) == ["1", "2", "3", "4", "5"]
    assert notes["1"].text == (
        "Weber, B. (2017). The EU-Turkey Refugee Deal and the Not Quite Closed "
        "Balkan Route. Sarajevo: Friedrich-Ebert-Stiftung Dialogue Southeast Europe."
    )
    assert notes["2"].text == "Ibid., p. 12." and notes["2"].refers_to == "1"
    assert [n.page for n in small.footnotes] == [1, 1, 1, 2, 2]
    for needle in ("Weber", "Ibid", "Buffer zones are transit", "bit.ly", "Another long note"):
        assert needle not in small.text


def test_note_running_over_onto_the_next_page_is_joined(small):
    note = small.footnote("5")
    assert note.text.startswith("Another long note. Drones and thermal cameras")
    assert note.text.endswith("End of the long note.")
    assert note.text.count("in several rounds.") == 60
    assert small.footnote("6") is None


def test_paragraph_cut_by_a_page_end_is_joined(small):
    passage = passage_with(small, "ends with the word conclusion.")
    text = small.passage_text(passage)
    assert text.startswith("The reception centres along the route")
    assert "This long paragraph continues on the next page and ends with the word conclusion." in text
    assert passage.page == 1


def test_running_header_and_page_numbers_dropped_and_pages_right(small):
    assert "Glossa test paper" not in small.text
    assert not any(re.fullmatch(r"\d+", small.passage_text(p)) for p in small.passages)
    heading = passage_with(small, "Technology")
    assert heading.kind == "heading" and heading.page == 2
    assert passage_with(small, "Introduction").page == 1


def test_hyphenation_undone_and_real_hyphens_kept(paper):
    text = paper.text
    assert "introduction of these technologies" in text
    assert "introd-" not in text and "intell- igence" not in text
    assert "artificial intelligence, to support Balkan countries" in text
    assert "pre-accession" in text.lower()
    assert "EU-Western Balkans" in text or "EU-Turkey" in text


def test_paper_has_all_109_notes_in_order_and_no_note_text_in_the_body(paper):
    assert [n.number for n in paper.footnotes] == [str(i) for i in range(1, 110)]
    assert len(paper.marks) == 109
    body = paper.text
    for note in paper.footnotes:
        if len(note.text) > 40:
            assert note.text[:50] not in body
    assert "Balkan route and the European Union" not in body.split("\n\n", 2)[-1]
    ibids = {n.number: n.refers_to for n in paper.footnotes if n.kind == "ibid"}
    assert ibids == {
        "21": "20",
        "22": "20",
        "28": "27",
        "29": "27",
        "30": "27",
        "32": "31",
        "50": "49",
        "64": "63",
        "67": "66",
        "104": "103",
    }


def test_paper_paragraph_across_page_and_notes_is_joined(paper):
    passage = passage_with(paper, "in collaboration with local police authorities. At the start of")
    assert passage.page == 11
    assert paper.passage_text(passage).startswith("Since April 2023, Frontex has replaced")
    second = passage_with(paper, "regarding its impact on privacy, fundamental rights")
    assert second.page == 4 and second.footnotes == ["23", "24", "25", "26"]


def test_paper_title_falls_back_to_large_type(paper):
    assert paper.title.startswith("Balkan route and the European Union: migration")


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample corpus not present")
def test_paper_notes_equal_the_markdown_reading(paper):
    from corpus import read_document

    markdown = read_document(SAMPLE)
    want = {n.number: " ".join(n.text.split()) for n in markdown.footnotes}
    got = {n.number: n.text for n in paper.footnotes}
    assert got == want


def test_corrupt_pdf_gives_read_error():
    with pytest.raises(ReadError, match="damaged"):
        read_pdf(DATA / "corrupt.pdf")


def test_encrypted_pdf_gives_read_error():
    with pytest.raises(ReadError, match="encrypted"):
        read_pdf(DATA / "encrypted.pdf")


def test_scanned_pdf_without_text_layer_says_run_ocr():
    with pytest.raises(ReadError, match="OCR"):
        read_pdf(DATA / "scanned.pdf")


def test_file_that_is_not_a_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("just some text", encoding="utf-8")
    with pytest.raises(ReadError, match="not a PDF"):
        read_pdf(path)


def test_missing_file_gives_read_error(tmp_path):
    with pytest.raises(ReadError, match="cannot read"):
        read_pdf(tmp_path / "absent.pdf")


def test_reader_dispatches_pdf(small):
    from corpus import read_document

    doc = read_document(DATA / "small.pdf")
    assert doc.format == "pdf" and len(doc.footnotes) == 5
