"""The HTML reader: main content only, scripts never, literal markup kept as text."""

from __future__ import annotations

from pathlib import Path

from corpus import read_document
from corpus.html import parse_html

FIXTURE = Path(__file__).parent / "fixtures" / "article.html"


def test_fixture_main_content_only():
    doc = read_document(FIXTURE)
    assert doc.format == "html"
    assert doc.title == "Frontex officials to be deployed in the Western Balkans"
    texts = [doc.passage_text(p) for p in doc.passages]
    kinds = [(p.kind, p.level) for p in doc.passages]
    assert kinds[0] == ("heading", 1) and ("heading", 2) in kinds
    assert "Visa alignment" in texts
    assert any(t.startswith("Ylva Johansson, the home affairs commissioner") for t in texts)
    assert [t for t, p in zip(texts, doc.passages, strict=False) if p.kind == "item"] == [
        "Frontex joint operations will be reinforced along the whole route.",
        "Readmission cooperation with countries of origin will be stepped up.",
    ]
    for junk in (
        "SCRIPT-SECRET-PAYLOAD",
        "INLINE-SCRIPT-IN-ARTICLE",
        "COMMENT-TEXT",
        "Leave a reply",
        "Subscribe",
        "World news",
        "All rights reserved",
        "Ten things",
        "font-family",
        "↩",
    ):
        assert junk not in doc.text, junk
    assert "a literal <script> tag printed in an article is ordinary text" in doc.text


def test_fixture_footnote_mark_and_body():
    doc = read_document(FIXTURE)
    assert [(n.number, n.text) for n in doc.footnotes] == [
        ("1", "European Commission, EU Action Plan on the Western Balkans, 5 December 2022.")
    ]
    (mark,) = doc.marks
    assert doc.text[mark.offset - len("outside the bloc.") : mark.offset] == "outside the bloc."
    assert doc.passages[mark.passage].footnotes == ["1"]
    assert "European Commission, EU Action Plan" not in doc.text


def test_tiny_page_and_title_from_title_tag():
    parsed = parse_html(
        "<html><head><title>Tiny page</title><script>alert('x')</script></head>"
        "<body><div>Only a line of text &amp; more.</div></body></html>"
    )
    assert parsed.title == "Tiny page"
    assert [b.text for b in parsed.blocks] == ["Only a line of text & more."]


def test_lxml_fallback_structure(monkeypatch):
    import corpus.html as module

    monkeypatch.setattr(module, "_from_trafilatura", lambda markup: [])
    parsed = parse_html(
        "<html><body><nav><p>Menu entry</p></nav><h2>Section</h2><p>First <b>para</b>.</p>"
        "<ul><li>One</li><li>Two</li></ul><div class='comments'><p>Nice post</p></div>"
        "<script>var s = 'SCRIPT';</script></body></html>"
    )
    assert [(b.kind, b.level, b.text) for b in parsed.blocks] == [
        ("heading", 2, "Section"),
        ("paragraph", 0, "First para."),
        ("item", 0, "One"),
        ("item", 0, "Two"),
    ]


def test_script_only_page_is_rejected(tmp_path):
    import pytest

    from corpus import ReadError

    path = tmp_path / "empty.html"
    path.write_text("<html><head><script>var a = 'only script';</script></head><body></body></html>")
    with pytest.raises(ReadError, match="no text"):
        read_document(path)


def test_declared_charset_and_xml_declaration(tmp_path):
    page = (
        '<?xml version="1.0" encoding="iso-8859-2"?>\n<html><head><meta charset="iso-8859-2">'
        "<title>Šabac</title></head><body><h1>Granica u Šapcu</h1>"
        "<p>Migranti su stigli u Šabac i Zaječar, gdje su ih dočekali volonteri.</p></body></html>"
    )
    path = tmp_path / "latin2.html"
    path.write_bytes(page.encode("iso-8859-2"))
    doc = read_document(path)
    assert doc.title == "Granica u Šapcu"
    assert "Migranti su stigli u Šabac i Zaječar" in doc.text


def test_title_tag_without_site_suffix():
    parsed = parse_html(
        "<html><head><title>Frontex report published | Example News</title></head>"
        "<body><p>The agency published its annual report on Monday in Warsaw.</p></body></html>"
    )
    assert parsed.title == "Frontex report published"


