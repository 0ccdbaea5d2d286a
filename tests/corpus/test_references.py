"""Reference parsing, Ibid./op. cit. resolution and work keys on real footnote texts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from corpus.models import Footnote
from corpus.references import annotate_footnotes, parse_reference_text

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).resolve().parents[2] / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt"

# Note texts as they stand in the sample paper 003 (Markdown emphasis already removed).
N4 = (
    "Beznec, B., Speer M., Stojić Mitrović, M. (2016). Governing the Balkan Route: Macedonia, "
    "Serbia and the European Border Regime. Belgrade: Rosa Luxemburg Stiftung Southeast Europe."
)
N9 = N4.replace("Speer M.", "Speer, M.")
N6 = (
    "Župarić-Iljić, D., & Valenta, M. (2019). “Refugee Crisis” in the Southeastern European "
    "Countries: The Rise and Fall of the Balkan Corridor. In C. Menjivar, M. Ruiz, & I. Ness "
    "(Eds.). The Oxford Handbook of Migration Crises. Oxford: Oxford University Press, p. 372."
)
N8 = N6.replace("(Eds.).", "(Eds.),").replace("p. 372", "p. 371")
N7 = (
    "Buffer zones are geographical areas, often transit countries, that act as buffer zones to "
    "slow down or regulate inflows to Europe. They act as a “filter” to relieve pressure on "
    "European Union countries, which are the final destination of most migrants."
)
N1 = (
    "See Frontex risk analyses 2022, 2021, 2020, 2019 etc. Frontex. “Risk Analysis for 2022/23,” "
    "October 7, 2022. https://frontex.europa.eu/assets/Publications/Risk_Analysis/Risk_Analysis/"
    "ARA_2022_Public_Web.pdf."
)
N27 = "Achiume, E. T. (2021). Digital racial borders. AJIL Unbound, 115, 333–338. https://doi.org/10.1017/aju.2021.52."
N97 = (
    "See as an example: European Commission. (2008). Visa liberalisation with Serbia roadmap. "
    "Bruxelles, https://www.esiweb.org/pdf/Serbia.pdf; European Commission. (2010). Visa "
    "liberalisation with Bosnia and Herzegovina roadmap. Bruxelles, https://www.esiweb.org/pdf/"
    "Bosnia.pdf."
)


def notes(*texts: str) -> list[Footnote]:
    items = [Footnote(number=str(i), text=t) for i, t in enumerate(texts, 1)]
    annotate_footnotes(items)
    return items


def test_apa_book_with_three_authors():
    (ref,), commentary = parse_reference_text(N4)
    assert ref.authors == ["Beznec, B.", "Speer, M.", "Stojić Mitrović, M."]
    assert ref.year == "2016"
    assert ref.title == "Governing the Balkan Route: Macedonia, Serbia and the European Border Regime"
    assert ref.container == "Rosa Luxemburg Stiftung Southeast Europe"
    assert commentary == ""


def test_chapter_in_edited_book_with_page():
    (ref,), _ = parse_reference_text(N6)
    assert ref.authors == ["Župarić-Iljić, D.", "Valenta, M."]
    assert ref.title.startswith("“Refugee Crisis” in the Southeastern European Countries")
    assert ref.container == "The Oxford Handbook of Migration Crises"
    assert ref.pages == "372"


def test_journal_article_with_pages_and_doi():
    (ref,), _ = parse_reference_text(N27)
    assert (ref.authors, ref.year, ref.title) == (["Achiume, E.T."], "2021", "Digital racial borders")
    assert ref.container == "AJIL Unbound"
    assert ref.pages == "333–338"
    assert ref.urls == ["https://doi.org/10.1017/aju.2021.52"]


def test_commentary_before_a_chicago_style_reference():
    (ref,), commentary = parse_reference_text(N1)
    assert ref.authors == ["Frontex"]
    assert ref.title == "Risk Analysis for 2022/23"
    assert ref.year == "2022"
    assert ref.urls[0].endswith("ARA_2022_Public_Web.pdf")
    assert commentary.startswith("See Frontex risk analyses")


def test_commentary_only_note_has_no_reference():
    refs, commentary = parse_reference_text(N7)
    assert refs == []
    assert commentary == N7
    note19 = (
        "While all the WB6 states are included in the EU's enlargement policy, Kosovo is "
        "currently only a 'potential' candidate for membership."
    )
    assert parse_reference_text(note19)[0] == []


def test_several_references_in_one_note_keep_their_own_urls():
    refs, commentary = parse_reference_text(N97)
    assert [r.year for r in refs] == ["2008", "2010"]
    assert refs[0].urls == ["https://www.esiweb.org/pdf/Serbia.pdf"]
    assert refs[1].title == "Visa liberalisation with Bosnia and Herzegovina roadmap"
    assert commentary == "See as an example:"


@pytest.mark.parametrize(
    "text, authors, year, title, container, pages",
    [
        (
            'J. Smith, "The Title of the Article", Journal of Things 12 (2010), 1-20.',
            ["J. Smith"],
            "2010",
            "The Title of the Article",
            "Journal of Things",
            "1–20",
        ),
        (
            "See also Jane Roe, Borders and Walls (Oxford: Oxford University Press, 2015), 12–14.",
            ["Jane Roe"],
            "2015",
            "Borders and Walls",
            "Oxford University Press",
            "12–14",
        ),
        (
            "John Smith, The Book Title (London: Routledge, 2010), 45.",
            ["John Smith"],
            "2010",
            "The Book Title",
            "Routledge",
            "45",
        ),
        (
            "Smith, J. and Jones, K. (2010) Title of book. London: Routledge.",
            ["Smith, J.", "Jones, K."],
            "2010",
            "Title of book",
            "Routledge",
            None,
        ),
    ],
)
def test_other_citation_styles(text, authors, year, title, container, pages):
    (ref,), _ = parse_reference_text(text)
    assert (ref.authors, ref.year, ref.title, ref.container, ref.pages) == (authors, year, title, container, pages)


def test_prose_with_a_year_is_not_a_reference():
    text = "On this point see the discussion above; the figures for 2015 are from the ministry."
    assert parse_reference_text(text) == ([], text)


def test_same_work_with_small_variations_shares_a_key():
    four, six, eight, nine = notes(N4, N6, N8, N9)
    assert four.references[0].work_key == nine.references[0].work_key
    assert six.references[0].work_key == eight.references[0].work_key
    assert six.references[0].pages != eight.references[0].pages
    assert four.references[0].work_key != six.references[0].work_key


def test_ibid_chain_points_at_the_original_note():
    items = notes(N27, "Ibid.", "Ibid., p. 335.", "Ibid.")
    assert [n.kind for n in items] == ["note", "ibid", "ibid", "ibid"]
    assert [n.refers_to for n in items[1:]] == ["1", "1", "1"]
    assert items[2].references[0].pages == "335"
    assert items[1].references[0].title == "Digital racial borders"
    assert items[1].references[0].work_key == items[0].references[0].work_key


def test_ibid_skips_commentary_notes_and_without_target_stays_unresolved():
    items = notes("Ibid.", N4, N7, "Ibid.")
    assert items[0].refers_to is None and items[0].kind == "ibid"
    assert items[3].refers_to == "2"


def test_op_cit_short_form_finds_the_latest_note_of_that_author():
    items = notes(N4, N27, N9, "Beznec et al., op. cit., p. 14.", "Achiume, op. cit.")
    assert items[3].kind == "opcit" and items[3].refers_to == "3"
    assert items[3].references[0].pages == "14"
    assert items[3].references[0].year == "2016"
    assert items[4].refers_to == "2"


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample corpus not present")
def test_sample_paper_ibids_and_repeated_works():
    from corpus import read_document

    doc = read_document(SAMPLE)
    ibids = {n.number: n.refers_to for n in doc.footnotes if n.kind == "ibid"}
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
    keys = {doc.footnote(n).references[0].work_key for n in ("4", "9", "14", "17")}
    assert len(keys) == 1
    assert doc.footnote("6").references[0].work_key == doc.footnote("8").references[0].work_key
    assert doc.footnote("7").references == [] and doc.footnote("19").references == []


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample corpus not present")
def test_gold_figures_meet_the_quality_bar():
    spec = importlib.util.spec_from_file_location("bench_citations", ROOT / "bench" / "citations.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from corpus import read_document

    gold = json.loads((ROOT / "bench" / "gold" / "003_footnotes.json").read_text())["notes"]
    figures = bench.score(read_document(SAMPLE), gold, None)
    assert figures["footnotes_found"] == 109 and figures["numbers_right"] == 109
    assert figures["ibid_right"] == 10
    assert figures["year_pct"] >= 95 and figures["urls_pct"] >= 95
    assert figures["authors_pct"] >= 90 and figures["title_pct"] >= 90
