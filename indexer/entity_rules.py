"""Entity corrections as rules, applied to tagged entities (pure: no database, no index).

An editor's correction is a rule on an entity as the corpus shows it, a label and a
canonical name (matched case- and accent-insensitively, as facets and entity search are):

* ``retype``: the entity gets another label (a place tagged PERSON);
* ``rename``: the entity gets another canonical name;
* ``merge``: the entity counts as another one (label and name of the target);
* ``split``: the mentions written ``surface`` leave the entity and count under their own
  name (detaches one alias of a merge the gazetteer or a rule made);
* ``hide``: the entity is not one (its mentions are dropped).

Rules chain (A merged into B, B renamed C: A's mentions count as C), and a chain that comes
back to a name it passed stops there, so a rule set always resolves. The document store
keeps what the tagger found; these rules are applied when passages are indexed and when the
web app shows a document, so deleting a rule undoes it without tagging anything again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .gazetteer import canonical_name, clean_surface, lookup
from .gazetteer import fold as _fold
from .ner import Entity


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """gazetteer.fold, remembered (the same names come back in every document)."""
    return _fold(text)


ACTIONS = ("retype", "rename", "merge", "split", "hide")
#: what each action needs besides the entity (label and name)
NEEDS: dict[str, tuple[str, ...]] = {
    "retype": ("new_label",),
    "rename": ("new_name",),
    "merge": ("new_label", "new_name"),
    "split": ("surface",),
    "hide": (),
}
MAX_NAME = 200
MAX_CHAIN = 32
_LABEL_RE = re.compile(r"^[A-Z][A-Z_]{1,31}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class RuleError(ValueError):
    """A rule that cannot be used; ``message`` says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EntityRule:
    """One correction. ``id`` is the store's (None for a rule not stored yet)."""

    action: str
    label: str
    name: str
    new_label: str = ""
    new_name: str = ""
    surface: str = ""
    id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(label, folded name): the entity the rule applies to."""
        return self.label, fold(self.name)

    @property
    def target(self) -> tuple[str, str] | None:
        """(label, name) the entity becomes, or None (hide, split)."""
        if self.action == "retype":
            return self.new_label, self.name
        if self.action == "rename":
            return self.label, self.new_name
        if self.action == "merge":
            return self.new_label, self.new_name
        return None

    def step(self, label: str, name: str) -> tuple[str, str]:
        """What an entity matching this rule becomes (a retyped one keeps its own spelling)."""
        if self.action == "retype":
            return self.new_label, name
        return self.target or (label, name)

    def to_dict(self) -> dict[str, Any]:
        """The rule's own fields (what export writes and import reads)."""
        data: dict[str, Any] = {"action": self.action, "label": self.label, "name": self.name}
        for name in NEEDS[self.action]:
            data[name] = getattr(self, name)
        return data


def clean_name(value: Any, what: str) -> str:
    """A name as rules keep it (whitespace collapsed), or RuleError."""
    if not isinstance(value, str):
        raise RuleError(f"{what} must be text")
    if _CONTROL_RE.search(value.replace("\n", " ").replace("\t", " ").replace("\r", " ")):
        raise RuleError(f"{what} must not hold control characters")
    text = " ".join(value.split())
    if not text:
        raise RuleError(f"{what} must not be empty")
    if len(text) > MAX_NAME:
        raise RuleError(f"{what} is longer than {MAX_NAME} characters")
    return text


def clean_label(value: Any, what: str) -> str:
    """An entity label (PERSON, ORG, GPE, ...), upper-cased, or RuleError."""
    if not isinstance(value, str) or not _LABEL_RE.match(value.strip().upper()):
        raise RuleError(f"{what} must be an entity label such as PERSON, ORG, GPE or LOC")
    return value.strip().upper()


