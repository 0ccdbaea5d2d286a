"""Entity rules at query time (indexer.entity_rules.rewrite_query) and a detached gazetteer
alias at index time (indexer.schema.CanonicalFilter), on a real Whoosh index on disk."""

from __future__ import annotations

import pytest

from indexer.backend import SearchBackend
from indexer.entity_rules import EntityRule, RuleSet, rewrite_entity_filters, rewrite_query
from indexer.pipeline import ingest
from indexer.schema import exact_names, make_schema
from indexer.writer import open_index
from tests.common.backend import backend_for_tests, searcher_for_tests

TEXT = """The EU paid for the new reception centre.

The European Union also paid for training.

EASO sent experts to the islands.

EUAA took over the work of the office.
"""

DETACH_EU = EntityRule("split", "ORG", "European Union", surface="EU")
MERGE_EASO = EntityRule("merge", "ORG", "EASO", new_label="ORG", new_name="EUAA")


def _ingest(tmp_path, rules: RuleSet):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    data = tmp_path / "data"
    # the rule-based tagger (the gazetteer) is enough here, and quick
    ingest([src], data, progress=False, entity_rules=rules, model="no_such_model_for_tests")
    return data


def _passages(searcher: SearchBackend, query: str, rules: RuleSet) -> tuple[set[int], tuple]:
    rewrite = rewrite_query(query, rules)
    with exact_names(rewrite.exact):
        found = searcher.search(rewrite.query, pagelen=50, relax=False)
    return {hit.ordinal for hit in found.hits}, rewrite.notes


def _ordinal(searcher: SearchBackend, word: str) -> int:
    (hit,) = searcher.search(f"text:{word}", relax=False).hits
    return hit.ordinal


def test_the_analyzer_folds_index_values_and_maps_query_aliases():
    org = make_schema()["org"]
    assert [t.text for t in org.analyzer("EU", mode="index")] == ["eu"]
    assert [t.text for t in org.analyzer("EU", mode="query")] == ["european union"]
    assert [t.text for t in org.analyzer("the EU's", mode="index")] == ["eu"]
    with exact_names(["EU"]):
        assert [t.text for t in org.analyzer("EU", mode="query")] == ["eu"]
    assert [t.text for t in org.analyzer("EU", mode="query")] == ["european union"]  # only inside the block


def test_a_detached_alias_is_its_own_name_in_the_index_and_in_queries(tmp_path):
    rules = RuleSet([DETACH_EU])
    data = _ingest(tmp_path, rules)
    if backend_for_tests() == "whoosh":  # (the searches below say the same on every backend)
        with open_index(data / "index").searcher() as whoosh_searcher:
            terms = set(whoosh_searcher.reader().field_terms("org"))
        assert "eu" in terms and "european union" in terms  # the gazetteer no longer folds EU in

    searcher = searcher_for_tests(data / "index")
    eu, union = _ordinal(searcher, "reception"), _ordinal(searcher, "training")
    found, notes = _passages(searcher, "org:EU", rules)
    assert found == {eu}
    assert [n.action for n in notes] == ["split"]
    assert notes[0].message == "EU is no longer counted as European Union: showing EU alone"
    assert _passages(searcher, 'org:"European Union"', rules)[0] == {union}
    # without the rules the gazetteer reads EU as the European Union, as before
    assert {h.ordinal for h in searcher.search("org:EU", relax=False).hits} == {union}
    # the facet filter of the detached name (an indexed name, as the facet lists it)
    filters, exact = rewrite_entity_filters({"entity": ["EU"], "type": "ORG"}, rules)
    assert filters == {"entity": ["EU"], "type": "ORG"} and exact == {"EU"}
    with exact_names(exact):
        assert {h.ordinal for h in searcher.search("", filters=filters).hits} == {eu}
    assert {h.ordinal for h in searcher.search("", filters={"entity": "EU"}).hits} == {union}
    assert rewrite_entity_filters({"entity": "European Union"}, rules) == ({"entity": "European Union"}, set())
    assert rewrite_entity_filters({"doc": "a"}, rules) == ({"doc": "a"}, set())
    searcher.close()


