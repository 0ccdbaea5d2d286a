"""The search-backend contract, run against every backend on the sample corpus (real spaCy tags).

Every backend must list the same passages for the same query, with the same totals, facets,
snippets, relaxed reading and suggestion (scores may differ, and with them the order), refuse
the same bad queries with the same message, and keep private tags private the same way. The
reference is the Whoosh backend; each check of a backend's own answers (a phrase's hits hold
the phrase, facet counts count the matching passages...) runs on both.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from indexer.backend import BACKENDS, BackendMismatch, open_searcher, open_writer
from indexer.query import QueryError
from indexer.snippets import analyze
from indexer.tagfilter import TagResolver
from indexer.writer import activate

#: query kinds and examples of each (sample corpus: EU migration policy on the Balkan route)
QUERIES = {
    "term": ["frontex", "Türkiye", "turkiye", "asylum"],
    "natural": [
        "border control",
        "BiH returnees",
        "migration policy libya turkey greece",
        "pushed back migrants at the border",
        "reception capacity",
        "what did the commission say about returns",
    ],
    "phrase": [
        '"border control"',
        '"western balkans route"',
        '"european union"',
        '"rule of law"',  # (a stop word between: the words side by side once it is dropped)
        '"democracy and the rule of law"',
        'title:"western balkans"',
        'note:"european commission"',
    ],
    "slop phrase": ['"border procedure"~3', '"migration management"~2'],
    "prefix": ["front*", "migra*"],
    "wildcard": ["a?c*", "*ation", "bord?r"],
    "fuzzy": ["migraton~", "frontx~", "asylym~2"],
    "boolean": [
        "frontex OR europol",
        "frontex AND serbia",
        "(frontex OR europol) AND serbia",
        "frontex ANDMAYBE libya",
        "frontex -libya",
        "frontex NOT serbia",
        "-frontex border",
    ],
    "field": [
        "person:johansson",
        'person:"ylva johansson"',
        "org:frontex",
        "place:bih",
        "entity:wb6",
        "type:MONEY",
        "type:money asylum",
        "fn:12",
        "cites:beznec",
        "note:journal",
        "title:balkans",
        "kind:heading",
        "doc:003-b4544ddbd7f01f68",
    ],
    "range": ["page:2", "page:[2 TO 5]", "page:{2 TO 5}", "page:>4", "title:[a TO c]"],
    "no match": ["frontx", "zzyzzyva", "tag:anything"],
}
ALL = [(kind, q) for kind, qs in QUERIES.items() for q in qs]
FILTERS = [
    {"doc": "003-b4544ddbd7f01f68"},
    {"type": "MONEY"},
    {"entity": "frontex"},
    {"type": ["MONEY", "PERCENT"]},
]
BAD = ["*", "person:", "foo:bar", '"unclosed', "fn:abc", "type:colour", "(frontex", "frontex)", "", "AND OR", "page:x"]


def answer(searcher, query, filters=None, resolver=None, relax=True):
    """What a search answers, scores and order aside (and the time it took)."""
    res = searcher.search(query, pagelen=200, filters=filters, tag_resolver=resolver, relax=relax)
    passages = searcher.matching_passages(query, filters=filters, tag_resolver=resolver, relax=relax)
    hits = sorted(
        (h.doc_id, h.ordinal, h.snippet_html, tuple(h.tags), h.page, json.dumps(h.entities)) for h in res.hits
    )
    return {
        "total": res.total,
        "passages": sorted(passages),
        "facets": res.facets,
        "facet_more": res.facet_more,
        "relaxed": res.relaxed,
        "suggestion": res.suggestion,
        "hits": hits,
    }


@pytest.mark.parametrize(("kind", "query"), ALL, ids=[f"{k}:{q}" for k, q in ALL])
def test_tantivy_answers_every_query_kind_as_whoosh_does(backends, kind, query):
    whoosh, tantivy = answer(backends["whoosh"], query), answer(backends["tantivy"], query)
    for key in whoosh:
        assert tantivy[key] == whoosh[key], (kind, query, key)
    if kind != "no match":
        assert whoosh["total"] > 0, f"{query!r} should match something in the sample corpus"


@pytest.mark.parametrize("filters", FILTERS, ids=[json.dumps(f) for f in FILTERS])
@pytest.mark.parametrize("query", ["frontex", "border control", "front*", "", "-serbia asylum"])
def test_filters_give_the_same_answers(backends, query, filters):
    assert answer(backends["tantivy"], query, filters) == answer(backends["whoosh"], query, filters)


@pytest.mark.parametrize("query", ["frontex", "migration policy libya turkey greece", '"european union"'])
def test_strict_reading_gives_the_same_answers(backends, query):
    strict = answer(backends["tantivy"], query, relax=False)
    assert strict == answer(backends["whoosh"], query, relax=False)


@pytest.mark.parametrize("query", BAD)
def test_bad_queries_get_the_same_error(backends, query):
    messages = []
    for name in BACKENDS:
        with pytest.raises(QueryError) as caught:
            backends[name].search(query)
        messages.append(caught.value.message)
    assert len(set(messages)) == 1 and messages[0], messages


def test_totals_and_facets_count_the_matching_passages(backend):
    for query in ("frontex", "border control", "type:MONEY", "front*", "border"):
        res = backend.search(query, pagelen=200)
        passages = backend.matching_passages(query)
        assert res.total == len(passages) == len(set(passages)) > 0
        by_doc = Counter(doc for doc, _ in passages)
        shown = {d["value"]: d["count"] for d in res.facets["documents"]}
        assert shown == {d: by_doc[d] for d in shown}
        assert len(shown) + res.facet_more["documents"] == len(by_doc)
        if res.total <= 200:  # every match on the page: count the entity types of all of them
            types = {t["value"]: t["count"] for t in res.facets["entity_types"]}
            held = Counter(label for h in res.hits for label in {e["label"] for e in h.entities})
            assert types == dict(held), query


def test_hits_hold_what_the_query_asked_for(backend):
    res = backend.search('"border control"', pagelen=200)
    assert res.total and all(re.search(r"border[\s-]+control", h.text, re.I) for h in res.hits)
    res = backend.search("frontex -libya", pagelen=200)
    assert res.total and all("libya" not in analyze(h.text) for h in res.hits)
    assert all("frontex" in analyze(h.text + " " + " ".join(n["text"] for n in h.footnotes)) for h in res.hits)
    res = backend.search("page:[2 TO 5]", pagelen=200)
    assert res.total and all(2 <= h.page <= 5 for h in res.hits)
    res = backend.search("fn:12", pagelen=200)
    assert res.total and all(any(n["number"] == "12" for n in h.footnotes) for h in res.hits)
    res = backend.search("type:MONEY", pagelen=200)
    assert res.total and all(any(e["label"] == "MONEY" for e in h.entities) for h in res.hits)
    res = backend.search("front*", pagelen=200)
    assert res.total and all(
        any(w.startswith("front") for w in analyze(h.text + " " + " ".join(n["text"] for n in h.footnotes)))
        for h in res.hits
    )


def test_pages_partition_the_matches(backend):
    whole = backend.matching_passages("border", pagelen=200)
    paged = backend.matching_passages("border", pagelen=7)
    assert len(whole) > 14 and sorted(paged) == sorted(whole) and len(set(paged)) == len(paged)
    res = backend.search("border", page=3, pagelen=7)
    assert res.page == 3 and res.pages == -(-len(whole) // 7) and len(res.hits) == 7
    relaxed = "migration policy libya turkey greece zzyzzyva"  # tiers of passages holding 5, 4... words
    whole = backend.matching_passages(relaxed, pagelen=200)
    paged = backend.matching_passages(relaxed, pagelen=3)
    assert len(whole) > 3 and sorted(paged) == sorted(whole)  # more than one page of 3
    assert len(set(paged)) == len(paged) == len(whole)


def test_relaxed_reading_lists_passages_with_most_words_first(backend):
    res = backend.search("migration policy libya turkey greece zzyzzyva", pagelen=200)
    assert res.relaxed is not None and res.relaxed["of"] == 6
    words = ["migrat", "polic", "libya", "turkey", "greec"]
    held = [
        sum(w in " ".join(analyze(h.text + " " + " ".join(n["text"] for n in h.footnotes))) for w in words)
        for h in res.hits
    ]
    assert held and max(held) == held[0]


# --- private tags ---------------------------------------------------------------------------

#: (doc, quote, tag): shared ones and the reader's own, as AnnotationService.visible_tag_spans gives them
VISIBLE = [
    ("003-b4544ddbd7f01f68", "Hungary decided to build a fence", "fence"),
    ("003-b4544ddbd7f01f68", "Idomeni camp", "camps"),
    ("001-ecc342d5c4ab413f", "EUROPOL Operational Task Force", "policing"),
    ("001-ecc342d5c4ab413f", "EUROPOL Operational Task Force", "secretary"),
]
PRIVATE = [
    ("003-b4544ddbd7f01f68", "Idomeni camp", "secretplan"),
    ("001-ecc342d5c4ab413f", "Eurodac", "secretplan"),
    ("002-91bd122e1223309b", "Frontex", "whistleblower-x"),
]
TAG_QUERIES = [
    "tag:fence",
    "tag:camps OR frontex",
    "tag:secretplan",
    "tag:secret*",
    "tag:*",
    "tag:s*",
    "tag:secretplax~2",
    "tag:[r TO t]",
    "border -tag:secretplan",
    "border -tag:s*",
    "(tag:policing OR tag:fence) frontex",
    "tag:whistleblower-?",
    "TAG:SECRETPLAN",
    "frontex",
    "hungary fence",
]


def spans(sample_docs, wanted):
    docs = {d.doc_id: d for d in sample_docs}
    out = []
    for doc_id, quote, tag in wanted:
        start = docs[doc_id].text.index(quote)
        out.append((doc_id, start, start + len(quote), tag))
    return out


@pytest.mark.parametrize("query", TAG_QUERIES)
def test_private_tags_stay_private_on_every_backend(backends, sample_docs, query):
    theirs = TagResolver(spans(sample_docs, VISIBLE))
    with_private = TagResolver(spans(sample_docs, VISIBLE + PRIVATE))  # what the author sees
    seen = {}
    for name, searcher in backends.items():
        reader = answer(searcher, query, resolver=theirs)
        text = json.dumps(reader)
        for secret in ("secretplan", "whistleblower-x"):
            assert secret not in text or secret in query.lower(), (name, query)
        assert all(set(hit[3]) <= {t for _d, _q, t in VISIBLE} for hit in reader["hits"])
        assert {t["value"] for t in reader["facets"]["tags"]} <= {t for _d, _q, t in VISIBLE}
        assert answer(searcher, query) == answer(searcher, query, resolver=TagResolver())  # none: no tag seen
        seen[name] = (reader, answer(searcher, query, resolver=with_private))
    assert seen["tantivy"] == seen["whoosh"], query


def test_the_author_sees_their_own_tags_on_both_backends(backends, sample_docs):
    author = TagResolver(spans(sample_docs, VISIBLE + PRIVATE))
    for searcher in backends.values():
        res = searcher.search("tag:secretplan", pagelen=50, tag_resolver=author)
        assert res.total >= 2 and all("secretplan" in h.tags for h in res.hits)
        assert {"value": "secretplan", "label": "secretplan", "count": res.total} in res.facets["tags"]
        reader = searcher.search("tag:secretplan", pagelen=50, tag_resolver=TagResolver(spans(sample_docs, VISIBLE)))
        assert reader.total == 0 and reader.facets["tags"] == []


# --- generations --------------------------------------------------------------------------


def test_a_backend_refuses_an_index_another_backend_wrote(backends):
    whoosh_dir, tantivy_dir = backends["whoosh"].index_dir, backends["tantivy"].index_dir
    with pytest.raises(BackendMismatch, match="glossa reindex --backend tantivy"):
        open_searcher(whoosh_dir, "tantivy").search("frontex")
    with pytest.raises(BackendMismatch, match="glossa reindex --backend whoosh"):
        open_searcher(tantivy_dir, "whoosh").search("frontex")
    with pytest.raises(BackendMismatch):
        open_writer(tantivy_dir, "whoosh", copy=True)


@pytest.mark.parametrize("name", BACKENDS)
def test_an_uncommitted_or_cancelled_generation_is_never_seen(tmp_path, sample_docs, sample_entities, name):
    index_dir = tmp_path / "index"
    first = open_writer(index_dir, name, copy=False)
    first.add_document(sample_docs[0], sample_entities[0])
    first.commit()
    activate(index_dir, first.generation)
    searcher = open_searcher(index_dir, name)
    before = answer(searcher, "frontex")
    # a second ingest adds a document and replaces the first, but is killed before the swap
    second = open_writer(index_dir, name, copy=True)
    second.delete_document(sample_docs[0].doc_id)
    second.add_document(sample_docs[1], sample_entities[1])
    second.commit()
    assert answer(searcher, "frontex") == before
    assert answer(open_searcher(index_dir, name), "frontex") == before
    third = open_writer(index_dir, name, copy=True)
    third.add_document(sample_docs[2], sample_entities[2])
    third.cancel()
    assert not third.generation.exists() and answer(searcher, "frontex") == before
    # an incremental generation: the first document replaced by itself, the third added
    fourth = open_writer(index_dir, name, copy=True)
    fourth.delete_document(sample_docs[0].doc_id)
    fourth.add_document(sample_docs[0], sample_entities[0])
    fourth.add_document(sample_docs[2], sample_entities[2])
    fourth.commit()
    activate(index_dir, fourth.generation)
    after = searcher.search("frontex", pagelen=200)
    assert {h.doc_id for h in after.hits} == {sample_docs[0].doc_id, sample_docs[2].doc_id} & {
        d["value"] for d in after.facets["documents"]
    }
    assert after.total == before["total"] + len(
        open_searcher(index_dir, name).matching_passages("frontex", filters={"doc": sample_docs[2].doc_id})
    )
    assert searcher.passage_count() == len(sample_docs[0].passages) + len(sample_docs[2].passages)


def test_tantivy_terms_are_the_whoosh_analyzers_terms(sample_docs):
    from indexer.backend.tantivy_backend import SCHEMA, Analysis

    analysis = Analysis()
    analyzer = SCHEMA["text"].analyzer
    for doc in sample_docs:
        for text in [doc.title, *(doc.text[p.start : p.end] for p in doc.passages), *(n.text for n in doc.footnotes)]:
            stems, plain = analysis.tokens(text)
            assert stems == [t.text for t in analyzer(text, mode="index")]  # same order: same positions
            assert sorted(set(plain)) == list(SCHEMA["text"].spellable_words(text))


def test_known_item_queries_rank_as_well_on_both_backends(backends):
    """bench/relevance.py's known-item queries on the sample corpus: MRR@10 within 0.02."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "relevance.py"
    spec = importlib.util.spec_from_file_location("bench_relevance", path)
    relevance = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(relevance)
    sample = [q for q in relevance.QUERIES if q[1].startswith("00")]  # documents of the sample corpus
    assert len(sample) >= 30
    mrr = {}
    for name, searcher in backends.items():
        ranks = [
            relevance.rank_of(searcher.search(text, pagelen=10), doc, needles) for text, doc, needles, *_ in sample
        ]
        mrr[name] = sum(1 / r for r in ranks if r) / len(ranks)
    assert mrr["whoosh"] > 0.8, mrr
    assert abs(mrr["tantivy"] - mrr["whoosh"]) <= 0.02, mrr


def test_quiet_labels_leave_the_top_entities_facet(backends):
    """Entities of quiet labels (dates, numbers) are not among the top entities, nor in its
    "more" count (the tantivy side of Searcher.search's ``quiet_labels``)."""
    searcher = backends["tantivy"]
    loud = searcher.search("border", pagelen=10)
    quiet = searcher.search("border", pagelen=10, quiet_labels=frozenset({"DATE", "CARDINAL", "ORG"}))
    assert {e["label"] for e in loud.facets["entities"]} & {"ORG"}
    assert not {e["label"] for e in quiet.facets["entities"]} & {"DATE", "CARDINAL", "ORG"}
    assert quiet.facets["entity_types"] == loud.facets["entity_types"] and quiet.total == loud.total
    assert quiet.facet_more["entities"] < loud.facet_more["entities"]
