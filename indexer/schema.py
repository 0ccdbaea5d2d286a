"""The one Whoosh schema: one record per passage."""

from __future__ import annotations

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from .gazetteer import canonical_name, fold

#: entity search fields and the labels they hold ("entity" holds every label)
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "person": ("PERSON",),
    "org": ("ORG",),
    "place": ("GPE", "LOC"),
}
#: separator of values in the multi-valued entity fields
VALUE_SEP = "\n"


class CanonicalFilter(Filter):
    """Maps each value to its folded canonical name, so aliases (BiH, the EU) meet."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(canonical_name(token.text.strip()))
            if token.text:
                yield token


def text_analyzer():
    """Words, lowercased, accents folded (Türkiye ~ Turkiye), stopwords dropped, stemmed."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter()
    )


class ValuesField(KEYWORD):
    """A multi-valued keyword field whose values are separated by newlines (they may hold commas)."""

    def __init__(self, canonicalise: bool = False, stored: bool = False):
        super().__init__(stored=stored, scorable=False)
        analyzer = RegexTokenizer(r"[^\n]+")
        self.analyzer = analyzer | CanonicalFilter() if canonicalise else analyzer


def make_schema() -> Schema:
    """Build the passage schema (see docs/ARCHITECTURE.md, indexer)."""
    return Schema(
        pid=ID(unique=True, stored=True),
        doc_id=ID(stored=True),
        title=TEXT(stored=True, analyzer=text_analyzer()),
        ordinal=NUMERIC(stored=True, sortable=True),
        start=NUMERIC(stored=True),
        end=NUMERIC(stored=True),
        page=NUMERIC(stored=True),
        kind=ID(stored=True),
        text=TEXT(stored=True, analyzer=text_analyzer(), spelling=True),
        #: texts of the footnotes the passage cites, searched with a lower weight
        notes_text=TEXT(analyzer=text_analyzer()),
        person=ValuesField(canonicalise=True),
        org=ValuesField(canonicalise=True),
        place=ValuesField(canonicalise=True),
        entity=ValuesField(canonicalise=True),
        entity_types=KEYWORD(scorable=False),
        #: "LABEL<TAB>Canonical" per entity, case kept: facet values for display
        ent_facet=ValuesField(),
        entities=STORED(),  # JSON list of [start, end, label, canonical], passage-relative
        fn=KEYWORD(stored=True, scorable=False),
        notes=STORED(),  # JSON list of {"number", "text"} of the notes the passage cites
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        cites=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
    )