def parse_rule(data: Mapping[str, Any], labels: Iterable[str] | None = None) -> EntityRule:
    """An EntityRule from plain data (a form, JSON), checked; RuleError says what is wrong.

    ``labels``, when given, are the labels a rule may name (the ones the app knows).
    """
    if not isinstance(data, Mapping):
        raise RuleError("a rule must be an object with action, label and name")
    action = data.get("action")
    if action not in ACTIONS:
        raise RuleError(f"action must be one of {', '.join(ACTIONS)}")
    allowed = set(labels) if labels is not None else None
    fields: dict[str, Any] = {
        "action": action,
        "label": clean_label(data.get("label"), "label"),
        "name": clean_name(data.get("name"), "name"),
    }
    for name in NEEDS[action]:
        if name == "new_label":
            fields[name] = clean_label(data.get(name), name)
        else:
            fields[name] = clean_name(data.get(name), name)
    for name in ("label", "new_label"):
        if allowed is not None and fields.get(name) and fields[name] not in allowed:
            raise RuleError(
                f"{name} {fields[name]} is not a label Glossa knows; use one of {', '.join(sorted(allowed))}"
            )
    rule = EntityRule(**fields)
    if action == "retype" and rule.new_label == rule.label:
        raise RuleError(f"the entity is already a {rule.label}")
    if action == "rename" and rule.new_name == rule.name:
        raise RuleError("the new name is the entity's name")
    if action == "merge" and (rule.new_label, fold(rule.new_name)) == rule.key:
        raise RuleError("an entity cannot be merged into itself")
    if action == "split" and fold(clean_surface(rule.surface)) == fold(rule.name):
        raise RuleError("that alias is the entity's own name: there is nothing to detach")
    return rule


class RuleSet:
    """A set of rules, ready to apply. Of two rules on the same entity the older one counts."""

    def __init__(self, rules: Iterable[EntityRule] = ()) -> None:
        self.rules: list[EntityRule] = list(rules)
        self._by_key: dict[tuple[str, str], EntityRule] = {}
        self._splits: dict[tuple[str, str], set[str]] = {}
        for rule in self.rules:
            if rule.action == "split":
                self._splits.setdefault(rule.key, set()).add(fold(clean_surface(rule.surface)))
            else:
                self._by_key.setdefault(rule.key, rule)

    def __len__(self) -> int:
        return len(self.rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def resolve(self, label: str, name: str, surface: str = "") -> tuple[str, str] | None:
        """(label, canonical name) an entity counts as, or None when it is hidden."""
        if not self.rules:
            return label, name
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_CHAIN):
            key = (label, fold(name))
            if key in seen:
                break
            seen.add(key)
            detached = self._splits.get(key)
            if detached and surface:
                alias = clean_surface(surface)
                if fold(alias) in detached and fold(alias) != key[1]:
                    name = alias
                    continue
            rule = self._by_key.get(key)
            if rule is None:
                break
            if rule.action == "hide":
                return None
            label, name = rule.step(label, name)
        return label, name

    def apply(self, entities: Sequence[Entity]) -> list[Entity]:
        """``entities`` corrected: relabelled and renamed, hidden ones left out (new objects;
        the ones given are not changed)."""
        if not self.rules:
            return list(entities)
        out = []
        seen: dict[tuple[str, str, str], tuple[str, str] | None] = {}
        for entity in entities:
            key = (entity.label, entity.canonical, entity.text)
            if key in seen:
                found = seen[key]
            else:
                found = seen[key] = self.resolve(entity.label, entity.canonical, entity.text)
            if found is None:
                continue
            if found == (entity.label, entity.canonical):
                out.append(entity)
            else:
                out.append(replace(entity, label=found[0], canonical=found[1]))
        return out

    def touches(self, label: str, name: str, surface: str = "") -> set[tuple[str, str]]:
        """The keys the resolution of this entity passes through (for finding what a change affects)."""
        keys: set[tuple[str, str]] = set()
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_CHAIN):
            key = (label, fold(name))
            keys.add(key)
            if key in seen:
                break
            seen.add(key)
            detached = self._splits.get(key)
            if detached and surface and fold(clean_surface(surface)) in detached:
                name = clean_surface(surface)
                continue
            rule = self._by_key.get(key)
            if rule is None or rule.target is None:
                break
            label, name = rule.step(label, name)
        return keys

    def conflict(self, rule: EntityRule) -> str | None:
        """Why ``rule`` cannot join this set (a rule on the same entity, a loop), or None."""
        for other in self.rules:
            if other.key != rule.key:
                continue
            if rule.action == "split" and other.action == "split":
                if fold(clean_surface(other.surface)) == fold(clean_surface(rule.surface)):
                    return f"“{rule.surface}” is already detached from {rule.name}"
            elif rule.action != "split" and other.action != "split":
                return f"{rule.label} {rule.name} already has a correction ({other.action}); undo it first"
        target = rule.target
        if target is not None:
            extended = RuleSet([*self.rules, rule])
            if rule.key in extended.touches(target[0], target[1]):
                return "this correction would undo another one (a loop); undo that one instead"
        return None


