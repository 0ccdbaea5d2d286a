"""The second stage of natural queries (indexer.rescore): one order on both backends, the
first stage's totals, facets and clause tiers kept, length normalised per passage kind
(real on-disk indexes of the sample corpus, the real spaCy tags)."""

from __future__ import annotations

import json

import pytest
from whoosh import query as wq

from indexer import rescore
from indexer.schema import make_schema

QUERIES = [
    "Frontex status agreement North Macedonia",
    "BiH reception capacity migrants",
    "returnees Bosnia voluntary",
    "smugglers Serbia Hungary fence",
    "asylum seekers pushed back Croatia police violence",
    "Kosovo visa liberalisation",
    "readmiss* committee Serbia",
    "Frontx~ deployments reinforce border management",
    "how many people were returned voluntarily in 2024",
]


def _keys(results):
    return [(h.doc_id, h.ordinal) for h in results.hits]


@pytest.mark.parametrize("text", QUERIES)
def test_both_backends_list_a_natural_query_in_the_same_order(backends, text):
    pages = {name: backends[name].search(text, pagelen=10) for name in backends}
    assert _keys(pages["whoosh"]) == _keys(pages["tantivy"])
    assert [h.score for h in pages["whoosh"].hits] == pytest.approx([h.score for h in pages["tantivy"].hits])
    assert pages["whoosh"].total == pages["tantivy"].total
    assert pages["whoosh"].relaxed == pages["tantivy"].relaxed


@pytest.mark.parametrize("name", ["whoosh", "tantivy"])
def test_the_second_stage_changes_the_order_only(backends, name, monkeypatch):
    searcher = backends[name]
    text = "BiH reception capacity migrants"
    after = searcher.search(text, pagelen=rescore.WINDOW)
    monkeypatch.setattr(rescore, "rescore", lambda *args, **kwargs: None)  # the first stage's order
    before = searcher.search(text, pagelen=rescore.WINDOW)
    assert after.total == before.total and after.documents == before.documents
    assert after.facets == before.facets and after.relaxed == before.relaxed
    assert sorted(_keys(after)) == sorted(_keys(before))
    assert _keys(after) != _keys(before)  # it does reorder this one


@pytest.mark.parametrize("name", ["whoosh", "tantivy"])
def test_passages_with_every_word_stay_first(backends, name):
    searcher = backends[name]
    text = "Frontex status agreement North Macedonia"
    strict = set(searcher.matching_passages(text, relax=False))
    assert 0 < len(strict) < 10
    natural = searcher.search(text, pagelen=10)
    assert natural.relaxed and natural.relaxed["matched_words"] == natural.relaxed["of"]
    assert set(_keys(natural)[: len(strict)]) == strict


@pytest.mark.parametrize("name", ["whoosh", "tantivy"])
def test_pages_of_a_natural_query_follow_each_other(backends, name, monkeypatch):
    searcher = backends[name]
    text = "migration border cooperation"
    whole = _keys(searcher.search(text, pagelen=30))
    pages = [_keys(searcher.search(text, page=p, pagelen=10)) for p in (1, 2, 3)]
    assert pages[0] + pages[1] + pages[2] == whole
    # past the window too: its passages reordered, the rest in the first stage's order
    monkeypatch.setattr(rescore, "WINDOW", 12)
    assert searcher.search(text, pagelen=1).total > 40
    beyond = _keys(searcher.search(text, pagelen=40))
    pages = [_keys(searcher.search(text, page=p, pagelen=10)) for p in (1, 2, 3, 4)]
    assert sum(pages, []) == beyond and len(set(beyond)) == len(beyond)


@pytest.mark.parametrize("name", ["whoosh", "tantivy"])
def test_documents_grouped_in_the_order_of_their_best_passage(backends, name):
    searcher = backends[name]
    text = "returnees Bosnia voluntary"
    passages = searcher.search(text, pagelen=rescore.WINDOW)
    firsts = list(dict.fromkeys(h.doc_id for h in passages.hits))
    grouped = searcher.search(text, pagelen=10, group="document")
    assert [g.doc_id for g in grouped.groups] == firsts


# -- the formula, on passages made here ---------------------------------------------------------

SCHEMA = make_schema()


def _stored(text: str, kind: str, ordinal: int, doc: str = "d", notes: list | None = None) -> dict:
    return {"doc_id": doc, "ordinal": ordinal, "kind": kind, "text": text, "notes": json.dumps(notes or [])}


def _run(clauses, stored, averages, passages=1000, df=None, reader=None):
    stats = rescore.Stats(passages, df or (lambda _f, _t: 10), averages, sum(averages.values()) / len(averages))
    cands = [rescore.Candidate(i, s) for i, s in enumerate(stored)]
    return rescore.rescore(clauses, cands, stats, reader, SCHEMA["text"].analyzer, str.lower)


