"""Entity correction rules applied to tagged entities (indexer.entity_rules), and the
re-indexing of the passages a rule change affects (indexer.pipeline.reindex_entities)."""

from __future__ import annotations

import pytest

from indexer.backend import SearchBackend
from indexer.entity_rules import EntityRule, RuleError, RuleSet, lookup_names, parse_rule
from indexer.ner import Entity
from indexer.pipeline import ingest, reindex_entities
from indexer.store import DocumentStore
from tests.common.backend import backend_for_tests, searcher_for_tests


def ent(label: str, canonical: str, text: str | None = None, start: int = 0) -> Entity:
    text = text or canonical
    return Entity(start, start + len(text), label, text, canonical)


def test_no_rules_returns_the_entities_unchanged():
    found = [ent("ORG", "Frontex"), ent("GPE", "Serbia")]
    assert RuleSet().apply(found) == found


def test_retype_rename_merge_hide():
    rules = RuleSet(
        [
            EntityRule("retype", "PERSON", "Lesbos", new_label="GPE"),
            EntityRule("rename", "ORG", "EASO", new_name="European Union Agency for Asylum"),
            EntityRule("merge", "ORG", "European Border and Coast Guard", new_label="ORG", new_name="Frontex"),
            EntityRule("hide", "NORP", "Non"),
        ]
    )
    found = [
        ent("PERSON", "Lesbos"),
        ent("ORG", "EASO"),
        ent("ORG", "European Border and Coast Guard", "EBCG"),
        ent("NORP", "Non"),
        ent("ORG", "Frontex"),
        ent("PERSON", "Ylva Johansson"),
    ]
    out = rules.apply(found)
    assert [(e.label, e.canonical, e.text) for e in out] == [
        ("GPE", "Lesbos", "Lesbos"),
        ("ORG", "European Union Agency for Asylum", "EASO"),
        ("ORG", "Frontex", "EBCG"),
        ("ORG", "Frontex", "Frontex"),
        ("PERSON", "Ylva Johansson", "Ylva Johansson"),
    ]
    assert found[0].label == "PERSON"  # the given entities are not changed


def test_rules_match_case_and_accents_insensitively_but_only_their_label():
    rules = RuleSet([EntityRule("retype", "PERSON", "Lesbos", new_label="GPE")])
    assert rules.resolve("PERSON", "LESBOS") == ("GPE", "LESBOS")
    assert rules.resolve("PERSON", "Lésbos") == ("GPE", "Lésbos")
    assert rules.resolve("ORG", "Lesbos") == ("ORG", "Lesbos")


def test_rules_chain_and_loops_stop():
    rules = RuleSet(
        [
            EntityRule("merge", "ORG", "A", new_label="ORG", new_name="B"),
            EntityRule("rename", "ORG", "B", new_name="C"),
            EntityRule("retype", "ORG", "C", new_label="LOC"),
        ]
    )
    assert rules.resolve("ORG", "A") == ("LOC", "C")
    loop = RuleSet(
        [
            EntityRule("rename", "ORG", "X", new_name="Y"),
            EntityRule("rename", "ORG", "Y", new_name="X"),
        ]
    )
    assert loop.resolve("ORG", "X") == ("ORG", "X")  # came back: stops, never spins


def test_merge_into_hidden_entity_hides_it():
    rules = RuleSet([EntityRule("merge", "ORG", "A", new_label="ORG", new_name="B"), EntityRule("hide", "ORG", "B")])
    assert rules.resolve("ORG", "A") is None


def test_split_detaches_one_alias_of_a_gazetteer_merge():
    # the gazetteer counts "EBCG" and "European Border and Coast Guard" as one entity
    rules = RuleSet([EntityRule("split", "ORG", "European Border and Coast Guard", surface="EBCG")])
    out = rules.apply(
        [ent("ORG", "European Border and Coast Guard", "EBCG"), ent("ORG", "European Border and Coast Guard")]
    )
    assert [(e.label, e.canonical) for e in out] == [("ORG", "EBCG"), ("ORG", "European Border and Coast Guard")]