def test_without_rules_an_alias_still_finds_its_entry(tmp_path):
    data = _ingest(tmp_path, RuleSet())
    searcher = searcher_for_tests(data / "index")
    eu, union = _ordinal(searcher, "reception"), _ordinal(searcher, "training")
    assert _passages(searcher, "org:EU", RuleSet()) == ({eu, union}, ())
    searcher.close()


def test_a_merged_name_searches_what_it_became(tmp_path):
    rules = RuleSet([MERGE_EASO])
    data = _ingest(tmp_path, rules)
    searcher = searcher_for_tests(data / "index")
    easo, euaa = _ordinal(searcher, "experts"), _ordinal(searcher, "office")
    assert not searcher.search("org:EASO", relax=False).hits  # no passage counts EASO any more
    found, notes = _passages(searcher, "org:EASO", rules)
    assert found == {easo, euaa}
    assert notes[0].message == "EASO is now part of EUAA: showing EUAA"
    assert notes[0].to_dict()["now"] == "EUAA" and notes[0].to_dict()["was"] == "EASO"
    # in a larger query, lowercase, with other clauses
    assert _passages(searcher, "ORG:easo islands", rules)[0] == {easo}
    searcher.close()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("org:EASO", 'org:"EUAA"'),
        ('org:"EASO" frontex', 'org:"EUAA" frontex'),
        ("(org:EASO OR org:Frontex)", '(org:"EUAA" OR org:Frontex)'),
        ("-org:EASO", '-org:"EUAA"'),
        ("entity:EASO", 'entity:"EUAA"'),
        ('"org:EASO in a phrase"', '"org:EASO in a phrase"'),  # a phrase's words stay words
        ("org:EAS*", "org:EAS*"),  # patterns, fuzzy and boosted values as typed
        ("org:EASO~", "org:EASO~"),
        ("org:EASO^2", "org:EASO^2"),
        ("person:EASO", "person:EASO"),  # another label: no rule
        ("EASO", "EASO"),  # bare words are the natural query's
        ("place:Lesbos", "place:Lesbos"),  # retyped: place: asks for a place; the note says where it is
        ("entity:Lesbos", 'entity:"Lesbos"'),
        ("org:Frontex", "org:Frontex"),
        ("org:Nowhere", "org:Nowhere"),
    ],
)
def test_rewrite_query_reads_entity_clauses_through_the_rules(query, expected):
    rules = RuleSet([MERGE_EASO, EntityRule("retype", "GPE", "Lesbos", new_label="PERSON")])
    assert rewrite_query(query, rules).query == expected


def test_rewrite_notes_rename_retype_hide_and_chains():
    rules = RuleSet(
        [
            EntityRule("merge", "ORG", "EASO", new_label="ORG", new_name="EUAA"),
            EntityRule("rename", "ORG", "EUAA", new_name="European Union Agency for Asylum"),
            EntityRule("hide", "ORG", "Non"),
            EntityRule("retype", "PERSON", "Lesbos", new_label="GPE"),
        ]
    )
    chained = rewrite_query("org:EASO", rules)
    assert chained.query == 'org:"European Union Agency for Asylum"'
    assert chained.exact == {"European Union Agency for Asylum"}
    assert rewrite_query("org:EUAA", rules).notes[0].message == (
        "EUAA is now called European Union Agency for Asylum: showing European Union Agency for Asylum"
    )
    hidden = rewrite_query("org:Non", rules)
    assert hidden.query == "org:Non" and hidden.notes[0].action == "hide"
    assert "not an entity" in hidden.notes[0].message
    retyped = rewrite_query("person:Lesbos", rules)
    assert retyped.query == "person:Lesbos" and not retyped.notes[0].searched
    assert retyped.notes[0].message == 'Lesbos is now a GPE, which person: does not hold: search place:"Lesbos"'
    anywhere = rewrite_query("entity:Lesbos", rules)
    assert (
        anywhere.query == 'entity:"Lesbos"'
        and anywhere.notes[0].message == "Lesbos is now a GPE: showing Lesbos as one"
    )
    assert rewrite_query("org:EASO", RuleSet()).query == "org:EASO"