def test_a_passage_is_measured_against_passages_of_its_kind():
    word = wq.Term("text", "fenc")
    item = _stored("A fence " + "word " * 18, "item", 1)  # as long as the average item
    para = _stored("The fence " + "word " * 78, "paragraph", 2)  # as long as the average paragraph
    averages = {"item": float(len(item["text"])), "paragraph": float(len(para["text"]))}
    order = _run([word], [item, para], averages)
    assert order is not None
    scores = dict(order)
    assert scores[0] == pytest.approx(scores[1])  # one mention each, each of its kind's average length
    # against one average for every passage, the short item would count its word more
    flat = dict(_run([word], [item, para], {"other": 300.0}))
    assert flat[0] > flat[1]


def test_more_clauses_held_come_first_whatever_the_scores():
    fence = wq.Term("text", "fenc")
    serbia = wq.Term("text", "serbia")
    rare = _stored("fence fence fence fence", "paragraph", 1)
    both = _stored("Serbia " + "word " * 60 + "fence", "paragraph", 2)
    order = _run([fence, serbia], [rare, both], {"paragraph": 100.0}, df=lambda _f, t: 1 if t == "fenc" else 900)
    assert [key for key, _ in order] == [1, 0]


def test_a_words_best_form_counts_and_a_phrase_needs_its_words_side_by_side():
    clause = wq.DisjunctionMax([wq.Term("text", "return"), wq.Term("text", "returne", boost=0.5)], tiebreak=0.0)
    phrase = wq.Phrase("text", ["north", "macedonia"])
    near = _stored("North Macedonia returns", "paragraph", 1)
    apart = _stored("North of Macedonia returns returnees", "paragraph", 2)
    scores = dict(_run([clause, phrase], [near, apart], {"paragraph": 30.0}))
    assert scores[1] < scores[0]  # the phrase holds in the first only
    one = _stored("returns landmarks", "paragraph", 3)
    two = _stored("returns returnees", "paragraph", 4)  # as long: the same normalisation
    alone, both = dict(_run([clause], [one, two], {"paragraph": 30.0})).values()
    assert alone > 0 and both == pytest.approx(alone)  # the best form counts, not their sum


def test_footnote_text_counts_and_ties_go_to_document_then_position():
    word = wq.Or([wq.Term("text", "eurodac"), wq.Term("notes_text", "eurodac", boost=0.4)])
    in_note = _stored("Registration gaps", "paragraph", 5, notes=[{"number": "1", "text": "Eurodac"}])
    other = _stored("Registration", "paragraph", 6)
    order = _run([word], [other, in_note], {"paragraph": 20.0})
    assert [key for key, _ in order] == [1, 0]
    same = [_stored("Eurodac gaps", "paragraph", 9, doc="b"), _stored("Eurodac gaps", "paragraph", 2, doc="b")]
    same.append(_stored("Eurodac gaps", "paragraph", 7, doc="a"))
    assert [key for key, _ in _run([word], same, {"paragraph": 20.0})] == [2, 1, 0]


def test_a_part_it_cannot_score_leaves_the_order_to_the_first_stage():
    odd = wq.NumericRange("page", 1, 3)
    assert _run([odd], [_stored("text", "paragraph", 1)], {"paragraph": 10.0}) is None


def test_kind_averages():
    averages, overall = rescore.kind_averages({"item": [10, 30], "heading": [5], "caption": []})
    assert averages == {"item": 20.0, "heading": 5.0}
    assert overall == pytest.approx(15.0)


def test_its_words_are_the_index_analyzers_tokens(sample_docs):
    analysis = rescore._Analysis(SCHEMA["text"].analyzer)
    analyzer = SCHEMA["text"].analyzer
    for doc in sample_docs:
        for text in [doc.text[p.start : p.end] for p in doc.passages] + [n.text for n in doc.footnotes]:
            assert analysis.tokens(text) == [t.text for t in analyzer(text, mode="index")]


# -- term proximity: neighbouring clauses side by side or close ------------------------------------


def _word(stem: str) -> wq.Query:
    """A clause as natural_query makes it: the word in the text, and (lower) in the notes."""
    return wq.Or([wq.Term("text", stem), wq.Term("notes_text", stem, boost=0.4)])


def _scores(clauses, texts, length=None):
    """Scores of passages that differ only in the order of their words (as long as each other)."""
    size = length or max(len(t) for t in texts)
    stored = [_stored(t.ljust(size), "paragraph", i) for i, t in enumerate(texts)]
    return [score for _key, score in sorted(_run(clauses, stored, {"paragraph": float(size)}))]


