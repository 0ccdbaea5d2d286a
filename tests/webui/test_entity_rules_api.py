"""Entity corrections through the web app: the JSON API (against the OpenAPI description),
the pages (/entities, the correction page, the reader's panel), errors and roles."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from tests.common.backend import backend_for_tests

MERGE = {"action": "merge", "label": "ORG", "name": "EASO", "new_label": "ORG", "new_name": "EUAA"}
HEADERS = {"X-CSRF-Token": "t0ken"}


@pytest.fixture
def api(client):
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    return client


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def validate(spec: dict, path: str, method: str, status: str, body) -> None:
    content = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    root = dict(content["schema"])
    root["components"] = spec["components"]
    Draft202012Validator(root).validate(body)


def reindexed(client, changed: set) -> int:
    """The passages a rule change re-indexes: on Whoosh those whose entities change, on another
    backend every passage (it rebuilds from the store: indexer.pipeline.reindex_entities)."""
    if backend_for_tests() == "whoosh":
        return len(changed)
    from webui import services

    with client.application.app_context():
        return services.get_searcher().passage_count()


def org_passages(client, name: str) -> set[tuple[str, int]]:
    found = client.get(f'/api/search?q=org:"{name}"&pagelen=100').get_json()
    return {(h["doc_id"], h["ordinal"]) for g in found["groups"] for h in g["hits"]}


def entity_names(client, label: str) -> set[str]:
    return {e["canonical"] for e in client.get(f"/api/entities?type={label}").get_json()["entities"]}


def test_merge_then_undo_through_the_api(api, spec):
    euaa, easo = org_passages(api, "EUAA"), org_passages(api, "EASO")
    assert euaa and easo and easo - euaa

    body = {"action": "merge", "label": "ORG", "name": "EASO", "new_label": "ORG", "new_name": "EUAA"}
    request_schema = spec["paths"]["/api/entity-rules"]["post"]["requestBody"]["content"]["application/json"]
    Draft202012Validator({**request_schema["schema"], "components": spec["components"]}).validate(body)
    made = api.post("/api/entity-rules", json=body, headers=HEADERS)
    assert made.status_code == 201, made.get_json()
    data = made.get_json()
    validate(spec, "/api/entity-rules", "post", "201", data)
    assert data["rule"]["author"] == "local" and data["rule"]["action"] == "merge"
    assert data["reindex"]["state"] == "done" and data["reindex"]["passages"] == reindexed(api, easo)

    # one org: query finds both; the entity index, facets and documents show one entity
    assert org_passages(api, "EUAA") == euaa | easo
    assert "EASO" not in entity_names(api, "ORG") and "EUAA" in entity_names(api, "ORG")
    facets = api.get("/api/search?q=org:EUAA").get_json()["facets"]["entities"]
    assert "EASO" not in {f["value"] for f in facets}
    doc_id = next(iter(easo))[0]
    ents = api.get(f"/api/documents/{doc_id}").get_json()["entities"]
    assert {e["canonical"] for e in ents if e["text"] == "EASO"} == {"EUAA"}

    listed = api.get("/api/entity-rules").get_json()
    validate(spec, "/api/entity-rules", "get", "200", listed)
    assert [r["id"] for r in listed["rules"]] == [data["rule"]["id"]]

    undone = api.delete(f"/api/entity-rules/{data['rule']['id']}", headers=HEADERS)
    assert undone.status_code == 200
    validate(spec, "/api/entity-rules/{rule_id}", "delete", "200", undone.get_json())
    assert undone.get_json()["rule"]["deleted_by"] == "local"
    assert org_passages(api, "EUAA") == euaa and org_passages(api, "EASO") == easo
    assert "EASO" in entity_names(api, "ORG")
    assert api.get("/api/entity-rules").get_json()["rules"] == []
    history = api.get("/api/entity-rules?history=1").get_json()["rules"]
    assert [r["id"] for r in history] == [data["rule"]["id"]] and "deleted" in history[0]


def test_retype_and_hide(api):
    # the Berlin Process (an intergovernmental process, an event series) is tagged ORG
    name = "Berlin Process"
    assert name in entity_names(api, "ORG")
    assert api.get(f'/api/search?q=org:"{name}"').get_json()["total"] > 0
    made = api.post(
        "/api/entity-rules",
        json={"action": "retype", "label": "ORG", "name": name, "new_label": "EVENT"},
        headers=HEADERS,
    )
    assert made.status_code == 201
    assert name not in entity_names(api, "ORG") and name in entity_names(api, "EVENT")
    assert api.get(f'/api/search?q=org:"{name}"').get_json()["total"] == 0

    hidden = api.post("/api/entity-rules", json={"action": "hide", "label": "ORG", "name": "EMWP"}, headers=HEADERS)
    assert hidden.status_code == 201
    assert "EMWP" not in entity_names(api, "ORG")
    assert api.get("/api/search?q=org:EMWP").get_json()["total"] == 0
    # undoing a hide finds its passages again (they are not in the index by that name)
    api.delete(f"/api/entity-rules/{hidden.get_json()['rule']['id']}", headers=HEADERS)
    assert api.get("/api/search?q=org:EMWP").get_json()["total"] > 0


def test_import_is_all_or_none_and_skips_rules_in_force(api, spec):
    rules = [MERGE, {"action": "hide", "label": "ORG", "name": "EMWP"}]
    first = api.post("/api/entity-rules", json={"rules": rules}, headers=HEADERS)
    assert first.status_code == 201
    validate(spec, "/api/entity-rules", "post", "201", first.get_json())
    assert len(first.get_json()["rules"]) == 2
    again = api.post("/api/entity-rules", json={"rules": rules}, headers=HEADERS)
    assert again.status_code == 201 and again.get_json()["rules"] == [] and again.get_json()["reindex"]["skipped"] == 2
    bad = api.post(
        "/api/entity-rules",
        json={"rules": [{"action": "hide", "label": "ORG", "name": "IOM"}, {"action": "nope"}]},
        headers=HEADERS,
    )
    assert bad.status_code == 400 and "rule 2" in bad.get_json()["message"]
    assert len(api.get("/api/entity-rules").get_json()["rules"]) == 2  # IOM not hidden


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"action": "merge", "label": "ORG", "name": "EASO"}, 400, "new_label"),
        ({"action": "explode", "label": "ORG", "name": "EASO"}, 400, "action"),
        ({"action": "retype", "label": "ORG", "name": "EASO", "new_label": "PLANET"}, 400, "not a label"),
        ({"action": "hide", "label": "ORG", "name": ""}, 400, "empty"),
        ({"action": "hide", "label": "ORG", "name": ["x"]}, 400, "text"),
        ({"rules": "hide"}, 400, "list"),
        ([1, 2], 400, "object"),
    ],
)
def test_bad_rules_are_400_json(api, spec, body, status, words):
    response = api.post("/api/entity-rules", json=body, headers=HEADERS)
    assert response.status_code == status
    assert words in response.get_json()["message"]
    validate(spec, "/api/entity-rules", "post", str(status), response.get_json())


def test_errors_are_json_never_500(api, spec):
    assert api.post("/api/entity-rules", data="{", headers=HEADERS, content_type="application/json").status_code == 400
    assert api.post("/api/entity-rules", json=MERGE).status_code == 403  # no CSRF token
    assert api.post("/api/entity-rules", json=MERGE, headers=HEADERS).status_code == 201
    conflict = api.post("/api/entity-rules", json=dict(MERGE, new_name="Frontex"), headers=HEADERS)
    assert conflict.status_code == 409 and "undo it first" in conflict.get_json()["message"]
    validate(spec, "/api/entity-rules", "post", "409", conflict.get_json())
    loop = api.post(
        "/api/entity-rules",
        json={"action": "rename", "label": "ORG", "name": "EUAA", "new_name": "EASO"},
        headers=HEADERS,
    )
    assert loop.status_code == 409 and "loop" in loop.get_json()["message"]
    for url, status in (
        ("/api/entity-rules/999", 404),
        ("/api/entity-rules/99999999999999999999999", 404),
        ("/api/entity-rules/abc", 404),
    ):
        response = api.delete(url, headers=HEADERS)
        assert response.status_code == status and response.is_json, url
    validate(
        spec,
        "/api/entity-rules/{rule_id}",
        "delete",
        "404",
        api.delete("/api/entity-rules/7", headers=HEADERS).get_json(),
    )


def test_accounts_mode_needs_a_signed_in_editor(tmp_path, data_dir):
    from tests.conftest import make_app
    from webui import services

    app = make_app(data_dir, tmp_path / "accounts.db", AUTH="accounts")
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    assert client.post("/api/entity-rules", json=MERGE, headers=HEADERS).status_code == 401
    assert client.get("/entities/correct?type=ORG&name=EASO").status_code == 302  # to /login
    with app.app_context():
        services.get_annotation_service().add_user("erin", "erin's password")
        token = services.get_annotation_service().create_token("erin", "t")
    made = client.post("/api/entity-rules", json=MERGE, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201 and made.get_json()["rule"]["author"] == "erin"


def test_roles_refuse_a_reader(app):
    """In accounts mode a user whose role is reader may not correct entities."""
    from types import SimpleNamespace

    from flask import g

    from webui import roles

    app.config["AUTH"] = "accounts"
    with app.test_request_context("/"):
        g.user = SimpleNamespace(name="rita", role="reader")
        assert not roles.can("editor")
        g.user = SimpleNamespace(name="eddie", role="editor")
        assert roles.can("editor") and not roles.can("admin")
        g.user = SimpleNamespace(name="old")  # a record without a role: the default, reader
        assert not roles.can("editor")


# ---- the pages ---------------------------------------------------------------------------


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_correct_from_the_pages_and_undo(client):
    doc_id = "000-c7d6b90c2e1462b7"
    reader = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    link = re.search(r'class="ent-correct" href="([^"]+)"', reader)
    assert link, "the reader's entity panel links each entity to its correction page"
    page = client.get("/entities/correct?type=ORG&name=EASO")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>" not in html and "Merge" in html and "Change type" in html and "Hide" in html
    token = _csrf(html)
    form = {
        "csrf_token": token,
        "action": "merge",
        "label": "ORG",
        "name": "EASO",
        "new_label": "ORG",
        "new_name": "EUAA",
    }
    assert client.post("/entities/rules", data={k: v for k, v in form.items() if k != "csrf_token"}).status_code == 403
    saved = client.post("/entities/rules", data=form)
    assert saved.status_code == 302 and "saved=" in saved.headers["Location"]
    index = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Correction saved" in index and "merged into" in index and "corrected" in index
    assert not re.search(r">EASO</span></a>", index)
    # the correction page of the merged entity offers to detach the alias
    merged = client.get("/entities/correct?type=ORG&name=EUAA").get_data(as_text=True)
    assert '<option value="EASO">' in merged
    rule_id = re.search(r'action="/entities/rules/(\d+)/undo"', index).group(1)
    undone = client.post(f"/entities/rules/{rule_id}/undo", data={"csrf_token": _csrf(index)})
    assert undone.status_code == 302
    after = client.get(undone.headers["Location"]).get_data(as_text=True)
    assert "Correction undone" in after and ">EASO</span></a>" in after
    bad = client.post("/entities/rules", data=dict(form, action="nope"))
    assert bad.status_code == 400 and "not saved" in bad.get_data(as_text=True)
    assert client.post("/entities/rules/12345/undo", data={"csrf_token": token}).status_code == 404
    assert client.get("/entities/correct").status_code == 400


def test_reader_shows_corrected_entities(api):
    doc_id = "000-c7d6b90c2e1462b7"
    before = api.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert 'data-canonical="Frontex"' in before
    api.post(
        "/api/entity-rules",
        json={"action": "rename", "label": "ORG", "name": "Frontex", "new_name": "EBCG Agency"},
        headers=HEADERS,
    )
    after = api.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert 'data-canonical="Frontex"' not in after and 'data-canonical="EBCG Agency"' in after


def test_split_detaches_one_alias_of_a_merge(api):
    easo, euaa = org_passages(api, "EASO"), org_passages(api, "EUAA")
    api.post("/api/entity-rules", json=MERGE, headers=HEADERS)
    assert org_passages(api, "EASO") == euaa | easo  # org:EASO means what EASO now is: EUAA
    split = api.post(
        "/api/entity-rules",
        json={"action": "split", "label": "ORG", "name": "EUAA", "surface": "EASO"},
        headers=HEADERS,
    )
    assert split.status_code == 201, split.get_json()
    assert split.get_json()["reindex"]["passages"] == reindexed(api, easo)
    assert org_passages(api, "EASO") == easo
    assert "EASO" in entity_names(api, "ORG")
    again = api.post(
        "/api/entity-rules",
        json={"action": "split", "label": "ORG", "name": "euaa", "surface": "easo"},
        headers=HEADERS,
    )
    assert again.status_code == 409
    # undoing the split merges them again, in search too
    undo = api.delete(f"/api/entity-rules/{split.get_json()['rule']['id']}", headers=HEADERS)
    assert undo.get_json()["reindex"]["passages"] == reindexed(api, easo)
    assert org_passages(api, "EASO") == euaa | easo
