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
from .whoosh_internals import apply_column_cache_fix

apply_column_cache_fix()  # a speed fix of Whoosh's column reader, when its check passes

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


class UpperFilter(Filter):
    """Uppercases tokens (entity labels: type:money finds MONEY)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = token.text.upper()
            yield token


def text_analyzer():
    """Words, lowercased, accents folded (Türkiye ~ Turkiye), stopwords dropped, stemmed."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter() | StemFilter()


class ValuesField(KEYWORD):
    """A multi-valued keyword field whose values are separated by newlines (they may hold commas)."""

    def __init__(self, canonicalise: bool = False, stored: bool = False, upper: bool = False):
        super().__init__(stored=stored, scorable=False)
        analyzer = RegexTokenizer(r"[^\n]+")
        if canonicalise:
            analyzer = analyzer | CanonicalFilter()
        if upper:
            analyzer = analyzer | UpperFilter()
        self.analyzer = analyzer


def make_schema() -> Schema:
    """Build the passage schema (see docs/ARCHITECTURE.md, indexer)."""
    return Schema(
        pid=ID(unique=True, stored=True),
        doc_id=ID(stored=True),
        title=TEXT(stored=True, analyzer=text_analyzer()),
        # one term per value (shift_step=32): offsets are never range-searched on a large scale
        ordinal=NUMERIC(stored=True, sortable=True, shift_step=32),
        start=NUMERIC(stored=True, shift_step=32),
        end=NUMERIC(stored=True, shift_step=32),
        page=NUMERIC(stored=True, shift_step=32),
        kind=ID(stored=True),
        text=TEXT(stored=True, analyzer=text_analyzer(), spelling=True),
        #: texts of the footnotes the passage cites, searched with a lower weight
        notes_text=TEXT(analyzer=text_analyzer()),
        person=ValuesField(canonicalise=True),
        org=ValuesField(canonicalise=True),
        place=ValuesField(canonicalise=True),
        entity=ValuesField(canonicalise=True),
        entity_types=ValuesField(upper=True),
        #: "LABEL<TAB>Canonical" per entity, case kept: facet values for display
        ent_facet=ValuesField(),
        entities=STORED(),  # JSON list of [start, end, label, canonical], passage-relative
        fn=KEYWORD(stored=True, scorable=False),
        notes=STORED(),  # JSON list of {"number", "text"} of the notes the passage cites
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        cites=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
    )
