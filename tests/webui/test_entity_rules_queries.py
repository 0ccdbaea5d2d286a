"""Queries read through the entity corrections in the web app: after a merge ``org:<old name>``
searches what the entity now is, and the results page and the API say so."""

from __future__ import annotations

from jsonschema import Draft202012Validator

HEADERS = {"X-CSRF-Token": "t0ken"}
MERGE = {"action": "merge", "label": "ORG", "name": "EASO", "new_label": "ORG", "new_name": "EUAA"}


def _api(client):
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    return client


def _passages(data: dict) -> set[tuple[str, int]]:
    assert data["total"] <= data["pagelen"], "every passage on one page"
    return {(h["doc_id"], h["ordinal"]) for g in data["groups"] for h in g["hits"]}


def test_a_merged_name_searches_its_target_with_a_note(client):
    api = _api(client)
    before = api.get("/api/search?q=org:EASO&pagelen=100").get_json()
    assert "rewrites" not in before and before["query"] == "org:EASO"
    euaa = _passages(api.get("/api/search?q=org:EUAA&pagelen=100").get_json())
    easo = _passages(before)
    assert api.post("/api/entity-rules", json=MERGE, headers=HEADERS).status_code == 201

    data = api.get("/api/search?q=org:EASO&pagelen=100").get_json()
    assert _passages(data) == euaa | easo
    assert data["query"] == "org:EASO" and data["rewritten_query"] == 'org:"EUAA"'
    assert data["rewrites"] == [
        {
            "field": "org",
            "typed": "EASO",
            "label": "ORG",
            "was": "EASO",
            "now": "EUAA",
            "action": "merge",
            "searched": True,
            "message": "EASO is now part of EUAA: showing EUAA",
        }
    ]
    spec = api.get("/api/openapi.json").get_json()
    schema = spec["paths"]["/api/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": spec["components"]}).validate(data)

    page = api.get("/?q=org:EASO").get_data(as_text=True)
    assert '<p class="notice rewritten" role="status">EASO is now part of EUAA: showing EUAA</p>' in page
    assert 'value="org:EASO"' in page  # the box keeps what was typed
    # the reader marks what the rewritten query matched: the EUAA mentions, EASO's among them
    doc_id, _ = sorted(easo)[0]
    reader = api.get(f"/doc/{doc_id}?q=org:EASO").get_data(as_text=True)
    assert "<mark" in reader

    # undone: the name is itself again, no note
    rule_id = api.get("/api/entity-rules").get_json()["rules"][0]["id"]
    api.delete(f"/api/entity-rules/{rule_id}", headers=HEADERS)
    again = api.get("/api/search?q=org:EASO&pagelen=100").get_json()
    assert _passages(again) == easo and "rewrites" not in again
    assert "notice rewritten" not in api.get("/?q=org:EASO").get_data(as_text=True)


def _every_passage(api, query: str) -> tuple[set[tuple[str, int]], dict]:
    """Every passage a query finds (all its pages), and its first page's data."""
    first = api.get(f"/api/search?q={query}&pagelen=100").get_json()
    found = {(h["doc_id"], h["ordinal"]) for g in first["groups"] for h in g["hits"]}
    for page in range(2, first["pages"] + 1):
        data = api.get(f"/api/search?q={query}&pagelen=100&page={page}").get_json()
        found |= {(h["doc_id"], h["ordinal"]) for g in data["groups"] for h in g["hits"]}
    assert len(found) == first["total"]
    return found, first


def test_a_detached_gazetteer_alias_is_searched_alone(client):
    api = _api(client)
    union = _every_passage(api, 'org:"European Union"')[0]
    # passages whose ORG mentions include the bare alias "EU"
    eu_docs = set()
    for doc in api.get("/api/documents").get_json()["documents"]:
        entities = api.get(f"/api/documents/{doc['doc_id']}").get_json()["entities"]
        if any(e["label"] == "ORG" and e["text"] == "EU" for e in entities):
            eu_docs.add(doc["doc_id"])
    assert union and eu_docs, "the sample corpus names the EU by its alias"
    split = {"action": "split", "label": "ORG", "name": "European Union", "surface": "EU"}
    made = api.post("/api/entity-rules", json=split, headers=HEADERS)
    assert made.status_code == 201, made.get_json()

    detached, data = _every_passage(api, "org:EU")
    assert detached and {d for d, _ in detached} <= eu_docs
    assert data["rewrites"][0]["action"] == "split"
    rest = _every_passage(api, 'org:"European Union"')[0]
    assert rest and detached | rest == union
    assert detached - rest, "some passages name the Union only as EU: they leave it"
