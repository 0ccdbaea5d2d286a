"""The text analyser: accent folding and stemming; the entity fields canonicalise."""

from __future__ import annotations

from indexer.schema import make_schema, text_analyzer


def _terms(text):
    return [t.text for t in text_analyzer()(text)]


def test_accent_folding():
    assert _terms("Türkiye") == _terms("Turkiye")
    assert _terms("Župarić") == _terms("Zuparic")


def test_stemming_and_stopwords():
    assert _terms("migrants") == _terms("migrant")
    assert _terms("the borders") == _terms("border")


def test_entity_fields_canonicalise_values():
    schema = make_schema()
    place = schema["place"]
    assert list(place.process_text("BiH", mode="query")) == list(
        place.process_text("Bosnia and Herzegovina", mode="query")
    )
    assert list(schema["org"].process_text("the EU", mode="query")) == ["european union"]
