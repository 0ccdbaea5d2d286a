"""The PDF reader's structure rules on laid-out lines: reading order, notes, paragraphs.

The lines are what ``corpus.pdf_layout`` makes of pdfminer's characters (position, type size,
baseline, text); each test lays out one class of page. The real PDFs are in test_pdf_real.py.
"""

from __future__ import annotations

from corpus.pdf_layout import Line, Page, Rule, reading_order
from corpus.pdf_notes import NoteState, split_page
from corpus.pdf_paragraphs import join, paragraphs, vocabulary

BODY = 10.0


def line(text, x0, base, size=BODY, x1=None, page=1, marks=(), lead=""):
    width = x1 if x1 is not None else x0 + 0.5 * size * len(text)
    return Line(
        page, x0, width, base - 0.2 * size, base + 0.8 * size, size, False, text, list(marks), lead=lead, base=base
    )


def column(texts, x0, top, step=12.0, x1=None, **kw):
    return [line(t, x0, top - i * step, x1=x1, **kw) for i, t in enumerate(texts)]


def test_two_columns_are_read_left_column_first():
    left = column([f"left line {i} of the first column text" for i in range(8)], 50, 700, x1=280)
    right = column([f"right line {i} of the second column text" for i in range(8)], 310, 700, x1=540)
    order = reading_order(right + left)
    assert [ln.text for ln in order] == [ln.text for ln in left + right]
    assert order[0].region != order[-1].region


def test_full_width_title_and_notes_around_two_columns_stay_in_place():
    title = line("A title over both columns of the page", 120, 760, size=16, x1=480)
    left = column([f"left {i} of the first column of text" for i in range(6)], 50, 720, x1=280)
    right = column([f"right {i} of the second column of text" for i in range(6)], 310, 720, x1=540)
    note = line("1 A note set across the whole width of the page, under both columns", 50, 600, size=8, x1=540)
    order = [ln.text for ln in reading_order([note] + right + [title] + left)]
    assert order == [title.text] + [ln.text for ln in left + right] + [note.text]


def test_three_columns_are_read_in_order():
    cols = [
        column([f"col {c} line {i} with some words" for i in range(7)], 40 + c * 180, 700, x1=190 + c * 180)
        for c in range(3)
    ]
    order = reading_order([ln for col in reversed(cols) for ln in col])
    assert [ln.text for ln in order] == [ln.text for col in cols for ln in col]


def test_a_line_split_at_one_wide_space_is_one_line():
    lines = column(["first line of a paragraph in one column", "second line of it"], 50, 700, x1=540)
    left = line("third line split by pdfminer at a", 50, 676, x1=250)
    right = line("wide justified space", 300, 676, x1=540)
    order = reading_order(lines + [right, left])
    assert [ln.text for ln in order][-1] == "third line split by pdfminer at a wide justified space"
    assert len({ln.region for ln in order}) == 1


def test_a_hanging_note_number_becomes_the_lines_lead():
    number = line("12", 50, 103, size=6, x1=58)
    text = line("Hanging note text begins here", 70, 100, size=8, x1=300)
    (merged,) = reading_order([text, number])
    assert merged.lead == "12" and merged.text == "Hanging note text begins here"


def page_of(lines, rules=()):
    return Page(1, 600, 800, lines, list(rules))


def test_small_type_block_without_a_rule_is_the_notes():
    body = column(["Body text with a mark.", "More body text."], 50, 700, x1=540)
    body[0].marks = [(9, "1")]
    notes = column(
        ["1 The first note.", "2 The second note, which runs", "on to a second line."], 50, 300, step=9, size=8, x1=540
    )
    state = NoteState(set())
    kept = split_page(reading_order(body + notes), page_of(body + notes), BODY, state)
    assert [ln.text for ln in kept] == [ln.text for ln in body]
    assert [(n.number, n.text) for n in state.notes] == [
        ("1", "The first note."),
        ("2", "The second note, which runs on to a second line."),
    ]


def test_body_size_notes_are_found_by_the_numbers_the_marks_predict():
    body = column(["Body of a manuscript with a note mark.", "The body goes on with another."], 50, 700, x1=540)
    body[0].marks = [(10, "1")]
    body[1].marks = [(30, "2")]
    notes = column(["1 A note in body-size type.", "2 Another note in the same type."], 50, 200, x1=540)
    state = NoteState(set())
    kept = split_page(reading_order(body + notes), page_of(body + notes), BODY, state)
    assert [ln.text for ln in kept] == [ln.text for ln in body]
    assert [n.number for n in state.notes] == ["1", "2"]


def test_a_year_at_a_line_start_is_not_a_note():
    body = column(["The revolution began in", "1789 and the body goes on", "to the end of the page."], 50, 700, x1=540)
    state = NoteState(set())
    kept = split_page(reading_order(body), page_of(body), BODY, state)
    assert len(kept) == 3 and state.notes == []


def test_a_number_that_does_not_continue_the_sequence_stays_in_its_note():
    body = column(["Body text with a mark."], 50, 700, x1=540)
    body[0].marks = [(9, "1")]
    notes = column(
        ["1 See Pub. L. No. 105-277, 112 Stat.", "2830-34 (Oct. 27, 1998)."], 50, 300, step=9, size=8, x1=540
    )
    rule = Rule(50, 200, 315)
    state = NoteState(set())
    split_page(reading_order(body + notes), page_of(body + notes, [rule]), BODY, state)
    assert [(n.number, n.text) for n in state.notes] == [
        ("1", "See Pub. L. No. 105-277, 112 Stat. 2830-34 (Oct. 27, 1998).")
    ]


def test_a_note_continues_on_the_next_page_under_its_rule():
    state = NoteState(set())
    body1 = column(["Page one body with a mark."], 50, 700, x1=540)
    body1[0].marks = [(10, "1")]
    note1 = column(["1 A long note that does not end on this"], 50, 300, size=8, x1=540)
    split_page(reading_order(body1 + note1), page_of(body1 + note1, [Rule(50, 200, 315)]), BODY, state)
    body2 = column(["Page two body."], 50, 700, page=2, x1=540)
    note2 = column(["page but runs on to the next one."], 50, 300, size=8, page=2, x1=540)
    page2 = Page(2, 600, 800, [], [Rule(50, 200, 315)])
    kept = split_page(reading_order(body2 + note2), page2, BODY, state)
    assert [ln.text for ln in kept] == ["Page two body."]
    assert state.notes[0].text == "A long note that does not end on this page but runs on to the next one."


def test_double_leading_still_joins_lines_into_paragraphs():
    first = column(
        ["A paragraph set with double", "leading in a manuscript is one", "paragraph, not three."],
        50,
        700,
        step=24,
        x1=540,
    )
    second = column(["A new paragraph after extra", "space."], 70, 610, step=24, x1=540)
    second[1].x0 = 50
    lines = first + second
    for ln in lines:
        ln.region = 1
    blocks = paragraphs(lines, BODY, vocabulary(lines))
    assert [b.text for b in blocks] == [
        "A paragraph set with double leading in a manuscript is one paragraph, not three.",
        "A new paragraph after extra space.",
    ]


def test_line_end_hyphens_are_undone_by_the_documents_vocabulary():
    vocab = {"architectural", "well", "known"}
    assert join("an architec-", "tural plan", vocab) == "an architectural plan"
    assert join("a well-", "known case", vocab) == "a well-known case"
