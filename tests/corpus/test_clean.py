"""Cleaning rules shared by the readers."""

from __future__ import annotations

from corpus import clean


def test_normalize_text_unifies_newlines_and_spaces():
    assert clean.normalize_text("a\r\nb\rc\u00a0d\u200be\x07f") == "a\nb\nc de" + "f"


def test_join_lines_reflows_and_dehyphenates():
    assert (
        clean.join_lines(["The manage-", "ment of borders ", "  is shared."]) == "The management of borders is shared."
    )
    assert clean.join_lines(["under the EU-", "Turkey statement"]) == "under the EU-Turkey statement"
    assert clean.join_lines(["a --", "b"]) == "a -- b"


def test_sentence_end_detection():
    assert clean.ends_sentence("It ended.”")
    assert clean.ends_sentence("Really?")
    assert not clean.ends_sentence("adopted a similar")
    assert not clean.ends_sentence("guaranteed:")
    assert clean.ends_softly("guaranteed:")
    assert clean.starts_lower("*it reduced")
    assert not clean.starts_lower("“It reduced")


def test_page_numbers_and_toc_lines():
    for line in ("12", " - 3 - ", "Page 4 of 20", "p. 7"):
        assert clean.is_page_number(line), line
    for line in ("12 000 people", "Page", "2022 was a year"):
        assert not clean.is_page_number(line), line
    assert clean.is_toc_line("Introduction.....\t2")
    assert clean.is_toc_line("Conclusion .....\t21")
    assert clean.is_toc_line("1. Background ............ 14")
    assert not clean.is_toc_line("In 2022 there were 130 000 crossings in 12")
    assert clean.is_toc_heading("## Sommario".strip("# "))
    assert clean.is_toc_heading("Table of Contents")
    assert clean.toc_entry("The Balkan Route in brief.....\t3") == {"title": "The Balkan Route in brief", "page": 3}


def test_rules():
    assert clean.is_rule("***") and clean.is_rule("---") and clean.is_rule("* * *")
    assert not clean.is_rule("- item") and not clean.is_rule("**bold**")


def test_boilerplate_lines():
    for line in (
        "Leave a reply",
        "Shopping cart",
        "Compare items",
        "Share on Facebook",
        "Subscribe to our newsletter",
        "We will be happy to hear your thoughts",
        "  • Total (0)",
        "0",
    ):
        assert clean.is_boilerplate_line(line), line
    for line in (
        "Frontex Deployment Reaches 500 Officers",
        "The Commission will share the report with Member "
        "States next week, after the newsletter of the agency was published and read by many.",
    ):
        assert not clean.is_boilerplate_line(line), line


def test_trailing_boilerplate_needs_an_article_and_a_known_phrase():
    article = ["A long paragraph of real content. " * 10, "Another real paragraph with a conclusion."]
    widgets = ["Leave a reply", "Best Deals for all new\nLogo\nCompare items\n  • Total (0)\n0\nShopping cart"]
    assert clean.strip_trailing_boilerplate(article + widgets) == article
    # a document that merely ends with a short heading-like line keeps it
    assert clean.strip_trailing_boilerplate(article + ["Annex I"]) == article + ["Annex I"]
    # no article before the widgets: keep everything rather than empty the document
    assert clean.strip_trailing_boilerplate(["Leave a reply", "Compare"]) == ["Leave a reply", "Compare"]


def test_captions():
    assert clean.is_caption("A flag is paraded in Pristina © Armend Nimani/AFP/Getty Images")
    assert clean.is_caption("Photo: Frontex officers at the border")
    assert not clean.is_caption("Frontex officers were deployed at the border in 2023.")


def test_titles_and_slugs():
    assert clean.short_title("Short one. Then more.") == "Short one"
    long = "word " * 40
    assert clean.short_title(long).endswith("…") and len(clean.short_title(long)) <= 101
    assert clean.slug("Ćevapi & Šljivovica 2024", other="") == "cevapi-sljivovica-2024"
    assert clean.find_date("Brussels, 19 November 2024 (OR. en)") == "19 November 2024"


def test_headings_with_widget_words_are_not_boilerplate():
    for line in ("Cookie consent under the GDPR and its enforcement", "Register of border incidents in Serbia"):
        assert not clean.is_boilerplate_line(line), line
