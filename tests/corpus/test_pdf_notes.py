"""Footnotes on laid-out lines: typewritten marks in parentheses, notes in body-size type that
hang under their numbers, and endnotes that go on over the following pages.

The lines are what ``corpus.pdf_layout`` makes of pdfminer's characters; the real typewriter
scans these rules stand for are in /work/shared/realdocs (bench/realdocs.py measures them).
"""

from __future__ import annotations

from corpus.pdf_layout import Line, Page, reading_order
from corpus.pdf_notes import NoteState, paren_marks, split_page

BODY = 8.0


def line(text, x0, base, page=1, size=BODY):
    return Line(
        page, x0, x0 + 0.5 * size * len(text), base - 0.2 * size, base + 0.8 * size, size, False, text, base=base
    )


def page_of(number, lines):
    return Page(number, 420, 600, lines, [])


def body_lines(texts, top, page=1):
    return [line(t, 50, top - i * 9, page) for i, t in enumerate(texts)]


def hanging_notes(notes, top, page=1, number_x=50, text_x=68):
    """Notes whose first line starts at the left with its number and whose other lines hang under it."""
    lines, y = [], top
    for first, *rest in notes:
        lines.append(line(first, number_x, y, page))
        y -= 9
        for text in rest:
            lines.append(line(text, text_x, y, page))
            y -= 9
    return lines


def test_marks_in_parentheses_count_only_when_they_continue_their_sequence():
    found, last = paren_marks(line("medieval data in France( 1) . Since 1975 (6) then (2) .", 50, 500), 0)
    assert found == ["1", "2"] and last == 2
    # an issue number or a year in parentheses out of sequence is text, and so is a line-start number
    assert paren_marks(line("Annales 1969 (6), p. 1338 and (1975)", 50, 500), 2) == ([], 2)
    assert paren_marks(line("(3) a note's own number", 50, 500), 2) == ([], 2)


def test_typewritten_endnotes_in_parentheses_are_read_as_notes_over_the_pages():
    body = body_lines(
        [
            "The study of medieval data in France( 1) . Since then the archives",
            "have done much (2) . Other work is also under way in",
            "Paris and Louvain (3) : these are good examples of the method.",
            "their colleagues working on other periods are not better.",
        ],
        500,
    )
    notes1 = hanging_notes(
        [
            ("(1) This was a study of the accounts of the harbour", "in collaboration with a colleague."),
            ("(2) Application of the system to the registers of the", "Parlement de Paris, 1975 (4), p. 6-7, and"),
        ],
        400,
    )
    state = NoteState(set())
    kept = split_page(reading_order(body + notes1), page_of(1, body + notes1), BODY, state)
    assert [ln.text for ln in kept] == [ln.text for ln in body]
    # page 2: the unfinished note 2 goes on (indented), then note 3
    notes2 = [line("further remarks in Revue Historique 1976 (1), p. 244.", 68, 500, page=2)]
    notes2 += hanging_notes([("(3) See the report in the proceedings of", "the colloquium, op. cit. supra.")], 491, 2)
    kept2 = split_page(reading_order(notes2), page_of(2, notes2), BODY, state)
    assert kept2 == []
    assert [n.number for n in state.notes] == ["1", "2", "3"]
    assert state.notes[1].text.endswith("further remarks in Revue Historique 1976 (1), p. 244.")
    assert [n.page for n in state.notes] == [1, 1, 2]


def test_a_footnotes_section_of_plain_numbers_after_parenthesised_marks():
    body = body_lines(
        ["Family history in the United States.(1) In the spring", "the field grew .(2) From then on the work went on."],
        500,
    )
    heading = [line("FOOTNOTES", 180, 470)]
    notes = hanging_notes(
        [
            ("1 It should be noted at the outset that the essay", "will discuss work done in the United States."),
            ("2 For a description in German of simultaneous", "developments, see Geschichte 1 (1975), 155-170."),
        ],
        455,
        number_x=49,
        text_x=58,
    )
    state = NoteState(set())
    kept = split_page(reading_order(body + heading + notes), page_of(1, body + heading + notes), BODY, state)
    assert [ln.text for ln in kept] == [ln.text for ln in body + heading]
    assert [(n.number, n.text[:13]) for n in state.notes] == [("1", "It should be "), ("2", "For a descrip")]


def test_a_numbered_list_the_marks_do_not_predict_stays_in_the_body():
    body = body_lines(["The method has three steps, listed here:"], 500)
    items = hanging_notes(
        [("(1) collect the records of the", "parish registers;"), ("(2) link them into families", "by name.")], 491
    )
    state = NoteState(set())
    kept = split_page(reading_order(body + items), page_of(1, body + items), BODY, state)
    assert len(kept) == len(body + items) and state.notes == []


def test_a_page_after_endnotes_that_starts_a_new_paragraph_is_body():
    body = body_lines(["The archives have done much (1) . Since then", "the work went on."], 500)
    notes = hanging_notes([("(1) A note that ends here.",)], 470)
    state = NoteState(set())
    split_page(reading_order(body + notes), page_of(1, body + notes), BODY, state)
    page2 = body_lines(["A new section begins at the left margin of", "the next page with body text."], 500, page=2)
    kept = split_page(reading_order(page2), page_of(2, page2), BODY, state)
    assert len(kept) == 2 and [n.number for n in state.notes] == ["1"]


def test_an_indented_paragraph_after_an_unfinished_note_is_body_while_the_next_note_is_unmarked():
    body = body_lines(["The archives have done much (1) . Since then", "the work went on (2) ."], 500)
    notes = hanging_notes(
        [("(1) A note that ends here.",), ("(2) A note that breaks off at the page end, as in",)], 470
    )
    state = NoteState(set())
    split_page(reading_order(body + notes), page_of(1, body + notes), BODY, state)
    assert [n.number for n in state.notes] == ["1", "2"]
    # an indented first line, but the body has not marked note 3 yet: a new paragraph, not note 2
    page2 = [line("This article will look at six challenges", 68, 500, page=2)]
    page2 += body_lines(["posed by administrative acts to investors."], 491, page=2)
    kept = split_page(reading_order(page2), page_of(2, page2), BODY, state)
    assert len(kept) == 2 and state.notes[1].text.endswith("as in")
