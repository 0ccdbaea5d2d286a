"""Reference parsing on a hand-labelled set of real notes in many citation styles, and its robustness."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from corpus.models import Footnote
from corpus.references import annotate_footnotes, parse_reference_text

GOLD = json.loads((Path(__file__).parent / "fixtures" / "reference_notes.json").read_text(encoding="utf-8"))["notes"]


def _norm(text: str | None) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", text.lower()))


def _author_right(author: str, surname: str) -> bool:
    """The labelled surname is the first author's family name (or one word of it, "Capra Fritjof")."""
    family = author.split(",")[0] if "," in author else author
    return f" {_norm(surname)} " in f" {_norm(family)} "


def score(notes: list[dict]) -> dict:
    """Share of notes whose first reference has the right year, first author and title."""
    right = {"year": 0, "author": 0, "title": 0, "all": 0}
    for gold in notes:
        refs, _ = parse_reference_text(gold["text"])
        ref = refs[0] if refs else None
        year = bool(ref) and ref.year == gold["year"]
        if gold["author"] is None:
            author = bool(ref) and not ref.authors
        else:
            author = bool(ref and ref.authors) and _author_right(ref.authors[0], gold["author"])
        title = bool(ref) and _norm(ref.title) == _norm(gold["title"])
        for key, ok in (("year", year), ("author", author), ("title", title), ("all", year and author and title)):
            right[key] += ok
    return {k: v / len(notes) for k, v in right.items()}


def test_the_labelled_set_is_big_and_varied():
    assert len(GOLD) >= 40
    assert len({g["source"] for g in GOLD}) >= 10


def test_year_first_author_and_title_right_in_most_notes():
    figures = score(GOLD)
    print(figures)
    assert figures["all"] >= 0.8, figures


def notes(*texts: str) -> list[Footnote]:
    items = [Footnote(number=str(i), text=t) for i, t in enumerate(texts, 1)]
    assert annotate_footnotes(items) == 0
    return items


def test_bluebook_note_ending_with_the_year_in_parentheses():
    (ref,), commentary = parse_reference_text("Jane Doe, Title, 12 HARV. L. REV. 345, 350 (2003).")
    assert (ref.authors, ref.year, ref.title) == (["Jane Doe"], "2003", "Title")
    assert commentary == ""
    for text in ("(2003).", "See (2003).", "16 (1977).", "X (2003). "):
        parse_reference_text(text)  # once an IndexError; now a reference or none, never an exception


@pytest.mark.parametrize(
    "text, authors, year, title",
    [
        ("Roe v. Wade, 410 U.S. 113 (1973).", [], "1973", "Roe v. Wade"),
        ("See Roe v. Wade, 410 U.S. 113, 120 (1973).", [], "1973", "Roe v. Wade"),
        (
            "A. Author, The Long Title of a Book, Warszawa: Wolters Kluwer Polska 2010, p. 106.",
            ["A. Author"],
            "2010",
            "The Long Title of a Book",
        ),
        (
            "Michel Foucault: Überwachen und Strafen, Frankfurt a. M.: Suhrkamp 1976.",
            ["Michel Foucault"],
            "1976",
            "Überwachen und Strafen",
        ),
        (
            "Jane Roe, Borders and Walls (Oxford: Oxford University Press, 2015), 12.",
            ["Jane Roe"],
            "2015",
            "Borders and Walls",
        ),
        (
            "Vgl Mayer-Maly, Österreichisches Arbeitsrecht (1970), § 1.",
            ["Mayer-Maly"],
            "1970",
            "Österreichisches Arbeitsrecht",
        ),
    ],
)
def test_legal_and_european_styles(text, authors, year, title):
    (ref,), _ = parse_reference_text(text)
    assert (ref.authors, ref.year, ref.title) == (authors, year, title)


def test_id_ibid_supra_and_cit_resolve_to_the_note_they_name():
    items = notes(
        "Feinstein, S., & Wood, R. (1995). History of law-related education. ERIC.",
        "Id. at 12.",
        "P. PICONE, Les méthodes de coordination entre ordres juridiques, in Recueil des cours, 1999, p. 9.",
        "Ibid., par. 15.",
        "Feinstein & Wood, supra note 1, at 14.",
        "Id.",
        "P. PICONE, Les méthodes de coordination, cit., p. 284.",
        "Bok, supra note 2, p. 176.",
        "Bok, supra note 12, p. 176.",
    )
    assert [n.kind for n in items] == ["note", "ibid", "note", "ibid", "opcit", "ibid", "opcit", "opcit", "opcit"]
    assert [n.refers_to for n in items] == [None, "1", None, "3", "1", "1", "3", "1", None]
    assert items[4].references[0].title == "History of law-related education"
    assert items[4].references[0].pages == "14"
    assert items[6].references[0].year == "1999" and items[6].references[0].pages == "284"
    assert items[3].references[0].pages == "15"


