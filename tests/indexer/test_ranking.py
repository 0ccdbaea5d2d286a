"""indexer.ranking must rank exactly as Whoosh does, on one segment and on several with deletions."""

from __future__ import annotations

import json
import logging
import sys
import threading

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector

from indexer.query import expand_fuzzy_words, expand_partial_names
from indexer.ranking import RankingCache, Unsupported, rank
from indexer.search import Searcher
from indexer.writer import (
    activate,
    delete_document,
    new_generation,
    open_index,
    record_fields,
    swap_lock,
    write_documents,
)
from tests.common.indexing import build_index, make_document

pytestmark = pytest.mark.whoosh_only("indexer.ranking is the Whoosh array ranker, checked against Whoosh's own")

QUERIES = [
    "Frontex",
    "migration border",
    "Frontex OR Serbia",
    "Frontex NOT Serbia",
    "-serbia frontex",
    "border ANDMAYBE control",
    '"border control"',
    '"human rights" OR visa',
    '"EU-Turkey statement"',
    '"western balkans" asylum',
    "front*",
    "migr* OR asyl*",
    "Frontx~",
    "migraton~",
    "org:frontex migration",
    "place:bih OR place:serbia",
    "person:johansson",
    "type:MONEY",
    "fn:12",
    "page:3",
    "Zuparic",
    "Turkiye",
    "note:frontex",
    "cites:beznec",
    "title:migration",
    "(frontex OR border) AND NOT (serbia OR kosovo)",
    "border^3 control",
    "(border control)^2",
    '"border control"^2 OR asylum^0.5',
    "migration OR NOT border",
    "entity:wb6",
    "tag:review",
]


def _parsed(searcher, text):
    whoosh_searcher = searcher._current()[0]
    reader = whoosh_searcher.reader()
    q = expand_partial_names(searcher.parse(text), reader)
    return whoosh_searcher, expand_fuzzy_words(q, reader, whoosh_searcher.schema)


def _assert_same_ranking(whoosh_searcher, q, ranked, limit, allow=None):
    """Same match set and scores as Whoosh; the top ``limit`` in Whoosh's order up to ties."""
    # every match, scored: the reference (Whoosh's own quality-skipping top N can miss a
    # passage, e.g. for AND NOT over several segments, so it is not the reference)
    collector = TopCollector(limit=10**9)
    whoosh_searcher.search_with_collector(
        q, FilterCollector(collector, allow=allow) if allow is not None else collector
    )
    results = collector.results()
    every = {results.docnum(i): results.score(i) for i in range(results.scored_length())}
    top = sorted(every.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))[:limit]
    ours = dict(zip(ranked.docnums.tolist(), ranked.scores.tolist(), strict=False))
    assert ranked.total == len(every)
    assert list(ranked.docnums) == sorted(every)
    for docnum, score in every.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)
    # Whoosh keeps the lower docnum on a tie; sums may differ in the last bit, so compare
    # rounded scores, and docnums above the lowest kept score
    assert [round(s, 6) for _, s in top] == [round(s, 6) for s in ranked.top_scores.tolist()]
    if top:
        floor = round(top[-1][1], 6)
        assert {d for d, s in top if round(s, 6) > floor} == {
            d for d, s in zip(ranked.top.tolist(), ranked.top_scores.tolist(), strict=False) if round(s, 6) > floor
        }


@pytest.fixture(autouse=True)
def whoosh_or_as_on_large_indexes(monkeypatch):
    """Whoosh scores a many-word prefix as one constant on an index under 5,000 passages and as
    the sum of its words' scores above; ranking does the latter at every size, so the
    comparison asks Whoosh for its large-index Or."""
    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_scores_and_order_as_whoosh(sample_searcher, text):
    whoosh_searcher, q = _parsed(sample_searcher, text)
    for limit in (1, 10, 55):
        _assert_same_ranking(whoosh_searcher, q, rank(whoosh_searcher, q, limit), limit)


def _rewrite_passage(index_dir, doc_id, ordinal):
    """Rewrite one passage record in place: a new one-record segment, the old record deleted."""
    ix = open_index(index_dir)
    with ix.searcher() as s:
        stored = s.document(pid=f"{doc_id}:{ordinal}")
    stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
    writer = ix.writer()
    writer.update_document(**record_fields(stored))
    writer.commit(merge=False)


