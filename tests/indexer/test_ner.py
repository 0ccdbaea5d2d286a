"""Entity tagging with the real spaCy model, the gazetteer, money amounts and canonical names."""

from __future__ import annotations

from indexer.ner import Entity, EntityTagger, canonical_name
from tests.common.indexing import make_document


def _ents(tagger, text):
    return tagger.tag_texts([text])[0]


def test_gazetteer_wins_and_canonicalises(tagger):
    ents = _ents(tagger, "Frontex officers and Europol met Ylva Johansson in BiH and in Türkiye.")
    by_text = {e.text: e for e in ents}
    assert by_text["Frontex"].label == "ORG"
    assert by_text["Europol"].label == "ORG"
    assert by_text["Ylva Johansson"].label == "PERSON"
    assert by_text["BiH"].label == "GPE" and by_text["BiH"].canonical == "Bosnia and Herzegovina"
    assert by_text["Türkiye"].canonical == "Turkey"


def test_programmes_and_places_are_labelled_consistently(tagger):
    ents = _ents(tagger, "The AMIF and IPA III fund projects in the Western Balkans; Eurodac stores data.")
    labels = {e.canonical: e.label for e in ents}
    assert labels["AMIF"] == "LAW" and labels["IPA III"] == "LAW"
    assert labels["Western Balkans"] == "LOC"
    assert labels["Eurodac"] == "PRODUCT"


def test_money_amounts(tagger):
    text = "The EU gave EUR 201.7 million, then €7.7 billion, later 30 million euros and $5 million."
    money = [e.canonical for e in _ents(tagger, text) if e.label == "MONEY"]
    assert money == ["EUR 201.7 million", "EUR 7.7 billion", "EUR 30 million", "USD 5 million"]


def test_canonical_names():
    assert canonical_name("BiH", "GPE") == canonical_name("Bosnia and Herzegovina", "GPE")
    assert canonical_name("Türkiye", "GPE") == canonical_name("Turkey", "GPE") == "Turkey"
    assert canonical_name("the EU", "ORG") == canonical_name("EU", "ORG") == "European Union"
    assert canonical_name("the European Union’s", "ORG") == "European Union"
    assert canonical_name("WB6", "LOC") == "Western Balkans"
    assert canonical_name("  the  Foo   Institute's ", "ORG") == "Foo Institute"
    assert canonical_name("€7.7bn", "MONEY") == "EUR 7.7 billion"


def test_document_offsets_and_junk(tagger):
    doc = make_document("d1", ["Intro by the European Commission.", "1. Frontex deployed 20 officers to Serbia."])
    [ents] = tagger.tag([doc])
    assert ents, "entities expected"
    for e in ents:
        assert doc.text[e.start : e.end] == e.text
        assert any(c.isalnum() for c in e.text)
        assert not (e.label == "CARDINAL" and e.text.isdigit() and e.text in ("1",))
    assert {"European Commission", "Frontex", "Serbia"} <= {e.canonical for e in ents}


def test_entity_round_trip():
    e = Entity(3, 10, "ORG", "Frontex", "Frontex")
    assert Entity.from_dict(e.to_dict()) == e


def test_fallback_pipeline_when_model_missing():
    tagger = EntityTagger(model="no_such_model_xyz")
    assert tagger.fallback is True
    assert "fallback" in tagger.description and "no_such_model_xyz" in tagger.description
    ents = tagger.tag_texts(["Frontex spent EUR 30 million in Serbia."])[0]
    assert {(e.label, e.canonical) for e in ents} == {
        ("ORG", "Frontex"),
        ("MONEY", "EUR 30 million"),
        ("GPE", "Serbia"),
    }


def test_sample_corpus_tagging(sample_docs, sample_entities):
    counts = {d.doc_id: len(es) for d, es in zip(sample_docs, sample_entities, strict=False)}
    paper = next(k for k in counts if k.startswith("003"))
    assert 500 <= counts[paper] <= 2000
    all_ents = [e for es in sample_entities for e in es]
    assert any(e.canonical == "Frontex" and e.label == "ORG" for e in all_ents)
    assert any(e.canonical == "Ylva Johansson" and e.label == "PERSON" for e in all_ents)
    assert any(e.label == "MONEY" and e.canonical == "EUR 201.7 million" for e in all_ents)
    for doc, ents in zip(sample_docs, sample_entities, strict=False):
        for e in ents:
            assert doc.text[e.start : e.end] == e.text
            assert (
                e.label in ("CARDINAL", "DATE", "MONEY", "PERCENT", "ORDINAL", "TIME", "QUANTITY")
                or sum(c.isalpha() for c in e.text) >= 2
            )


def test_stream_keeps_order_and_empty_documents(tagger):
    docs = [
        make_document("a", ["Frontex in Serbia."]),
        make_document("empty", []),
        make_document("b", ["Europol in Albania.", "IOM in Kosovo."]),
    ]
    out = list(tagger.stream(iter(docs)))
    assert [d.doc_id for d, _ in out] == ["a", "empty", "b"]
    assert out[1][1] == []
    assert {e.canonical for e in out[2][1]} >= {"Europol", "Albania", "IOM", "Kosovo"}
    assert [e.text for e in out[2][1]] == [docs[2].text[e.start : e.end] for e in out[2][1]]


def test_a_qualified_name_is_not_the_bare_gazetteer_name(tagger):
    """ "Commission" alone is the European Commission; "the Preparatory Commission" is another body."""
    text = (
        "The Preparatory Commission met in Geneva and the Security Council met in New York. "
        "The Commission replied, and Commission officials wrote to the Council. "
        "Then Anna Johansson spoke; Commissioner Johansson and Mr Johansson did not."
    )
    found = [(e.text, e.canonical) for e in _ents(tagger, text)]
    canonical_of = dict(found)
    assert canonical_of.get("The Preparatory Commission", "Preparatory Commission") != "European Commission"
    assert all(c != "European Commission" for t, c in found if "Preparatory" in t)
    assert all(c != "Council of the European Union" for t, c in found if "Security" in t)
    assert canonical_of["The Commission"] == "European Commission"
    assert [c for t, c in found if t == "Commission"] == ["European Commission"]  # sentence-initial word
    assert canonical_of["Anna Johansson"] == "Anna Johansson"
    assert canonical_of["Commissioner Johansson"] == canonical_of["Johansson"] == "Ylva Johansson"


def test_the_rule_based_fallback_keeps_qualified_names_apart():
    fallback = EntityTagger(model="no-such-model")
    assert fallback.fallback
    ents = _ents(fallback, "Officials of the Preparatory Commission wrote; the Commission answered.")
    assert [(e.text, e.canonical) for e in ents] == [("the Commission", "European Commission")]