def test_a_note_the_parser_cannot_read_is_kept_and_counted(monkeypatch):
    import corpus.references as module

    def broken(text):
        raise IndexError("string index out of range")

    monkeypatch.setattr(module, "parse_reference_text", broken)
    items = [Footnote(number="1", text="Jane Doe, Title (2003)."), Footnote(number="2", text="Ibid.")]
    assert annotate_footnotes(items) == 1
    assert (items[0].kind, items[0].references, items[0].commentary) == ("note", [], "Jane Doe, Title (2003).")
    assert items[1].kind == "ibid" and items[1].refers_to is None


def test_read_document_counts_unparsed_notes_in_metadata(tmp_path, monkeypatch):
    import corpus.references as module
    from corpus import read_document

    path = tmp_path / "notes.md"
    path.write_text("# A paper\n\nThe claim is made here.[^1]\n\n[^1]: Jane Doe, Title, 12 HARV. L. REV. 345 (2003).\n")
    assert "reference_parse_failures" not in read_document(path).metadata
    monkeypatch.setattr(module, "_parse_note", lambda note: 1 / 0)
    doc = read_document(path)
    assert doc.metadata["reference_parse_failures"] == 1
    assert doc.footnote("1").commentary.startswith("Jane Doe, Title")


def _fragments() -> list[str]:
    texts = [g["text"] for g in GOLD]
    pieces: list[str] = []
    for text in texts:
        pieces.extend(re.split(r"(?<=[,.;:)])\s+", text))
    return pieces + [
        "(2003).",
        "(n.d.).",
        "supra note 3",
        "Ibid.",
        "Id. at",
        "op. cit.",
        "cit.,",
        "“",
        "”",
        "'",
        "(",
        ")",
        "[in:]",
        "v.",
        ":",
        "",
    ]


def test_fuzz_no_note_text_makes_the_parser_raise():
    rng = random.Random(20261201)
    pieces = _fragments()
    samples = [g["text"] for g in GOLD]
    for _ in range(3000):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        text = rng.choice([" ", ", ", "; ", ". ", ""]).join(parts)
        cut = rng.randint(0, len(text))
        for candidate in (text, text[:cut], text[cut:], rng.choice(samples)[:cut]):
            refs, commentary = parse_reference_text(candidate)
            assert isinstance(commentary, str)
            for ref in refs:
                assert ref.year is None or re.fullmatch(r"\d{4}[a-z]?", ref.year)
    batch = [Footnote(number=str(i), text=rng.choice(pieces + samples)) for i in range(1, 400)]
    assert annotate_footnotes(batch) == 0


def test_ibid_followed_by_a_remark_still_points_back():
    items = notes(
        "Stamper, N. (2006). Breaking rank. Nation Books.",
        "Ibid. See infra, section 4.1 of this paper.",
        "Id. at 5. The court then held otherwise.",
        "Idealism in law is discussed below.",
    )
    assert [(n.kind, n.refers_to) for n in items] == [("note", None), ("ibid", "1"), ("ibid", "1"), ("note", None)]
    assert items[1].commentary == "See infra, section 4.1 of this paper."
    assert items[2].references[0].pages == "5" and items[2].references[0].title == "Breaking rank"


@pytest.mark.parametrize(
    "text, surname, year, title",
    [
        # author lists joined by a conjunction, in any case or language; hyphenated initials
        (
            "See L . Fossier and G .-P . Zarri, L'indexation automatique des sources, I .R .H .T ., Paris 1975",
            "Fossier",
            "1975",
            "L'indexation automatique des sources",
        ),
        (
            "See RICHARD H. THALER AND CASS R. SUNSTEIN, NUDGE: IMPROVING DECISIONS (2008).",
            "THALER",
            "2008",
            "NUDGE: IMPROVING DECISIONS",
        ),
        (
            "Sul punto F. BASSANINI e G. TIBERI (a cura di), Le nuove istituzioni europee, Bologna, il Mulino, 2010.",
            "BASSANINI",
            "2010",
            "Le nuove istituzioni europee",
        ),
        # "et al." as its own comma piece, with the spacing a PDF's text layer leaves
        (
            'For a description, see R .W .Fogel, et al ., "The Economics of Mortality, 1650-1910", Historical Methods 11 (1978), 75-108.',
            "Fogel",
            "1978",
            "The Economics of Mortality, 1650-1910",
        ),
        # a particle after a spaced apostrophe inside a slash-joined German author list
        (
            "Vgl.: Triaille/de Meeüs d 'Argenteuil/de Francquen, Study on text mining, 2014, S. 47 f.; "
            "Schöch, Digitale Wissensproduktion, in: Jannidis/Kohle, Digital Humanities, 2017, S. 223.",
            "Triaille",
            "2014",
            "Study on text mining",
        ),
        # Bluebook: a parenthetical holding edition and year, a pinpoint page before it, commas in the title
        ("See FRANKLIN A. GEVURTZ, CORPORATION LAW 38-40 (2d ed. 2000).", "GEVURTZ", "2000", "CORPORATION LAW"),
        (
            "See JOSEPH WILLIAM SINGER, PROPERTY LAW: RULES, POLICIES AND PRACTICES (4th ed. 2006).",
            "SINGER",
            "2006",
            "PROPERTY LAW: RULES, POLICIES AND PRACTICES",
        ),
        (
            "See, e.g., JAMES J. WHITE & ROBERT S. SUMMERS, UNIFORM COMMERCIAL CODE 151-52 (4th ed. 1995).",
            "WHITE",
            "1995",
            "UNIFORM COMMERCIAL CODE",
        ),
    ],
)
def test_author_lists_and_bluebook_parentheticals(text, surname, year, title):
    refs, _ = parse_reference_text(text)
    assert refs, text
    ref = refs[0]
    assert (ref.year, ref.title) == (year, title)
    assert _author_right(ref.authors[0], surname), ref.authors


