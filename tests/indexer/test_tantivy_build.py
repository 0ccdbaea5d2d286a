"""The tantivy build's shortcuts make exactly the terms the Whoosh analyzers make."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from corpus.models import Document, Footnote, Passage, Reference
from indexer.backend.tantivy_backend import (
    FAST_WORDS,
    KEYWORDS,
    OTHER_TYPE,
    POSITIONAL,
    SCHEMA,
    STORED,
    TYPE_BITS,
    WHOOSH_WORDS,
    Analysis,
    passage_documents,
)
from indexer.ner import Entity
from indexer.writer import ENTITY_VALUE_FIELDS, passage_records

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


def test_no_character_str_split_cuts_at_is_part_of_a_word():
    """Analysis splits texts at whitespace before finding words: no word may hold one."""
    word = re.compile(r"[\w*.]")
    for code in range(0x110000):
        char = chr(code)
        if len(f"a{char}b".split()) == 2:
            assert not word.match(char), hex(code)


def _odd_document() -> tuple[Document, list[Entity]]:
    """A document with what the sample corpus lacks: no page, notes (one cited twice, one
    without text, two with the same number), work keys, quotes, backslashes, accents and
    control characters, entity names with a newline or a tab, an entity across passages, a label
    of no spaCy model."""
    paras = [
        'Le "Conseil" de l\'Europe\\ à Zürich, e.g. U.S.A.; x*.y\u2009z \u00a0fin.',
        "Frontex met Frontex (again) at the Évros border\x01 under Art. 3.2.",
        "",
        "The end\ttab.",
    ]
    text, passages, at = "", [], 0
    for i, para in enumerate(paras):
        if i:
            text += "\n\n"
            at += 2
        notes = [["1", "2"], ["2", "9", "3"], [], ["3"]][i]
        refs = [Reference(raw="Beznec 2016", work_key="beznec-2016")] if i == 3 else []
        passages.append(
            Passage(
                ordinal=i,
                start=at,
                end=at + len(para),
                kind="item" if i == 3 else "paragraph",
                footnotes=notes,
                references=refs,
            )
        )
        text += para
        at += len(para)
    footnotes = [
        Footnote(number="1", text='A "quoted" note, Zürich.', references=[Reference(raw="x", work_key="beznec-2016")]),
        Footnote(number="2", text="", references=[Reference(raw="y", work_key="Kasparek,2017"), Reference(raw="z")]),
        Footnote(number="2", text="A second note two, never shown."),
        Footnote(number="3", text="Third.\nLine two", references=[Reference(raw="y", work_key="beznec-2016")]),
    ]
    doc = Document(
        doc_id="odd \u00e9 doc", title='Title "quoted" \u00e9', text=text, passages=passages, footnotes=footnotes
    )
    second = passages[1].start
    entities = [
        Entity(second + 11, second + 18, "ORG", "Frontex", "Frontex"),
        Entity(0, 3, "ORG", "Le", "Conseil\nde l'Europe"),
        Entity(second, second + 7, "ORG", "Frontex", "Frontex"),
        Entity(50, second + 3, "GPE", "x", "across"),  # crosses a passage boundary: in neither
        Entity(second + 37, second + 42, "LOC", "Évros", "Évros"),
        Entity(second + 37, second + 42, "GPE", "Évros", "Évros\tRiver"),
        Entity(5, 12, "MONEY", "Conseil", "3 \u20ac"),
        Entity(second + 55, second + 61, "WIDGET", "Art. 3", "Art. 3"),  # a label without a type bit
    ]
    return doc, entities


def _whoosh_terms(name: str, value) -> list[str]:
    return [t for t in SCHEMA[name].process_text(str(value), mode="index") if t]


def _expected(record: dict, num: int, doc_num: int) -> dict:
    """The tantivy fields of a passage as the Whoosh analyzers make them of its Whoosh record
    (``doc_num``: its document's first passage number)."""
    analyzer = SCHEMA["text"].analyzer
    labels = _whoosh_terms("entity_types", record["entity_types"]) if record.get("entity_types") else []
    out = {
        "text": [" ".join(t.text for t in analyzer(record["text"], mode="index"))],
        "spell_text": [" ".join(t.text for t in analyzer(record["text"], no_morph=True))],
        "num": [num],
        "doc_num": [doc_num],
        "type_mask": [sum({TYPE_BITS.get(label, OTHER_TYPE) for label in labels})],
        "start": [record["start"]],
        "end": [record["end"]],
    }
    if record["notes_text"]:
        out["notes_text"] = [" ".join(t.text for t in analyzer(record["notes_text"], mode="index"))]
    if record["title"]:
        out["title"] = [" ".join(t.text for t in analyzer(record["title"], mode="index"))]
    for name in ("text", "notes_text", "title"):  # each two neighbouring tokens, as one
        tokens = out.get(name, [""])[0].split()
        if len(tokens) > 1:
            out[f"{name}_pairs"] = [" ".join(f"{a}+{b}" for a, b in zip(tokens, tokens[1:], strict=False))]
    for name in KEYWORDS:
        if record.get(name) not in (None, "") and _whoosh_terms(name, record[name]):
            out[name] = _whoosh_terms(name, record[name])
    if record.get("page") is not None:
        out["page"] = [record["page"]]
    return out


def test_passage_documents_hold_what_the_whoosh_records_give_the_whoosh_analyzers(sample_docs, sample_entities):
    odd = _odd_document()
    pairs = [*zip(sample_docs, sample_entities, strict=True), odd, (replace(odd[0], title=""), odd[1])]
    analysis = Analysis()
    seen = set()
    for first, (document, entities) in enumerate(pairs * 2):  # the second time from the caches
        records = passage_records(document, entities)
        docs = list(passage_documents(document, entities, 1000 * first, analysis))
        assert len(docs) == len(records) == len(document.passages)
        for i, (record, doc) in enumerate(zip(records, docs, strict=True)):
            fields = doc.to_dict()
            stored = fields.pop("stored")
            want = _expected(record, 1000 * first + i, 1000 * first)
            for name in ENTITY_VALUE_FIELDS:  # a term once per passage, in any order
                assert len(set(fields.get(name, []))) == len(fields.get(name, [])), name
                fields[name], want[name] = set(fields.get(name, [])), set(want.get(name, []))
            assert fields == want, (document.doc_id, i)
            seen.update(name for name in fields if fields[name] not in ([""], set()))
            want = {k: record[k] for k in STORED if record.get(k) is not None}
            assert stored == [json.dumps(want, ensure_ascii=False).encode("utf-8")]
    made = {*KEYWORDS, "text", "spell_text", "notes_text", "title", "page", *(f"{n}_pairs" for n in POSITIONAL)}
    assert seen >= made  # every field was made
