"""The tantivy search side's shortcuts give what the long way gives: facets from term-ordered
buckets, totals from the facet aggregation, the most clauses of a natural query from one scored
search, fuzzy words remembered per generation (a real index of the sample corpus, each document
twice, so that documents tie on their counts)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest

from indexer.backend import open_searcher, open_writer
from indexer.backend.tantivy_backend import _Lexicon
from indexer.search import Searcher
from indexer.writer import activate

QUERIES = ["border", "asylum seekers", '"western balkans"', "migra*", "frontx~", "returns of rejected migrants"]
#: natural queries no passage holds all of (two words no passage has)
RELAXED = ["frontex serbia border zzyzzyva qqxxq", "asylum eurodac qqxxq"]


@pytest.fixture(scope="module")
def twice(tmp_path_factory, sample_docs, sample_entities):
    """(tantivy searcher, Whoosh searcher) over every sample document written twice."""
    out = []
    for name in ("tantivy", "whoosh"):
        index_dir = tmp_path_factory.mktemp(f"twice-{name}") / "index"
        writer = open_writer(index_dir, name, copy=False)
        for copy in ("a", "b"):
            for document, entities in zip(sample_docs, sample_entities, strict=True):
                writer.add_document(replace(document, doc_id=f"{document.doc_id}-{copy}"), entities)
        writer.commit()
        activate(index_dir, writer.generation)
        out.append(open_searcher(index_dir, name))
    yield tuple(out)
    for searcher in out:
        searcher.close()


@pytest.mark.parametrize("query", QUERIES)
def test_document_facet_and_total_are_the_matching_passages_counted(twice, query):
    tantivy_searcher = twice[0]
    res = tantivy_searcher.search(query, pagelen=5)
    passages = tantivy_searcher.matching_passages(query)
    assert res.total == len(passages) > 0
    per_doc = Counter(doc for doc, _ordinal in passages)
    want = sorted(per_doc.items(), key=lambda p: (-p[1], p[0]))
    got = [(f["value"], f["count"]) for f in res.facets["documents"]]
    assert got == want[: len(got)] and len(got) == min(20, len(want))
    assert res.facet_more["documents"] == len(want) - len(got) and res.documents == len(want)
    assert any(a[1] == b[1] for a, b in zip(got, got[1:], strict=False))  # ties were ordered by value
    types = [(f["value"], f["count"]) for f in res.facets["entity_types"]]
    assert types == sorted(types, key=lambda p: (-p[1], p[0]))


@pytest.mark.parametrize("query", QUERIES + RELAXED)
def test_totals_facets_and_relaxed_reading_agree_with_whoosh(twice, query):
    tantivy_searcher, whoosh_searcher = twice
    ours, theirs = tantivy_searcher.search(query, pagelen=5), whoosh_searcher.search(query, pagelen=5)
    assert ours.total == theirs.total
    assert ours.relaxed == theirs.relaxed
    assert ours.facets["documents"] == theirs.facets["documents"]
    assert ours.facets["entity_types"] == theirs.facets["entity_types"]
    assert ours.facets["entities"] == theirs.facets["entities"]
    assert sorted(tantivy_searcher.matching_passages(query)) == sorted(whoosh_searcher.matching_passages(query))


@pytest.mark.parametrize("query", RELAXED)
def test_relaxed_queries_list_more_clauses_first_on_every_page(twice, query):
    tantivy_searcher = twice[0]
    res = tantivy_searcher.search(query, pagelen=5)
    assert res.relaxed is not None and res.relaxed["matched_words"] < res.relaxed["of"]
    whole = tantivy_searcher.matching_passages(query, pagelen=200)
    paged = tantivy_searcher.matching_passages(query, pagelen=3)
    assert paged == whole and len(whole) == res.total


def test_facet_filters_count_without_their_own_filter(twice):
    tantivy_searcher, whoosh_searcher = twice
    doc = tantivy_searcher.search("border").facets["documents"][3]["value"]
    for query in ("border", "frontex serbia zzyzzyva"):
        ours = tantivy_searcher.search(query, filters={"doc": doc})
        theirs = whoosh_searcher.search(query, filters={"doc": doc})
        assert ours.total == theirs.total
        assert ours.facets["documents"] == theirs.facets["documents"]
        assert ours.facets["entities"] == theirs.facets["entities"]


def test_fuzzy_words_remembered_are_the_words_found(twice):
    state = twice[0]._current()
    lexicon = state.view.lexicon
    first = list(lexicon.terms_within("text", "migraton", 1, prefix=1))
    assert first and first == list(lexicon.terms_within("text", "migraton", 1, prefix=1))
    fresh = _Lexicon(state.searcher, lexicon._fields)
    assert first == list(fresh.terms_within("text", "migraton", 1, prefix=1))
    assert list(lexicon.terms_within("text", "migraton", 2, prefix=1)) != first  # the distance is in the key


@pytest.mark.parametrize("query", ["returns of rejected migrants", "asylum seekers border", "frontex serbia"])
def test_natural_queries_page_alike_whether_the_first_tier_is_searched_or_counted(twice, query):
    """Page 1 learns that some passage holds every word from the search of those passages,
    later pages from a count: the pages walked one by one are the first page made longer."""
    tantivy_searcher, whoosh_searcher = twice
    res = tantivy_searcher.search(query, pagelen=5)
    assert res.relaxed == whoosh_searcher.search(query, pagelen=5).relaxed
    whole = tantivy_searcher.matching_passages(query, pagelen=200)
    assert tantivy_searcher.matching_passages(query, pagelen=7) == whole and len(whole) == res.total


@pytest.mark.parametrize("query", ["returns of rejected migrants", RELAXED[0]])
def test_coordinated_pages_past_the_first_are_the_first_page_made_longer(twice, query):
    backend = twice[0]
    state = backend._current()
    natural = Searcher._read(state.view, state.parser, state.vocab, query, True)[1]
    whole = backend._coordinated(state, natural, None, 0, 30)
    later = backend._coordinated(state, natural, None, 12, 9)
    assert later[3] == whole[3] and [a for _s, a in later[2]] == [a for _s, a in whole[2][12:21]]


#: natural queries whose clauses are of every kind a clause can be: aliases (a disjunction-max
#: of names and an entity term), phrases of a name's words, word forms, prefixes and fuzzy
#: words, compounds, with a required field part; and some no passage holds all of
TIERED = [
    "BiH reception capacity migrants zzyzzyva",
    "returns of rejected asylum seekers to the western balkans qqxxq",
    "pushed back migrants Bosnia police",
    "migra* camps border qqxxq",
    "frontx~ serbia border zzyzzyva",
    "EU Turkey readmission agreement statement",
    "place:serbia border qqxxq",
    "frontex serbia border",
]


def _tier_by_tier(state, natural):
    """A natural query's ranking the long way: each tier (passages holding exactly k clauses)
    searched on its own, most clauses first, each in its own score order."""
    import tantivy

    from indexer.backend.tantivy_backend import _filtered
    from indexer.ranking import min_should_match

    occur, q = tantivy.Occur, tantivy.Query
    clauses = [state.translate(c.query) for c in natural.clauses]
    base = None
    if natural.required is not None:
        base = q.const_score_query(state.translate(natural.required), 0.0)
    bonus = [state.translate(p) for p in natural.proximity]
    of, searcher = len(clauses), state.searcher

    def holding(k):
        return _filtered(q.boolean_query([(occur.Should, c) for c in clauses], k), base)

    held = [k for k in range(of, 0, -1) if searcher.search(holding(k), limit=1, count=True).count]
    if not held:
        return None, []
    best = held[0]
    least = max(min_should_match(of, best), 1)
    ranking = []
    for k in range(best, least - 1, -1):
        tier = holding(k) if k == of else q.boolean_query([(occur.Must, holding(k)), (occur.MustNot, holding(k + 1))])
        if bonus:
            tier = q.boolean_query([(occur.Must, tier), *((occur.Should, b) for b in bonus)])
        ranking += searcher.search(tier, limit=10_000, count=False).hits
    relaxed = {"matched_words": best, "of": of, "min_words": least} if least < of else None
    return relaxed, ranking


@pytest.mark.parametrize("query", TIERED)
def test_the_tiered_ranking_is_the_tiers_searched_one_by_one(twice, query):
    """One search ranks a natural query's passages by the clauses they hold, then by score:
    the same passages, in the same order, with the same scores (to 32-bit rounding of the
    tier weight), as searching each tier apart, on the first page and on any later one."""
    backend = twice[0]
    state = backend._current()
    natural = Searcher._read(state.view, state.parser, state.vocab, query, True)[1]
    relaxed, want = _tier_by_tier(state, natural)
    assert len(want) >= 8
    _matching, _total, got, got_relaxed = backend._coordinated(state, natural, None, 0, len(want) + 5)
    assert got_relaxed == relaxed
    assert [(a.segment_ord, a.doc) for _s, a in got] == [(a.segment_ord, a.doc) for _s, a in want]
    assert [s for s, _a in got] == pytest.approx([s for s, _a in want], abs=1e-2)
    for first, pagelen in ((3, 4), (len(want) // 2, 9), (len(want) - 2, 5)):
        page = backend._coordinated(state, natural, None, first, pagelen)
        assert page[3] == relaxed
        assert [a for _s, a in page[2]] == [a for _s, a in got[first : first + pagelen]], (first, pagelen)


@pytest.mark.parametrize("query", TIERED)
def test_the_tier_weight_is_over_any_score_the_clauses_give(twice, query):
    """Each clause and proximity phrase scores at most its bound on every passage (its top
    hit), and the weight a clause held adds is over twice their sum."""
    from indexer.backend.tantivy_backend import _score_bound, _tier_weight, term_bound

    state = twice[0]._current()
    natural = Searcher._read(state.view, state.parser, state.vocab, query, True)[1]
    parts = [*(c.query for c in natural.clauses), *natural.proximity]
    n = int(state.searcher.num_docs)
    leaf = term_bound(n)
    bounds = []
    for part in parts:
        hits = state.searcher.search(state.translate(part), limit=1, count=False).hits
        bound = _score_bound(part, leaf, state.view.lexicon)
        assert not hits or hits[0][0] <= bound, part
        bounds.append(bound)
    weight = _tier_weight(parts, state.view.lexicon, n)
    assert weight > 2 * sum(bounds) and weight <= 4 * sum(bounds) + 4


@pytest.mark.parametrize("query", ["border", '"western balkans"', "border police"])
def test_facets_split_over_two_threads_are_those_of_one_call(twice, query, monkeypatch):
    """A large index counts the entity facet in a second thread beside the rest: the results,
    totals and every facet are those of the single aggregation a small index makes."""
    from indexer.backend import tantivy_backend

    tantivy_searcher = twice[0]
    whole = tantivy_searcher.search(query, pagelen=5, filters={"type": "GPE"})
    calls = []
    real = tantivy_backend._AGGREGATOR.submit
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    monkeypatch.setattr(tantivy_backend._AGGREGATOR, "submit", lambda *a: calls.append(a) or real(*a))
    readers = []
    for name in ("_entity_facet", "_document_facet"):
        read = getattr(tantivy_backend, name)

        def reading(*args, _read=read, _name=name):
            readers.append((_name, threading.current_thread().name.startswith("glossa-facets")))
            return _read(*args)

        monkeypatch.setattr(tantivy_backend, name, reading)
    split = tantivy_searcher.search(query, pagelen=5, filters={"type": "GPE"})
    assert calls and all(set(spec) == {"ent_facet"} for _fn, _searcher, _q, spec, _read in calls)
    # each part read in the thread that counted it (the entity facet's while the rest is counted)
    assert ("_entity_facet", True) in readers and ("_document_facet", False) in readers
    assert ("_entity_facet", False) not in readers
    assert split.facets == whole.facets and split.facet_more == whole.facet_more
    assert (split.total, split.documents, split.relaxed) == (whole.total, whole.documents, whole.relaxed)
    assert [h.doc_id for h in split.hits] == [h.doc_id for h in whole.hits]


#: a natural query with no passage holding half of its clauses (the guess counted beside the
#: tiered ranking is not what the page lists: counted again)
FEW = "frontex zzyzzyva qqxxq wwvvxxq"


#: a natural query whose all-clause tier fills the page: no tiered ranking, nothing counted beside
FILLED = "border police"


@pytest.mark.parametrize("query", [*TIERED, FEW, FILLED])
@pytest.mark.parametrize("page", [1, 2])
def test_facets_counted_beside_the_tiered_ranking_are_those_counted_after_it(twice, query, page, monkeypatch):
    """A large index counts a natural query's facets in a thread of their own while the tiered
    ranking is searched (when that search is made): the page, totals, relaxed reading and every
    facet are those counted after the ranking; the count is one call, unsplit."""
    from indexer.backend import tantivy_backend

    tantivy_searcher = twice[0]
    whole = tantivy_searcher.search(query, page=page, pagelen=4)
    ahead, split = [], []
    real_ahead, real_split = tantivy_backend._AHEAD.submit, tantivy_backend._AGGREGATOR.submit
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    monkeypatch.setattr(tantivy_backend._AHEAD, "submit", lambda *a: ahead.append(a) or real_ahead(*a))
    monkeypatch.setattr(tantivy_backend._AGGREGATOR, "submit", lambda *a: split.append(a) or real_split(*a))
    beside = tantivy_searcher.search(query, page=page, pagelen=4)
    assert (beside.total, beside.documents, beside.relaxed, beside.pages) == (
        whole.total,
        whole.documents,
        whole.relaxed,
        whole.pages,
    )
    assert beside.facets == whole.facets and beside.facet_more == whole.facet_more
    assert [(h.doc_id, h.ordinal) for h in beside.hits] == [(h.doc_id, h.ordinal) for h in whole.hits]
    if whole.relaxed is not None and whole.total:
        assert len(ahead) == (0 if query == FILLED else 1)
        if query != FEW:
            assert not split  # counted in one call, beside the ranking
    if query == FEW:
        assert whole.relaxed is None or whole.relaxed["matched_words"] < 2
        assert ahead and len(split) == 1  # the guess not used: counted again, after, split


def test_facets_are_not_split_while_another_aggregation_of_the_process_runs(twice, monkeypatch):
    """With every core busy (another aggregation in flight), a search counts its facets in one
    call, with the same results; once it is alone again, it splits them."""
    from indexer.backend import tantivy_backend

    tantivy_searcher = twice[0]
    whole = tantivy_searcher.search("border", pagelen=5)
    calls = []
    real = tantivy_backend._AGGREGATOR.submit
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    monkeypatch.setattr(tantivy_backend._AGGREGATOR, "submit", lambda *a: calls.append(a) or real(*a))
    with tantivy_backend._IN_FLIGHT:  # (as another search's aggregation would be)
        busy = tantivy_searcher.search("border", pagelen=5)
    assert not calls and tantivy_backend._IN_FLIGHT.count == 0
    assert (busy.total, busy.facets, busy.facet_more) == (whole.total, whole.facets, whole.facet_more)
    alone = tantivy_searcher.search("border", pagelen=5)
    assert calls and (alone.total, alone.facets) == (whole.total, whole.facets)


def test_a_failing_split_aggregation_raises_its_error_after_both_end(twice, monkeypatch):
    from indexer.backend import tantivy_backend

    state = twice[0]._current()
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    spec = {"ent_facet": {"terms": {"field": "ent_facet", "size": 5}}, "bad": {"no_such_aggregation": {"field": "num"}}}
    matching = state.translate(twice[0].parse("border"))
    with pytest.raises(ValueError):
        tantivy_backend._aggregate(state.searcher, matching, spec)
    assert tantivy_backend._aggregate(state.searcher, matching, {}) == ({}, None, None)


def test_a_forked_process_counts_facets_in_threads_of_its_own(twice, monkeypatch):
    """A process forked after its searches used the facet threads (whose threads a fork does not
    copy) still splits and counts ahead: it has executors of its own."""
    import os
    import signal

    from indexer.backend import tantivy_backend

    tantivy_searcher = twice[0]
    monkeypatch.setattr(tantivy_backend, "SPLIT_FACETS_FROM", 1)
    queries = ["border", RELAXED[0]]
    want = [(r.total, r.facets) for r in (tantivy_searcher.search(q, pagelen=3) for q in queries)]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the same searches, or a hang the parent ends
        os.close(read)
        signal.alarm(20)
        got = [(r.total, r.facets) for r in (tantivy_searcher.search(q, pagelen=3) for q in queries)]
        os.write(write, b"same" if got == want else b"different")
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    assert said == b"same" and os.waitstatus_to_exitcode(status) == 0
