"""The query language: Whoosh syntax plus field prefixes users can guess; friendly errors."""

from __future__ import annotations

import re
from typing import Any, Mapping

from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    MultifieldParser,
    PlusMinusPlugin,
    QueryParser,
)
from whoosh.fields import Schema

#: prefix users type -> schema field
PREFIXES = {
    "person": "person", "org": "org", "place": "place", "entity": "entity",
    "doc": "doc_id", "fn": "fn", "tag": "tags", "cites": "cites", "page": "page",
    "title": "title", "text": "text", "note": "notes_text", "type": "entity_types", "kind": "kind",
}
EXAMPLES = {"person": '"ylva johansson"', "org": "frontex", "place": "bih", "entity": "wb6",
            "doc": "003-b4544ddbd7f01f68", "fn": "12", "tag": "important", "page": "[2 TO 5]",
            "type": "MONEY", "cites": "beznec-2016-governing"}
FILTER_KEYS = {"doc": "doc_id", "type": "entity_types", "entity": "entity", "tag": "tags"}
_FIELD_RE = re.compile(r'(?:(?<=^)|(?<=[\s(+\-]))([A-Za-z_]\w*):(?!//)')
_QUOTED_RE = re.compile(r'"[^"]*"')


class QueryError(ValueError):
    """A query that cannot be understood; ``message`` says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def make_parser(schema: Schema) -> QueryParser:
    """Whoosh's parser over ``text`` with AND as default and our prefixes as field aliases."""
    parser = MultifieldParser(["text", "notes_text"], schema, fieldboosts={"notes_text": 0.4},
                              group=AndGroup)
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
        rest = bare[match.end():]
        if not rest or rest[0].isspace() or rest[0] == ")":
            raise QueryError(f'"{match.group(1)}:" needs a value right after the colon, '
                             f'e.g. {name}:{EXAMPLES.get(name, "word")}')


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
        raise QueryError(
            "The query has no searchable words (only operators, stop words or excluded -words)")
    for sub in [q, *q.leaves()]:
        if sub.__class__.__name__ == "ErrorQuery" or getattr(sub, "error", None):
            if "page:" in text.lower():
                raise QueryError("page: needs a page number or range, e.g. page:3 or page:[2 TO 5]")
            raise QueryError("Could not understand part of the query; check quotes, brackets "
                             "and field values")
    return q


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
