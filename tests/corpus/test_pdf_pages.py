"""The PDF reader on the things that cut a sentence at a page break, on real PDFs (copied
from the realdocs set; ``real-justified-links.pdf`` is pages 2, 3, 8 and 9 of one article,
taken out with Ghostscript's pdfwrite):

- running heads that alternate between odd and even pages (journal name / article title);
- notes that hold more text than the body, so the most used type size is the notes';
- a page set sideways (its text turned a quarter);
- a link's text drawn after the rest of its line, and justified lines with long URLs whose
  stretched spaces line up like a gutter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.pdf import _body_size, read_pdf
from corpus.pdf_layout import read_layout

DATA = Path(__file__).resolve().parent.parent / "data"


def passages_with(doc, text: str) -> list:
    return [p for p in doc.passages if text in re.sub(r"\s+", " ", doc.passage_text(p))]


@pytest.fixture(scope="module")
def heads():
    return read_pdf(DATA / "real-recto-verso-heads.pdf")


@pytest.fixture(scope="module")
def weighty():
    return read_pdf(DATA / "real-notes-outweigh-body.pdf")


def test_running_heads_of_odd_pages_only_are_dropped(heads):
    # "Volumen 1 • Nº 2 • 2012 • pp. 47-70" heads the odd pages only (11 of 28)
    assert "Volumen 1 • Nº 2 • 2012 • pp. 47-70" not in heads.text
    assert passages_with(heads, "la crisis de 2008 está poniendo en tela de juicio dicha prohibición")
    assert passages_with(heads, "coexisten Estados con tradiciones jurídicas muy diferentes")
    assert passages_with(heads, "relativa al Estatuto de la Sociedad Privada Europea")


def test_body_size_is_measured_at_the_top_of_the_pages():
    # notes in 10 pt outweigh the body's 12 pt over the document; each page starts with body
    pages, _ = read_layout("x.pdf", (DATA / "real-notes-outweigh-body.pdf").read_bytes())
    assert _body_size(pages) == 12.0


def test_body_paragraphs_are_not_headings_and_run_over_the_page(weighty):
    # the sentence runs from page 8 to page 9 (pages 298 and 299 of the journal)
    found = passages_with(weighty, "such measures are not unlawful and do not constitute expropriation.")
    assert found and found[0].kind == "paragraph"
    assert passages_with(weighty, "no single, clear-cut test has emerged so far to determine whether")
    headings = [p for p in weighty.passages if p.kind == "heading"]
    assert len(headings) < 40
    assert all(len(weighty.passage_text(p)) < 200 for p in headings)


def test_a_page_set_sideways_is_read_turned():
    doc = read_pdf(DATA / "real-vertical.pdf")
    assert re.sub(r"\s+", " ", doc.text) == "Test Vertical Layout"


def test_a_link_drawn_last_stands_in_its_place_on_the_line():
    doc = read_pdf(DATA / "real-justified-links.pdf")
    text = re.sub(r"\s+", " ", doc.text)
    assert "culmination point of litigation efforts that began in 2016 and were initiated by" in text


def test_a_note_runs_on_past_a_page_that_ends_at_an_abbreviation(weighty):
    # note 31 ends page 11 with "... para." and goes on at the top of page 12's notes
    note = weighty.footnote("31")
    assert note.text.endswith(
        "which stated that a detrimental effect on the economic value of property is not "
        "sufficient to constitute an expropriation."
    )
    assert not passages_with(weighty, "198, which stated that a detrimental effect")
