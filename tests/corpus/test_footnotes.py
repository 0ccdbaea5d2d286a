"""Footnote marks and bodies."""

from __future__ import annotations

from corpus.footnotes import decode_marks, encode_marks, has_star_marks, make_footnotes, parse_note_start


def _strip(text: str, asterisk: bool = False):
    return decode_marks(encode_marks(text, asterisk=asterisk))


def test_sup_mark_removed_with_spacing():
    text, marks = _strip("stranded within its territory<sup>11</sup> and decided")
    assert text == "stranded within its territory and decided"
    assert marks == [(len("stranded within its territory"), "11")]


def test_mark_before_punctuation():
    text, marks = _strip("the so-called “refugee crisis”<sup>1</sup>.")
    assert text == "the so-called “refugee crisis”."
    assert marks == [(len("the so-called “refugee crisis”"), "1")]


def test_mark_with_spaces_around():
    text, marks = _strip("a mark <sup>3</sup> here and <sup>4</sup>.")
    assert text == "a mark here and."
    assert marks == [(6, "3"), (15, "4")]


def test_bracket_and_caret_marks():
    text, marks = _strip("First[^1] and second^2 but not 10^3 nor [^a]: defs.")
    assert text.startswith("First and second but not 10^3 nor")
    assert [n for _, n in marks] == ["1", "2"]


def test_adjacent_marks_and_leading_mark():
    text, marks = _strip("<sup>5</sup> Start<sup>6</sup><sup>7</sup> end")
    assert text == "Start end"
    assert marks == [(0, "5"), (5, "6"), (5, "7")]


def test_asterisk_marks_only_when_asked():
    assert _strip("Kosovo*.The next")[0] == "Kosovo*.The next"
    text, marks = _strip("Serbia and Kosovo*.The next", asterisk=True)
    assert text == "Serbia and Kosovo.The next" and marks == [(17, "*")]
    assert has_star_marks("and Kosovo* are") and not has_star_marks("a * b") and not has_star_marks("**bold**")


def test_note_starts():
    assert parse_note_start("<sup>12</sup> Weber, B. (2017).") == ("12", "Weber, B. (2017).")
    assert parse_note_start("[^note]: Some text") == ("note", "Some text")
    assert parse_note_start("^3 Text") == ("3", "Text")
    assert parse_note_start("* This designation is without prejudice") is None
    assert parse_note_start("* This designation", asterisk=True) == ("*", "This designation")
    assert parse_note_start("** bold", asterisk=True) is None
    assert parse_note_start("Plain line") is None


def test_make_footnotes_merges_and_drops_empty():
    notes = make_footnotes([("1", "First part", 1), ("2", "", 1), ("1", "continued.", 2)])
    assert [(n.number, n.text, n.page) for n in notes] == [("1", "First part continued.", 1)]
