"""The suite's backend switch (tests/common/backend.py): which backend a run uses, and that the
app's settings check lets its variable through."""

from __future__ import annotations

import pytest

from tests.common.backend import backend_for_tests, searcher_for_tests, write_index
from tests.common.indexing import make_document
from webui.config import from_environment


def test_the_test_variable_wins_then_the_setting_then_whoosh():
    both = {"GLOSSA_TEST_BACKEND": "Tantivy", "GLOSSA_SEARCH_BACKEND": "whoosh"}
    assert backend_for_tests(both) == "tantivy"
    assert backend_for_tests({"GLOSSA_SEARCH_BACKEND": "tantivy"}) == "tantivy"
    assert backend_for_tests({"GLOSSA_TEST_BACKEND": ""}) == "whoosh"
    assert backend_for_tests({}) == "whoosh"


def test_a_name_that_is_no_backend_names_the_variable():
    with pytest.raises(ValueError, match="GLOSSA_TEST_BACKEND='lucene' is not a search backend"):
        backend_for_tests({"GLOSSA_TEST_BACKEND": "lucene"})
    with pytest.raises(ValueError, match="GLOSSA_SEARCH_BACKEND='solr'"):
        backend_for_tests({"GLOSSA_SEARCH_BACKEND": "solr"})


def test_the_settings_check_lets_the_test_variable_through():
    assert from_environment({"GLOSSA_TEST_BACKEND": "tantivy", "GLOSSA_PAGE_SIZE": "5"}) == {"PAGE_SIZE": "5"}


@pytest.mark.parametrize("backend", ["whoosh", "tantivy"])
def test_write_index_replaces_documents_in_the_backend_named(tmp_path, backend):
    index = tmp_path / "index"
    write_index(index, [(make_document("a", ["Frontex at the border."]), [])], backend)
    write_index(index, [(make_document("a", ["Asylum on the islands."]), [])], backend)
    searcher = searcher_for_tests(index, backend)
    try:
        assert searcher.name == backend
        assert searcher.search("frontex").total == 0 and searcher.search("asylum").total == 1
    finally:
        searcher.close()


def test_write_index_drops_the_generation_when_a_document_fails(tmp_path):
    index = tmp_path / "index"
    write_index(index, [(make_document("a", ["Frontex at the border."]), [])], "tantivy")

    def items():
        yield make_document("b", ["Asylum on the islands."]), []
        raise RuntimeError("tagger died")

    with pytest.raises(RuntimeError, match="tagger died"):
        write_index(index, items(), "tantivy")
    assert sorted(p.name for p in index.glob("gen-*")) == ["gen-000001"]
    assert searcher_for_tests(index, "tantivy").search("asylum").total == 0