@pytest.fixture(scope="module")
def tagged_searcher(tmp_path_factory, sample_docs, sample_entities):
    """The sample corpus with a few passages rewritten in place: several segments, with deletions."""
    searcher = build_index(tmp_path_factory.mktemp("ranking") / "index", sample_docs, entities=sample_entities)
    for doc in sample_docs[:3]:
        for ordinal in (0, 3, 5):
            _rewrite_passage(searcher.index_dir, doc.doc_id, ordinal)
    yield searcher
    searcher.close()


@pytest.mark.parametrize("text", QUERIES)
def test_same_ranking_over_segments_with_deletions(tagged_searcher, text):
    whoosh_searcher, q = _parsed(tagged_searcher, text)
    assert len(whoosh_searcher.subsearchers) > 1 and whoosh_searcher.reader().has_deletions()
    _assert_same_ranking(whoosh_searcher, q, rank(whoosh_searcher, q, 10), 10)


def test_filters_narrow_as_whoosh_filters(sample_searcher):
    whoosh_searcher, q = _parsed(sample_searcher, "migration OR border")
    allow = wq.And([wq.Term("entity_types", "PERSON"), wq.Not(wq.Term("doc_id", "001"))])
    ranked = rank(whoosh_searcher, q, 10, allow=allow)
    assert 0 < ranked.total < rank(whoosh_searcher, q, 10).total
    _assert_same_ranking(whoosh_searcher, q, ranked, 10, allow=allow)


def test_browsing_every_passage_is_in_document_order(sample_searcher):
    whoosh_searcher = sample_searcher._current()[0]
    ranked = rank(whoosh_searcher, wq.Every(), 20, allow=wq.Term("entity_types", "MONEY"))
    assert list(ranked.top) == sorted(ranked.top)[:20] == list(ranked.docnums[:20])
    assert set(ranked.top_scores.tolist()) == {1.0}


@pytest.mark.parametrize(
    "q",
    [
        wq.NumericRange("page", 2, 5),
        wq.Phrase("text", ["border", "control"], slop=3),
        wq.Or([wq.Term("text", "border"), wq.Term("text", "frontex")], minmatch=2),
    ],
)
def test_unsupported_parts_are_said_so(sample_searcher, q):
    """The Searcher then runs Whoosh's matcher; those queries still search (below)."""
    with pytest.raises(Unsupported):
        rank(sample_searcher._current()[0], q, 10)


@pytest.mark.parametrize("text", ["page:[2 TO 5]", '"border control"~3', "page:[2 TO 5] frontex"])
def test_searcher_falls_back_to_whoosh_for_them(sample_searcher, text):
    whoosh_searcher = sample_searcher._current()[0]
    expected = set(whoosh_searcher.docs_for_query(sample_searcher.parse(text)))
    r = sample_searcher.search(text, pagelen=5)
    assert r.total == len(expected) > 0 and len(r.hits) == min(5, len(expected))
    assert [h.score for h in r.hits] == sorted((h.score for h in r.hits), reverse=True)


def test_cache_is_bounded_and_read_only():
    cache = RankingCache(max_items=10)
    for i in range(5):
        cache.put(("w", "seg", "text", str(i).encode()), (np.arange(2), np.ones(2)))
    assert cache.held <= 10 and cache.get(("w", "seg", "text", b"0")) is None
    ids, weights = cache.get(("w", "seg", "text", b"4"))
    assert list(ids) == [0, 1] and not ids.flags.writeable and not weights.flags.writeable


def test_cached_postings_give_the_same_answer_twice(sample_searcher):
    whoosh_searcher, q = _parsed(sample_searcher, '"border control" OR frontex')
    cache = RankingCache()
    first, second = rank(whoosh_searcher, q, 10, cache=cache), rank(whoosh_searcher, q, 10, cache=cache)
    assert cache.held > 0
    assert list(first.top) == list(second.top) and list(first.docnums) == list(second.docnums)


PHRASES = ['"european union"', '"western balkans"', '"border control"', '"human rights"']


def _whoosh_phrase_hits(index_dir, text):
    """(doc_id, ordinal) of every live passage Whoosh's own Phrase matcher finds, on a fresh searcher."""
    parsed = Searcher(index_dir).parse(text)  # as the parser analyses it, with Whoosh's own Phrase

    def plain(node):
        if isinstance(node, wq.Phrase):
            return wq.Phrase(node.fieldname, list(node.words), slop=node.slop, boost=node.boost)
        return node

    q = parsed.accept(plain)
    ix = open_index(index_dir)
    with ix.searcher() as fresh:
        return {(f["doc_id"], f["ordinal"]) for f in (fresh.stored_fields(d) for d in fresh.docs_for_query(q))}