def test_split_detaches_one_alias_of_a_rule_merge():
    rules = RuleSet(
        [
            EntityRule("merge", "ORG", "EASO", new_label="ORG", new_name="EUAA"),
            EntityRule("merge", "ORG", "European Asylum Support Office", new_label="ORG", new_name="EUAA"),
            EntityRule("split", "ORG", "EUAA", surface="EASO"),
        ]
    )
    assert rules.resolve("ORG", "EASO", "EASO") == ("ORG", "EASO")
    assert rules.resolve("ORG", "European Asylum Support Office", "European Asylum Support Office") == ("ORG", "EUAA")


def test_parse_rule_checks_every_field():
    rule = parse_rule(
        {"action": "merge", "label": "org", "name": "  EBCG \n", "new_label": "ORG", "new_name": "Frontex"}
    )
    assert rule == EntityRule("merge", "ORG", "EBCG", new_label="ORG", new_name="Frontex")
    assert rule.to_dict() == {
        "action": "merge",
        "label": "ORG",
        "name": "EBCG",
        "new_label": "ORG",
        "new_name": "Frontex",
    }
    bad = [
        ({"action": "delete", "label": "ORG", "name": "x"}, "action must be"),
        ({"action": "hide", "label": "O", "name": "x"}, "label"),
        ({"action": "hide", "label": "ORG", "name": "  "}, "must not be empty"),
        ({"action": "hide", "label": "ORG", "name": "x" * 201}, "longer than"),
        ({"action": "hide", "label": "ORG", "name": "a\x00b"}, "control"),
        ({"action": "rename", "label": "ORG", "name": "x"}, "new_name"),
        ({"action": "retype", "label": "ORG", "name": "x", "new_label": "ORG"}, "already"),
        ({"action": "merge", "label": "ORG", "name": "x", "new_label": "ORG", "new_name": "X"}, "itself"),
        ({"action": "split", "label": "ORG", "name": "x", "surface": "the X"}, "own name"),
        ("not a mapping", "object"),
    ]
    for data, message in bad:
        with pytest.raises(RuleError, match=message):
            parse_rule(data)  # type: ignore[arg-type]
    with pytest.raises(RuleError, match="not a label Glossa knows"):
        parse_rule({"action": "retype", "label": "ORG", "name": "x", "new_label": "PLANET"}, labels={"ORG", "GPE"})


def test_conflicts_same_entity_and_loops():
    rules = RuleSet([EntityRule("merge", "ORG", "A", new_label="ORG", new_name="B")])
    assert "already has a correction" in rules.conflict(EntityRule("hide", "ORG", "a"))
    assert "loop" in rules.conflict(EntityRule("rename", "ORG", "B", new_name="A"))
    assert rules.conflict(EntityRule("split", "ORG", "A", surface="AA")) is None
    assert rules.conflict(EntityRule("hide", "ORG", "B")) is None
    split = RuleSet([EntityRule("split", "ORG", "B", surface="A")])
    assert "already detached" in split.conflict(EntityRule("split", "ORG", "b", surface="a"))


def test_lookup_names_cover_source_and_targets():
    rule = EntityRule("merge", "ORG", "A", new_label="ORG", new_name="B")
    old, new = RuleSet([EntityRule("rename", "ORG", "B", new_name="C")]), None
    new = RuleSet([*old.rules, rule])
    assert lookup_names(old, new, rule) == [("ORG", "A")]  # where the mentions are now
    assert lookup_names(new, old, rule) == [("ORG", "C")]  # undone: they count as C now
    split = EntityRule("split", "ORG", "C", surface="A")
    assert lookup_names(new, RuleSet([*new.rules, split]), split) == [("ORG", "C"), ("ORG", "A")]
    hide = EntityRule("hide", "ORG", "C")
    assert lookup_names(RuleSet([hide]), RuleSet(), hide) == []  # hidden: not in the index


# ---- re-indexing the affected passages on a real index -----------------------------------


