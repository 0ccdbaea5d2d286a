"""The PDF reader on PDFs typeset by LaTeX (Debian texlive; ``tests/data/make_tex_pdfs.py``).

They stand for what LibreOffice does not make: a ``twocolumn`` article (footnotes under each
column, a sentence cut by the column break, a numbered ``thebibliography``), a long footnote
that LaTeX continues on the next page, an author-year bibliography with hanging indents, and
endnotes followed by a reference list with no heading. The PDFs are committed: no texlive is
needed to run these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.models import Document
from corpus.pdf import read_pdf
from corpus.pdf_layout import read_layout
from corpus.works import build_works
from tests.common.indexing import build_index

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def twocol():
    return read_pdf(DATA / "tex-twocolumn.pdf")


@pytest.fixture(scope="module")
def notes():
    return read_pdf(DATA / "tex-notes.pdf")


@pytest.fixture(scope="module")
def endnotes():
    return read_pdf(DATA / "tex-endnotes.pdf")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def kinds(doc: Document, kind: str) -> list[str]:
    return [doc.passage_text(p) for p in doc.passages if p.kind == kind]


def column_breaks(name: str) -> list[tuple[str, str]]:
    """(last line of a column, first line of the next column on the same page) from the
    layout, for the breaks that fall mid-sentence."""
    pages, _ = read_layout(name, (DATA / name).read_bytes())
    out = []
    for page in pages:
        body = [ln for ln in page.lines if abs(ln.size - 10) < 0.5]  # the 10pt body: no headings, no notes
        for a, b in zip(body, body[1:], strict=False):
            if a.region != b.region and b.x0 > a.x1 and b.y0 > a.y1 and not re.search(r"[.!?:]$", a.text):
                out.append((a.text, b.text))
    return out


def test_sentence_cut_by_the_column_break_is_found_by_phrase_search(twocol, tmp_path):
    breaks = column_breaks("tex-twocolumn.pdf")
    assert breaks, "the test PDF must have a column break inside a sentence"
    searcher = build_index(tmp_path / "index", [twocol], entities=[[]])
    try:
        for before, after in breaks:
            left = re.findall(r"[A-Za-z]+", before)[-3:]
            right = re.findall(r"[A-Za-z]+", after)[:3]
            phrase = " ".join(left + right)
            hits = searcher.search(f'"{phrase}"').hits
            assert hits, phrase
            assert all(h.kind == "paragraph" for h in hits)
    finally:
        searcher.close()


def test_two_columns_are_not_read_across(twocol):
    # every body sentence of the source reads whole inside one passage: no line of the other
    # column was joined into it (a heading beside a line of the other column stays apart)
    text = " | ".join(flat(t) for t in kinds(twocol, "paragraph"))
    for sentence in (
        "Engineers argued for decades about the proper width of a lock chamber.",
        "The evidence of the toll tickets is therefore more mixed than the older literature admits.",
        "Where the canal stayed independent, it cut its rates and kept its customers for years.",
    ):
        assert sentence in text
    headings = kinds(twocol, "heading")
    assert "1 Introduction" in headings and "2 Tolls and the water" in headings


def test_footnotes_under_each_column(twocol):
    assert [n.number for n in twocol.footnotes] == ["1", "2", "3", "4"]
    assert twocol.footnotes[0].text.startswith("Smith, J. (2001). Water and Trade.")
    assert twocol.footnotes[1].text.endswith("London: Harbour Press.")
    assert twocol.footnotes[0].references[0].year == "2001"
    body = " ".join(kinds(twocol, "paragraph"))
    assert "Harbour Press" not in body and "county record office" not in body


def test_numbered_thebibliography_is_a_reference_list(twocol):
    entries = kinds(twocol, "reference")
    assert len(entries) == 6
    assert entries[0].startswith("[1] J. Smith, Water and trade in the canal age")
    assert entries[-1].startswith("[6] L. Stone")
    assert "References" in kinds(twocol, "heading")
    # the entries are not body text, and each one is parsed
    assert not any("Harbour Press, London" in t for t in kinds(twocol, "paragraph"))
    years = [p.references[0].year for p in twocol.passages if p.kind == "reference"]
    assert years == ["2001", "1999", "2010", "1987", "1993", "1998"]


def test_footnote_continued_on_the_next_page(notes):
    long = notes.footnote("3")
    assert long is not None
    assert long.text.startswith("The toll tickets survive in three runs.")
    assert long.text.endswith("Economic History Review 63(4), 900–925.")  # its end is on the next page
    assert [n.number for n in notes.footnotes] == ["1", "2", "3", "4", "5"]
    body = " ".join(kinds(notes, "paragraph"))
    assert "toll tickets survive" not in body and "Compare White" not in body


def test_hanging_indent_bibliography(notes):
    entries = kinds(notes, "reference")
    assert [e.split(",")[0] for e in entries] == ["Black", "Brown", "Green", "Smith", "Stone", "White"]
    assert flat(entries[0]).endswith("Parliamentary History, 12(1), 45–70.")
    refs = [p.references[0] for p in notes.passages if p.kind == "reference"]
    assert [r.year for r in refs] == ["1993", "1999", "2010", "2001", "1998", "1987"]
    assert refs[3].authors and refs[3].authors[0].startswith("Smith")


def test_reference_list_without_heading_found_by_its_shape(endnotes):
    entries = kinds(endnotes, "reference")
    assert len(entries) == 6
    assert entries[0].startswith("Green, P. (2010).") and entries[-1].startswith("Wright, S. (1979).")


def test_reference_lists_feed_the_works_index(notes, twocol):
    works = {w.key: w for w in build_works([notes, twocol])}
    listed = [w for w in works.values() if w.listed]
    assert len(listed) >= 10
    smith = [w for w in listed if w.year == "2001" and any("Smith" in a for a in w.authors)]
    assert smith
    assert any(doc == notes.doc_id for w in smith for doc, _ in w.listed)


def test_reference_entries_are_searchable_by_kind(notes, tmp_path):
    searcher = build_index(tmp_path / "index", [notes], entities=[[]])
    try:
        hits = searcher.search("kind:reference reservoirs").hits
        assert [h.kind for h in hits] == ["reference"]
        assert hits[0].text.startswith("White, M. (1987).")
        plain = searcher.search("reservoirs").hits
        assert any(h.kind == "paragraph" for h in plain)
    finally:
        searcher.close()


def test_round_trip_keeps_entry_references(notes):
    again = Document.from_dict(notes.to_dict())
    refs = [p.references for p in again.passages if p.kind == "reference"]
    assert refs and refs[0][0].year == "1993"


def test_reader_shows_reference_lists(notes, endnotes):
    from webui.render import render_passages

    html = "".join(render_passages(notes))
    assert html.count('class="passage reference"') == 6
    assert "references-heading" not in html  # the list has a heading of its own
    html = "".join(render_passages(endnotes))
    assert html.count('class="passage reference"') == 6
    assert html.count("references-heading") == 1  # found by its shape: the reader names it


def test_endnotes_in_small_type_before_a_reference_list(endnotes):
    assert [n.number for n in endnotes.footnotes] == ["1", "2", "3", "4"]
    first = endnotes.footnote("1")
    assert first.text.startswith("Engineers argued for decades") and first.text.endswith("3(2), 1–10.")
    assert first.references and first.references[0].year == "2001"
    body = " ".join(kinds(endnotes, "paragraph"))
    assert "See Smith" not in body
    assert [m.number for m in endnotes.marks] == ["1", "2", "3", "4"]


def test_title_past_a_journal_cover_masthead_and_contents():
    from corpus.pdf import _body_size
    from corpus.pdf_title import article_pages, is_front_matter

    doc = read_pdf(DATA / "tex-issue.pdf")
    assert doc.title == "Ledgers of the Northern Reach: Tolls and Trade on an Inland Canal"
    pages, _ = read_layout("tex-issue.pdf", (DATA / "tex-issue.pdf").read_bytes())
    size = _body_size(pages)
    assert [is_front_matter(p, size) for p in pages] == [True, True, True, False]
    assert article_pages(pages, size)[0].number == 4
    # an article whose first page is the article keeps its own title (no page is skipped)
    for name in ("tex-twocolumn.pdf", "tex-notes.pdf"):
        pages, _ = read_layout(name, (DATA / name).read_bytes())
        assert article_pages(pages, _body_size(pages)) is pages
