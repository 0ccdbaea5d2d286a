"""The tantivy backend through the app and the command line: reindex, ingest, search, health,
and the privacy guarantees of tests/webui/test_privacy.py on an index tantivy serves."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from indexer.backend import BackendMismatch, live_backend, live_passages
from indexer.pipeline import ingest, reindex
from indexer.writer import current_generation

from .anno_support import build_data_dir, make_test_app, selector_body
from .test_privacy import SECRETS, _create, _json, _requests, _signed_in


def _api(app, query: str, **params) -> dict:
    body = app.test_client().get("/api/search", query_string={"q": query, "pagelen": "50", **params}).get_json()
    body.pop("elapsed_ms", None)
    for hit in body.get("hits", []):
        hit.pop("score", None)
    for group in body.get("groups", []):
        for hit in group["hits"]:
            hit.pop("score", None)
    return body


def _unordered(body: dict) -> dict:
    out = dict(body)
    out["hits"] = sorted(json.dumps(h, sort_keys=True) for h in body.get("hits", []))
    out.pop("groups", None)
    return out


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory):
    """The same stored documents indexed by Whoosh (as ingested) and rebuilt for tantivy."""
    whoosh = build_data_dir(tmp_path_factory.mktemp("whoosh") / "data", "whoosh")
    tantivy = build_data_dir(tmp_path_factory.mktemp("tantivy") / "data", "whoosh")
    report = reindex(tantivy, "tantivy")
    assert report.backend == "tantivy" and report.previous == "whoosh" and report.documents >= 2
    assert report.generation == current_generation(tantivy / "index").name  # the one it made live
    return whoosh, tantivy


def test_reindex_serves_the_same_answers_through_the_api(data_dirs):
    whoosh_dir, tantivy_dir = data_dirs
    assert live_backend(whoosh_dir / "index") == "whoosh" and live_backend(tantivy_dir / "index") == "tantivy"
    whoosh = make_test_app(whoosh_dir, SEARCH_BACKEND="whoosh")
    tantivy = make_test_app(tantivy_dir, SEARCH_BACKEND="tantivy")
    for query in (
        "border",
        "asylum seekers",
        '"border regime"',
        "front*",
        "readmision~",
        "-border asylum",
        "pushbacks",
    ):
        assert _unordered(_api(tantivy, query)) == _unordered(_api(whoosh, query)), query
    assert tantivy.test_client().get("/", query_string={"q": "border"}).status_code == 200
    health = tantivy.test_client().get("/healthz").get_json()
    assert health["checks"]["index"] == "ok", health


def test_a_backend_setting_that_does_not_fit_the_index_is_a_clear_error(data_dirs):
    _whoosh_dir, tantivy_dir = data_dirs
    app = make_test_app(tantivy_dir, SEARCH_BACKEND="whoosh")
    resp = app.test_client().get("/api/search", query_string={"q": "border"})
    assert resp.status_code == 400 and "glossa reindex --backend whoosh" in resp.get_json()["message"]
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and "tantivy" in health.get_json()["checks"]["index"]
    with pytest.raises(ValueError, match="SEARCH_BACKEND"):
        make_test_app(tantivy_dir, SEARCH_BACKEND="lucene")


def test_ingest_writes_the_configured_backend_and_refuses_another(tmp_path, data_dirs):
    _whoosh_dir, tantivy_dir = data_dirs
    source = tmp_path / "new.txt"
    source.write_text("Frontex officers patrolled the Evros border near Orestiada in March.\n", encoding="utf-8")
    with pytest.raises(BackendMismatch, match="reindex"):
        ingest([source], tantivy_dir, progress=False, backend="whoosh")
    before = make_test_app(tantivy_dir, SEARCH_BACKEND="tantivy")
    assert _api(before, "orestiada")["total"] == 0
    border = _api(before, "border")["total"]
    report = ingest([source], tantivy_dir, progress=False, backend="tantivy")
    assert report.added and not report.failed
    after = make_test_app(tantivy_dir, SEARCH_BACKEND="tantivy")
    found = _api(after, "orestiada")
    assert found["total"] == 1 and found["hits"][0]["doc_id"] == report.added[0]
    assert _api(after, "border")["total"] == _api(before, "border")["total"] == border + 1  # reopened


def test_glossa_reindex_command(tmp_path):
    from webui.cli import cli

    data = build_data_dir(tmp_path / "data", "whoosh")
    result = CliRunner().invoke(
        cli,
        ["--data", str(data), "reindex", "--backend", "tantivy", "--no-progress"],
        env={"GLOSSA_SEARCH_BACKEND": "whoosh"},  # the setting names another backend than the one built
    )
    assert result.exit_code == 0, result.output
    assert "for the tantivy backend" in result.output and "GLOSSA_SEARCH_BACKEND=tantivy" in result.output
    assert live_backend(data / "index") == "tantivy"
    result = CliRunner().invoke(cli, ["--data", str(data), "reindex", "--backend", "whoosh", "--json"])
    assert result.exit_code == 0 and json.loads(result.output[result.output.index("{") :])["backend"] == "whoosh"
    assert live_backend(data / "index") == "whoosh"


@pytest.fixture(scope="module")
def tantivy_runs(tmp_path_factory):
    """test_privacy's requests for bob and alice on tantivy, before and after alice's private tags."""
    from webui import services

    data = build_data_dir(tmp_path_factory.mktemp("privacy-tantivy") / "data")
    reindex(data, "tantivy")
    app = make_test_app(data, AUTH="accounts", SEARCH_BACKEND="tantivy")
    with app.app_context():
        assert services.get_annotation_service().add_user("alice", "alice's password").id == 1
        services.get_annotation_service().add_user("bob", "bob's password!")
        alpha = services.get_store().get("alpha").document
        beta = services.get_store().get("beta").document
    alice = _signed_in(app, "alice", "alice's password")
    bob = _signed_in(app, "bob", "bob's password!")
    _create(alice, selector_body(alpha, "Asylum seekers", tags=["islands"], visibility="shared"))
    _create(alice, selector_body(beta, "link visas to returns", tags=["returns", "secretary"], visibility="shared"))
    _create(bob, selector_body(alpha, "border regime", tags=["secretary", "whistle"]))
    _create(bob, selector_body(beta, "EU-Turkey statement", tags=["pushbacks"]))
    requests = _requests()

    def everything():
        return {"bob": [_json(bob, q, f) for q, f in requests], "alice": [_json(alice, q, f) for q, f in requests]}

    before = everything()
    _create(
        alice,
        selector_body(
            alpha,
            "pushbacks at the Greek border",
            tags=["secretplan", "whistleblower-x"],
            comment="confidential-remark-77",
        ),
    )
    _create(alice, selector_body(alpha, "border regime", tags=["secretplan"]))
    _create(alice, selector_body(beta, "Readmission agreements", tags=["whistleblower-x", "islands"]))
    return requests, before, everything()


def test_private_tags_change_nothing_another_user_sees_on_tantivy(tantivy_runs):
    requests, before, after = tantivy_runs
    changed = [req for req, old, new in zip(requests, before["bob"], after["bob"], strict=True) if old != new]
    assert changed == [], f"{len(changed)} of {len(requests)} searches changed for bob, e.g. {changed[:5]}"
    hers = sum(old != new for old, new in zip(before["alice"], after["alice"], strict=True))
    assert hers >= len(requests) // 4, hers
    found = after["alice"][requests.index(("tag:whistleblower-x OR border", None))][1]
    assert any("whistleblower-x" in hit["tags"] for hit in found["hits"])
    assert {"value": "secretplan", "label": "secretplan", "count": 2} in found["facets"]["tags"]
    for (query, tag_filter), (_status, body) in zip(requests, after["bob"], strict=True):
        asked = f"{query} {tag_filter or ''}".lower()
        text = json.dumps(body).lower()
        for secret in SECRETS:
            if secret not in asked:
                assert secret not in text, (query, tag_filter, secret)


def test_the_server_settles_on_tantivy_too(data_dirs):
    import gc

    from webui.server import settle

    _whoosh, tantivy = data_dirs
    app = make_test_app(tantivy, SEARCH_BACKEND="tantivy")
    gc.unfreeze()
    try:
        warmed = settle(app)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert warmed["passages"] > 0 and warmed["words"] == 0
    assert app.test_client().get("/?q=frontex").status_code == 200


def test_a_generation_tantivy_cannot_open_is_an_error_not_a_bad_query(tmp_path):
    from indexer.backend import MARKER, open_searcher
    from indexer.query import QueryError

    broken = tmp_path / "index" / "gen-000001"
    broken.mkdir(parents=True)
    (broken / MARKER).write_text("tantivy")
    (tmp_path / "index" / "CURRENT").write_text("gen-000001")
    searcher = open_searcher(tmp_path / "index", "tantivy")
    with pytest.raises(OSError, match="cannot open the tantivy index") as caught:
        searcher.search("border")
    assert not isinstance(caught.value, QueryError)


def test_warming_before_the_fork_opens_a_tantivy_index_without_whoosh_arrays(data_dirs):
    from webui.server import warm

    _whoosh_dir, tantivy_dir = data_dirs
    warmed = warm(make_test_app(tantivy_dir, SEARCH_BACKEND="tantivy"))
    assert warmed["passages"] == live_passages(tantivy_dir / "index", "tantivy") and warmed["words"] == 0
    assert warmed["passages"] >= 2
