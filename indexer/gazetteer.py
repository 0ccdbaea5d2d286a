"""The domain gazetteer (indexer/data/gazetteer.jsonl) and entity-name normalisation.

Labelling convention for the domain vocabulary (kept consistent across the gazetteer):
bodies, agencies, platforms and networks that *act* are ORG (Frontex, Europol, EMPACT,
EBCG, Coreper); funds, programmes, legal acts and pacts are LAW (IPA III, AMIF, the Pact);
IT systems and databases are PRODUCT (Eurodac, SIS, ETIAS); countries are GPE; regions
and routes are LOC (Western Balkans / WB6, Balkan Route).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from corpus.clean import fold

#: label of gazetteer entries that are never entities (the model's usual mistakes)
STOP = "-"
DATA_FILE = Path(__file__).parent / "data" / "gazetteer.jsonl"

CURRENCIES = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "chf": "CHF",
}
SCALES = {
    "million": "million",
    "millions": "million",
    "mn": "million",
    "m": "million",
    "mln": "million",
    "billion": "billion",
    "billions": "billion",
    "bn": "billion",
    "b": "billion",
    "thousand": "thousand",
    "k": "thousand",
    "trillion": "trillion",
}
_EDGE_JUNK = "\"'“”‘’«»>*()[]{},;:.!?-–—_#|/\\"
_MONEY_RE = re.compile(
    r"^(?P<cur1>[€$£]|us\$|eur|euros?|usd|gbp|chf)?\s*(?P<num>\d[\d.,\s]*\d|\d)\s*"
    r"(?P<scale>[a-z]+)?\s*(?P<cur2>eur|euros?|usd|dollars?|gbp|pounds?|chf)?$",
    re.IGNORECASE,
)
_SHORT_RE = re.compile(
    r"^(?P<cur1>[€$£]|us\$|eur|usd|gbp|chf)?(?P<num>\d[\d.,]*)(?P<scale>bn|mn|m|k)(?P<cur2>euros?|dollars?)?$",
    re.IGNORECASE,
)


def clean_surface(text: str) -> str:
    """Collapse whitespace, drop a leading 'the', a possessive 's and edge punctuation."""
    text = " ".join(text.split())
    prev = None
    while prev != text:
        prev = text
        text = text.strip(_EDGE_JUNK + " ")
        text = re.sub(r"^(?:the|The|THE)\s+", "", text)
        text = re.sub(r"['’]s$", "", text)
    return text


