"""A page of documents from one pass (Whoosh): ``facets.document_page`` against the ranking
it stands for, spelled out passage by passage, and the search running one ranking per page.

The ranking: a rescored window (``ahead``) first, in its own order and with its own scores,
then every other match by clauses held (``primary``, when given), rounded score, docnum. A
document's place is that of its first passage in it; its passages are its first ones in it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer import search as search_module
from indexer.facets import document_page, walk_groups

DECIMALS = 6


def spelled_out(docnums, scores, doc_idx, first, want, primary=None, ahead=None, per_doc=3):
    """The page, from the passage ranking written out in full and walked."""
    rounded = np.round(scores, DECIMALS)
    tier = primary if primary is not None else np.zeros(len(docnums), dtype=np.int64)
    window = [] if ahead is None else list(zip(ahead[0].tolist(), ahead[1].tolist(), ahead[2].tolist(), strict=True))
    skip = {num for num, _s, _d in window}
    rest = sorted(
        (i for i in range(len(docnums)) if int(docnums[i]) not in skip),
        key=lambda i: (-int(tier[i]), -float(rounded[i]), int(docnums[i])),
    )
    ranking = window + [(int(docnums[i]), float(scores[i]), int(doc_idx[i])) for i in rest]
    groups: dict[int, list[tuple[int, float]]] = {}
    for num, score, doc in ranking:
        kept = groups.setdefault(doc, [])
        if len(kept) < per_doc:
            kept.append((num, score))
    return list(groups.items())[first : first + want]


def case(rng, n, docs, tiers, window):
    docnums = np.sort(rng.choice(n * 3, size=n, replace=False)).astype(np.int64)
    scores = rng.choice([0.5, 1.25, 2.0, 3.0000001, 3.0000002], size=n) + rng.integers(0, 3, size=n)
    doc_idx = rng.integers(0, docs, size=n).astype(np.int64)
    primary = rng.integers(1, 4, size=n).astype(np.int64) if tiers else None
    ahead = None
    if window:  # the first stage's best passages, reordered with new scores
        key = np.lexsort((docnums, -np.round(scores, DECIMALS), *([-primary] if tiers else [])))
        top = key[: min(window, n)]
        order = rng.permutation(len(top))
        ahead = (docnums[top][order], rng.random(len(top)) * 10, doc_idx[top][order])
    return docnums, scores, doc_idx, primary, ahead


@pytest.mark.parametrize("tiers", [False, True])
@pytest.mark.parametrize("window", [0, 1, 7, 50])
def test_a_page_of_documents_is_the_spelled_out_ranking_walked(tiers, window):
    rng = np.random.default_rng(16 + window + tiers)
    for _ in range(40):
        n = int(rng.integers(1, 80))
        docnums, scores, doc_idx, primary, ahead = case(rng, n, int(rng.integers(1, 12)), tiers, window)
        for first, want in ((0, 3), (2, 4), (0, 100), (30, 5)):
            got = document_page(docnums, scores, doc_idx, first, want, DECIMALS, primary, ahead)
            assert got == spelled_out(docnums, scores, doc_idx, first, want, primary, ahead), (n, first)


@pytest.mark.parametrize("docs", [1, 3, 40, 400])
def test_walking_a_ranking_gives_the_same_page_as_walking_it_whole(docs):
    rng = np.random.default_rng(docs)
    for _ in range(20):
        n = int(rng.integers(1, 3000))
        doc_of = {key: f"d{int(rng.integers(0, docs))}" for key in range(n)}
        ranking = [(key, float(n - key)) for key in rng.permutation(n).tolist()]
        counts = Counter(doc_of.values())
        reads = []

        def top(limit, ranking=ranking, reads=reads):
            reads.append(limit)
            return ranking[:limit]

        for first, want in ((0, 10), (10, 10), (0, 1), (len(counts) - 1, 5), (len(counts) + 3, 2)):
            reads.clear()
            got = walk_groups(top, lambda keys, d=doc_of: [d[k] for k in keys], n, counts, first, want)
            whole: dict[str, list] = {}
            for key, score in ranking:
                kept = whole.setdefault(doc_of[key], [])
                if len(kept) < 3:
                    kept.append((key, score))
            assert got == list(whole.items())[first : first + want], (n, first, want)
            assert reads == sorted(reads) and len(set(reads)) == len(reads) and reads[-1] <= n


def test_no_matches_make_an_empty_page():
    none = np.zeros(0, dtype=np.int64)
    assert document_page(none, np.zeros(0), none, 0, 10, DECIMALS) == []
    assert walk_groups(lambda _n: [], lambda keys: keys, 0, {}, 0, 10) == []


@pytest.mark.parametrize("query", ["frontex", "migration policy libya turkey greece zzyzzyva", "migra*"])
def test_a_page_of_documents_ranks_the_query_once(backends, monkeypatch, query):
    searcher = backends["whoosh"]
    calls = []
    for name in ("rank", "rank_coordinated"):
        real = getattr(search_module, name)
        monkeypatch.setattr(
            search_module, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
        )
    for page in (1, 2):
        calls.clear()
        res = searcher.search(query, page=page, pagelen=1, group="document")
        assert res.groups and len(calls) == 1, (query, page, calls)


def test_a_page_of_documents_keeps_the_first_stage_order_when_the_second_cannot_score(backends, monkeypatch):
    searcher = backends["whoosh"]
    text = "migration border cooperation"
    monkeypatch.setattr(search_module.rescore, "rescore", lambda *_a, **_k: None)
    passages = searcher.search(text, pagelen=200)
    order = list(dict.fromkeys(h.doc_id for h in passages.hits))
    grouped = searcher.search(text, pagelen=10, group="document")
    assert [g.doc_id for g in grouped.groups] == order
    for g in grouped.groups:
        assert [h.ordinal for h in g.hits] == [h.ordinal for h in passages.hits if h.doc_id == g.doc_id][:3]
