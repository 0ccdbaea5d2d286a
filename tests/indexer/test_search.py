"""Searching a real on-disk index of the sample corpus (and a small hostile one)."""

from __future__ import annotations

from collections import Counter

import pytest

from indexer.search import QueryError
from indexer.tagfilter import TagResolver
from tests.common.indexing import make_document, temp_index


def _texts(results):
    return [h.text for h in results.hits]


def test_plain_phrase_and_accent_folding(sample_searcher):
    r = sample_searcher.search("Frontex")
    assert r.total > 20 and all(h.score > 0 for h in r.hits)
    phrase = sample_searcher.search('"border control"')
    assert phrase.total > 0 and all("border control" in h.text.lower() for h in phrase.hits)
    tk = sample_searcher.search("Turkiye")
    assert tk.total > 0 and any("Türkiye" in h.text for h in tk.hits)
    zp = sample_searcher.search("Zuparic")  # in the footnotes the passages cite
    assert zp.total > 0 and any("Župarić" in n["text"] for h in zp.hits for n in h.footnotes)


def test_field_prefixes(sample_searcher):
    bih = sample_searcher.search("place:bih")
    full = sample_searcher.search('place:"bosnia and herzegovina"')
    assert bih.total == full.total > 0
    assert sample_searcher.search("org:frontex").total > 20
    person = sample_searcher.search('person:"ylva johansson"')
    assert person.total > 0 and all("Johansson" in h.text for h in person.hits)
    doc_id = sample_searcher.search("Frontex").hits[0].doc_id
    only = sample_searcher.search(f"doc:{doc_id} migrants")
    assert only.total > 0 and {h.doc_id for h in only.hits} == {doc_id}
    fn = sample_searcher.search("fn:12")
    assert fn.total >= 1 and all(any(n["number"] == "12" for n in h.footnotes) for h in fn.hits)
    assert all(h.page == 2 for h in sample_searcher.search("page:2", pagelen=50).hits)
    assert sample_searcher.search("type:MONEY").total == sample_searcher.search("type:money").total > 0
    assert sample_searcher.search("-serbia frontex").total < sample_searcher.search("frontex").total


def test_wildcards_fuzzy_and_boolean(sample_searcher):
    assert sample_searcher.search("front*").total >= sample_searcher.search("Frontex").total
    assert sample_searcher.search("Frontx~").total > 0
    both = sample_searcher.search("Frontex Serbia").total
    either = sample_searcher.search("Frontex OR Serbia").total
    without = sample_searcher.search("Frontex NOT Serbia").total
    assert both < either and without < sample_searcher.search("Frontex").total


@pytest.mark.parametrize(
    "bad", ["", "   ", "AND", "*", "foo:bar frontex", "(((", '"the"', "org:", "page:abc", "-frontex"]
)
def test_malformed_queries_raise_query_error(sample_searcher, bad):
    with pytest.raises(QueryError) as err:
        sample_searcher.search(bad)
    assert err.value.message


@pytest.mark.parametrize(
    "bad, says",
    [
        ('"border control', "Unclosed quote"),
        ("(frontex OR serbia", "Unclosed parenthesis"),
        ("frontex)", 'Unbalanced ")"'),
        ("fn:abc", "fn: needs a footnote number"),
        ("type:colour frontex", 'Unknown entity type "colour"'),
        ("page:abc", "page: needs a page number"),
    ],
)
def test_query_errors_say_what_to_change(sample_searcher, bad, says):
    """Unclosed quotes and brackets, impossible fn: and type: values: one clear message each,
    the same kind page:abc gets (rather than a silent repair or an empty page)."""
    with pytest.raises(QueryError) as err:
        sample_searcher.search(bad)
    assert says in err.value.message and "e.g." in err.value.message


def test_filters_and_facets(sample_searcher):
    r = sample_searcher.search("migration", pagelen=5)
    docs = r.facets["documents"]
    assert sum(d["count"] for d in docs) == r.total and len(docs) > 1
    assert all(d["label"] for d in docs)
    assert any(e["value"] == "European Union" and e["label"] == "ORG" for e in r.facets["entities"])
    narrowed = sample_searcher.search("migration", filters={"doc": docs[0]["value"]})
    assert narrowed.total == docs[0]["count"]
    typed = sample_searcher.search("migration", filters={"type": "PERSON"})
    assert 0 < typed.total < r.total and all(any(e["label"] == "PERSON" for e in h.entities) for h in typed.hits)
    ent = sample_searcher.search("migration", filters={"entity": "BiH"})
    assert ent.total > 0 and all(any(e["canonical"] == "Bosnia and Herzegovina" for e in h.entities) for h in ent.hits)
    with pytest.raises(QueryError):
        sample_searcher.search("migration", filters={"colour": "red"})