def lookup_names(old: RuleSet, new: RuleSet, rule: EntityRule) -> list[tuple[str, str]]:
    """(label, name) under which the index holds the mentions whose entity changes when
    ``rule`` is added (``old`` without it, ``new`` with it) or deleted (the other way round):
    the name they count under now, wherever ``rule`` makes them go. A merge's target is not
    looked up when the merge is made (its own mentions do not change), only when undone."""
    names: list[tuple[str, str]] = []
    before = old.resolve(rule.label, rule.name)
    if before is not None and before != new.resolve(rule.label, rule.name):
        names.append(before)
    if rule.action == "split":  # mentions written so are under the name or their own
        names.extend([(rule.label, rule.name), (rule.label, clean_surface(rule.surface))])
        found = old.resolve(rule.label, rule.name, rule.surface)
        if found is not None:
            names.append(found)
    return list(dict.fromkeys(names))


def hidden_before(old: RuleSet, rule: EntityRule) -> bool:
    """True when ``rule``'s entity was hidden under ``old`` (its passages are then not found
    through the index by name: the document store's entity list is searched instead)."""
    return old.resolve(rule.label, rule.name) is None


# queries ------------------------------------------------------------------------------------

#: query prefix -> the labels its values are names of ("entity": any label)
QUERY_FIELDS: dict[str, tuple[str, ...]] = {"person": ("PERSON",), "org": ("ORG",), "place": ("GPE", "LOC")}
#: the prefix that holds names of a label (a retyped entity is searched where it now is)
_FIELD_OF = {label: name for name, labels in QUERY_FIELDS.items() for label in labels}
#: an entity clause, or a quoted phrase (skipped: a prefix inside one is a word of the phrase)
_ENTITY_VALUE_RE = re.compile(
    r'(?P<phrase>"[^"]*")|(?:(?<=^)|(?<=[\s(+\-]))(?P<prefix>person|org|place|entity):(?P<value>"[^"]*"|[^\s()"]+)',
    re.IGNORECASE,
)
#: a value with any of these is a pattern, a range, a fuzzy term or boosted: left as typed
_NOT_A_NAME = set("*?[]{}~^\\")


@dataclass(frozen=True)
class NameRewrite:
    """One entity clause of a query read through the rules: ``typed`` (in ``field``) stands for
    ``label`` ``now`` (it was ``was``, the gazetteer's name for it); ``action`` says why.
    ``searched`` is False when the clause is left as typed: the entity is hidden, or is now of
    a label the clause's field does not hold (``org:X`` after X was retyped PERSON asks for an
    organisation; the note names the clause that finds the person)."""

    field: str
    typed: str
    label: str
    was: str
    now: str
    action: str
    searched: bool = True

    @property
    def clause(self) -> str:
        """The clause that searches the entity where its label now is."""
        field = self.field if self.field == "entity" else _FIELD_OF.get(self.label, "entity")
        name = " ".join(self.now.replace('"', " ").split())
        return f'{field}:"{name}"'

    @property
    def message(self) -> str:
        """A line for the results page and the API."""
        if self.action == "hide":
            return f"{self.typed} is marked as not an entity: no passage counts it as one"
        if not self.searched:
            return f"{self.typed} is now a {self.label}, which {self.field}: does not hold: search {self.clause}"
        if self.action == "split":
            return f"{self.typed} is no longer counted as {self.was}: showing {self.now} alone"
        if self.action == "retype":
            return f"{self.typed} is now a {self.label}: showing {self.now} as one"
        if self.action == "rename":
            return f"{self.typed} is now called {self.now}: showing {self.now}"
        return f"{self.typed} is now part of {self.now}: showing {self.now}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (with the message)."""
        return {
            "field": self.field,
            "typed": self.typed,
            "label": self.label,
            "was": self.was,
            "now": self.now,
            "action": self.action,
            "searched": self.searched,
            "message": self.message,
        }


@dataclass(frozen=True)
class QueryRewrite:
    """A query with its entity clauses read through the rules: the text to search, what changed,
    and the names the query analyzer takes as they are (``indexer.schema.exact_names``)."""

    query: str
    notes: tuple[NameRewrite, ...] = ()
    exact: frozenset[str] = frozenset()


