"""Word-style manuscripts (LibreOffice) and a two-column LaTeX article with a side-by-side author block.

The PDFs are made by tests/data/make_word_pdfs.py (Writer footnotes set in the body's 12 pt, under
Writer's short rule, or under no rule with the body double-spaced) and tests/data/make_tex_authors.py
(a journal name larger than the title, three authors side by side, footnotes under two columns).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from corpus.pdf import read_pdf

DATA = Path(__file__).resolve().parent.parent / "data"
sys.path.insert(0, str(DATA))

from make_tex_authors import AUTHORS, COLUMN_PHRASE, JOURNAL, TITLE  # noqa: E402
from make_word_pdfs import NOTES, PARAGRAPHS  # noqa: E402


def words(text: str) -> str:
    return " ".join(re.findall(r"[^\W\d_]+", text.replace("-\n", "").lower()))


@pytest.fixture(scope="module", params=["word-bodysize-notes.pdf", "word-double-spaced.pdf"])
def manuscript(request):
    return read_pdf(DATA / request.param)


def test_body_size_notes_found_with_the_numbers_the_marks_predict(manuscript):
    assert [n.number for n in manuscript.footnotes] == [str(k) for k in range(1, len(NOTES) + 1)]
    for note in manuscript.footnotes:
        assert words(note.text) == words(NOTES[note.number]), note.number


def test_body_size_notes_stay_out_of_the_body_and_the_body_out_of_the_notes(manuscript):
    body = " | ".join(words(manuscript.passage_text(p)) for p in manuscript.passages)
    for text in NOTES.values():
        assert words(text) not in body
    notes = " | ".join(words(n.text) for n in manuscript.footnotes)
    for paragraph in PARAGRAPHS:
        sentence = re.sub(r"<sup>\d+</sup>", "", paragraph).split(". ")[0]
        assert words(sentence) in body and words(sentence) not in notes
    marks = [m for p in manuscript.passages for m in p.footnotes]
    assert marks == [str(k) for k in range(1, len(NOTES) + 1)]


def test_body_size_notes_are_parsed_as_references(manuscript):
    first = manuscript.footnote("1").references[0]
    assert (first.year, first.title) == ("1998", "The Common Fields of England")
    assert manuscript.footnote("2").refers_to == "1"
    assert manuscript.footnote("5").refers_to == "1"


@pytest.fixture(scope="module")
def authors_doc():
    return read_pdf(DATA / "tex-twocolumn-authors.pdf")


def test_title_not_the_journal_name_set_larger_nor_the_junk_metadata(authors_doc):
    assert authors_doc.title == TITLE


def test_side_by_side_authors_read_as_one_block_not_spliced_into_the_columns(authors_doc):
    texts = [authors_doc.passage_text(p) for p in authors_doc.passages]
    block = [t for t in texts if AUTHORS[1][0] in t]
    assert len(block) == 1 and all(name in block[0] for name, _ in AUTHORS)
    assert not any(
        AUTHORS[1][0] in t for t, p in zip(texts, authors_doc.passages, strict=True) if p.kind == "paragraph"
    )
    paragraphs = [t for t, p in zip(texts, authors_doc.passages, strict=True) if p.kind == "paragraph"]
    assert paragraphs[0].startswith("A barge drawn by one horse")  # the left column first, from its top
    assert JOURNAL not in " ".join(paragraphs)


def test_column_phrase_and_footnotes_under_two_columns(authors_doc):
    body = [words(authors_doc.passage_text(p)) for p in authors_doc.passages]
    assert any(words(COLUMN_PHRASE) in text for text in body)
    assert [n.number for n in authors_doc.footnotes] == ["1", "2", "3", "4", "5"]
    assert authors_doc.footnote("1").references[0].year == "2001"