@lru_cache(maxsize=1)
def entries() -> list[dict[str, Any]]:
    """The gazetteer entries: label, canonical name, aliases."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@lru_cache(maxsize=1)
def alias_table() -> dict[str, tuple[str, str]]:
    """Folded alias -> (canonical name, label)."""
    table: dict[str, tuple[str, str]] = {}
    for entry in entries():
        for alias in [entry["canonical"], *entry["aliases"]]:
            table.setdefault(fold(clean_surface(alias)), (entry["canonical"], entry["label"]))
    return table


@lru_cache(maxsize=1)
def shortened_aliases() -> frozenset[str]:
    """Folded aliases that are a shortening of their canonical name: "Commission" of "European
    Commission", "Johansson" of "Ylva Johansson". Such a bare word names the entry only when no
    other name word qualifies it ("the Preparatory Commission" is another body)."""
    short = set()
    for entry in entries():
        whole = fold(entry["canonical"]).split()
        for alias in entry["aliases"]:
            words = fold(clean_surface(alias)).split()
            if words and len(words) < len(whole) and set(words) <= set(whole):
                short.add(" ".join(words))
    return frozenset(short)


def lookup(text: str) -> tuple[str, str] | None:
    """(canonical, label) of a gazetteer name, or None."""
    return alias_table().get(fold(clean_surface(text)))


def normalise_money(text: str) -> str:
    """'€7.7 billion' / '7.7bn euros' -> 'EUR 7.7 billion'; unparseable text comes back cleaned."""
    flat = " ".join(text.split())
    m = _MONEY_RE.match(flat) or _SHORT_RE.match(flat.replace(" ", ""))
    if not m:
        return flat
    cur = (m.group("cur1") or m.group("cur2") or "").lower()
    scale = (m.group("scale") or "").lower()
    if scale and scale not in SCALES:
        return flat
    parts = [CURRENCIES.get(cur, ""), m.group("num").strip(), SCALES.get(scale, "")]
    return " ".join(p for p in parts if p)


def canonical_name(text: str, label: str | None = None) -> str:
    """The name an entity counts under in facets and entity search."""
    if label == "MONEY":
        return normalise_money(text)
    cleaned = clean_surface(text)
    found = lookup(cleaned)
    if found:
        return found[0]
    return cleaned


def ruler_patterns() -> list[dict[str, Any]]:
    """entity_ruler patterns: every gazetteer alias plus general money amounts."""
    patterns: list[dict[str, Any]] = []
    for entry in entries():
        if entry["label"] == STOP:
            continue
        for alias in sorted({entry["canonical"], *entry["aliases"]}):
            patterns.append({"label": entry["label"], "pattern": alias, "id": entry["canonical"]})
    symbols = [c for c in CURRENCIES if c]
    words = [c for c in CURRENCIES if c.isalpha()]
    scales = list(SCALES)
    number = {"LIKE_NUM": True}
    scale = {"LOWER": {"IN": scales}, "OP": "?"}
    shorthand = {"LOWER": {"REGEX": r"^\d[\d.,]*(bn|mn|m|k)$"}}
    for pattern in (
        [{"LOWER": {"IN": symbols}}, number, scale],
        [{"LOWER": {"IN": symbols}}, shorthand],
        [number, scale, {"LOWER": {"IN": words}}],
        [shorthand, {"LOWER": {"IN": words}}],
    ):
        patterns.append({"label": "MONEY", "pattern": pattern})
    return patterns


# --- place names (indexer/data/places.tsv): never a person or an organisation on their own ---

PLACES_FILE = Path(__file__).parent / "data" / "places.tsv"


@lru_cache(maxsize=1)
def place_table() -> dict[str, tuple[str, str]]:
    """Folded place name -> (canonical name, kind): ISO 3166-1 country names with their common
    alternates, capital cities and world regions (see the head of the data file for where they
    come from)."""
    table: dict[str, tuple[str, str]] = {}
    with PLACES_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.startswith("#"):
                continue
            surface, canonical, kind = line.rstrip("\n").split("\t")
            table.setdefault(fold(clean_surface(surface)), (canonical, kind))
    return table


def known_place(text: str) -> str | None:
    """Canonical name of a country, territory, capital or world region written exactly ``text``, or None."""
    found = known_place_label(text)
    return found[0] if found else None


def known_place_label(text: str) -> tuple[str, str] | None:
    """(canonical name, label) of a place written exactly ``text``: LOC for a world region,
    sea or range ("Maghreb", "Caucasus"), GPE for a country, territory or capital; or None."""
    found = place_table().get(fold(clean_surface(text)))
    if found is None:
        return None
    return found[0], "LOC" if found[1] == "region" else "GPE"


@lru_cache(maxsize=1)
def country_stems() -> tuple[str, ...]:
    """Folded one-word country names (and alternates), the stems nationality words are made from."""
    return tuple(
        sorted(name for name, (_, kind) in place_table().items() if kind in ("country", "alternate") and name.isalpha())
    )


#: endings that make a nationality or language word of a country name ("Moldova-n", "Serb-ian")
DEMONYM_ENDINGS = ("n", "an", "ian", "ese", "ish", "i", "ic", "ean")


@lru_cache(maxsize=1 << 14)
def is_demonym(word: str) -> bool:
    """Whether one capitalised word is a nationality made from a country name: the word less a
    nationality ending is the start of a country's name ("Moldovan", "Serbian", "Chinese",
    "Afghan" for Afghanistan, "Turkish" for Turkey), singular or plural ("Syrians")."""
    if not (word[:1].isupper() and word.isalpha()) or len(word) < 5:
        return False
    folded = fold(word)
    if folded in place_table():
        return False  # a country is not its own nationality
    stems = country_stems()
    forms = {folded, folded[:-1]} if folded.endswith("s") else {folded}  # "Syrians", "Iraqis"
    candidates = forms | {form[: -len(end)] for form in forms for end in DEMONYM_ENDINGS if form.endswith(end)}
    return any(len(stem) >= 4 and any(name.startswith(stem) for name in stems) for stem in candidates)