def _first_action(rules: RuleSet, label: str, name: str, surface: str) -> str:
    """What the first rule met on the way from (label, name) does (for the note)."""
    key = (label, fold(name))
    detached = rules._splits.get(key)
    if detached and surface and fold(clean_surface(surface)) in detached:
        return "split"
    rule = rules._by_key.get(key)
    return rule.action if rule is not None else ""


def _candidate_labels(rules: RuleSet, prefix: str, name: str) -> list[str]:
    """The labels a value of ``prefix`` may be a name of: the field's own, or for ``entity:``
    the gazetteer's label of the name, then every label a rule names it with."""
    if prefix in QUERY_FIELDS:
        return list(QUERY_FIELDS[prefix])
    found = lookup(name)
    labels = [found[1]] if found else []
    key = fold(name)
    labels.extend(sorted({r.label for r in rules.rules if fold(r.name) == key}))
    return list(dict.fromkeys(labels))


def resolve_name(rules: RuleSet, prefix: str, typed: str) -> NameRewrite | None:
    """What the entity name ``typed`` in a ``prefix:`` clause means under ``rules`` (None: what
    the gazetteer says, as without rules). The name is read as the tagger reads a mention (its
    gazetteer canonical name, ``typed`` as the surface), then resolved as the mentions are."""
    surface = clean_surface(typed)
    if not surface:
        return None
    was = canonical_name(surface)
    for label in _candidate_labels(rules, prefix.lower(), was):
        found = rules.resolve(label, was, surface)
        if found is None:
            return NameRewrite(prefix.lower(), typed, label, was, was, "hide", searched=False)
        if found[0] == label and fold(found[1]) == fold(was):
            continue
        field = prefix.lower()
        searched = field not in QUERY_FIELDS or found[0] in QUERY_FIELDS[field]
        return NameRewrite(field, typed, found[0], was, found[1], _first_action(rules, label, was, surface), searched)
    return None


def rewrite_query(text: str, rules: RuleSet) -> QueryRewrite:
    """``text`` with each ``person:``, ``org:``, ``place:`` and ``entity:`` name replaced by what
    it now is under ``rules``: after a merge of A into B, ``org:A`` searches B; a detached
    alias searches the alias alone. A clause whose entity is hidden, or is now of a label its
    field does not hold (retyped), is left as typed, with a note. Patterns, ranges, fuzzy and
    boosted values are left as typed."""
    if not rules or not text:
        return QueryRewrite(text)
    notes: list[NameRewrite] = []
    exact: set[str] = set()

    def replace_value(match: re.Match) -> str:
        if match.group("phrase"):
            return match.group(0)
        prefix, raw = match.group("prefix"), match.group("value")
        typed = raw[1:-1] if raw.startswith('"') else raw
        if not typed.strip() or _NOT_A_NAME & set(typed):
            return match.group(0)
        found = resolve_name(rules, prefix, typed)
        if found is None:
            return match.group(0)
        notes.append(found)
        if not found.searched:
            return match.group(0)
        exact.add(found.now)
        return found.clause

    rewritten = _ENTITY_VALUE_RE.sub(replace_value, text)
    return QueryRewrite(rewritten, tuple(dict.fromkeys(notes)), frozenset(exact))


def rewrite_entity_filters(filters: Mapping[str, Any] | None, rules: RuleSet) -> tuple[dict[str, Any] | None, set[str]]:
    """The search filters with each ``entity`` value read through ``rules`` as an ``entity:``
    clause is (a facet's value is an indexed name: a detached alias there is itself, not its
    old gazetteer entry), and the names to take as they are (``indexer.schema.exact_names``)."""
    if not filters or not rules or not filters.get("entity"):
        return (dict(filters) if filters else None), set()
    values = filters["entity"]
    many = isinstance(values, (list, tuple, set))
    out: list[Any] = []
    exact: set[str] = set()
    for value in values if many else [values]:
        found = resolve_name(rules, "entity", str(value)) if isinstance(value, str) else None
        if found is None or not found.searched:
            out.append(value)
            continue
        out.append(found.now)
        exact.add(found.now)
    return {**filters, "entity": out if many else out[0]}, exact
