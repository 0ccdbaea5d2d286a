"""The one Whoosh schema: one record per passage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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

from .gazetteer import canonical_name, clean_surface, fold
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


#: folded names a query's entity clauses hold as they are (set by :func:`exact_names`)
_EXACT: ContextVar[frozenset[str]] = ContextVar("glossa_exact_entity_names", default=frozenset())


@contextmanager
def exact_names(names: Iterable[str]) -> Iterator[None]:
    """While the block runs (in this thread or task), the entity names ``names`` in a query are
    taken as they are instead of as the gazetteer entry they are an alias of: the entity
    correction rules have said what they stand for (indexer.entity_rules.rewrite_query), e.g.
    an alias an editor detached from its entry."""
    token = _EXACT.set(frozenset(fold(clean_surface(name)) for name in names))
    try:
        yield
    finally:
        _EXACT.reset(token)


class CanonicalFilter(Filter):
    """Entity names as their folded canonical name, so aliases (BiH, the EU) meet.

    At index time a value is an entity's name as already resolved (the tagger's gazetteer
    canonical name, then the editors' correction rules: indexer.entity_rules), so it is only
    cleaned and folded: a name a rule gave (an alias detached from its gazetteer entry, a rename) stays
    what the rule made it. At query time a name typed is mapped to the canonical name of the
    gazetteer entry it is an alias of, except the names :func:`exact_names` holds.
    """

    def __call__(self, tokens):
        exact = _EXACT.get()
        for token in tokens:
            text = clean_surface(token.text)
            if getattr(token, "mode", "") == "index" or (exact and fold(text) in exact):
                token.text = fold(text)
            else:
                token.text = fold(canonical_name(text))
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
