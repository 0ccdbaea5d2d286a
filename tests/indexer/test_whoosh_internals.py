"""indexer.whoosh_internals: the start-up check of Whoosh's private parts, and the fallback.

When the check finds the private parts other than it expects (another version, a renamed
attribute, postings that do not match Whoosh's public matcher), search must give the same
results through Whoosh's public API, say so once (log, /healthz, ``glossa settings``), and
never fail.
"""

from __future__ import annotations

import configparser
import logging
import re
import types
from pathlib import Path

import pytest
import whoosh
from click.testing import CliRunner
from packaging.requirements import Requirement
from whoosh import query as wq
from whoosh.codec import whoosh3
from whoosh.matching import IntersectionMatcher, NullMatcher
from whoosh.query.spans import SpanNear2, SpanWrappingMatcher
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer
from whoosh.util import make_binary_tree

from indexer import whoosh_internals
from indexer.search import Searcher
from indexer.tagfilter import TagResolver
from indexer.whoosh_internals import FastPhrase
from indexer.writer import open_index, record_fields
from tests.common.indexing import build_index

pytestmark = pytest.mark.whoosh_only("Whoosh-Reloaded's private parts that indexer.whoosh_internals uses")

ROOT = Path(__file__).resolve().parents[2]

#: natural and strict queries, phrases, patterns, fuzzy words, field values, tags, filters
QUERIES = [
    ("frontex", {}),
    ("migration border control", {}),
    ("reception capacity asylum seekers", {}),
    ("Frontex OR Serbia", {}),
    ("Frontex NOT Serbia", {}),
    ('"border control"', {}),
    ('"western balkans" asylum', {}),
    ("front*", {}),
    ("migraton~", {}),
    ("org:frontex migration", {}),
    ("place:bih OR place:serbia", {}),
    ("border^3 control", {}),
    ("(frontex OR border) AND NOT (serbia OR kosovo)", {}),
    ("tag:review", {}),
    ("migration", {"type": "PERSON"}),
    ("", {"type": "MONEY"}),
    ("page:[2 TO 5] frontex", {}),
    ('"border control"~3', {}),
    ("zzyzx qqqq", {}),
]
TAGS = [("001", 0, 400, "review"), ("002", 0, 4000, "Review")]


def _results(searcher: Searcher) -> list:
    """Everything a search shows, for every query (scores to the 9th decimal)."""
    out = []
    resolver = TagResolver(TAGS)
    for text, filters in QUERIES:
        r = searcher.search(text, pagelen=50, filters=filters, tag_resolver=resolver)
        hits = [(h.doc_id, h.ordinal, round(h.score, 4), h.snippet_html, h.tags) for h in r.hits]
        facets = {k: v for k, v in r.facets.items()}
        out.append((text, r.total, r.relaxed, r.suggestion, hits, facets))
    return out


def _rewrite_passage(index_dir, doc_id, ordinal):
    """Rewrite one passage record in place: a new one-record segment, the old record deleted."""
    import json

    ix = open_index(index_dir)
    with ix.searcher() as s:
        stored = s.document(pid=f"{doc_id}:{ordinal}")
    stored["notes_text"] = "\n".join(n["text"] for n in json.loads(stored.get("notes") or "[]"))
    writer = ix.writer()
    writer.update_document(**record_fields(stored))
    writer.commit(merge=False)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, sample_docs, sample_entities):
    """The sample corpus, a few passages rewritten in place: several segments, with deletions."""
    root = tmp_path_factory.mktemp("internals")
    build_index(root / "index", sample_docs, entities=sample_entities, backend="whoosh").close()
    for doc in sample_docs[:3]:
        for ordinal in (0, 3, 5):
            _rewrite_passage(root / "index", doc.doc_id, ordinal)
    return root / "index"


@pytest.fixture(scope="module")
def expected(index_dir):
    """What search shows with the private paths in use (checked first)."""
    assert whoosh_internals.recheck().ok
    searcher = Searcher(index_dir)
    whoosh_searcher = searcher._current()[0]
    assert len(whoosh_searcher.subsearchers) > 1 and whoosh_searcher.reader().has_deletions()
    try:
        return _results(searcher)
    finally:
        searcher.close()


