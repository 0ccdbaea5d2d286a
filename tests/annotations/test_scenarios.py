"""The edit scenarios of issue 12 over paper 003, seeded and generated (see scenarios.py).

Bars: no annotation silently on wrong text, every move that changed the quote reported as
such, boundaries exact; and most annotations found (orphaning everything would pass the
first bars, so each scenario has a floor of right answers).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations import db
from annotations.anchoring import normalize
from annotations.service import AnnotationService

from . import scenarios as S

ROOT = Path(__file__).resolve().parents[2]
PAPER_TXT = ROOT / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt"
PAPER_PDF = ROOT / "tests" / "data" / "paper003.pdf"
SEED = 12

# scenario -> (judged cases, least right); the rest may be orphaned or flagged for review
FLOORS = {
    "repeated phrase, neighbours reworded": (100, 65),
    "typo in a repeated phrase": (100, 85),
    "sentence of a repeated phrase deleted": (100, 95),
    "first word edited": (100, 85),
    "last word edited": (100, 85),
    "paragraphs inserted": (500, 490),
    "paragraphs shuffled": (500, 400),
    "Markdown re-read as PDF": (500, 490),
}


@pytest.fixture(scope="module")
def outcomes(corpus_text):
    from corpus.reader import read_document

    pair = (read_document(PAPER_TXT).text, read_document(PAPER_PDF).text)
    return {o.name: o for o in S.standard_scenarios(corpus_text, pair, seed=SEED)}


@pytest.mark.parametrize("name", list(FLOORS))
def test_scenario_never_silently_wrong(outcomes, name):
    o = outcomes[name]
    total, least = FLOORS[name]
    assert o.total == total
    assert o.counts["wrong"] == 0, o.failures
    assert o.counts["right"] >= least, o.line()


def test_deleted_sentences_orphan_their_phrases(outcomes):
    o = outcomes["sentence of a repeated phrase deleted"]
    # right here means orphaned; the few placed elsewhere are flagged for review
    assert o.counts["right"] + o.counts["reported"] == o.total


def test_every_typo_move_is_reported_as_changed(outcomes):
    o = outcomes["typo in a repeated phrase"]
    assert o.changed_reported == o.counts["right"]


def test_mapper_and_edits_agree():
    text = "aaa bbb ccc ddd"
    edits = [(4, 7, "BBBB"), (12, 12, "xx ")]
    new = S.apply_edits(text, edits)
    assert new == "aaa BBBB ccc xx ddd"
    q = S.Quote.at(text, 4, 11)  # "bbb ccc": first word replaced
    assert S._expected(text, q, edits) == (4, 12)
    q = S.Quote.at(text, 8, 15)  # "ccc ddd": an insertion inside
    assert S._expected(text, q, edits) == (9, 19)
    q = S.Quote.at(text, 0, 3)
    assert S._expected(text, q, edits) == (0, 3)


def test_service_reanchor_reports_the_four_kinds(tmp_path, corpus_text):
    """Through the service: the summary counts agree with what was done to each annotation."""
    url = db.default_url(tmp_path)
    db.upgrade(url)
    service = AnnotationService(db.make_session_factory(db.make_engine(url)))
    user = service.add_user("reader", "reader-password")
    quotes: list[S.Quote] = []
    for q in S.random_quotes(corpus_text, 200, seed=3):
        if all(q.end + 40 < o.start or q.start > o.end + 40 for o in quotes):
            quotes.append(q)
        if len(quotes) == 60:
            break
    made = [service.create(user, "paper", corpus_text, q.exact, q.start, q.end) for q in quotes]
    # edit: a paragraph inserted, a word changed inside a few quotes, one quote's text deleted
    new = "A new first paragraph.\n\n" + corpus_text
    for q in quotes[:5]:
        words = q.exact.split()
        word = max(words, key=len)
        new = new.replace(q.exact, q.exact.replace(word, word[:-1] + "#", 1), 1)
    gone = quotes[5]
    new = new.replace(gone.prefix[-12:] + gone.exact + gone.suffix[:12], " [removed] ", 1)
    summary = service.reanchor("paper", new)
    assert summary.total == 60
    got = {a.id: a for a in service.find(user, doc_id="paper")}
    review = [a for a in got.values() if a.status == "review"]
    orphans = [a for a in got.values() if a.status == "orphaned"]
    assert summary.moved_changed == len(review) >= 5
    assert summary.orphaned == len(orphans) >= 1
    assert made[5].id in {a.id for a in orphans}
    for a in review:
        assert normalize(new[a.start : a.end]) != normalize(a.previous_exact)
        assert a.exact == new[a.start : a.end]
    for a in got.values():
        if a.status == "anchored":
            assert normalize(new[a.start : a.end]) == normalize(next(m.exact for m in made if m.id == a.id))
    assert summary.kept + summary.moved_unchanged == sum(a.status == "anchored" for a in got.values())