def test_pagination_and_groups(sample_searcher):
    first = sample_searcher.search("EU", page=1, pagelen=5)
    second = sample_searcher.search("EU", page=2, pagelen=5)
    assert first.pages == -(-first.total // 5) and first.total > 10
    keys1 = {(h.doc_id, h.ordinal) for h in first.hits}
    keys2 = {(h.doc_id, h.ordinal) for h in second.hits}
    assert len(keys1) == len(keys2) == 5 and not keys1 & keys2
    assert [h for g in first.groups for h in g.hits] == sorted(
        first.hits, key=lambda h: [g.doc_id for g in first.groups].index(h.doc_id)
    )
    assert first.hits[0].score >= first.hits[-1].score
    assert sample_searcher.search("EU", page=999).hits == []
    d = first.to_dict()
    assert d["total"] == first.total and d["hits"][0]["snippet_html"]


def test_did_you_mean(sample_searcher):
    r = sample_searcher.search("frontexx")
    assert r.total == 0 and r.suggestion == "frontex"
    assert sample_searcher.search("Frontex").suggestion is None


def test_hit_entities_relative_and_snippet_marks(sample_searcher):
    hit = sample_searcher.search("org:frontex").hits[0]
    for e in hit.entities:
        assert hit.text[e["start"] : e["end"]] == e["text"]
    assert 'class="ent ent-ORG" data-label="ORG" title="ORG: Frontex"' in hit.snippet_html
    assert "<mark>" in hit.snippet_html


def _spans(doc, ordinal, tags):
    passage = doc.passages[ordinal]
    return [(doc.doc_id, passage.start, passage.end, t) for t in tags]


def test_snippet_escaping_and_tags(tmp_path, tagger):
    doc = make_document(
        "evil",
        [
            "<script>alert('x')</script> Frontex & partners met in Serbia.",
            "A second paragraph about border control.",
        ],
    )
    with temp_index([doc], tagger) as searcher:
        hit = searcher.search("Frontex").hits[0]
        assert "<script>" not in hit.snippet_html
        assert "&lt;script&gt;" in hit.snippet_html and "&amp;" in hit.snippet_html
        assert "<mark>Frontex</mark>" in hit.snippet_html
        tags = TagResolver(_spans(doc, 1, ["Important", "review"]))
        tagged = searcher.search("tag:important", tag_resolver=tags)
        assert [(h.ordinal, h.tags) for h in tagged.hits] == [(1, ["important", "review"])]
        assert searcher.search("control", filters={"tag": "review"}, tag_resolver=tags).total == 1
        assert searcher.search("border", tag_resolver=tags).facets["tags"] == [
            {"value": "important", "label": "important", "count": 1},
            {"value": "review", "label": "review", "count": 1},
        ]
        assert searcher.search("org:frontex", tag_resolver=tags).total == 1
        # without a resolver no tag is visible: the index holds none
        assert searcher.search("tag:important").total == 0
        assert searcher.search("border").hits[0].tags == [] and searcher.search("border").facets["tags"] == []


def test_tag_changes_are_seen_at_once_and_never_duplicate_passages():
    doc = make_document("d", ["Frontex in Serbia.", "Border control again."])
    with temp_index([doc], entities=[[]]) as searcher:
        for tags in (["a"], ["b"], ["c"], []):
            resolver = TagResolver(_spans(doc, 0, tags) + _spans(doc, 1, tags))
            r = searcher.search("frontex OR border", tag_resolver=resolver)
            assert sorted((h.ordinal, tuple(h.tags)) for h in r.hits) == [(0, tuple(tags)), (1, tuple(tags))]
            assert r.total == 2
            assert r.facets["tags"] == ([{"value": tags[0], "label": tags[0], "count": 2}] if tags else [])


COUNT_QUERIES = [
    "Frontex",
    "migration border",
    "Frontex OR Serbia",
    "Frontex NOT Serbia",
    "-serbia frontex",
    '"border control"',
    '"human rights" OR visa',
    "front*",
    "org:frontex migration",
    "place:bih OR place:serbia",
    "Frontx~",
    "page:[2 TO 5]",
    "(frontex OR border) AND NOT (serbia OR kosovo)",
    "type:MONEY",
    "Zuparic",
]


@pytest.mark.whoosh_only("checks the Whoosh backend's array counts against Whoosh's own match set")
@pytest.mark.parametrize("text", COUNT_QUERIES)
def test_totals_and_facets_count_every_match(sample_searcher, text):
    """Totals come from an unscored array pass: they must equal Whoosh's own match set."""
    whoosh_searcher = sample_searcher._current()[0]
    q = sample_searcher.parse(text)
    expected = set(whoosh_searcher.docs_for_query(q))
    r = sample_searcher.search(text, pagelen=200)
    assert r.total == len(expected) > 0
    assert sum(d["count"] for d in r.facets["documents"]) == r.total
    if r.total <= 200:
        assert {(h.doc_id, h.ordinal) for h in r.hits} == {
            (f["doc_id"], f["ordinal"]) for f in map(whoosh_searcher.stored_fields, expected)
        }
        types = Counter(label for h in r.hits for label in {e["label"] for e in h.entities})
        assert {t["value"]: t["count"] for t in r.facets["entity_types"]} == dict(types)
        counts = [t["count"] for t in r.facets["entity_types"]]
        assert counts == sorted(counts, reverse=True)
    doc = r.facets["documents"][0]["value"]
    narrowed = sample_searcher.search(text, filters={"doc": doc})
    assert narrowed.total == r.facets["documents"][0]["count"]


@pytest.mark.whoosh_only("FastPhrase is a Whoosh query class")
@pytest.mark.parametrize("slop", [1, 2, 3])
def test_fast_phrase_matches_whoosh_phrase(sample_searcher, slop):
    from whoosh import query as wq

    from indexer.query import FastPhrase

    whoosh_searcher = sample_searcher._current()[0]
    words = [
        ["border", "control"],
        ["human", "right"],
        ["western", "balkan"],
        ["eu", "turkey", "statement"],
        ["migrat", "polici", "eu"],
        ["border", "border"],
    ]
    seen = 0
    for field in ("text", "notes_text"):
        for ws in words:
            plain = whoosh_searcher.search(wq.Phrase(field, ws, slop=slop), limit=None)
            fast = whoosh_searcher.search(FastPhrase(field, ws, slop=slop), limit=None)
            assert [(h.docnum, round(h.score, 6)) for h in plain] == [(h.docnum, round(h.score, 6)) for h in fast]
            seen += len(plain)
    assert seen > 0


def test_phrase_hits_hold_the_phrase_on_every_page(tmp_path):
    """Every page of a phrase search (quality-skipping top search) holds only real phrase hits."""
    paras = [("border was under control " * (i % 5 + 1)) if i % 3 else "border control and more" for i in range(600)]
    with temp_index([make_document("p", paras)], entities=[[]]) as searcher:
        r = searcher.search('"border control"', pagelen=7)
        assert r.total == 200
        for page in range(1, r.pages + 1):
            hits = searcher.search('"border control"', page=page, pagelen=7).hits
            assert hits and all("border control" in h.text for h in hits)


def test_counts_stay_exact_when_repeated(sample_searcher):
    """The second run of a query reads postings from the cache: same totals and facets."""
    first = sample_searcher.search("migration OR frontex", filters={"type": "PERSON"})
    again = sample_searcher.search("migration OR frontex", filters={"type": "PERSON"})
    assert first.total == again.total > 0 and first.facets == again.facets


def test_one_word_stands_for_the_names_holding_it(sample_searcher):
    """person:federico finds "Federico Morra"; a full or canonicalised name stays exact."""
    assert (
        sample_searcher.search("person:federico").total == sample_searcher.search('person:"federico morra"').total >= 1
    )
    assert sample_searcher.search("person:morra").total >= 1
    # a word that is only part of a word does not match ("fede" is not a word of the name)
    assert sample_searcher.search("person:fede").total == 0
    # an exact canonical name is not widened to every name containing it
    exact = sample_searcher.search('place:"bosnia and herzegovina"').total
    assert sample_searcher.search("place:bih").total == exact


def test_cites_finds_passages_whose_notes_cite_a_work_by_author_word(sample_searcher):
    """Beznec, Speer and Stojić Mitrović 2016 is cited in notes 4, 9, 14 and 17 of 003."""
    hits = sample_searcher.search("cites:beznec", pagelen=50).hits
    cited = {n["number"] for h in hits for n in h.footnotes if "Beznec" in n["text"]}
    assert {"4", "9", "14", "17"} <= cited
    assert all(any(key.startswith("beznec-2016") for key in h.cites) for h in hits)


def test_fuzzy_terms_reach_misspelt_whole_words(sample_searcher):
    """`migraton~` is one edit from "migration" though two from its stem "migrat"."""
    fuzzy = sample_searcher.search("migraton~", pagelen=5)
    exact = sample_searcher.search("migration", pagelen=5)
    assert exact.total > 0 and fuzzy.total >= exact.total
    assert sample_searcher.search("migraton").total == 0
    assert "<mark>" in fuzzy.hits[0].snippet_html