def test_neighbouring_query_words_score_higher_side_by_side_than_near_than_apart():
    clauses = [_word("recept"), _word("capac")]
    filler = " ".join(["word"] * 12)
    adjacent, near, apart = _scores(
        clauses,
        [
            f"reception capacity {filler} {filler}",
            f"reception of the new large capacity {filler} {filler}",  # stop words are not counted
            f"reception {filler} capacity {filler}",
        ],
    )
    assert adjacent > near > apart > 0
    # the other order is near, not side by side (each passage as long as its kind's average)
    (reverse,) = _scores(clauses, [f"capacity reception {filler} {filler}"])
    assert reverse == pytest.approx(near)


def test_only_neighbouring_clauses_pair_and_a_single_clause_has_no_proximity():
    a, b, c = _word("frontex"), _word("statu"), _word("agreement")
    filler = " ".join(["word"] * 12)
    # "frontex" and "agreement" side by side, but they are not neighbours in the query
    far, close = _scores([a, b, c], [f"frontex agreement {filler} status", f"frontex status {filler} agreement"])
    assert close > far
    one = _scores([a], ["frontex agreement", "agreement frontex"])
    assert one[0] == pytest.approx(one[1])


def test_a_names_phrase_and_an_alias_stand_for_their_clause():
    name = wq.DisjunctionMax(
        [
            wq.Or([wq.Phrase("text", ["north", "macedonia"], boost=0.5)]),
            wq.Term("entity", "north macedonia", boost=0.4),
        ],
        tiebreak=0.0,
    )
    agreement = _word("agreement")
    filler = " ".join(["word"] * 12)
    side, apart = _scores(
        [agreement, name], [f"agreement with North Macedonia {filler}", f"agreement {filler} North Macedonia"]
    )
    assert side > apart
    # a form that overlaps the other clause's is not a pair: "Bosnia" inside "Bosnia and Herzegovina"
    bosnia = _word("bosnia")
    country = wq.DisjunctionMax([wq.Phrase("text", ["bosnia", "herzegovina"])], tiebreak=0.0)
    scorer = rescore._Scorer(rescore.Stats(1000, lambda _f, _t: 10, {}, 30.0), None, str.lower)
    analysis = rescore._Analysis(SCHEMA["text"].analyzer)
    alone = rescore._Passage(_stored("Bosnia and Herzegovina", "paragraph", 1), analysis)
    assert scorer.proximity([bosnia, country], alone) == 0.0
    twice = rescore._Passage(_stored("Bosnia, Bosnia and Herzegovina", "paragraph", 2), analysis)
    assert scorer.proximity([bosnia, country], twice) > 0


class _Lexicon:
    """The words a prefix reaches, as a reader lists them."""

    def __init__(self, words):
        self.words = sorted(words)

    def expand_prefix(self, fieldname, prefix):
        return [w.encode() for w in self.words if w.startswith(prefix)]


def test_words_a_prefix_reaches_stand_for_its_clause():
    lexicon = _Lexicon(["readmiss", "readmit", "return"])
    scorer = rescore._Scorer(rescore.Stats(1000, lambda _f, _t: 10, {}, 30.0), lexicon, str.lower)
    analysis = rescore._Analysis(SCHEMA["text"].analyzer)
    prefix = wq.Prefix("text", "readmiss")
    committee = _word("committe")
    side = rescore._Passage(_stored("the readmission committee met", "paragraph", 1), analysis)
    apart = rescore._Passage(_stored("the readmission " + "word " * 12 + "committee met", "paragraph", 2), analysis)
    assert scorer.proximity([prefix, committee], side) > 0
    assert scorer.proximity([prefix, committee], apart) == 0.0
    assert scorer.spans(wq.Term("notes_text", "readmiss"), side) == []
    assert scorer.spans(wq.NumericRange("page", 1, 2), side) == []
    assert scorer.spans(wq.NullQuery, side) == []


def test_a_pair_is_near_within_the_window_only_and_each_span_counts_once():
    scorer = rescore._Scorer(rescore.Stats(1000, lambda _f, _t: 10, {}, 30.0), None, str.lower)
    analysis = rescore._Analysis(SCHEMA["text"].analyzer)
    clauses = [_word("recept"), _word("capac")]
    gap = rescore.PAIR_WINDOW
    for text, near in (
        ("capacity " + "word " * (gap - 1) + "reception", True),
        ("capacity " + "word " * gap + "reception", False),
        ("reception " + "word " * (gap - 1) + "capacity", True),
        ("reception " + "word " * gap + "capacity", False),
    ):
        passage = rescore._Passage(_stored(text, "paragraph", 1), analysis)
        assert (scorer.proximity(clauses, passage) > 0) is near, text
    assert rescore._best_spans([(1, 1, 2.0), (1, 1, 3.0), (0, 0, 1.0), (1, 1, 1.0)]) == [(0, 0, 1.0), (1, 1, 3.0)]
