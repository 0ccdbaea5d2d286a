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
