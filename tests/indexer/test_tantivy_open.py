"""What opening a tantivy generation and its first search read: the same answers as the long way
(the stored passages), from the fast fields and the generation's own files."""

from __future__ import annotations

import pytest
import tantivy

from indexer import rescore
from indexer.backend.tantivy_backend import FIELDS, _Lexicon, kind_lengths


@pytest.fixture(scope="module")
def state(backends):
    return backends["tantivy"]._current()


def test_kind_lengths_are_the_stored_texts_lengths(state):
    samples = kind_lengths(state.searcher, state.view.tschema, state.view.lexicon)
    assert set(samples) == set(state.view.lexicon.field_terms("kind")) and len(samples) > 1
    for kind, lengths in samples.items():
        q = tantivy.Query.term_query(state.view.tschema, "kind", kind)
        hits = state.searcher.search(
            q, limit=rescore.SAMPLE, count=False, order_by_field="num", order=tantivy.Order.Asc
        ).hits
        assert lengths == [len(state.stored(addr)["text"]) for _num, addr in hits]
        assert lengths


def test_the_build_stores_the_kind_averages_worked_out_at_open(state, monkeypatch):
    stored = state.vocab.store.header["extra"]["kind_averages"]
    worked_out = rescore.kind_averages(kind_lengths(state.searcher, state.view.tschema, state.view.lexicon))
    assert state.kind_averages() == worked_out == (stored[0], stored[1])
    monkeypatch.setitem(state.vocab.store.header, "extra", {})  # a file written before they were stored
    assert state.kind_averages() == worked_out
    monkeypatch.setitem(state.vocab.store.header, "extra", {"kind_averages": [{"item": "long"}, None]})
    assert state.kind_averages() == worked_out


def test_second_stage_statistics_are_whooshs(backends):
    ours, whoosh = backends["tantivy"], backends["whoosh"]
    for searcher in (ours, whoosh):
        searcher.search("returns of rejected asylum seekers")  # a natural query: the second stage runs
    stats, theirs = ours._stats[1], whoosh._stats[1]
    assert stats.kind_lengths == pytest.approx(theirs.kind_lengths) and len(stats.kind_lengths) > 1
    assert stats.overall_length == pytest.approx(theirs.overall_length)


PREFIXES = ["b", "bor", "migra", "é", "zzzq", "asylum", ""]  # "" (the whole field) last
FUZZY = [("frontx", 1, 1), ("asylym", 2, 1), ("serbai", 1, 2), ("migraton", 2, 0), ("q", 1, 1)]


def _fresh(state):
    return _Lexicon(state.searcher, FIELDS)


def _whole_prefixed(lexicon, field, prefix):
    return [t for t in lexicon._sorted(field) if t.startswith(prefix)]


@pytest.mark.parametrize("field", ["text", "spell_text", "doc_id", "person", "page", "nosuchfield"])
def test_prefix_expansion_reads_only_the_terms_with_the_prefix(state, field):
    lazy, whole = _fresh(state), _fresh(state)
    for prefix in PREFIXES:
        got = list(lazy.expand_prefix(field, prefix.encode("utf-8")))
        assert got == [t.encode("utf-8") for t in _whole_prefixed(whole, field, prefix)]
        if prefix:
            assert field not in lazy._terms  # the whole field was not read
    assert list(whole.expand_prefix(field, "b")) == list(lazy.expand_prefix(field, "b"))  # from the whole list


def test_fuzzy_words_are_found_among_the_terms_with_the_fixed_prefix(state):
    from whoosh.codec.base import Automata

    from indexer.backend.tantivy_backend import _Cursor

    lazy, whole = _fresh(state), _fresh(state)
    for word, maxdist, prefix in FUZZY:
        got = list(lazy.terms_within("text", word, maxdist, prefix))
        dfa = Automata.levenshtein_dfa(word, maxdist, prefix)
        assert got == list(Automata.find_matches(dfa, _Cursor(whole._sorted("spell_text"))))
    assert any(lazy.terms_within("text", "frontx", 1, 1))


def test_remembered_prefixes_are_bounded(state, monkeypatch):
    lexicon = _fresh(state)
    monkeypatch.setattr(_Lexicon, "MAX_PREFIXES", 2)
    for prefix in ("a", "b", "c", "a"):
        assert list(lexicon.expand_prefix("text", prefix)) == [
            t.encode("utf-8") for t in _whole_prefixed(_fresh(state), "text", prefix)
        ]
    assert len(lexicon._prefixed) == 2 and ("text", "a") in lexicon._prefixed


def test_document_ranges_are_sized_by_the_builds_count_or_the_lexicon(backends):
    import tantivy as tv

    from indexer.backend.tantivy_backend import _State
    from indexer.writer import current_generation

    gen = current_generation(backends["tantivy"].index_dir)
    counted, read = _State(gen, tv.Index.open(str(gen))), _State(gen, tv.Index.open(str(gen)))
    read.facet_terms = {}  # a vocabulary file without the counts
    lo, hi, ids = counted.doc_ranges()
    assert "doc_id" not in counted.view.lexicon._terms  # sized without reading every document id
    again = read.doc_ranges()
    assert (lo.tolist(), hi.tolist(), ids) == (again[0].tolist(), again[1].tolist(), again[2])
    assert sorted(ids) == read.view.lexicon._sorted("doc_id") and len(ids) > 1


def test_analysis_forgets_chunks_before_words_and_answers_the_same(sample_docs):
    from indexer.backend.tantivy_backend import Analysis

    texts = [d.text[p.start : p.end] for d in sample_docs[:2] for p in d.passages]
    small, full = Analysis(), Analysis()
    small.MAX_WORDS = 400
    cleared = {"chunks": 0, "words": 0}
    for text in texts * 2:
        before = (len(small._stems), len(small._words))
        assert small.joined(text) == full.joined(text)
        cleared["chunks"] += len(small._stems) < before[0]
        cleared["words"] += len(small._words) < before[1]
    assert cleared["chunks"] > cleared["words"] > 0  # the words outlived several chunk clears