def _org_docs(searcher: SearchBackend, name: str) -> set[tuple[str, int]]:
    """The passages an org: search finds."""
    found = searcher.search(f'org:"{name}"', pagelen=5000, relax=False)
    assert found.total == len(found.hits)
    return {(hit.doc_id, hit.ordinal) for hit in found.hits}


def _facet(searcher: SearchBackend, query: str) -> dict[tuple[str, str], int]:
    return {(e["label"], e["value"]): e["count"] for e in searcher.search(query, pagelen=1).facets["entities"]}


def test_reindex_merge_and_undo_on_the_sample_corpus(data_dir):
    index_dir = data_dir / "index"
    searcher = searcher_for_tests(index_dir)
    euaa = _org_docs(searcher, "EUAA")
    easo = _org_docs(searcher, "EASO")
    assert euaa and easo and easo - euaa, "the sample corpus names EASO in passages not naming EUAA"
    before_files = {p.name: p.read_text() for p in (data_dir / "docs").glob("*.json")}

    rule = EntityRule("merge", "ORG", "EASO", new_label="ORG", new_name="EUAA")
    report = reindex_entities(data_dir, RuleSet([rule]), lookup_names(RuleSet(), RuleSet([rule]), rule))
    assert report.generation and report.documents >= 1
    searcher = searcher_for_tests(index_dir)
    assert _org_docs(searcher, "EUAA") == euaa | easo
    assert not _org_docs(searcher, "EASO")
    assert ("ORG", "EASO") not in _facet(searcher, "org:EUAA")
    # the stored tagged documents are what the tagger found: untouched
    assert {p.name: p.read_text() for p in (data_dir / "docs").glob("*.json")} == before_files
    # only the passages naming EASO were written: Whoosh re-indexes the passages whose entities change; another backend rebuilds every one
    assert report.passages == (len(easo) if backend_for_tests() == "whoosh" else searcher.passage_count())

    # undo: the passages come back as the tagger made them
    undo = reindex_entities(data_dir, RuleSet(), lookup_names(RuleSet([rule]), RuleSet(), rule))
    assert undo.passages == report.passages
    searcher = searcher_for_tests(index_dir)
    assert _org_docs(searcher, "EUAA") == euaa
    assert _org_docs(searcher, "EASO") == easo
    # nothing left to change: no new generation on Whoosh (another backend rebuilds from the store)
    again = reindex_entities(data_dir, RuleSet(), [("ORG", "EASO")])
    assert again.generation is None if backend_for_tests() == "whoosh" else again.passages == report.passages


def test_reindex_hide_and_undo_finds_hidden_passages_through_the_store(data_dir):
    index_dir = data_dir / "index"
    rule = EntityRule("hide", "ORG", "Frontex")
    rules = RuleSet([rule])
    reindex_entities(data_dir, rules, lookup_names(RuleSet(), rules, rule))
    searcher = searcher_for_tests(index_dir)
    assert not _org_docs(searcher, "Frontex")
    docs = [s.doc_id for s in DocumentStore(data_dir).summaries()]
    undo = reindex_entities(data_dir, RuleSet(), [], doc_ids=docs)
    assert undo.passages > 0
    assert _org_docs(searcher_for_tests(index_dir), "Frontex")


def test_ingest_applies_rules_to_new_and_changed_documents(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Frontex and the European Border and Coast Guard met in Belgrade.\n", encoding="utf-8")
    rule = EntityRule("merge", "ORG", "European Border and Coast Guard", new_label="ORG", new_name="Frontex")
    data = tmp_path / "data"
    ingest([src], data, progress=False, entity_rules=RuleSet([rule]))
    stored = DocumentStore(data).get("a")
    assert any(e.canonical == "European Border and Coast Guard" for e in stored.entities)  # kept as tagged
    searcher = searcher_for_tests(data / "index")
    hit = searcher.search("org:Frontex").hits[0]
    assert {e["canonical"] for e in hit.entities if e["label"] == "ORG"} == {"Frontex"}
