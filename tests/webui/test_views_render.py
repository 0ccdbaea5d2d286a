"""webui.render: safe HTML whose unskipped text maps exactly onto canonical offsets."""

from __future__ import annotations

from corpus.builder import Block, DocumentBuilder
from indexer.ner import Entity
from webui import render

from .htmlcheck import passage_texts


def _doc():
    b = DocumentBuilder()
    b.add(Block("Introduction", kind="heading", level=1))
    text = "Frontex & <script>alert(1)</script> met the European Commission in Belgrade."
    b.add(Block(text, marks=[(len("Frontex"), "1"), (len(text), "2")]))
    b.add(Block("Migration policies were discussed. Ibid. repeats it.", marks=[(34, "3")]))
    doc = b.build(doc_id="d1", title="T")
    from corpus.models import Footnote

    doc.footnotes = [
        Footnote("1", "See <b>x</b> https://example.org/a?b=1&c=2."),
        Footnote("2", "Note two"),
        Footnote("3", "Ibid."),
    ]
    return doc


def _ents(doc):
    t = doc.text
    out = []
    for word, label in (
        ("Frontex", "ORG"),
        ("European Commission", "ORG"),
        ("Belgrade", "GPE"),
        ("Commission in Belgrade", "LOC"),
    ):  # the last overlaps and must be dropped
        s = t.index(word)
        out.append(Entity(s, s + len(word), label, word, word))
    return out


def test_passage_text_maps_exactly_to_offsets():
    doc = _doc()
    html = "".join(render.render_passages(doc, _ents(doc), render.query_terms("commission migration")))
    passages = passage_texts(html)
    assert len(passages) == len(doc.passages)
    for p in doc.passages:
        got = passages[f"p-{p.ordinal}"]
        assert (got["start"], got["end"]) == (p.start, p.end)
        assert got["text"] == doc.text[p.start : p.end]


def test_markup_is_escaped_and_highlighted():
    doc = _doc()
    html = "".join(render.render_passages(doc, _ents(doc), render.query_terms("commission migration policy")))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        '<span class="ent ent-ORG" data-label="ORG" data-canonical="Frontex" title="Organisation: Frontex">Frontex</span>'
        in html
    )
    assert 'class="ent ent-LOC"' not in html  # overlapping entity dropped
    assert '<mark class="term">Commission</mark>' in html and '<mark class="term">Migration</mark>' in html
    assert '<mark class="term">policies</mark>' in html  # plural of a stem
    assert 'href="#fn-1" id="fnref-1-1"' in html and 'href="#fn-3" id="fnref-3-1"' in html
    assert 'title="See &lt;b&gt;x&lt;/b&gt;' in html
    assert html.index("fnref-1-1") > html.index(">Frontex</span>")  # the mark follows the word


def test_query_terms_skip_fields_and_operators():
    assert render.query_terms('person:"Ursula von der Leyen" AND migra* NOT doc:abc fn:42 tag:x') == [
        "ursula",
        "von",
        "der",
        "leyen",
        "migra*",
    ]
    assert render.query_terms("") == []
    assert render.query_terms('unbalanced "quote (') == ["unbalanced", "quote"]


def test_citing_sentence_is_the_one_the_mark_closes():
    text = "First sentence here. The EU funded it.7 Another one follows. Last"
    start, _end = 0, len(text)
    offset = text.index(".7") + 1
    text2 = text[:offset] + text[offset + 1 :]
    s, e = render.citing_sentence(text2, start, len(text2), offset)
    assert text2[s:e] == "The EU funded it."
    s, e = render.citing_sentence(text2, 0, len(text2), text2.index("follows"))
    assert text2[s:e] == "Another one follows."


def test_linkify_escapes_and_links():
    html = render.linkify('<img src=x onerror=alert(1)> see https://ex.org/p?a=1&b="2".')
    assert "<img" not in html and "&lt;img" in html
    assert '<a href="https://ex.org/p?a=1&amp;b=' in html


def test_note_ids_are_safe():
    assert render.note_id("42") == "42"
    assert render.note_id("*") == "star"