def test_footnote_list_without_ids_is_read_once():
    page = (
        "<html><body><article><h1>Report on the route</h1>"
        "<p>Arrivals rose sharply in 2022 across the whole Western Balkan route.<sup>1</sup> "
        "Returns stayed low in every partner country of the region.<sup>2</sup></p>"
        "<div class='footnotes'><ol class='footnotes-list'><li>Frontex, Risk Analysis 2023.</li>"
        "<li>IOM, Annual Report 2023.</li></ol></div></article></body></html>"
    )
    parsed = parse_html(page)
    assert [(n.number, n.text) for n in parsed.footnotes] == [
        ("1", "Frontex, Risk Analysis 2023."),
        ("2", "IOM, Annual Report 2023."),
    ]
    assert [n for _, n in parsed.blocks[1].marks] == ["1", "2"]
    assert all("Risk Analysis" not in b.text for b in parsed.blocks)


def test_word_style_footnotes():
    page = (
        "<html><body><h1>Note from the Presidency</h1>"
        "<p>The Council discussed the Western Balkans route at length in November."
        "<a href='#_ftn1' name='_ftnref1'><sup>[1]</sup></a> Ministers agreed on next steps.</p>"
        "<div id='ftn1'><p><a href='#_ftnref1' name='_ftn1'>[1]</a> Council document 14871/24.</p></div>"
        "</body></html>"
    )
    parsed = parse_html(page)
    assert [(n.number, n.text) for n in parsed.footnotes] == [("1", "Council document 14871/24.")]
    body = next(b for b in parsed.blocks if b.kind == "paragraph")
    assert body.text == (
        "The Council discussed the Western Balkans route at length in November. Ministers agreed on next steps."
    )
    assert body.marks == [(len("The Council discussed the Western Balkans route at length in November."), "1")]


WIKI = Path(__file__).parent / "fixtures" / "wikipedia-mozilla-excerpt.html"
PAGES = Path(__file__).resolve().parents[1] / "data" / "html"


