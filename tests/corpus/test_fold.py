"""corpus.clean's accent folding and slugs, the one implementation of both."""

from __future__ import annotations

from corpus.clean import fold, slug, strip_accents
from corpus.models import Reference
from corpus.reader import make_doc_id
from corpus.references import work_key


def test_strip_accents_keeps_case_and_letters_without_a_decomposition():
    assert strip_accents("Été à Šabac") == "Ete a Sabac"
    assert strip_accents("ﬁnal ﬀ ² Ｋ") == "final ff 2 K"  # compatibility forms become plain
    assert strip_accents("Bjørn Straße Łódź") == "Bjørn Straße Łodz"


def test_fold_is_a_lookup_key():
    assert fold("  Türkiye\u00a0\u2009Report\n") == "turkiye report"
    assert fold("STRASSE") == fold("Straße") == "strasse"
    assert fold("A\u030angstro\u0308m") == fold("Ångström") == "angstrom"
    assert fold("") == ""


def test_slug_breaks_words_at_characters_without_an_ascii_form():
    assert slug("Women’s Rights — 2019–2020") == "women-s-rights-2019-2020"
    assert slug("Été à Šabac (draft)") == "ete-a-sabac-draft"
    assert slug("Москва") == "" and slug("") == ""


def test_slug_other_empty_leaves_them_out_as_document_ids_always_have():
    assert slug("Women’s Rights — 2019–2020", other="") == "womens-rights-20192020"
    assert make_doc_id("Women’s Rights — 2019–2020", set()) == "womens-rights-20192020"
    assert make_doc_id("Москва", set()) == "doc"


def test_work_keys_are_built_from_the_same_slug():
    ref = Reference(raw="x", authors=["Ødegård, B."], year="2019", title="Europe’s “Hotspots” – a review")
    assert work_key(ref).startswith("degard-2019-europe-")
    same = Reference(raw="y", authors=["Odegard, B."], year="2019", title="Europe's Hotspots: a review")
    assert work_key(same).split("-")[-1] == work_key(ref).split("-")[-1]  # the title words agree
