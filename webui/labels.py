"""The entity labels Glossa shows and accepts as filters, defined once."""

from __future__ import annotations

from indexer.schema import ENTITY_FIELDS

#: entity labels, in legend order, with a name a person reads
LABELS: dict[str, str] = {
    "PERSON": "Person",
    "ORG": "Organisation",
    "GPE": "Country or city",
    "LOC": "Place",
    "NORP": "Group",
    "LAW": "Law",
    "EVENT": "Event",
    "DATE": "Date",
    "MONEY": "Money",
    "PERCENT": "Percent",
    "CARDINAL": "Number",
    "PRODUCT": "Product",
    "FAC": "Facility",
    "WORK_OF_ART": "Work",
    "ORDINAL": "Ordinal",
    "TIME": "Time",
    "QUANTITY": "Quantity",
    "LANGUAGE": "Language",
}
#: labels shown plain by default, in the reader, in snippets and in "Top entities": dates and
#: numbers are everywhere in policy papers and would drown the names; one choice away (the
#: reader's checkboxes, an entity-type filter in search)
QUIET_TYPES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "QUANTITY"})
#: how entity-type filters may be spelled besides the labels: the search fields of the
#: index (person:, org:, place:) and the labels they hold
TYPE_ALIASES: dict[str, tuple[str, ...]] = ENTITY_FIELDS


def label_name(label: str) -> str:
    """The readable name of an entity label ("ORG" -> "Organisation")."""
    return LABELS.get(label, label.replace("_", " ").title())
