"""The tantivy build's shortcuts make exactly the terms the Whoosh analyzers make."""

from __future__ import annotations

import re

from indexer.backend.tantivy_backend import FAST_WORDS, KEYWORDS, SCHEMA, WHOOSH_WORDS, Analysis
from indexer.writer import passage_records

TRICKY = [
    "a..b",
    "a.b.c",
    ".ab",
    "ab.",
    "...",
    "x*.y",
    "*.*",
    "é.ü",
    "U.S.A. and",
    "a . b",
    "3.14,2",
    "a_b.c_d",
    "\u00a0x\u2009y",
    "a.\nb",
    "ß.ẞ",
    "١٢.٣",
    "e.g., i.e. etc.",
    "a.*b",
    "",
]


def test_the_word_pattern_finds_the_words_whooshs_tokenizer_finds(sample_docs):
    assert SCHEMA["text"].analyzer.items[0].expression.pattern == WHOOSH_WORDS
    tokenizer = SCHEMA["text"].analyzer.items[0]
    fast = re.compile(FAST_WORDS)
    texts = TRICKY + [d.text for d in sample_docs] + [n.text for d in sample_docs for n in d.footnotes]
    for text in texts:
        assert fast.findall(text) == [t.text for t in tokenizer(text)], text


def test_keyword_terms_are_the_whoosh_fields_terms(sample_docs, sample_entities):
    analysis = Analysis()
    records = [r for d, e in zip(sample_docs, sample_entities, strict=True) for r in passage_records(d, e)]
    odd = {"cites": " A ,b,, c ", "fn": "1  2\t3", "entity": "EU\n\nBiH\n", "entity_types": "gpe\norg", "pid": "x y"}
    for record in [*records, odd, odd]:  # the odd one twice: the second answer is remembered
        for name in KEYWORDS:
            value = record.get(name)
            want = (
                ()
                if value in (None, "")
                else tuple(t for t in SCHEMA[name].process_text(str(value), mode="index") if t)
            )
            assert analysis.keywords(name, value) == want, (name, value)
    assert any(r["entity"].count("\n") for r in records)  # several values in one field were read


def test_titles_and_notes_are_analysed_as_texts(sample_docs):
    analysis = Analysis()
    analyzer = SCHEMA["text"].analyzer
    for doc in sample_docs * 2:
        assert analysis.title(doc.title) == " ".join(t.text for t in analyzer(doc.title, mode="index"))
        for note in doc.footnotes:
            assert analysis.joined(note.text, plain=False) == (
                " ".join(t.text for t in analyzer(note.text, mode="index")),
                "",
            )