def _f1(pred: str, gold: str) -> float:
    import collections
    import re

    p = collections.Counter(re.findall(r"\w+", pred.lower()))
    g = collections.Counter(re.findall(r"\w+", gold.lower()))
    common = sum((p & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def test_wikipedia_reference_list_becomes_notes_with_their_marks():
    doc = read_document(WIKI)
    assert [n.number for n in doc.footnotes] == ["1", "2", "3", "4"]
    assert doc.footnote("1").text == 'For exceptions, see "Values" section below'
    assert doc.footnote("2").text == '"About the Mozilla Corporation". Mozilla Foundation.'
    assert doc.footnote("4").text.startswith('"The Hypocrisy Of Sam Yagan & OkCupid". uncrunched.com blog.')
    assert all(not n.text.startswith(("^", "a b")) for n in doc.footnotes)
    (ref,) = doc.footnote("3").references
    assert (ref.authors, ref.year, ref.title) == (
        ["Payment, S."],
        "2007",
        "Marc Andreessen and Jim Clark: The Founders of Netscape",
    )
    assert [m.number for m in doc.marks] == ["1", "2"]
    one, two = doc.marks
    assert doc.text[one.offset - len("with only minor exceptions.") : one.offset] == "with only minor exceptions."
    assert doc.text[two.offset - len("the Mozilla Corporation.") : two.offset] == "the Mozilla Corporation."
    assert doc.passages[one.passage].footnotes == ["1", "2"]
    for junk in ("[1]", "[2]", "^ a b", "[edit]", "For exceptions, see", "Retrieved 2014-07-01", "References"):
        assert junk not in doc.text, junk
    assert "MozCamps" in [doc.passage_text(p) for p in doc.passages if p.kind == "heading"]


def test_named_and_lettered_mediawiki_notes_take_the_label_of_their_mark():
    page = (
        "<html><body><h1>Aviation</h1><p>The route opened in 1919.<sup class='reference'>"
        "<a href='#cite_note-times-3'>[3]</a></sup> It closed again in 1921.<sup class='reference'>"
        "<a href='#cite_note-a'>[a]</a></sup> Traffic later recovered on the whole network.</p>"
        "<h2>Notes</h2><div class='reflist'><ol class='references'><li id='cite_note-a'>"
        "<span class='mw-cite-backlink'><a href='#cite_ref-a'>^</a></span> "
        "<span class='reference-text'>Owing to the strike.</span></li></ol></div>"
        "<h2>References</h2><div class='reflist'><ol class='references'><li id='cite_note-1'>x</li>"
        "<li id='cite_note-2'>y</li><li id='cite_note-times-3'><span class='mw-cite-backlink'>^ "
        "<a href='#cite_ref-times_3-0'><sup><i><b>a</b></i></sup></a> <a href='#cite_ref-times_3-1'>"
        "<sup><i><b>b</b></i></sup></a></span> <span class='reference-text'>The Times, 2 May 1919.</span>"
        "</li></ol></div></body></html>"
    )
    parsed = parse_html(page)
    notes = {n.number: n.text for n in parsed.footnotes}
    assert notes["3"] == "The Times, 2 May 1919." and notes["a"] == "Owing to the strike."
    body = next(b for b in parsed.blocks if b.text.startswith("The route"))
    assert [n for _, n in body.marks] == ["3", "a"]
    assert "[3]" not in body.text and "[a]" not in body.text
    assert all(b.text not in ("Notes", "References") for b in parsed.blocks)


def test_table_cells_and_list_items_keep_separators():
    page = (
        "<html><body><article><h1>Standings after the race</h1>"
        "<p>Kyle Busch leads the championship after a strong run at the oval this weekend.</p>"
        "<table><tr><th>Pos</th><th>Driver</th><th>Points</th><th>Wins</th></tr>"
        "<tr><td>1</td><td>Kyle Busch</td><td>5040</td><td>5</td></tr>"
        "<tr><td>2</td><td>Martin Truex Jr.</td><td>5034</td><td>7</td></tr></table>"
        "<ul><li>Last race: Phoenix<br>Next race: Homestead</li><li>Laps led: 1172</li></ul>"
        "</article></body></html>"
    )
    texts = [b.text for b in parse_html(page).blocks]
    assert "1 | Kyle Busch | 5040 | 5" in texts
    assert "1Kyle Busch50405" not in " ".join(texts)
    assert any("Last race: Phoenix Next race: Homestead" in t for t in texts)
    infobox = [read_document(WIKI).passage_text(p) for p in read_document(WIKI).passages]
    assert "Founder | Netscape Communications Corporation" in infobox


def test_lxml_fallback_keeps_cells_apart(monkeypatch):
    import corpus.html as module

    monkeypatch.setattr(module, "_from_trafilatura", lambda markup: [])
    parsed = parse_html("<html><body><table><tr><td>1</td><td>Kyle Busch</td><td>5040</td></tr></table></body></html>")
    assert [b.text for b in parsed.blocks] == ["1 | Kyle Busch | 5040"]


def test_text_trafilatura_leaves_after_headings_is_kept():
    page = (
        "<html><body><article><h1>Deals of the day</h1><h2>Controller in Crystal for $39.99</h2>"
        "The price of one of the controllers has prematurely dropped to Black Friday levels."
        "<h2>Switch Lite with Pokemon Sword</h2>Save $31 if you get a turquoise Switch Lite with a case."
        "<h2>Laptop</h2><p>This is an outstanding price for a laptop with this graphics card.</p>"
        "</article></body></html>"
    )
    blocks = [(b.kind, b.text) for b in parse_html(page).blocks]
    assert (
        "paragraph",
        "The price of one of the controllers has prematurely dropped to Black Friday levels.",
    ) in blocks
    assert ("paragraph", "Save $31 if you get a turquoise Switch Lite with a case.") in blocks
    kinds = [k for k, _ in blocks]
    assert kinds.index("paragraph") == 2  # right after its heading, in reading order


def test_real_pages_article_text_at_least_as_good_as_trafilatura():
    import trafilatura

    from corpus.reader import decode_text

    for page in sorted(PAGES.glob("sh-*.html")):
        gold = page.with_name(page.stem + ".gold.txt").read_text(encoding="utf-8")
        ours = _f1(read_document(page).text, gold)
        alone = _f1(trafilatura.extract(decode_text(page.read_bytes())) or "", gold)
        assert ours >= alone - 0.005 and ours >= 0.95, (page.name, ours, alone)