@pytest.fixture
def changed():
    """A monkeypatch for Whoosh itself; afterwards Whoosh is restored and checked again."""
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()
    assert whoosh_internals.recheck().ok


def _assert_falls_back_with_the_same_results(index_dir, expected, caplog, *parts):
    with caplog.at_level(logging.WARNING, logger="indexer.whoosh_internals"):
        found = whoosh_internals.recheck()
        searcher = Searcher(index_dir)  # opening the index runs check_at_start
        try:
            assert not found.ok and found.problems
            for part in parts:
                assert getattr(found, part) is False, found
            assert _results(searcher) == expected
            searcher.search("border")  # a second search, a second open: said once only
        finally:
            searcher.close()
        Searcher(index_dir).search("frontex")
    said = [r for r in caplog.records if r.name == "indexer.whoosh_internals"]
    assert len(said) == 1 and "fell back to Whoosh's public API" in said[0].getMessage()
    return found


def test_the_pinned_version_passes_the_check():
    found = whoosh_internals.recheck()
    assert found.ok and not found.problems, found.summary()
    assert found.version == whoosh_internals.PINNED_VERSION == whoosh_internals.installed_version()
    assert whoosh3.W3PerDocReader._cached_reader is whoosh_internals._cached_reader
    assert "checked and in use" in found.summary()


def test_the_pin_is_the_same_everywhere():
    """constraints.txt pins the checked version exactly; setup.cfg allows no other release."""
    pins = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    assert f"Whoosh-Reloaded=={whoosh_internals.PINNED_VERSION}" in pins
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    (spec,) = [r.strip() for r in cfg["options"]["install_requires"].splitlines() if r.strip().startswith("whoosh")]
    allowed = Requirement(spec).specifier
    assert whoosh_internals.PINNED_VERSION in allowed
    assert not any(v in allowed for v in ("2.7.4", "2.7.6", "2.8.0", "3.0"))


def test_another_version_falls_back_to_whoosh_with_the_same_results(index_dir, expected, caplog, changed):
    changed.setattr(whoosh, "__version__", (2, 7, 6))
    found = _assert_falls_back_with_the_same_results(
        index_dir, expected, caplog, "fast_postings", "fast_phrases", "column_cache"
    )
    assert "2.7.6 is installed" in found.summary()
    # the column-cache fix is taken out again: Whoosh's own method is back
    assert whoosh3.W3PerDocReader._cached_reader is not whoosh_internals._cached_reader


def test_a_renamed_private_attribute_falls_back_to_whoosh_scoring(index_dir, expected, caplog, changed):
    """BM25F's per-field B renamed (as a release might): Whoosh still works, the private
    path does not, and search gives the same results through the public one."""
    original_init = BM25F.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.field_b = self.__dict__.pop("_field_B")

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return BM25FScorer(searcher, fieldname, text, self.field_b.get(fieldname, self.B), self.K1, qf=qf)

    changed.setattr(BM25F, "__init__", init)
    changed.setattr(BM25F, "scorer", scorer)
    found = _assert_falls_back_with_the_same_results(index_dir, expected, caplog, "fast_postings")
    assert found.fast_phrases and found.column_cache
    assert "BM25F" in found.summary() or "_field_B" in found.summary()


