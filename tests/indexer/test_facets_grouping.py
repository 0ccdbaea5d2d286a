"""Results grouped by document and multi-select facets, on both backends (sample corpus, real tags).

Grouped by document, a page lists each matching document once, in the order its best passage
has in the passage ranking, with its best passages (at most three, the first ones of the
ranking) and its true count of matching passages over the whole result; pages are pages of
documents and the totals are exact. Facets: values of one filter are OR-ed, filters AND-ed, and
a facet with a value chosen is counted over the matches of every other filter (as
Elasticsearch's post_filter), so its other values stay listed with their counts. Both backends
must give the same groups, counts and facets; private tags stay out of all of it.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from indexer.facets import GROUP_HITS, keep_chosen
from indexer.query import QueryError
from indexer.tagfilter import TagResolver

A, B, C = "003-b4544ddbd7f01f68", "001-ecc342d5c4ab413f", "002-91bd122e1223309b"
#: a term, a natural query (all words), one relaxed into tiers, a phrase, a slop phrase (Whoosh's
#: own matcher), a prefix, a range, a field
QUERIES = [
    "frontex",
    "border control",
    "migration policy libya turkey greece zzyzzyva",
    '"european union"',
    '"border procedure"~3',
    "migra*",
    "page:[2 TO 5]",
    "type:MONEY",
]


def document_pages(searcher, query, filters=None, pagelen=2, resolver=None):
    """Every page of documents of a query: (results of page 1, every group in page order)."""
    first = searcher.search(query, pagelen=pagelen, filters=filters, group="document", tag_resolver=resolver)
    groups = list(first.groups)
    for page in range(2, first.pages + 1):
        res = searcher.search(
            query, page=page, pagelen=pagelen, filters=filters, group="document", tag_resolver=resolver
        )
        assert res.pages == first.pages and res.total == first.total and res.documents == first.documents
        groups += res.groups
    return first, groups


@pytest.mark.parametrize("query", QUERIES)
def test_document_pages_list_each_document_once_with_its_true_count(backend, query):
    ranking = backend.matching_passages(query)  # every matching passage, in rank order
    assert ranking, query
    per_doc = Counter(doc for doc, _ in ranking)
    first, groups = document_pages(backend, query)
    assert first.group == "document" and first.total == len(ranking)
    assert first.documents == len(per_doc) and first.pages == math.ceil(len(per_doc) / 2)
    order = list(dict.fromkeys(doc for doc, _ in ranking))  # documents as the ranking first shows them
    assert [g.doc_id for g in groups] == order, query
    for g in groups:
        assert g.count == per_doc[g.doc_id], (query, g.doc_id)
        best = [o for doc, o in ranking if doc == g.doc_id][:GROUP_HITS]
        assert [h.ordinal for h in g.hits] == best, (query, g.doc_id)
        assert all(h.doc_id == g.doc_id and h.title == g.title for h in g.hits)
    assert [h for g in first.groups for h in g.hits] == first.hits


@pytest.mark.parametrize("query", QUERIES)
def test_both_backends_give_the_same_groups_and_counts(backends, query):
    seen = {}
    for name, searcher in backends.items():
        first, groups = document_pages(searcher, query, pagelen=3)
        seen[name] = (
            first.total,
            first.documents,
            first.pages,
            sorted((g.doc_id, g.title, g.count, len(g.hits)) for g in groups),
            first.facets,
            first.facet_more,
        )
    assert seen["tantivy"] == seen["whoosh"], query


def test_passage_pages_give_each_group_its_true_count(backend):
    ranking = backend.matching_passages("border")
    per_doc = Counter(doc for doc, _ in ranking)
    for page in (1, 2, 3):
        res = backend.search("border", page=page, pagelen=7)
        assert res.group is None and res.documents == len(per_doc)
        assert res.groups and all(g.count == per_doc[g.doc_id] >= len(g.hits) for g in res.groups)
        assert res.to_dict()["groups"][0]["count"] == res.groups[0].count


def test_a_page_past_the_last_document_is_empty(backend):
    res = backend.search("frontex", page=50, pagelen=2, group="document")
    assert res.groups == [] and res.hits == [] and res.pages == math.ceil(res.documents / 2)


@pytest.mark.parametrize("bad", ["passage", "doc", "DOCUMENT", "x" * 100])
def test_an_unknown_grouping_is_a_query_error(backend, bad):
    with pytest.raises(QueryError, match="Unknown grouping"):
        backend.search("frontex", group=bad)
    assert backend.search("frontex", group="").group is None


# --- multi-select facets ------------------------------------------------------------------------


def counts(res, facet):
    return {(e["value"], e["label"]): e["count"] for e in res.facets[facet]}


def test_values_of_one_facet_are_or_ed_and_its_own_counts_stay(backend):
    whole = backend.search("border", pagelen=200)
    per_doc = counts(whole, "documents")
    both = backend.search("border", pagelen=200, filters={"doc": [A, B]})
    assert both.total == sum(n for (d, _), n in per_doc.items() if d in (A, B))
    assert {h.doc_id for h in both.hits} == {A, B} and both.documents == 2
    # the document facet is counted without its own filter: every document stays, with its count
    assert counts(both, "documents") == per_doc
    assert both.facet_more["documents"] == whole.facet_more["documents"]
    # the other facets count the filtered passages
    types = Counter(label for h in both.hits for label in {e["label"] for e in h.entities})
    assert {v: n for (v, _), n in counts(both, "entity_types").items()} == dict(types)


def test_facets_are_and_ed_and_each_counts_without_its_own_filter(backend):
    docs_and_money = backend.search("", pagelen=200, filters={"doc": [A, B, C], "type": ["MONEY", "PERCENT"]})
    only_docs = backend.search("", pagelen=200, filters={"doc": [A, B, C]})
    only_types = backend.search("", pagelen=200, filters={"type": ["MONEY", "PERCENT"]})
    assert 0 < docs_and_money.total < min(only_docs.total, only_types.total)
    assert all(h.doc_id in (A, B, C) for h in docs_and_money.hits)
    assert all({"MONEY", "PERCENT"} & {e["label"] for e in h.entities} for h in docs_and_money.hits)
    assert docs_and_money.facets["documents"] == only_types.facets["documents"]
    assert docs_and_money.facets["entity_types"] == only_docs.facets["entity_types"]
    # a facet without a choice counts the passages every filter leaves
    held = Counter((e["canonical"], e["label"]) for h in docs_and_money.hits for e in h.entities)
    for entry in docs_and_money.facets["entities"]:
        assert entry["count"] <= sum(n for (name, label), n in held.items() if label == entry["label"])


def test_a_chosen_value_stays_in_its_facet_however_rare(backend):
    whole = backend.search("border", pagelen=10)
    assert whole.facet_more["entities"] > 0
    listed = {e["value"] for e in whole.facets["entities"]}
    full = backend.search("border", pagelen=10, filters={"entity": ["Frontex"]})
    rare = next(
        e
        for h in backend.search("border", pagelen=200).hits
        for e in h.entities
        if e["canonical"] not in listed and e["label"] not in ("DATE", "CARDINAL", "ORDINAL")
    )
    res = backend.search("border", pagelen=10, filters={"entity": [rare["canonical"]]})
    assert rare["canonical"].casefold() in {e["value"].casefold() for e in res.facets["entities"]}
    assert len(res.facets["entities"]) >= len(full.facets["entities"])


def test_both_backends_give_the_same_multi_select_facets(backends):
    cases = [
        ("border", {"doc": [A, B]}),
        ("border", {"doc": [A, B], "type": ["MONEY", "GPE"]}),
        ("frontex", {"type": ["ORG"], "entity": ["Frontex", "European Union"]}),
        ("", {"doc": [A], "type": ["PERCENT"]}),
        ("migration policy libya turkey greece zzyzzyva", {"doc": [A, C]}),
    ]
    for query, filters in cases:
        answers = []
        for searcher in backends.values():
            res = searcher.search(query, pagelen=200, filters=filters)
            grouped = searcher.search(query, pagelen=200, filters=filters, group="document")
            answers.append(
                (
                    res.total,
                    res.documents,
                    res.facets,
                    res.facet_more,
                    sorted((g.doc_id, g.count) for g in grouped.groups),
                )
            )
        assert answers[0] == answers[1], (query, filters)
        assert answers[0][0] > 0, (query, filters)


D0, D4 = "000-c7d6b90c2e1462b7", "004-14094fff2b1dbb4b"
#: natural queries whose reading changes under some filters (a filter leaving passages with
#: fewer of the words relaxes it further), and strict ones
DEFINITION = [
    ("idomeni camp frontex", {"doc": [D0], "type": ["GPE", "ORG"]}),
    ("idomeni camp frontex", {"doc": [A, D0], "entity": ["Frontex"]}),
    ("libya coast guard hungary fence", {"doc": [B, D4], "type": ["GPE"]}),
    ("border", {"doc": [A, C], "type": ["MONEY", "PERCENT"], "entity": ["Frontex", "Serbia"]}),
    ('"border control"~3', {"doc": [A, B], "type": ["ORG"]}),
    ("", {"doc": [D0, D4], "type": ["DATE"]}),
]


@pytest.mark.parametrize(("query", "filters"), DEFINITION, ids=[f"{q}:{json.dumps(f)}" for q, f in DEFINITION])
def test_a_chosen_facet_counts_what_the_search_without_its_filter_finds(backend, query, filters):
    res = backend.search(query, pagelen=10, filters=filters)
    assert res.total == backend.search(query, pagelen=10, filters=filters, group="document").total
    keys = {"documents": "doc", "entity_types": "type", "entities": "entity"}
    for facet, key in keys.items():
        rest = {k: v for k, v in filters.items() if k != key}
        if key in filters:
            without = backend.search(query, pagelen=10, filters=rest or None)
            expected = without.facets[facet]
        else:
            expected = backend.search(query, pagelen=10, filters=filters).facets[facet]
        shown = [e for e in res.facets[facet] if e in expected]
        assert shown == expected[: len(shown)] and len(shown) >= min(len(expected), 20), (facet, query, filters)


def test_keep_chosen_adds_a_chosen_value_beyond_the_top():
    items = [{"value": f"v{i}", "count": 10 - i} for i in range(10)]
    assert keep_chosen(items, 3, None, lambda e: e["value"]) == items[:3]
    assert keep_chosen(items, 3, ["V7", "v1"], lambda e: e["value"]) == [*items[:3], items[7]]
    assert keep_chosen(items, 3, "nothing", lambda e: e["value"]) == items[:3]


# --- private tags --------------------------------------------------------------------------------

VISIBLE = [
    (A, "Hungary decided to build a fence", "fence"),
    (A, "Idomeni camp", "camps"),
    (B, "EUROPOL Operational Task Force", "policing"),
]
PRIVATE = [
    (A, "Idomeni camp", "secretplan"),
    (B, "Eurodac", "secretplan"),
    (C, "Frontex", "whistleblower-x"),
]


def spans(sample_docs, wanted):
    docs = {d.doc_id: d for d in sample_docs}
    out = []
    for doc_id, quote, tag in wanted:
        start = docs[doc_id].text.index(quote)
        out.append((doc_id, start, start + len(quote), tag))
    return out


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("", {"tag": ["fence", "camps"]}),
        ("", {"tag": ["fence"], "doc": [A, B]}),
        ("border", {"tag": ["fence"]}),
        ("frontex", {"doc": [A, B, C]}),
        ("tag:*", {"tag": ["policing"]}),
        ("", {"tag": ["secretplan"]}),
    ],
)
def test_tag_facets_and_groups_see_only_visible_tags(backends, sample_docs, query, filters):
    reader = TagResolver(spans(sample_docs, VISIBLE))
    author = TagResolver(spans(sample_docs, VISIBLE + PRIVATE))
    seen = {}
    for name, searcher in backends.items():
        out = []
        for group in (None, "document"):
            res = searcher.search(query, pagelen=50, filters=filters, tag_resolver=reader, group=group)
            text = json.dumps(res.to_dict())
            for secret in ("secretplan", "whistleblower-x"):
                assert secret not in text or secret in json.dumps(filters), (name, query, filters)
            assert {t["value"] for t in res.facets["tags"]} <= {"fence", "camps", "policing"}
            out.append(res.to_dict() | {"elapsed_ms": 0})
            mine = searcher.search(query, pagelen=50, filters=filters, tag_resolver=author, group=group)
            out.append(mine.to_dict() | {"elapsed_ms": 0})
        seen[name] = [
            (d["total"], d["documents"], d["facets"], sorted((g["doc_id"], g["count"]) for g in d["groups"]))
            for d in out
        ]
    assert seen["tantivy"] == seen["whoosh"], (query, filters)


def test_the_tag_facet_counts_without_its_own_filter_from_visible_tags_only(backends, sample_docs):
    reader = TagResolver(spans(sample_docs, VISIBLE))
    author = TagResolver(spans(sample_docs, VISIBLE + PRIVATE))
    for searcher in backends.values():
        res = searcher.search("", pagelen=50, filters={"tag": ["fence"]}, tag_resolver=reader)
        assert res.total >= 1 and all("fence" in h.tags for h in res.hits)
        assert {t["value"] for t in res.facets["tags"]} == {"fence", "camps", "policing"}
        theirs = searcher.search("", pagelen=50, filters={"tag": ["fence"]}, tag_resolver=author)
        assert {t["value"] for t in theirs.facets["tags"]} == {
            "fence",
            "camps",
            "policing",
            "secretplan",
            "whistleblower-x",
        }
        # someone else's private tag, chosen by hand in the URL, finds nothing and lists nothing of it
        probe = searcher.search("", pagelen=50, filters={"tag": ["secretplan"]}, tag_resolver=reader)
        assert probe.total == 0 and "secretplan" not in json.dumps(probe.facets)
