"""The query language: Whoosh syntax plus field prefixes users can guess; friendly errors."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    MultifieldParser,
    PlusMinusPlugin,
    QueryParser,
)
from whoosh.query.spans import Span, SpanNear2

#: prefix users type -> schema field
PREFIXES = {
    "person": "person",
    "org": "org",
    "place": "place",
    "entity": "entity",
    "doc": "doc_id",
    "fn": "fn",
    "tag": "tags",
    "cites": "cites",
    "page": "page",
    "title": "title",
    "text": "text",
    "note": "notes_text",
    "type": "entity_types",
    "kind": "kind",
}
EXAMPLES = {
    "person": '"ylva johansson"',
    "org": "frontex",
    "place": "bih",
    "entity": "wb6",
    "doc": "003-b4544ddbd7f01f68",
    "fn": "12",
    "tag": "important",
    "page": "[2 TO 5]",
    "type": "MONEY",
    "cites": "beznec",
}
FILTER_KEYS = {"doc": "doc_id", "type": "entity_types", "entity": "entity", "tag": "tags"}
_FIELD_RE = re.compile(r"(?:(?<=^)|(?<=[\s(+\-]))([A-Za-z_]\w*):(?!//)")
_QUOTED_RE = re.compile(r'"[^"]*"')


class QueryError(ValueError):
    """A query that cannot be understood; ``message`` says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def make_parser(schema: Schema) -> QueryParser:
    """Whoosh's parser over ``text`` with AND as default and our prefixes as field aliases."""
    parser = MultifieldParser(["text", "notes_text"], schema, fieldboosts={"notes_text": 0.4}, group=AndGroup)
    aliases: dict[str, list[str]] = {}
    for prefix, field in PREFIXES.items():
        if prefix != field:
            aliases.setdefault(field, []).append(prefix)
    parser.add_plugin(FieldAliasPlugin(aliases))
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(GtLtPlugin())
    # "+" and "-" only at the start of a word, so doc ids and EU-Turkey stay whole
    parser.add_plugin(PlusMinusPlugin(r"(?<![^\s(])\+", r"(?<![^\s(])-"))
    return parser


class _PhraseMatcher(SpanNear2.SpanNear2Matcher):
    """SpanNear2's matcher (ordered, mindist 1) checking positions as plain ints.

    Whoosh builds a Span object per position of every word of every candidate passage;
    this keeps (start, end) pairs and builds Spans only for the passages that match.
    Same matches, same scores (those of the intersection of the words).
    """

    def skip_to_quality(self, minquality):  # type: ignore[no-untyped-def]
        """Skip low-quality blocks, then on to a passage that holds the phrase.

        (Whoosh's span matchers inherit a skip that can stop on a passage holding the words
        but not the phrase, so a quality-optimised search could list it.)
        """
        skipped = self.child.skip_to_quality(minquality)
        self._find_next()
        return skipped

    def _get_spans(self):
        slop = self.slop
        first = self.ms[0].value_as("positions")
        spans = {(p, p) for p in first}
        for m in self.ms[1:]:
            if not spans:
                return []
            nxt = m.value_as("positions")
            if slop == 1:
                there = set(nxt)
                spans = {(a, e + 1) for a, e in spans if e + 1 in there}
            else:
                found = set()
                for a, e in spans:
                    i = bisect_right(nxt, e)
                    while i < len(nxt) and nxt[i] <= e + slop:
                        found.add((a, nxt[i]))
                        i += 1
                spans = found
        return [Span(a, e) for a, e in sorted(spans)]


class FastPhrase(wq.Phrase):
    """A Phrase whose matcher checks word positions without per-position objects."""

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        """Same as Phrase.matcher, with _PhraseMatcher in place of SpanNear2's."""
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None  # noqa: SIM401 (a Whoosh Schema has no get)
        if field is None or not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)
        reader = searcher.reader()
        terms = []
        for word in self.words:
            try:
                word = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (self.fieldname, word) not in reader:
                return matching.NullMatcher()
            terms.append(wq.Term(self.fieldname, word))
        m = _PhraseMatcher([t.matcher(searcher, context) for t in terms], slop=self.slop)
        if self.boost != 1.0:
            m = matching.WrappingMatcher(m, boost=self.boost)
        return m


def _fast_phrases(q: wq.Query) -> wq.Query:
    if type(q) is wq.Phrase:
        return FastPhrase(q.fieldname, q.words, slop=q.slop, boost=q.boost, char_ranges=q.char_ranges)
    return q


def _tidy(text: str) -> str:
    """Best-effort repair: close a dangling quote, balance parentheses."""
    if text.count('"') % 2:
        text = text + '"'
    bare = _QUOTED_RE.sub("", text)
    opened = bare.count("(") - bare.count(")")
    if opened > 0:
        text = text + ")" * opened
    elif opened < 0:
        for _ in range(-opened):
            pos = text.rfind(")")
            text = text[:pos] + text[pos + 1 :]
    return text


def check_fields(text: str) -> None:
    """Raise QueryError for an unknown ``field:`` prefix or one without a value."""
    bare = _QUOTED_RE.sub('"x"', text)
    for match in _FIELD_RE.finditer(bare):
        name = match.group(1).lower()
        if name not in PREFIXES:
            known = ", ".join(f"{p}:" for p in sorted(PREFIXES))
            raise QueryError(f'Unknown field "{match.group(1)}:". Use one of {known}')
        rest = bare[match.end() :]
        if not rest or rest[0].isspace() or rest[0] == ")":
            raise QueryError(
                f'"{match.group(1)}:" needs a value right after the colon, e.g. {name}:{EXAMPLES.get(name, "word")}'
            )


