"""The Markdown reader on small inline inputs."""

from __future__ import annotations

from corpus.markdown import looks_like_markdown, parse_markdown, render_inline


def _texts(parsed):
    return [(b.kind, b.level, b.text) for b in parsed.blocks]


def test_render_inline_strips_markup():
    assert render_inline("***Bold italic*** and **bold** and *em* and _under_ and `code`") == (
        "Bold italic and bold and em and under and code"
    )
    assert (
        render_inline("snake\\_case and a \\* star and Risk\\\\_Analysis")
        == "snake_case and a * star and Risk_Analysis"
    )
    assert render_inline("see [the plan](https://ec.europa.eu/plan) now") == "see the plan now"
    assert render_inline("see [the plan](https://ec.europa.eu/plan)", keep_urls=True) == (
        "see the plan (https://ec.europa.eu/plan)"
    )
    assert render_inline("[https://x.org/a\\_b](https://x.org/a_b)", keep_urls=True) == "https://x.org/a_b"
    assert render_inline("at <https://bit.ly/3orMV7R>.") == "at https://bit.ly/3orMV7R."
    assert render_inline("Tom &amp; Jerry<br>next &lt;b&gt;") == "Tom & Jerry next <b>"
    assert render_inline("snake_case_name stays") == "snake_case_name stays"


def test_headings_lists_and_rules():
    parsed = parse_markdown(
        "# Main title\n\nIntro paragraph with **bold** text.\n\n## Section *one*\n\n"
        "- first item\n- second item\n  continued here\n\n***\n\nClosing words.\n"
    )
    assert _texts(parsed) == [
        ("heading", 1, "Main title"),
        ("paragraph", 0, "Intro paragraph with bold text."),
        ("heading", 2, "Section one"),
        ("item", 0, "first item"),
        ("item", 0, "second item continued here"),
        ("paragraph", 0, "Closing words."),
    ]
    assert parsed.title == "Main title"
    assert parsed.pages is None


def test_setext_heading_and_table():
    parsed = parse_markdown("Title here\n==========\n\n| a | b |\n|---|---|\n| 1 | **2** |\n")
    assert _texts(parsed) == [("heading", 1, "Title here"), ("paragraph", 0, "a | b\n1 | 2")]


def test_footnotes_after_rule_and_cut_paragraph_joined():
    source = (
        "Intro text that is long enough to be a paragraph.\n\n"
        "Serbia adopted<sup>1</sup> a similar\n\n---\n\n"
        "<sup>1</sup> Weber, B. (2017). *The EU-Turkey deal*. <https://bit.ly/x>.\n\n"
        "<sup>2</sup> Second note, about [a report](https://example.org/r).\n\n"
        "security policy in 2016<sup>2</sup>.\n\n"
        "Next paragraph starts here.\n"
    )
    parsed = parse_markdown(source)
    texts = [b.text for b in parsed.blocks]
    assert texts == [
        "Intro text that is long enough to be a paragraph.",
        "Serbia adopted a similar security policy in 2016.",
        "Next paragraph starts here.",
    ]
    joined = parsed.blocks[1]
    assert joined.marks == [
        (len("Serbia adopted"), "1"),
        (len("Serbia adopted a similar security policy in 2016"), "2"),
    ]
    assert joined.page == 1 and parsed.blocks[2].page == 2
    assert [(n.number, n.text, n.page) for n in parsed.footnotes] == [
        ("1", "Weber, B. (2017). The EU-Turkey deal. https://bit.ly/x.", 1),
        ("2", "Second note, about a report (https://example.org/r).", 1),
    ]
    assert parsed.pages == 2


def test_finished_sentence_is_not_joined_across_notes():
    source = "First paragraph ends here.\n\n---\n\n<sup>1</sup> A note.\n\nSecond paragraph.\n"
    assert [b.text for b in parse_markdown(source).blocks] == ["First paragraph ends here.", "Second paragraph."]


def test_definition_style_footnotes():
    parsed = parse_markdown("Text with a note[^1] inside.\n\n[^1]: The note body.\n")
    assert [b.text for b in parsed.blocks] == ["Text with a note inside."]
    assert parsed.blocks[0].marks == [(16, "1")]
    assert parsed.footnotes[0].text == "The note body." and parsed.footnotes[0].page is None


def test_toc_dropped_and_kept_in_metadata():
    parsed = parse_markdown("## Contents\n\nIntro.....\t2\nEnd .....\t9\n\n## Intro\n\nBody text.\n")
    assert _texts(parsed) == [("heading", 2, "Intro"), ("paragraph", 0, "Body text.")]
    assert parsed.metadata["toc"] == [{"title": "Intro", "page": 2}, {"title": "End", "page": 9}]


def test_emphasised_title_block_and_author():
    parsed = parse_markdown(
        "Series n. 1/ January 2025\n\n***A title over  \ntwo lines***\n\n***Jane Doe***\n\n## Intro\n\nBody.\n"
    )
    assert parsed.title == "A title over two lines"
    assert parsed.metadata["author"] == "Jane Doe" and parsed.metadata["date"] == "January 2025"
    assert ("heading", 1, "A title over two lines") in _texts(parsed)


def test_markdown_detection():
    assert looks_like_markdown("## Heading\n\nText with **bold**.")
    assert looks_like_markdown("Text<sup>1</sup> here\n\n---\n\n<sup>1</sup> note")
    assert not looks_like_markdown("Plain text.\n\nAnother paragraph, with Kosovo*.\n\n***\n\n* This designation")
    assert not looks_like_markdown("Just words, 2 * 3 = 6.")


def test_front_matter_and_link_definitions():
    parsed = parse_markdown(
        '---\ntitle: "Border report 2024"\nauthor: Jane Doe\ndate: 2024-11-19\n---\n\n'
        "Intro paragraph with a [reference link][ec].\n\n[ec]: https://ec.europa.eu\n"
    )
    assert parsed.title == "Border report 2024"
    assert parsed.metadata["author"] == "Jane Doe" and parsed.metadata["date"] == "2024-11-19"
    assert [b.text for b in parsed.blocks] == ["Intro paragraph with a reference link."]


def test_rule_at_top_is_not_front_matter():
    parsed = parse_markdown("---\n\nJust text after a rule.\n")
    assert [b.text for b in parsed.blocks] == ["Just text after a rule."]


def test_link_with_parentheses_and_pathological_input_is_fast():
    import time

    assert render_inline("[Foo](https://en.wikipedia.org/wiki/Foo_(bar)) here") == "Foo here"
    assert render_inline("[Foo](https://en.wikipedia.org/wiki/Foo_(bar))", keep_urls=True) == (
        "Foo (https://en.wikipedia.org/wiki/Foo_(bar))"
    )
    start = time.perf_counter()
    for junk in ("[a](" * 20000, "word *a " * 10000, "[" * 50000, "a <b " * 20000):
        parse_markdown("# T\n\n" + junk)
    assert time.perf_counter() - start < 10
