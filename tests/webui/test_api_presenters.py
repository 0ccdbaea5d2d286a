"""Presenters: citing sentences, footnote ranges, entity-type filters (on real Document objects)."""

from __future__ import annotations

import pytest

from corpus.builder import Block, DocumentBuilder
from corpus.models import Footnote
from webui.presenters import (
    LookupFailed,
    citing_sentences,
    footnote_detail,
    footnote_range,
    resolve_entity_type,
    sentence_around,
)

TEXT = "The EU funds Frontex. Officers were deployed in 2023. See e.g. the annex for details! Done."


@pytest.mark.parametrize(
    "offset, expected",
    [
        (len("The EU funds Frontex."), "The EU funds Frontex."),  # mark after the full stop
        (len("The EU funds Frontex"), "The EU funds Frontex."),  # mark before the full stop
        (len("The EU funds Frontex. Officers"), "Officers were deployed in 2023."),  # mid-sentence
        (len(TEXT) - 3, "Done."),
        (len(TEXT), "Done."),  # end of the passage
    ],
)
def test_sentence_around(offset, expected):
    assert sentence_around(TEXT, offset) == expected


def test_abbreviations_do_not_end_a_sentence():
    offset = TEXT.index("annex")
    assert sentence_around(TEXT, offset) == "See e.g. the annex for details!"


class Stored:
    def __init__(self, document):
        self.document, self.entities, self.ingested_at = document, [], "now"


def build(notes):
    builder = DocumentBuilder()
    builder.add(Block("Intro text without notes.", page=1))
    builder.add(Block(TEXT, page=2, marks=[(len("The EU funds Frontex."), "1"), (len(TEXT), "2")]))
    footnotes = [Footnote(number=n, text=f"Note {n}.") for n in notes]
    return builder.build(doc_id="d", title="D", footnotes=footnotes)


def test_citing_sentences_carry_passage_page_and_offset():
    doc = build(["1", "2"])
    found = citing_sentences(doc, "1")
    assert found == [
        {"passage": 1, "page": 2, "offset": doc.passages[1].start + 21, "sentence": "The EU funds Frontex."}
    ]


def test_footnote_range_wording():
    assert footnote_range(build(["1", "2", "3"])) == "Document 'd' has footnotes 1-3."
    assert footnote_range(build(["*"])) == "Document 'd' has footnotes *."
    assert footnote_range(build(["1", "*"])) == "Document 'd' has footnotes 1 and *."
    assert footnote_range(build([])) == "Document 'd' has no footnotes."


def test_ibid_target_and_unknown_number():
    doc = build(["1", "2"])
    doc.footnotes[1].kind, doc.footnotes[1].refers_to = "ibid", "1"
    detail = footnote_detail(Stored(doc), 2)
    assert detail["ibid_target"]["number"] == "1" and detail["citing"][0]["sentence"] == "Done."
    with pytest.raises(LookupFailed) as caught:
        footnote_detail(Stored(doc), "7")
    assert caught.value.status == 404 and "1-2" in caught.value.message


def test_entity_type_aliases():
    assert resolve_entity_type("place") == ("GPE", "LOC")
    assert resolve_entity_type("org") == ("ORG",)
    assert resolve_entity_type("norp") == ("NORP",)
    assert resolve_entity_type("") is None
    with pytest.raises(LookupFailed):
        resolve_entity_type("planet")


def test_superscript_digits_are_an_unknown_note_not_a_crash():
    doc = build(["1", "2"])
    with pytest.raises(LookupFailed) as failed:
        footnote_detail(Stored(doc), "²")
    assert failed.value.status == 404 and "has footnotes 1-2" in failed.value.message
    assert footnote_detail(Stored(doc), "002")["number"] == "2"