def test_a_renamed_span_matcher_attribute_falls_back_to_whoosh_phrases(index_dir, expected, caplog, changed):
    base = SpanNear2.SpanNear2Matcher

    class Renamed(SpanWrappingMatcher):
        """SpanNear2's matcher as a release might write it: its word matchers renamed
        (``ms`` -> ``matchers``), the rest as Whoosh-Reloaded 2.7.5 has it."""

        def __init__(self, ms, slop=1, ordered=True, mindist=1):
            self.matchers = ms
            self.slop, self.ordered, self.mindist = slop, ordered, mindist
            super().__init__(make_binary_tree(IntersectionMatcher, ms))

        def copy(self):
            copies = [m.copy() for m in self.matchers]
            return self.__class__(copies, slop=self.slop, ordered=self.ordered, mindist=self.mindist)

        def replace(self, minquality=0):
            return self if self.is_active() else NullMatcher()

        def _get_spans(self):
            view = types.SimpleNamespace(ms=self.matchers, slop=self.slop, ordered=self.ordered, mindist=self.mindist)
            return base._get_spans(view)

    changed.setattr(SpanNear2, "SpanNear2Matcher", Renamed)
    found = _assert_falls_back_with_the_same_results(index_dir, expected, caplog, "fast_phrases")
    assert found.fast_postings and "phrases" in found.summary()
    # FastPhrase is then Whoosh's own Phrase: same passages, same scores
    searcher = Searcher(index_dir)
    try:
        whoosh_searcher = searcher._current()[0]
        for words in (["border", "control"], ["western", "balkan"], ["human", "right"]):
            for slop in (1, 2):
                plain = whoosh_searcher.search(wq.Phrase("text", words, slop=slop), limit=None)
                fast = whoosh_searcher.search(FastPhrase("text", words, slop=slop), limit=None)
                assert [(h.docnum, h.score) for h in fast] == [(h.docnum, h.score) for h in plain]
                assert len(plain) or slop == 2
    finally:
        searcher.close()


def test_postings_unlike_whoosh_own_fall_back(index_dir, expected, caplog, changed):
    """Blocks that lose a posting (a changed block layout) fail the comparison with the
    public matcher."""
    fast_blocks = whoosh_internals._fast_blocks

    def short_blocks(*args, **kwargs):
        for ids, weights, values in fast_blocks(*args, **kwargs):
            yield ids[1:], weights[1:], values[1:] if values is not None else None

    changed.setattr(whoosh_internals, "_fast_blocks", short_blocks)
    found = _assert_falls_back_with_the_same_results(index_dir, expected, caplog, "fast_postings")
    assert re.search(r"postings of \w+:b'\w+' differ", found.summary())


def test_a_check_that_cannot_run_falls_back(index_dir, expected, caplog, changed):
    """No room for the check's index: nothing private is trusted, and nothing fails."""

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    changed.setattr(whoosh_internals.tempfile, "TemporaryDirectory", no_space)
    found = _assert_falls_back_with_the_same_results(index_dir, expected, caplog, "fast_postings", "fast_phrases")
    assert "the check could not run (OSError" in found.summary()


def test_a_changed_column_reader_is_left_alone(changed):
    original = whoosh3.W3PerDocReader._cached_reader
    assert original is whoosh_internals._cached_reader
    whoosh_internals.recheck()

    def changed_reader(self, fieldname, column, default=None):
        return whoosh_internals._ORIGINAL_CACHED_READER(self, fieldname, column)

    changed.setattr(whoosh3.W3PerDocReader, "_cached_reader", changed_reader)
    found = whoosh_internals.recheck()
    assert not found.column_cache and found.fast_postings and found.fast_phrases
    assert whoosh3.W3PerDocReader._cached_reader is changed_reader  # not replaced
    assert "column cache" in found.summary()


def test_the_fallback_is_shown_in_healthz_and_settings(index_dir, changed, tmp_path):
    from tests.webui.anno_support import make_test_app
    from webui.cli import cli

    data = tmp_path / "data"
    data.mkdir()
    (data / "index").symlink_to(index_dir, target_is_directory=True)
    app = make_test_app(data)
    body = app.test_client().get("/healthz").get_json()
    assert body == {"status": "ok", "checks": {"index": "ok", "database": "ok"}}
    settings = CliRunner().invoke(cli, ["settings"])
    assert settings.exit_code == 0 and "private fast paths checked and in use" in settings.output

    changed.setattr(whoosh, "__version__", (2, 8, 0))
    whoosh_internals.recheck()
    resp = make_test_app(data).test_client().get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 200 and body["status"] == "ok"
    assert body["warnings"] == [whoosh_internals.status().public_summary()]
    assert "postings arrays, fast phrases, column cache fell back" in body["warnings"][0]
    settings = CliRunner().invoke(cli, ["settings"])
    assert settings.exit_code == 0 and "2.8.0 is installed" in settings.output