@pytest.mark.parametrize(
    "text, surname, year, title",
    [
        # a year inside an issue number
        (
            "M. MEZZANOTTE, Il diritto di petizione: strumento davvero mineur?, in federalismi.it, n. 21/2012.",
            "MEZZANOTTE",
            "2012",
            "Il diritto di petizione: strumento davvero mineur?",
        ),
        # a quoted word opening the title is not the whole title; volume/year/issue
        (
            'Vgl Szymenderski/Lange, "Entgrenzung" von Arbeitszeiten, Gewerkschaftliche Monatshefte 55/2004/7-8, 459-469.',
            "Szymenderski",
            "2004",
            '"Entgrenzung" von Arbeitszeiten',
        ),
        # APA with a full date in the parentheses
        (
            "Cf. CAMARGO, R. O. (16 de abril de 2014). Compliance Empresarial e Investigação Preliminar. p. 2-18.",
            "CAMARGO",
            "2014",
            "Compliance Empresarial e Investigação Preliminar",
        ),
        # APA year then comma: a title with a comma, a site after it
        (
            "J. Baudry (2023), Non-consumptive research use, an analysis of the legal situation, on Couperin.org.",
            "Baudry",
            "2023",
            "Non-consumptive research use, an analysis of the legal situation",
        ),
        # a journal, volume and pages after a title that runs to the end
        (
            "Elaine Campbell (2015) A dangerous method? Defending law clinics in the UK, The Law Teacher, 49:2, 165-175.",
            "Campbell",
            "2015",
            "A dangerous method? Defending law clinics in the UK",
        ),
        # bibliography style in sentences, after commentary that ends with a comma or a signal
        (
            "Solo para citar uno en la Unión, Craig, Paul y De Burca, Grainne. EU Law. Oxford, Oxford University Press, 2008.",
            "Craig",
            "2008",
            "EU Law",
        ),
        (
            "Para un recorrido, véanse Galindo Vácha Juan Carlos. Derecho europeo de sociedades. Bogotá, Pontificia Universidad Javeriana, 2002.",
            "Galindo Vácha",
            "2002",
            "Derecho europeo de sociedades",
        ),
    ],
)
def test_issue_years_dates_and_sentence_styles(text, surname, year, title):
    refs, _ = parse_reference_text(text)
    assert refs, text
    ref = refs[0]
    assert (ref.year, ref.title) == (year, title)
    assert _author_right(ref.authors[0], surname), ref.authors


@pytest.mark.parametrize(
    "text, year, title",
    [
        (
            "The Black Family in Slavery and Freedom (New York, 1976) .",
            "1976",
            "The Black Family in Slavery and Freedom",
        ),
        (
            "Fertility and Occupation : Population Patterns in Industrialization (New York, 1979) . For a review, "
            "see my review in The Journal of Interdisciplinary History 11 (1981), 712-714.",
            "1979",
            "Fertility and Occupation : Population Patterns in Industrialization",
        ),
    ],
)
def test_a_work_named_by_its_title_place_and_year_alone(text, year, title):
    refs, _ = parse_reference_text(text)
    assert (refs[0].authors, refs[0].year, refs[0].title) == ([], year, title)


def test_commentary_in_title_case_is_not_a_book():
    refs, commentary = parse_reference_text("See the discussion above (section 2, 2019).")
    assert not any(r.title and r.title.startswith("See the discussion") for r in refs)


@pytest.mark.parametrize(
    "text, authors, title",
    [
        # APA initials E. and Y. are not the particles e/y once the list's last period is cut
        (
            "Balibar, E. (2002). *Politics and the Other Scene*. London: Verso Books.",
            ["Balibar, E."],
            "*Politics and the Other Scene*",
        ),
        (
            "Jones, C., Lanneau, R., & Maccanico, Y. (2022). *Access denied: Secrecy and the "
            "externalisation of EU migration control*. Heinrich-Böll-Stiftung European Union & Statewatch.",
            ["Jones, C.", "Lanneau, R.", "Maccanico, Y."],
            "*Access denied: Secrecy and the externalisation of EU migration control*",
        ),
    ],
)
def test_apa_lists_ending_in_a_particle_like_initial(text, authors, title):
    refs, _ = parse_reference_text(text)
    assert refs, text
    assert (refs[0].authors, refs[0].title) == (authors, title)