def parse_query(parser: QueryParser, text: str) -> wq.Query:
    """Parse user text into a Whoosh query, or raise QueryError with a helpful message."""
    text = (text or "").strip()
    if not text:
        raise QueryError("Empty query: type one or more words, e.g. Frontex")
    if not re.search(r"\w", text) or re.fullmatch(r"[*?\s]+", text):
        raise QueryError("A query needs at least one letter or digit, e.g. front* rather than *")
    check_fields(text)
    text = _tidy(text)
    try:
        q = parser.parse(text)
    except Exception as exc:  # whoosh raises various errors on odd input
        raise QueryError(f"Could not understand the query: {exc}") from None
    for sub in [q, *q.leaves()]:
        if isinstance(sub, wq.Every) and sub.fieldname in (None, "text", "notes_text", "*"):
            raise QueryError("A bare * would match everything; add letters, e.g. front*")
    q = q.normalize()
    if q is wq.NullQuery:
        raise QueryError("The query has no searchable words (only operators, stop words or excluded -words)")
    for sub in [q, *q.leaves()]:
        if sub.__class__.__name__ == "ErrorQuery" or getattr(sub, "error", None):
            if "page:" in text.lower():
                raise QueryError("page: needs a page number or range, e.g. page:3 or page:[2 TO 5]")
            raise QueryError("Could not understand part of the query; check quotes, brackets and field values")
    return q.accept(_fast_phrases)


#: fields whose values are whole names (entities) or work keys, where a single word the user
#: remembers ("person:federico", "cites:beznec") should find every name holding that word
PARTIAL_FIELDS = frozenset({"person", "org", "place", "entity", "cites"})
_WORD_RE = re.compile(r"[^\W_]+")
#: at most this many names are OR-ed in for one word
MAX_EXPANSION = 64


def expand_partial_names(q: wq.Query, reader: Any) -> wq.Query:
    """Let one word stand for the names containing it in entity and work-key fields.

    A value that is itself an indexed name is kept as it is (``place:bih`` was already
    canonicalised to "bosnia and herzegovina"); otherwise every indexed name of that field
    having the value's words among its own words is OR-ed in, so ``person:federico`` finds
    "federico morra" and ``cites:beznec`` finds the work key "beznec-2016-governing-df74ac".
    """

    def visit(sub: wq.Query) -> wq.Query:
        if not isinstance(sub, wq.Term) or sub.fieldname not in PARTIAL_FIELDS:
            return sub
        text = sub.text if isinstance(sub.text, str) else str(sub.text)
        if reader.doc_frequency(sub.fieldname, text):
            return sub
        wanted = _WORD_RE.findall(text.lower())
        if not wanted:
            return sub
        names = [
            name
            for name in reader.field_terms(sub.fieldname)
            if _contains_words(_WORD_RE.findall(name.lower()), wanted)
        ]
        if not names:
            return sub
        return wq.Or([wq.Term(sub.fieldname, name, boost=sub.boost) for name in names[:MAX_EXPANSION]])

    return q.accept(visit)


#: stemmed text fields whose fuzzy terms are matched against the unstemmed words first
_FUZZY_SPELLING = {"text": "spell_text", "notes_text": "spell_text"}


def expand_fuzzy_words(q: wq.Query, reader: Any, schema: Schema) -> wq.Query:
    """Match ``migraton~`` against the words people wrote, not against stems.

    The text fields hold stems ("migrat"), so an edit distance measured against them misses
    a misspelt whole word. Each fuzzy term is compared with the unstemmed word list Whoosh
    keeps for spelling, and the stems of the words within reach are OR-ed in.
    """

    def visit(sub: wq.Query) -> wq.Query:
        if not isinstance(sub, wq.FuzzyTerm) or sub.fieldname not in _FUZZY_SPELLING:
            return sub
        spelling = _FUZZY_SPELLING[sub.fieldname]
        if spelling not in schema.names():
            return sub
        text = sub.text if isinstance(sub.text, str) else str(sub.text)
        words = list(reader.terms_within(spelling, text.lower(), sub.maxdist, prefix=sub.prefixlength))
        field = schema[sub.fieldname]
        stems = sorted({token for word in words for token in field.process_text(word, mode="query")})
        if not stems:
            return sub
        return wq.Or([sub] + [wq.Term(sub.fieldname, stem, boost=sub.boost) for stem in stems[:MAX_EXPANSION]])

    return q.accept(visit)


def _contains_words(words: list[str], wanted: list[str]) -> bool:
    """True when ``wanted`` occurs as a run of consecutive words in ``words``."""
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


def filter_query(schema: Schema, filters: Mapping[str, Any] | None) -> wq.Query | None:
    """And of the facet filters (doc, type, entity, tag); each value a string or a list (OR)."""
    if not filters:
        return None
    parts = []
    for key, value in filters.items():
        if value in (None, "", []):
            continue
        field = FILTER_KEYS.get(key)
        if field is None:
            raise QueryError(f'Unknown filter "{key}". Use one of {", ".join(sorted(FILTER_KEYS))}')
        values = value if isinstance(value, (list, tuple, set)) else [value]
        terms = []
        for item in values:
            item = str(item)
            if field == "entity_types":
                terms.append(wq.Term(field, item.upper()))
            elif field == "doc_id":
                terms.append(wq.Term(field, item))
            else:
                words = list(schema[field].process_text(item, mode="query"))
                terms.extend(wq.Term(field, w) for w in words[:1])
        if terms:
            parts.append(wq.Or(terms) if len(terms) > 1 else terms[0])
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]
