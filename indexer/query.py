"""The query language: Whoosh syntax plus field prefixes users can guess; friendly errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.matching import NullMatcher, UnionMatcher
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    MultifieldParser,
    PlusMinusPlugin,
    QueryParser,
)

from .gazetteer import clean_surface, fold
from .gazetteer import entries as gazetteer_entries
from .whoosh_internals import FastPhrase

#: prefix users type -> schema field
PREFIXES = {
    "person": "person",
    "org": "org",
    "place": "place",
    "entity": "entity",
    "doc": "doc_id",
    "fn": "fn",
    "tag": "tags",
    "tags": "tags",
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


def _fast_phrases(q: wq.Query) -> wq.Query:
    if type(q) is wq.Phrase:
        return FastPhrase(q.fieldname, q.words, slop=q.slop, boost=q.boost, char_ranges=q.char_ranges)
    return q


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


def lower_prefixes(text: str) -> str:
    """Field prefixes in lowercase outside quotes (``TAG:x`` is ``tag:x``), as check_fields reads them."""
    out, last = [], 0
    for quoted in _QUOTED_RE.finditer(text):
        out.append(_FIELD_RE.sub(lambda m: m.group(0).lower(), text[last : quoted.start()]))
        out.append(quoted.group(0))
        last = quoted.end()
    out.append(_FIELD_RE.sub(lambda m: m.group(0).lower(), text[last:]))
    return "".join(out)


def check_brackets(text: str) -> None:
    """Raise QueryError for an unclosed quote or an unbalanced parenthesis, saying where."""
    if text.count('"') % 2:
        at = text.rfind('"')
        raise QueryError(
            f'Unclosed quote: the " before "{text[at + 1 : at + 21].strip()}" has no closing ". '
            'Close the phrase, e.g. "border control"'
        )
    depth = 0
    for match in re.finditer(r'"[^"]*"|[()]', text):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(
                    f'Unbalanced ")" at character {match.start() + 1}: remove it or open the group with "(", '
                    "e.g. (frontex OR europol)"
                )
    if depth > 0:
        raise QueryError(f'Unclosed parenthesis: {depth} "(" without a ")". Close the group, e.g. (frontex OR europol)')


#: entity labels the tagger gives (spaCy's English labels); ``type:`` takes one of them
ENTITY_LABELS = [
    "PERSON",
    "NORP",
    "FAC",
    "ORG",
    "GPE",
    "LOC",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "DATE",
    "TIME",
    "PERCENT",
    "MONEY",
    "QUANTITY",
    "ORDINAL",
    "CARDINAL",
]
_VALUE_RE = re.compile(r'(?:(?<=^)|(?<=[\s(+\-]))(fn|type):("[^"]*"|[^\s()"]+)', re.IGNORECASE)
#: what a footnote number looks like: digits (12, 12a), roman numerals, or note symbols
_NOTE_NUMBER_RE = re.compile(r"\d+[a-z]?|[ivxlc]{1,6}|[a-z]|[*†‡§¶#]+", re.IGNORECASE)


def check_values(text: str) -> None:
    """Raise QueryError for values ``fn:`` and ``type:`` can never hold (``fn:abc``, ``type:colour``)."""
    for match in _VALUE_RE.finditer(text):
        name, value = match.group(1).lower(), match.group(2).strip('"')
        if any(c in value for c in "*?[]"):
            continue  # wildcards and ranges are Whoosh's to judge
        if name == "fn":
            for part in value.split():
                if not _NOTE_NUMBER_RE.fullmatch(part):
                    raise QueryError(
                        f'fn: needs a footnote number, not "{part}": e.g. fn:12 (or fn:* for a note marked *)'
                    )
        elif value.upper() not in ENTITY_LABELS:
            raise QueryError(f'Unknown entity type "{value}". Use one of {", ".join(ENTITY_LABELS)}, e.g. type:MONEY')


def validate(text: str) -> str:
    """The query stripped, or QueryError for one that cannot be searched as written."""
    text = (text or "").strip()
    if not text:
        raise QueryError("Empty query: type one or more words, e.g. Frontex")
    if not re.search(r"\w", text) or re.fullmatch(r"[*?\s]+", text):
        raise QueryError("A query needs at least one letter or digit, e.g. front* rather than *")
    check_brackets(text)
    check_fields(text)
    check_values(text)
    return lower_prefixes(text)


def parse_query(parser: QueryParser, text: str) -> wq.Query:
    """Parse user text into a Whoosh query, or raise QueryError with a helpful message."""
    text = validate(text)
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


# --- natural queries: words a person types, not operators ------------------------------------

#: a field-prefixed value (quoted, a range, a group or a bare value)
_FIELD_VALUE_RE = re.compile(r'(?:(?<=^)|(?<=[\s(]))[A-Za-z_]\w*:(?!//)(?:"[^"]*"|\[[^\]]*\]|\{[^}]*\}|[^\s()"]+)')
#: a group holding nothing but field values joined by OR (``tag:x`` as the web layer scopes it)
_FIELD_GROUP_RE = re.compile(r"\(\s*(?:\x00\s*(?:OR\s+)?)+\)")
_SPLIT_RE = re.compile(r"(\(\s*(?:\x00\s*(?:OR\s+)?)+\)|\x00)")
_OPERATOR_RE = re.compile(r'["()]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|(?:^|\s)[+\-](?=\S)')
_EDGE_PUNCT = "\"'“”‘’«»,.;:!?()[]{}"
#: a compound word matched to two query words ("pushed back" ~ "pushbacks") at most this long
_ALIAS_MAX_WORDS = 6
#: weight of an alias or a word form the user did not type, relative to the word typed
ALIAS_BOOST = 0.6
VARIANT_BOOST = 0.5
#: word forms and names OR-ed in for one query word
MAX_VARIANTS = 12
NOTES_BOOST = 0.4


#: function words of questions and plain sentences that the index's stop list keeps; in a
#: natural query they say nothing about the passage wanted, so they are not words to match
FUNCTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "where",
        "whether",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "was",
        "were",
        "been",
        "being",
        "has",
        "had",
        "having",
        "would",
        "should",
        "could",
        "shall",
        "might",
        "must",
        "there",
        "their",
        "theirs",
        "them",
        "they",
        "these",
        "those",
        "its",
        "his",
        "her",
        "hers",
        "our",
        "ours",
        "my",
        "me",
        "he",
        "she",
        "him",
        "i",
        "about",
        "after",
        "before",
        "into",
        "onto",
        "over",
        "under",
        "than",
        "then",
        "so",
        "such",
        "very",
        "just",
        "also",
        "any",
        "all",
        "some",
        "many",
        "much",
        "more",
        "most",
        "other",
        "others",
        "own",
        "same",
        "too",
        "both",
        "each",
        "few",
        "nor",
        "here",
        "now",
        "again",
        "once",
        "only",
        "up",
        "down",
        "out",
        "off",
        "want",
        "wants",
        "wanted",
    ]
)


def field_parts(text: str) -> tuple[list[str], str]:
    """(field-prefixed parts, the free text around them) of a query.

    A group holding only field values joined by OR (``(tag:x OR tag:y)``) is one part.
    """
    parts: list[str] = []

    def keep(match: re.Match) -> str:
        parts.append(match.group())
        return "\x00"

    marked = _FIELD_VALUE_RE.sub(keep, text.replace("\x00", " "))  # NUL marks the parts taken
    values = iter(parts)
    found: list[str] = []
    rest: list[str] = []
    for chunk in _SPLIT_RE.split(marked):
        if chunk == "\x00":
            found.append(next(values))
            rest.append(" ")
        elif chunk and _FIELD_GROUP_RE.fullmatch(chunk):
            found.append(re.sub("\x00", lambda _m: next(values), chunk))
            rest.append(" ")
        else:
            rest.append(chunk)
    return found, "".join(rest)


def is_natural(text: str) -> bool:
    """True when the query is words (and field values) without explicit operators.

    Quotes, parentheses, AND/OR/NOT and +word/-word keep their strict meaning; a query
    without them is read as a person's words, whose passages may hold most of them.
    """
    _parts, rest = field_parts(text)
    return not _OPERATOR_RE.search(rest)


_SUFFIXES = (
    "ations", "ation", "ings", "ing", "ily", "ees", "ee", "ers", "er", "ies", "ied", "ed", "es", "ly", "e", "s",
)  # fmt: skip
_DOUBLED = re.compile(r"([bdfgklmnprtz])\1$")


def spelling_key(word: str) -> str:
    """British and American spellings to one form: -isation/-ise -> -ization/-ize, -our -> -or..."""
    w = word
    w = re.sub(r"is(ation|ations|e|ed|es|er|ers|ing|m|ms|t|ts)$", r"iz\1", w) if len(w) > 6 else w
    w = re.sub(r"ys(e|ed|es|ing)$", r"yz\1", w)
    if len(w) >= 6:
        w = re.sub(r"our(s|ed|ing|ite|ites|able)?$", r"or\1", w)
        w = re.sub(r"tre(s)?$", r"ter\1", w)
        w = re.sub(r"ogue(s)?$", r"og\1", w)
        w = re.sub(r"(de|of|li)([fc])ence(s)?$", r"\1\2ense\3", w)
    w = re.sub(r"([aeiou][a-z])ll(ed|ing|er|ers)$", r"\1l\2", w)
    return w


@lru_cache(maxsize=200_000)
def word_root(word: str) -> str:
    """A coarse root that joins a word's derived forms: returnee/returns/returned -> return,
    smugglers/smuggling -> smuggl, liberalisation/liberalized -> liberaliz.

    Coarser than the index's Porter stems (which keep returnee and smuggler apart from
    return and smuggling); used only to find other forms of a query word in the index's
    own vocabulary, which are then searched with a lower weight.
    """
    w = spelling_key(fold_word(word))
    for _round in range(2):  # bordered -> border -> bord
        for suffix in _SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= (5 if suffix == "ly" else 4):
                w = w[: -len(suffix)] + ("y" if suffix in ("ies", "ied", "ily") else "")
                break
        else:
            break
    if _DOUBLED.search(w) and len(w) > 5:
        w = w[:-1]
    return w


def fold_word(word: str) -> str:
    """Lowercase, accents stripped (as the index's analyzer folds them)."""
    return fold(word)


def word_entry(word: str, schema: Schema) -> tuple[str, tuple[str, ...]] | None:
    """(root, indexed text terms) a spelling-vocabulary word adds to :attr:`Vocabulary.roots`,
    or None when it adds nothing (not letters only, shorter than 4, or no terms)."""
    if not word.isalpha() or len(word) < 4:
        return None
    tokens = tuple(schema["text"].process_text(word, mode="query"))
    return (word_root(word), tokens) if tokens else None


def word_entries(reader: Any, schema: Schema, known: Mapping[str, Any] | None = None) -> Any:
    """(word, root, terms) of each word of the index's spelling vocabulary that adds to the
    roots, in the lexicon's order; ``known`` maps words to (root, terms) already worked out."""
    if "spell_text" not in schema.names():
        return
    known = known or {}
    for btext in reader.lexicon("spell_text"):
        word = btext.decode("utf-8")
        found = known.get(word)
        if found is None:
            found = word_entry(word, schema)
        if found is not None:
            yield word, found[0], found[1]


def entity_names(reader: Any, schema: Schema) -> Any:
    """The folded canonical names the entity field holds, in the lexicon's order."""
    if "entity" in schema.names():
        for btext in reader.lexicon("entity"):
            yield btext.decode("utf-8")


class Vocabulary:
    """What one index version knows, for reading natural queries.

    * ``roots``: coarse root -> the indexed text terms of the words having it (morphology
      and spelling variants come from the index's own body-text vocabulary);
    * ``aliases``: folded name -> the folded surface forms of the same entity (gazetteer);
    * ``entities``: folded canonical names held by the entity field.
    """

    def __init__(self, reader: Any, schema: Schema) -> None:
        self.reader = reader
        self.schema = schema
        self._roots: Mapping[str, set[str]] | None = None
        self._entities: Any = None
        self._lock = threading.Lock()
        #: the generation's stored vocabulary when loaded from one (:func:`indexer.vocab_store.load_vocabulary`)
        self.store: Any = None

    @property
    def entities(self) -> Any:
        """Folded canonical names held by the entity field (read once)."""
        with self._lock:
            if self._entities is None:
                self._entities = set(entity_names(self.reader, self.schema))
            return self._entities

    @property
    def roots(self) -> Mapping[str, set[str]]:
        """Root -> stems, built once (a pass over the spelling vocabulary)."""
        with self._lock:
            if self._roots is None:
                roots: dict[str, set[str]] = {}
                for _word, root, tokens in word_entries(self.reader, self.schema):
                    roots.setdefault(root, set()).update(tokens)
                self._roots = roots
            return self._roots

    def known_word(self, word: str) -> bool:
        """True when the word occurs in the body text (or is a name the gazetteer knows)."""
        folded = fold(word)
        if "spell_text" in self.schema.names() and self.reader.doc_frequency("spell_text", folded):
            return True
        return folded in alias_surfaces() or folded in self.entities

    def variants(self, word: str, exact: set[str]) -> list[str]:
        """Indexed text terms of other forms of ``word`` (not those in ``exact``)."""
        if len(word) < 4 or not word.isalpha():
            return []
        found = sorted(self.roots.get(word_root(word), set()) - exact)
        return found[:MAX_VARIANTS]

    def compound(self, first: str, second: str) -> list[str]:
        """Indexed terms of a word written as one that the user wrote as two ("pushed back")."""
        if not (first.isalpha() and second.isalpha()) or len(first) < 3 or len(second) < 3:
            return []
        joined = word_root(word_root(first) + second)
        return sorted(self.roots.get(joined, set()))[:MAX_VARIANTS]


@lru_cache(maxsize=1)
def alias_surfaces() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Folded alias -> (folded canonical, every folded surface form of the same entity)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in gazetteer_entries():
        if entry["label"] == "-":
            continue
        forms = tuple(dict.fromkeys(fold(clean_surface(a)) for a in [entry["canonical"], *entry["aliases"]]))
        for form in forms:
            out.setdefault(form, (fold(entry["canonical"]), forms))
    return out


@dataclass
class Clause:
    """One thing the user asked for: a word or a name, with the forms that stand for it."""

    words: tuple[str, ...]  # as typed
    query: wq.Query
    exact: wq.Query


@dataclass
class NaturalQuery:
    """A natural query: clauses (a passage may hold most of them), required field parts, and
    phrases of neighbouring query words that add to a passage's first-stage score (never to
    its matches; the second stage, :mod:`indexer.rescore`, measures proximity itself)."""

    clauses: list[Clause]
    required: wq.Query | None
    proximity: list[wq.Query] = dc_field(default_factory=list)

    def strict(self) -> wq.Query:
        """Every clause and every required part."""
        parts = [c.query for c in self.clauses]
        if self.required is not None:
            parts.append(self.required)
        return parts[0] if len(parts) == 1 else wq.And(parts)


def _text_query(schema: Schema, words: list[str], boost: float) -> wq.Query | None:
    """The words as a term or a phrase, in the body text and (lower) the notes.

    A phrase scores as the sum of its words' scores; here it stands for one clause (one
    "word" of the query, as the coordination counts it: "North Macedonia", "pushed back"), so
    it is weighted by 1/n for n words: its score is its words' mean, on the scale of a
    one-word clause, and a query's names do not outweigh its other words.
    """
    stems = [t for w in words for t in schema["text"].process_text(w, mode="query")]
    if not stems:
        return None
    if len(stems) == 1:
        parts: list[wq.Query] = [wq.Term("text", stems[0], boost=boost)]
        parts.append(wq.Term("notes_text", stems[0], boost=boost * NOTES_BOOST))
    else:
        boost /= len(stems)
        parts = [FastPhrase("text", stems, boost=boost), FastPhrase("notes_text", stems, boost=boost * NOTES_BOOST)]
    return wq.Or(parts)


def _alias_queries(schema: Schema, vocab: Vocabulary, folded: str) -> list[wq.Query]:
    """The other names of an entity the words name (lower weight), and its entity-field value."""
    found = alias_surfaces().get(folded)
    if found is None:
        return []
    canonical, forms = found
    out: list[wq.Query] = []
    own = set(schema["text"].process_text(folded, mode="query"))
    for form in forms:
        words = _WORD_RE.findall(form)
        if set(schema["text"].process_text(form, mode="query")) == own:
            continue
        q = _text_query(schema, words, ALIAS_BOOST)
        if q is not None:
            out.append(q)
    if canonical in vocab.entities:
        out.append(wq.Term("entity", canonical, boost=ALIAS_BOOST))
    return out


def natural_query(parser: QueryParser, text: str, vocab: Vocabulary) -> NaturalQuery | None:
    """Read a query without operators as clauses, one per word or name; None if it has operators.

    Each clause ORs the word as typed with, at lower weights, the other names of an entity
    (``BiH`` ~ "Bosnia and Herzegovina", ``Turkey`` ~ "Türkiye"), other forms and spellings
    of the word found in the index (``returnees`` ~ "return", ``liberalisation`` ~
    "liberalization"), and a compound the user split (``pushed back`` ~ "pushbacks").
    """
    text = validate(text)
    if not is_natural(text):
        return None
    schema = parser.schema
    parts, rest = field_parts(text)
    required = None
    if parts:
        required = parse_query(parser, " ".join(parts))
    words = [w.strip(_EDGE_PUNCT) for w in rest.split()]
    words = [w for w in words if w and re.search(r"\w", w)]
    content = [w for w in words if fold(w) not in FUNCTION_WORDS]
    if content:
        words = content
    if not words:
        return NaturalQuery([], required) if required is not None else None
    folded = [fold(w) for w in words]
    clauses: list[Clause] = []
    i = 0
    while i < len(words):
        taken = 0
        # a name of several words the gazetteer knows ("north macedonia", "bosnia and herzegovina")
        for n in range(min(_ALIAS_MAX_WORDS, len(words) - i), 1, -1):
            key = " ".join(folded[i : i + n])
            if key in alias_surfaces():
                exact = _text_query(schema, words[i : i + n], 1.0)
                if exact is None:
                    continue
                alts = _alias_queries(schema, vocab, key)
                clauses.append(Clause(tuple(words[i : i + n]), _alternatives(exact, alts), exact))
                taken = n
                break
        if not taken and i + 1 < len(words) and _plain(words[i]) and _plain(words[i + 1]):
            joined = vocab.compound(folded[i], folded[i + 1])
            if joined:
                exact = _text_query(schema, words[i : i + 2], 1.0)
                if exact is not None:
                    alts = [_variant_terms(t) for t in joined]
                    clauses.append(Clause(tuple(words[i : i + 2]), _alternatives(exact, alts), exact))
                    taken = 2
        if not taken:
            clause = _word_clause(parser, vocab, words[i], folded[i])
            if clause is not None:
                clauses.append(clause)
            taken = 1
        i += taken
    if not clauses and required is None:
        raise QueryError("The query has no searchable words (only operators, stop words or excluded -words)")
    return NaturalQuery(clauses, required, _proximity(schema, clauses))


#: weight of two neighbouring query words found side by side, relative to the words alone
PROXIMITY_BOOST = 0.5


class _BestOfMatcher(UnionMatcher):
    """Whoosh's matcher of :class:`BestOf`: a union scored by the best sub-matcher on the
    current passage (Whoosh's own DisjunctionMaxMatcher reads the score of a sub-matcher
    that stands on another passage)."""

    def score(self) -> float:
        at = self.id()
        return max(m.score() for m in (self.a, self.b) if m.is_active() and m.id() == at)

    def replace(self, minquality: float = 0) -> Any:
        a_active, b_active = self.a.is_active(), self.b.is_active()
        if not (a_active or b_active):
            return NullMatcher()
        if not a_active:
            return self.b.replace(minquality)
        if not b_active:
            return self.a.replace(minquality)
        # never Whoosh's union shortcuts (an AndMaybe would add the scores): the same matcher
        a, b = self.a.replace(minquality), self.b.replace(minquality)
        return self if (a is self.a and b is self.b) else self.__class__(a, b)


class BestOf(wq.DisjunctionMax):
    """A disjunction scored by its best part on each passage (Lucene's DisjunctionMaxQuery
    with no tie share): :mod:`indexer.ranking` computes it on arrays, Whoosh's matcher with
    :class:`_BestOfMatcher`, the tantivy backend with tantivy's disjunction-max."""

    def __init__(self, subqueries: list[wq.Query], boost: float = 1.0) -> None:
        super().__init__(subqueries, boost=boost, tiebreak=0.0)

    def _matcher(self, subs: Any, searcher: Any, context: Any) -> Any:
        return self._tree_matcher(subs, _BestOfMatcher, searcher, context, None)


def _alternatives(main: wq.Query, alts: list[wq.Query]) -> wq.Query:
    """One clause: the word as typed or one of the forms that stand for it, scored by the best
    form a passage holds (a disjunction-max, as Lucene-family engines score synonyms and
    fields: :class:`BestOf`).

    A sum would count one word several times in a passage that holds several of its forms
    ("Bosnia" and "Bosnia and Herzegovina"), so a clause with many forms would outweigh the
    other words of the query. Forms that are the same query (two spellings of a name that
    analyse alike) are kept once.
    """
    seen: list[wq.Query] = []
    for q in [main, *alts]:
        if q not in seen:
            seen.append(q)
    if len(seen) == 1:
        return seen[0]
    return BestOf(seen)


def _proximity(schema: Schema, clauses: list[Clause]) -> list[wq.Query]:
    """Phrases of each two neighbouring one-word clauses (``reception capacity``): passages
    holding the words side by side score higher, as Lucene-family engines' phrase boost
    (edismax ``pf2``) does."""
    out: list[wq.Query] = []
    for a, b in zip(clauses, clauses[1:], strict=False):
        if len(a.words) != 1 or len(b.words) != 1 or not (_plain(a.words[0]) and _plain(b.words[0])):
            continue
        stems = [t for w in (a.words[0], b.words[0]) for t in schema["text"].process_text(w, mode="query")]
        if len(stems) == 2:
            out.append(FastPhrase("text", stems, boost=PROXIMITY_BOOST))
    return out


def _variant_terms(stem: str, boost: float = VARIANT_BOOST) -> wq.Query:
    """Another form of a query word, searched with a lower weight in the text and the notes."""
    return wq.Or([wq.Term("text", stem, boost=boost), wq.Term("notes_text", stem, boost=boost * NOTES_BOOST)])


def _plain(word: str) -> bool:
    return word.isalpha()


def _word_clause(parser: QueryParser, vocab: Vocabulary, word: str, folded: str) -> Clause | None:
    schema = parser.schema
    if not _plain(word):
        try:
            q = parser.parse(word).normalize()
        except Exception:  # whoosh raises various errors on odd input
            raise QueryError(f'Could not understand "{word}"') from None
        if q is wq.NullQuery:
            return None
        fuzzy = [sub for sub in [q, *q.leaves()] if isinstance(sub, wq.FuzzyTerm) and sub.fieldname == "text"]
        q = expand_fuzzy_words(q.accept(_fast_phrases), vocab.reader, schema)
        extra: set[str] = set()
        for sub in fuzzy:  # the other forms of the words a fuzzy word reaches
            text = sub.text if isinstance(sub.text, str) else str(sub.text)
            if "spell_text" in schema.names():
                for near in vocab.reader.terms_within("spell_text", text.lower(), sub.maxdist, prefix=sub.prefixlength):
                    extra.update(vocab.variants(near, set()))
        if extra:
            q = _alternatives(q, [_variant_terms(t) for t in sorted(extra)[:MAX_VARIANTS]])
        return Clause((word,), q, q)
    exact = _text_query(schema, [word], 1.0)
    alts = _alias_queries(schema, vocab, folded)
    if exact is None and not alts:
        return None  # a stop word
    stems = set(schema["text"].process_text(folded, mode="query"))
    # other forms weigh less than the word as typed so that passages holding it come first;
    # when no passage holds it ("returnees" in a text that says "returned"), there is nothing
    # to come first, and its forms are the word's only evidence: they weigh in full
    absent = not any(vocab.reader.doc_frequency(f, t) for t in stems for f in ("text", "notes_text"))
    weight = 1.0 if absent else VARIANT_BOOST
    alts += [_variant_terms(t, weight) for t in vocab.variants(folded, stems)]
    if exact is None:  # a stop word that names something ("US"): its names stand for it
        exact, alts = alts[0], alts[1:]
    return Clause((word,), _alternatives(exact, alts), exact)
