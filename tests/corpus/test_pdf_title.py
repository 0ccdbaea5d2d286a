"""The PDF title rules on laid-out first pages, then on the real PDFs of tests/data.

Each laid-out test is one class of first page: a journal issue line in the largest type, a
subtitle in smaller type, a title in body-size capitals or bold, a running head that repeats
the title's first line, junk or partial metadata.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.pdf import read_pdf
from corpus.pdf_layout import Line, Page
from corpus.pdf_title import is_author_line, is_issue_line, pdf_title

DATA = Path(__file__).resolve().parent.parent / "data"
BODY = 10.0


def line(text, base, size=BODY, bold=False, page=1, x0=60.0):
    return Line(
        page, x0, x0 + 0.5 * size * len(text), base - 0.2 * size, base + 0.8 * size, size, bold, text, base=base
    )


def body(top, n=12, page=1):
    return [
        line(f"body text line number {i} of the article, set in the usual type", top - 12 * i, page=page)
        for i in range(n)
    ]


def pages_of(first, others=2, head="Journal of Examples"):
    pages = [Page(1, 595, 842, first, [])]
    for n in range(2, 2 + others):
        pages.append(Page(n, 595, 842, [line(head, 800, 8, page=n)] + body(760, page=n), []))
    return pages


def title(first, info=None, **kw):
    pages = pages_of(first, **kw)
    return pdf_title(info or {}, pages, BODY, set())


def test_issue_line_and_journal_name_in_large_type_are_not_the_title():
    first = [
        line("Journal of Examples", 800, 20),
        line("Law Review • 2024, vol. 1, no. 2, pp. 27–37", 780, 20),
        line("The supervision of markets", 700, 18, bold=True),
        line("in a federal union of states", 680, 18, bold=True),
        *body(600),
    ]
    assert title(first) == "The supervision of markets in a federal union of states"


def test_subtitle_in_smaller_type_is_appended_but_not_the_author_line():
    first = [
        line("Copyright and access in a digital world", 700, 14),
        line("– questions of access for memory institutions –", 682, 11.5),
        line("Anna Example and Bert Sample", 650, 11.5),
        *body(600),
    ]
    assert title(first) == "Copyright and access in a digital world – questions of access for memory institutions –"
    alone = [line("Copyright and access in a digital world", 700, 14), line("Anna Example and Bert Sample", 682, 11.5)]
    assert title(alone + body(600)) == "Copyright and access in a digital world"


def test_lone_rubric_word_in_the_largest_type_gives_way():
    first = [line("Urheberrecht", 760, 18), line("Sociological remarks on labour law", 700, 13), *body(600)]
    assert title(first) == "Sociological remarks on labour law"


def test_title_in_body_size_capitals_with_a_parallel_title():
    first = [
        line("MEDIATION IN THE COURTS: SHORT NOTES ON", 760, bold=True),
        line("PRINCIPLES | MEDIATION IN COURT: BRIEF NOTES", 748),
        line("ANNA EXAMPLE", 720),
        *body(690),
    ]
    assert title(first) == "MEDIATION IN THE COURTS: SHORT NOTES ON PRINCIPLES"


def test_title_in_smaller_capitals_above_the_body():
    first = [line("MEDIEVAL HISTORY AND THE COMPUTER", 760, 8), *body(730)]
    assert title(first) == "MEDIEVAL HISTORY AND THE COMPUTER"


def test_bold_body_size_title_over_double_spaced_lines():
    first = [line("From the Field: Education in Civics and the Law in the United", 760, bold=True)]
    first.append(line("States", 735, bold=True))
    first.append(line("Anna Example", 700))
    first += [line(f"double spaced body line {i} of the article text here", 660 - 25 * i) for i in range(10)]
    assert title(first) == "From the Field: Education in Civics and the Law in the United States"


def test_title_line_repeated_as_running_head_is_kept():
    first = [
        line("Protection against Expropriation", 700, 18, bold=True),
        line("under National Legal Systems", 680, 18, bold=True),
        *body(600),
    ]
    got = title(first, head="Protection against Expropriation")
    assert got == "Protection against Expropriation under National Legal Systems"


def test_no_title_when_the_first_page_has_only_body_type():
    assert title(body(760)) == ""


def test_metadata_title_is_used_only_when_it_is_printed_and_not_junk():
    first = [line("Networking of legal solutions in energy", 700, 16), *body(600)]
    assert title(first, {"title": "Cover A4.indd"}) == "Networking of legal solutions in energy"
    assert title(first, {"title": "Law Review, 2024, tom 1, nr 2"}) == "Networking of legal solutions in energy"
    assert title(first, {"title": "A title printed nowhere at all"}) == "Networking of legal solutions in energy"
    assert (
        title(first, {"title": "networking of legal solutions in energy"}) == "networking of legal solutions in energy"
    )


def test_partial_metadata_title_takes_the_subtitle_from_the_page():
    first = [line("Historisieren und/oder überwinden?", 700, 26), line("Foucault im Kontext", 670, 13), *body(600)]
    got = title(first, {"title": "Historisieren und/oder überwinden?"})
    assert got == "Historisieren und/oder überwinden? Foucault im Kontext"


def test_line_classes():
    assert is_issue_line("Dogmatyka Prawa • 2024, t. 1, nr 2, s. 27–37")
    assert is_issue_line("2025, n. 1")
    assert not is_issue_line("The evolution of energy policy since 1990")
    assert not is_issue_line("Law No. 5 of 2019 on the protection of personal data")
    assert is_author_line("Max Gutbrod, Steffen Hindelang & Yun-I Kim*")
    assert is_author_line("Katharina de la Durantaye und Benjamin Raue")
    assert not is_author_line("Foucault im Kontext Neuer Materialismen")


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "real-formxobject-notes.pdf",
            "Urheberrecht und Zugang in einer digitalen Welt – Urheberrechtliche Fragestellungen des Zugangs "
            "für Gedächtnisinstitutionen und die Digital Humanities –",
        ),
        ("paper003.pdf", "Balkan route and the European Union: migration"),
    ],
)
def test_real_pdf_titles(name, expected):
    assert read_pdf(DATA / name).title.startswith(expected)


def test_first_section_heading_is_not_a_subtitle():
    for heading in ("Introduction", "1. The scope of the study", "I. Einleitung"):
        first = [line("Transit countries and their notes", 760, 20, bold=True), line(heading, 730, 15), *body(700)]
        assert title(first) == "Transit countries and their notes"


@pytest.mark.parametrize("text", ["- 5 -", "– 12 –", "— iv —", "12", "Page 3 of 9"])
def test_page_numbers_are_furniture_in_the_layouts_own_pattern(text):
    import corpus.pdf as pdf
    import corpus.pdf_layout as layout
    from corpus.pdf_title import is_furniture

    assert is_furniture(text)
    assert pdf.PAGE_NUMBER is layout.PAGE_NUMBER  # one pattern for the page furniture and the title rules
