"""The PDF reader on real PDFs nobody on the project wrote (copied from the realdocs set).

Each file stands for a class of documents: a journal download with a rotated margin stamp,
a publisher's page imports (text inside Form XObjects), a two-column journal with notes
under each column, notes numbered past 9 (marks of two digits).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.pdf import read_pdf

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def stamped():
    return read_pdf(DATA / "real-rotated-stamp.pdf")


@pytest.fixture(scope="module")
def imported():
    return read_pdf(DATA / "real-formxobject-notes.pdf")


@pytest.fixture(scope="module")
def columns():
    return read_pdf(DATA / "real-two-column.pdf")


def numbers(doc):
    return [note.number for note in doc.footnotes]


def test_rotated_margin_stamp_stays_out_of_passages(stamped):
    assert "Downloaded from" not in stamped.text
    short = [p for p in stamped.passages if len(stamped.passage_text(p)) < 20]
    assert len(short) < len(stamped.passages) * 0.2
    assert len(stamped.passages) < 200  # not shredded into one-letter passages


def test_notes_past_nine_keep_their_two_digits(stamped):
    assert numbers(stamped)[:40] == [str(n) for n in range(1, 41)]
    marks = {m.number for m in stamped.marks}
    assert {"10", "11", "12", "25", "40"} <= marks


def test_note_text_is_the_note_and_not_the_body(stamped):
    note = stamped.footnote("12")
    assert note.text.startswith("R. Millington, State, Society and Memories of the Uprising")
    assert "R. Millington, State, Society and Memories" not in stamped.text


def test_text_inside_form_xobjects_is_read(imported):
    assert imported.pages == 12
    assert len(imported.text.split()) > 3000
    assert "Urheberrecht und Zugang in einer digitalen Welt" in imported.title


def test_form_xobject_pdf_has_its_50_notes_in_sequence(imported):
    assert numbers(imported) == [str(n) for n in range(1, 51)]
    assert imported.footnote("12").text.startswith("Vgl. dazu: de la Durantaye, GRUR 2017, 558")
    for note in imported.footnotes:
        assert note.text[:40] not in imported.text


def test_two_columns_are_read_one_after_the_other(columns):
    # a sentence running down the left column, its right neighbour on the same lines elsewhere
    assert "manifold, including the skilful French Presidency; the ever more dire" in columns.text
    assert "including sible" not in columns.text


def test_two_column_notes_under_each_column_are_found(columns):
    assert numbers(columns)[:19] == ["*"] + [str(n) for n in range(1, 19)]
    note5 = columns.footnote("5")
    assert note5.text.startswith("Pope Francis published his Encyclical")
    assert "Laudato Si’: On Care for Our Common Home" in note5.text


def test_each_document_has_a_real_title(stamped, imported, columns):
    assert stamped.title.startswith("Political Taboos in the German Democratic Republic")
    assert columns.title.startswith("Anniversary Special")
