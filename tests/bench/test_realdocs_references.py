"""The references figure of bench/realdocs.py: the hand-checked gold and how a parsed reference is scored."""

from __future__ import annotations

from bench.realdocs import REFERENCES, load_references, parse_alone, reference_right, score_references
from bench.realdocs_gold import words
from corpus.models import Document, Footnote, Reference


def test_the_gold_is_big_varied_and_read_from_its_note_texts():
    gold = load_references(REFERENCES)
    entries = [e for rows in gold.values() for e in rows]
    assert len(entries) >= 60 and len(gold) >= 15
    assert len({e["style"].split(":")[0] for e in entries}) >= 10
    for e in entries:  # the surname and the title's first words stand in the note (no entry given by position)
        text = " ".join(words(e["text"], digits=False))
        if e["author"]:
            assert " ".join(words(e["author"], digits=False)) in text, e
        assert " ".join(words(e["title"], digits=False)[:2]) in text, e
        assert e["year"] in e["text"], e


def test_a_reference_is_right_only_with_year_first_author_and_title():
    gold = {"year": "2010", "author": "Galindo Vácha", "title": "Derecho europeo de sociedades", "text": ""}
    ok = Reference(raw="", authors=["Galindo Vacha, Juan Carlos"], year="2010", title="Derecho europeo de sociedades")
    assert reference_right(ok, gold)
    assert not reference_right(Reference(raw="", authors=ok.authors, year="2011", title=ok.title), gold)
    assert not reference_right(Reference(raw="", authors=["Vacha, J."], year="2010", title=ok.title), gold)
    assert not reference_right(Reference(raw="", authors=ok.authors, year="2010", title="Bogotá"), gold)
    assert not reference_right(None, gold)
    unsigned = {"year": "1976", "author": None, "title": "The Black Family", "text": ""}
    assert reference_right(Reference(raw="", year="1976", title="The Black Family"), unsigned)
    assert not reference_right(Reference(raw="", authors=["Gutman"], year="1976", title="The Black Family"), unsigned)


def test_scoring_takes_the_note_of_that_number_whose_text_is_the_golds():
    text = "Jane Roe, Borders and Walls (Oxford: Oxford University Press, 2015), 12."
    entry = {"note": "3", "text": text, "year": "2015", "author": "Roe", "title": "Borders and Walls"}
    notes = [Footnote(number="3", text="Some other note numbered 3 in an appendix."), Footnote(number="3", text=text)]
    for note in notes:
        note.references = [parse_alone(note.text)] if parse_alone(note.text) else []
    doc = Document(doc_id="d", title="", text="", passages=[], footnotes=notes)
    figures = score_references(doc, [entry])
    assert (figures["refs_right"], figures["refs_alone"], figures["refs_gold"]) == (1, 1, 1)
    assert score_references(None, [entry])["refs_right"] == 0
