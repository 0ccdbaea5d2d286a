"""The works index and its BibTeX / CSL-JSON export."""

from __future__ import annotations

from corpus.builder import Block, DocumentBuilder
from corpus.models import Footnote
from corpus.references import annotate_footnotes
from corpus.works import Work, bibtex_escape, build_works, to_bibtex, to_csl_json

CSL_TYPES = {
    "article",
    "article-journal",
    "article-magazine",
    "article-newspaper",
    "bill",
    "book",
    "broadcast",
    "chapter",
    "dataset",
    "document",
    "entry",
    "figure",
    "graphic",
    "interview",
    "legal_case",
    "legislation",
    "manuscript",
    "map",
    "motion_picture",
    "pamphlet",
    "paper-conference",
    "patent",
    "personal_communication",
    "post",
    "post-weblog",
    "report",
    "review",
    "software",
    "song",
    "speech",
    "standard",
    "thesis",
    "treaty",
    "webpage",
}

BEZNEC = (
    "Beznec, B., Speer, M., Stojić Mitrović, M. (2016). Governing the Balkan Route: Macedonia, "
    "Serbia and the European Border Regime. Belgrade: Rosa Luxemburg Stiftung Southeast Europe."
)
ACHIUME = (
    "Achiume, E. T. (2021). Digital racial borders. AJIL Unbound, 115, 333–338. https://doi.org/10.1017/aju.2021.52."
)
STATEWATCH = (
    "Statewatch, EuroMed Rights. (2023). Europe's techno borders, "
    "https://www.statewatch.org/media/3964/europe-techno-borders-sw-emr-7-23.pdf."
)


def document(doc_id: str, *texts: str):
    builder = DocumentBuilder()
    builder.add(Block("Body text."))
    notes = [Footnote(number=str(i), text=t) for i, t in enumerate(texts, 1)]
    annotate_footnotes(notes)
    return builder.build(doc_id=doc_id, title=doc_id, footnotes=notes)


def test_build_works_groups_citations_across_documents():
    works = build_works([document("a", BEZNEC, "Ibid.", ACHIUME), document("b", STATEWATCH, BEZNEC)])
    by_title = {w.title: w for w in works}
    beznec = by_title["Governing the Balkan Route: Macedonia, Serbia and the European Border Regime"]
    assert beznec.citations == [("a", "1"), ("a", "2"), ("b", "2")]
    assert beznec.year == "2016" and beznec.authors[0] == "Beznec, B."
    assert len(works) == 3
    assert [w.key for w in works] == sorted(w.key for w in works)


def test_csl_json_items_are_valid():
    items = to_csl_json(build_works([document("a", BEZNEC, ACHIUME, STATEWATCH)]))
    assert len(items) == 3
    for item in items:
        assert isinstance(item["id"], str) and item["type"] in CSL_TYPES
        for name in item.get("author", []):
            assert set(name) in ({"family", "given"}, {"literal"})
        assert all(isinstance(p, int) for p in item["issued"]["date-parts"][0])
    achiume = next(i for i in items if i["title"] == "Digital racial borders")
    assert achiume["type"] == "article-journal"
    assert achiume["container-title"] == "AJIL Unbound"
    assert achiume["author"] == [{"family": "Achiume", "given": "E.T."}]
    assert achiume["URL"] == "https://doi.org/10.1017/aju.2021.52"
    statewatch = next(i for i in items if i["title"] == "Europe's techno borders")
    assert statewatch["author"] == [{"literal": "Statewatch"}, {"literal": "EuroMed Rights"}]


def test_bibtex_escapes_special_characters():
    assert bibtex_escape("R&D 100% $5 #1 a_b {x} ~ ^ \\") == (
        r"R\&D 100\% \$5 \#1 a\_b \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    work = Work(
        key="x-2020-profits",
        authors=["Smith & Sons", "Doe, J."],
        year="2020",
        title="Profits & Losses: 50% of {all}",
        container="Journal of R&D",
        urls=["https://example.org/a_b?c=1&d=%20"],
        type="article-journal",
    )
    text = to_bibtex([work])
    assert text.startswith("@article{x-2020-profits,")
    assert r"title = {{Profits \& Losses: 50\% of \{all\}}}" in text
    assert r"author = {{Smith \& Sons} and Doe, J.}" in text
    assert r"journal = {Journal of R\&D}" in text
    assert "url = {https://example.org/a_b?c=1&d=%20}" in text
    assert text.count("{") == text.count("}") + text.count(r"\}") - text.count(r"\{")


def test_bibtex_keys_are_unique():
    works = [Work(key="same", title="A"), Work(key="same", title="B")]
    text = to_bibtex(works)
    assert "@misc{same," in text and "@misc{same-2," in text
