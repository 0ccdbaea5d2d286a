"""Phrases are matched from their rarest word (each other word's passages found by binary
search): the same passages and scores as Whoosh's own matcher, whatever the words' order."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from indexer.ranking import _within, rank
from indexer.snippets import analyze

PHRASES = [
    "european union",
    "border procedure",
    "the european border and coast guard agency",
    "and the border",
    "border of the union",
]


def test_within_keeps_the_entries_both_hold():
    few = np.array([1, 4, 9, 12, 40], dtype=np.int64)
    many = np.array([0, 4, 5, 9, 10, 41], dtype=np.int64)
    assert _within(few, many).tolist() == [4, 9]
    assert _within(few, many[:0]).tolist() == [] and _within(few[:0], many).tolist() == []
    assert _within(few, np.array([99], dtype=np.int64)).tolist() == []


@pytest.mark.whoosh_only("the Whoosh array ranker's phrase matching against Whoosh's own")
@pytest.mark.parametrize("phrase", PHRASES)
def test_phrase_matches_what_whoosh_matches(sample_searcher, phrase):
    words = [w for word in phrase.split() for w in analyze(word)]
    with sample_searcher._lease() as state:
        searcher = state[0]
        q = wq.Phrase("text", words)
        ranked = rank(searcher, q, 10_000)
        theirs = {docnum: score for docnum, score in searcher.search(q, limit=None).items()}
    assert sorted(ranked.docnums.tolist()) == sorted(theirs)
    for docnum, score in zip(ranked.docnums.tolist(), ranked.scores.tolist(), strict=True):
        assert score == pytest.approx(theirs[docnum], rel=1e-6)
