"""indexer.tagfilter: tag clauses of the parsed query resolved against visible tags only."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, Schema

from indexer.query import QueryError, make_parser, parse_query
from indexer.ranking import rank
from indexer.schema import make_schema
from indexer.tagfilter import PassageSet, TagResolver, matching_tags
from indexer.writer import open_index, record_fields
from tests.common.indexing import make_document, temp_index

#: letters tags are made of (TAG_RE: a letter or digit, then letters, digits, - _ : . /)
_FIRST = "abcdefgsuxz09é"
_REST = "abcdeflmnoprstuxz09-_:./é"


def _vocabulary(rnd: random.Random, size: int = 120) -> list[str]:
    words = {"secretplan", "secretplax", "secret", "whistleblower-x", "a", "eu:border", "v1.2/rc", "zz"}
    while len(words) < size:
        words.add(rnd.choice(_FIRST) + "".join(rnd.choice(_REST) for _ in range(rnd.randint(0, 9))))
    return sorted(words)


def _clauses(rnd: random.Random, vocab: list[str], n: int) -> list[str]:
    out = ["tag:*", "tag:[a TO m]", "tag:{a TO m}", "tag:[s TO]", "tag:>s", "tag:<=secret", "tag:?", "tag:*x"]
    for _ in range(n):
        word = rnd.choice(vocab)
        k = rnd.randint(0, len(word))
        other = rnd.choice(vocab)
        low, high = sorted((word, other))
        out.append(
            rnd.choice(
                (
                    f"tag:{word}",
                    f"tag:{word[: max(1, k)]}*",
                    f"tag:*{word[k:]}" if word[k:] else f"tag:{word}",
                    f"tag:{word[:k]}?{word[k + 1 :]}" if k < len(word) else f"tag:{word}?",
                    f"tag:{word[:1]}*{word[-1:]}",
                    f"tag:{word}~",
                    f"tag:{word}~2",
                    f"tag:{word[:k] + 'q' + word[k + 1 :]}~1",
                    f"tag:[{low} TO {high}]",
                    f"tag:{{{low} TO {high}}}",
                    f"tag:[{low} TO {high}}}",
                    f"tag:>{word}",
                    f"tag:<{word}",
                )
            )
        )
    return out


def test_tag_clauses_match_as_whoosh_matches_them_in_an_index():
    """The oracle: the same clause run by Whoosh on an index holding the tags as terms."""
    rnd = random.Random(7)
    vocab = _vocabulary(rnd)
    root = Path(tempfile.mkdtemp(prefix="glossa-tags-"))
    try:
        ix = whoosh_index.create_in(str(root), Schema(name=ID(stored=True), tags=KEYWORD(commas=True, lowercase=True)))
        writer = ix.writer()
        for tag in vocab:
            writer.add_document(name=tag, tags=tag)
        writer.commit()
        parser = make_parser(make_schema())
        checked = 0
        with ix.searcher() as searcher:
            for text in _clauses(rnd, vocab, 600):
                try:
                    parsed = parse_query(parser, text)
                except QueryError:  # e.g. a range bound "zz:o" reads as a field: refused for anyone
                    continue
                leaves = [leaf for leaf in parsed.leaves() if leaf.field() == "tags"]
                assert leaves, text
                for leaf in leaves:
                    expected = sorted(searcher.stored_fields(d)["name"] for d in leaf.docs(searcher))
                    assert sorted(matching_tags(leaf, vocab)) == expected, (text, leaf)
                    checked += 1
        assert checked >= 500
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_case_of_prefix_and_value_never_matters():
    parser = make_parser(make_schema())
    vocab = ["secretplan", "islands"]
    for text in ("tag:SecretPlan", "TAG:secretplan", "Tag:SECRET*", "tags:secretpla?", "TAGS:S*N", "tag:SECRETPLAX~"):
        leaves = [leaf for leaf in parse_query(parser, text).leaves() if leaf.field() == "tags"]
        assert [matching_tags(leaf, vocab) for leaf in leaves] == [["secretplan"]], text


DOCS = [
    make_document("a", ["Frontex at the border.", "Border control and asylum.", "Asylum seekers on islands."]),
    make_document("b", ["Readmission agreements.", "The border of the union.", "Visas and returns."]),
]


def _span(doc_id: str, ordinal: int, tag: str, to: int | None = None):
    doc = next(d for d in DOCS if d.doc_id == doc_id)
    last = doc.passages[to if to is not None else ordinal]
    return (doc_id, doc.passages[ordinal].start, last.end, tag)


def _rewrite_passage(index_dir, doc_id, ordinal):
    ix = open_index(index_dir)
    with ix.searcher() as s:
        stored = s.document(pid=f"{doc_id}:{ordinal}")
    stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
    writer = ix.writer()
    writer.update_document(**record_fields(stored))
    writer.commit(merge=False)


#: the tests below read the Whoosh index's segments and docnums (PassageSet, the array ranker)
WHOOSH_DOCNUMS = "tag clauses resolved to Whoosh docnums over several segments with deletions"


@pytest.fixture(scope="module")
def searcher():
    """The two documents, with passages rewritten: several segments, deletions, moved docnums."""
    with temp_index(DOCS, entities=[[], []], backend="whoosh") as s:
        _rewrite_passage(s.index_dir, "a", 1)
        _rewrite_passage(s.index_dir, "b", 0)
        yield s


RESOLVER = TagResolver(
    [
        _span("a", 0, "Review", to=1),  # one annotation over two passages
        _span("a", 1, "asylum"),
        _span("a", 1, "asylum"),  # two annotations, one tag: counted once per passage
        _span("b", 0, "review"),
        _span("b", 2, "returns"),
        ("gone", 0, 10, "review"),  # a document no longer indexed
        ("a", 0, 5, "   "),  # no tag
    ]
)


def _where(results):
    return sorted((h.doc_id, h.ordinal) for h in results.hits)


@pytest.mark.whoosh_only(WHOOSH_DOCNUMS)
def test_tag_clauses_search_the_visible_tags(searcher):
    whoosh_searcher = searcher._current()[0]
    assert len(whoosh_searcher.subsearchers) > 1 and whoosh_searcher.reader().has_deletions()
    search = lambda text, **kw: searcher.search(text, pagelen=50, tag_resolver=RESOLVER, **kw)  # noqa: E731
    assert _where(search("tag:review")) == [("a", 0), ("a", 1), ("b", 0)]
    assert _where(search("tag:REV*")) == _where(search("tag:review"))
    assert _where(search("border -tag:review")) == [("b", 1)]
    assert _where(search("border NOT tag:r*")) == [("b", 1)]
    assert _where(search("tag:asylum OR tag:returns")) == [("a", 1), ("b", 2)]
    assert _where(search("tag:(asylum review)")) == [("a", 1)]
    assert _where(search("asylum tag:*")) == [("a", 1)]
    assert _where(search("tag:[r TO s]")) == [("a", 0), ("a", 1), ("b", 0), ("b", 2)]
    assert _where(search("border", filters={"tag": "Review"})) == [("a", 0), ("a", 1)]
    assert _where(search("", filters={"tag": "returns"})) == [("b", 2)]
    hit = search("control").hits[0]
    assert (hit.doc_id, hit.ordinal, hit.tags) == ("a", 1, ["asylum", "review"])
    assert search("border OR asylum OR readmission").facets["tags"] == [
        {"value": "review", "label": "review", "count": 3},
        {"value": "asylum", "label": "asylum", "count": 1},
    ]
    # a tag clause is no word to highlight or correct
    assert search("tag:revew").suggestion is None and search("tag:review").hits[0].snippet_html.count("<mark>") == 0
    # nothing visible without a resolver
    assert searcher.search("tag:review").total == 0 and searcher.search("tag:*").total == 0


@pytest.mark.whoosh_only(WHOOSH_DOCNUMS)
def test_resolved_clauses_give_the_same_matches_through_whoosh_and_the_arrays(searcher):
    state = searcher._current()
    whoosh_searcher, parser = state[0], state[2]
    bound = RESOLVER.bind(whoosh_searcher)
    for text in ("tag:review", "border NOT tag:review", "tag:asylum OR frontex", "NOT tag:r* AND border", "tag:*"):
        q = bound.rewrite(parse_query(parser, text))
        assert any(isinstance(leaf, PassageSet) for leaf in q.leaves())
        expected = sorted(whoosh_searcher.docs_for_query(q))
        ranked = rank(whoosh_searcher, q, 50)
        assert ranked.docnums.tolist() == expected, text
        # and through a whole search that Whoosh's matcher runs (a range is not array-ranked)
        ranged = searcher.search(f"({text}) AND page:[1 TO 9]", pagelen=50, tag_resolver=RESOLVER)
        assert ranged.total == len(expected), text


@pytest.mark.whoosh_only(WHOOSH_DOCNUMS)
def test_a_passage_set_refuses_a_searcher_it_was_not_resolved_on(searcher):
    with temp_index(DOCS[:1], entities=[[]], backend="whoosh") as other:
        whoosh_other = other._current()[0]
        q = PassageSet(np.array([0, 1]), doc_count=whoosh_other.doc_count_all() + 5)
        with pytest.raises(RuntimeError):
            list(q.docs(whoosh_other))
    assert PassageSet(np.array([2, 1, 2]), 9) == PassageSet(np.array([1, 2]), 9)
    assert hash(PassageSet(np.array([1]), 9)) == hash(PassageSet(np.array([1]), 9))
    assert isinstance(wq.Or([PassageSet(np.array([1]), 9)]).normalize(), PassageSet)


def test_the_source_of_visible_tags_is_read_once_and_only_when_needed():
    calls = []

    def fetch():
        calls.append(1)
        return [_span("b", 1, "union")]

    resolver = TagResolver(fetch)
    assert calls == []
    with temp_index(DOCS, entities=[[], []]) as searcher:  # on the suite's backend
        assert _where(searcher.search("tag:union", tag_resolver=resolver)) == [("b", 1)]
        assert _where(searcher.search("border -tag:union", tag_resolver=resolver)) == [("a", 0), ("a", 1)]
    assert calls == [1]