def _our_hits(searcher, text):
    found = searcher.search(text, pagelen=200)
    assert found.total == len(found.hits)
    return {(h.doc_id, h.ordinal) for h in found.hits}


def test_phrases_stay_right_while_the_index_changes(tmp_path, sample_docs, sample_entities):
    """A long-lived Searcher (and its postings cache) across in-place rewrites, added and deleted documents."""
    index_dir = tmp_path / "index"
    searcher = build_index(index_dir, sample_docs, entities=sample_entities)

    def check():
        for text in PHRASES:
            assert _our_hits(searcher, text) == _whoosh_phrase_hits(index_dir, text), text

    check()
    for doc in sample_docs[:3]:  # in-place commits: new one-record segments, deletions in the old
        for ordinal in (0, 1, 2, 4):
            _rewrite_passage(index_dir, doc.doc_id, ordinal)
        check()
    extra = make_document("extra", ["The European Union and the Western Balkans.", "Border control, human rights."])
    write_documents(index_dir, [(extra, [])])  # a new generation with an added document
    check()
    assert ("extra", 0) in _our_hits(searcher, '"european union"')
    generation = new_generation(index_dir, copy=True)  # a new generation with a document deleted
    writer = whoosh_index.open_dir(str(generation)).writer()
    delete_document(writer, sample_docs[3].doc_id)
    writer.commit(merge=False)
    with swap_lock(index_dir):
        activate(index_dir, generation)
    check()
    assert not {d for d, _ in _our_hits(searcher, '"border control"')} & {sample_docs[3].doc_id}
    _rewrite_passage(index_dir, "extra", 0)
    check()
    searcher.close()


def test_concurrent_searches_decode_the_same_arrays(sample_searcher):
    """Threads decoding postings of one reader at once (cache misses) must not mix up their reads."""
    whoosh_searcher = sample_searcher._current()[0]
    q = sample_searcher.parse(" OR ".join(PHRASES + ["migration", "frontex"]))
    expected = rank(whoosh_searcher, q, 10, cache=RankingCache())
    wrong: list[str] = []

    def work():
        for _ in range(12):
            try:
                got = rank(whoosh_searcher, q, 10, cache=RankingCache())  # a fresh cache: decode everything
            except Exception as exc:  # corrupt reads: zlib or pickle errors, IndexError...
                wrong.append(repr(exc))
                continue
            if list(got.docnums) != list(expected.docnums) or not np.allclose(got.scores, expected.scores):
                wrong.append("different result")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


def test_inconsistent_cache_entry_falls_back_to_whoosh(tmp_path, sample_docs, sample_entities, caplog):
    index_dir = tmp_path / "index"
    searcher = build_index(index_dir, sample_docs, entities=sample_entities)
    expected = _our_hits(searcher, '"european union"')
    assert expected == _whoosh_phrase_hits(index_dir, '"european union"')
    whoosh_searcher = searcher._current()[0]
    sub = (whoosh_searcher.subsearchers or [(whoosh_searcher, 0)])[0][0]
    segment_key = (sub.reader().segment().segment_id(), sub.reader().doc_count_all())
    cache = searcher._ranking
    key = ("p", segment_key, "text", b"union")
    assert cache.get(key) is not None
    cache.forget(segment_key)
    # what an index changing under the cache looked like: fewer position lists than postings
    cache.put(key, (np.arange(3, dtype=np.int64), np.arange(3, dtype=np.int64)))
    with caplog.at_level(logging.WARNING, logger="indexer.ranking"):
        assert _our_hits(searcher, '"european union"') == expected  # not an IndexError, not a 500
    assert "inconsistent" in caplog.text
    assert cache.get(key) is None  # the segment's arrays were dropped...
    assert _our_hits(searcher, '"european union"') == expected
    assert len(cache.get(key)[1]) > 3  # ...and decoded afresh
    searcher.close()


def test_cache_entries_are_never_replaced():
    cache = RankingCache()
    first = cache.put(("w", "seg", "text", b"a"), (np.arange(3), np.ones(3)))
    again = cache.put(("w", "seg", "text", b"a"), (np.arange(5), np.ones(5)))
    assert again is first and len(cache.get(("w", "seg", "text", b"a"))[0]) == 3
    assert cache.forget("seg") == 1 and cache.get(("w", "seg", "text", b"a")) is None and cache.held == 0
