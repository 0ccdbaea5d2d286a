"""The OpenAPI document describes exactly the API: every route, and the bodies it returns."""

from __future__ import annotations

import re

import jsonschema
import pytest
from jsonschema import Draft202012Validator

PAPER = "003-b4544ddbd7f01f68"

#: a valid request for every (path, method) of the spec: (concrete url, json body or None)
#: annotation requests get an annotation id created in the test
EXAMPLES = {
    ("/api/search", "get"): ("/api/search?q=frontex&pagelen=5", None),
    ("/api/documents", "get"): ("/api/documents", None),
    ("/api/documents/{doc_id}", "get"): (f"/api/documents/{PAPER}", None),
    ("/api/documents/{doc_id}/footnotes/{number}", "get"): (f"/api/documents/{PAPER}/footnotes/21", None),
    ("/api/entities", "get"): ("/api/entities?type=ORG", None),
    ("/api/works", "get"): ("/api/works", None),
    ("/api/openapi.json", "get"): ("/api/openapi.json", None),
}
#: bad requests and the error status the spec must list for them
BAD = {
    ("/api/search", "get"): ("/api/search?q=a&page=0", "400"),
    ("/api/documents/{doc_id}", "get"): ("/api/documents/nope", "404"),
    ("/api/documents/{doc_id}/footnotes/{number}", "get"): (f"/api/documents/{PAPER}/footnotes/999", "404"),
    ("/api/entities", "get"): ("/api/entities?type=nope", "400"),
}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def validate(spec: dict, schema: dict, body) -> None:
    """Validate a body against a response schema whose $refs point into the spec's components."""
    root = dict(schema)
    root["components"] = spec["components"]
    Draft202012Validator(root).validate(body)


def spec_path(rule: str) -> str:
    """Flask's /api/x/<conv:name> as OpenAPI's /api/x/{name}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_spec_is_openapi_31_and_its_schemas_are_valid(spec):
    assert spec["openapi"].startswith("3.1")
    for _name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    assert set(spec["components"]["schemas"]["Error"]["required"]) == {"error", "message", "status"}


def test_every_api_route_is_in_the_spec(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((spec_path(rule.rule), method.lower()))
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes - described == set(), "routes missing from the spec"
    assert described - routes == set(), "spec describes routes that do not exist"


ANNOTATION_OPERATIONS = {
    ("/api/annotations", "get"),
    ("/api/annotations", "post"),
    ("/api/annotations/{annotation_id}", "get"),
    ("/api/annotations/{annotation_id}", "patch"),
    ("/api/annotations/{annotation_id}", "delete"),
    ("/api/annotations/{annotation_id}/accept", "post"),
    ("/api/annotations/{annotation_id}/history", "get"),
    ("/api/annotations/tags", "get"),
    ("/api/annotations/export", "get"),
}


#: exercised against the spec in tests/webui/test_entity_rules_api.py
ENTITY_RULE_OPERATIONS = {
    ("/api/entity-rules", "get"),
    ("/api/entity-rules", "post"),
    ("/api/entity-rules/{rule_id}", "delete"),
}


def test_every_operation_is_exercised_here(spec):
    described = {(p, m) for p, item in spec["paths"].items() for m in item}
    assert described == set(EXAMPLES) | ANNOTATION_OPERATIONS | UPLOAD_OPERATIONS | ENTITY_RULE_OPERATIONS


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_response_matches_its_schema(client, spec, key):
    url, _ = EXAMPLES[key]
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    schema = spec["paths"][key[0]][key[1]]["responses"]["200"]["content"]["application/json"]["schema"]
    validate(spec, schema, response.get_json())


@pytest.mark.parametrize("key", sorted(BAD))
def test_error_response_matches_the_error_schema(client, spec, key):
    url, status = BAD[key]
    response = client.get(url)
    assert str(response.status_code) == status
    described = spec["paths"][key[0]][key[1]]["responses"][status]
    validate(spec, described["content"]["application/json"]["schema"], response.get_json())


def test_schema_rejects_a_wrong_body(spec):
    """The check above can fail: a search body without groups does not validate."""
    schema = spec["paths"]["/api/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, schema, {"query": "x", "total": 0})


def test_parameters_are_described(spec):
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "page", "pagelen", "group", "doc", "type", "entity", "tag"}
    for path, item in spec["paths"].items():
        for placeholder in re.findall(r"{(\w+)}", path):
            for method, op in item.items():
                assert placeholder in {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}, (path, method)


def response_schema(spec: dict, path: str, method: str, status: str, media: str) -> dict:
    return spec["paths"][path][method]["responses"][status]["content"][media]["schema"]


def test_annotation_round_trip_matches_the_spec(client, spec):
    """POST, GET, PATCH, list, tags, export, history, accept, DELETE: each body validates against the spec."""
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    headers = {"X-CSRF-Token": "t0ken"}
    new = {
        "type": "Annotation",
        "body": [
            {"type": "TextualBody", "purpose": "commenting", "value": "Which data?"},
            {"type": "TextualBody", "purpose": "tagging", "value": "ai"},
        ],
        "target": {
            "source": f"http://127.0.0.1:5000/doc/{PAPER}",
            "selector": [{"type": "TextQuoteSelector", "exact": "EuMigraTool"}],
        },
    }
    post = spec["paths"]["/api/annotations"]["post"]
    validate(spec, post["requestBody"]["content"]["application/ld+json"]["schema"], new)
    created = client.post("/api/annotations", json=new, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json(force=True)
    validate(spec, response_schema(spec, "/api/annotations", "post", "201", "application/ld+json"), body)
    one = "/api/annotations/{annotation_id}"
    url = "/api/annotations/" + body["id"].rsplit("/", 1)[-1]

    got = client.get(url)
    validate(spec, response_schema(spec, one, "get", "200", "application/ld+json"), got.get_json(force=True))
    change = {"glossa:visibility": "shared"}
    validate(spec, spec["paths"][one]["patch"]["requestBody"]["content"]["application/json"]["schema"], change)
    patched = client.patch(url, json=change, headers=headers)
    assert patched.status_code == 200
    validate(spec, response_schema(spec, one, "patch", "200", "application/ld+json"), patched.get_json(force=True))

    listed = client.get(f"/api/annotations?doc={PAPER}").get_json(force=True)
    validate(spec, response_schema(spec, "/api/annotations", "get", "200", "application/ld+json"), listed)
    assert listed["total"] == 1
    tags = client.get("/api/annotations/tags").get_json()
    validate(spec, response_schema(spec, "/api/annotations/tags", "get", "200", "application/json"), tags)
    exported = client.get("/api/annotations/export?format=jsonld")
    assert exported.status_code == 200
    export_schema = response_schema(spec, "/api/annotations/export", "get", "200", "application/ld+json")
    validate(spec, export_schema, exported.get_json(force=True))
    for fmt, media in (("csv", "text/csv"), ("markdown", "text/markdown")):
        response = client.get(f"/api/annotations/export?format={fmt}")
        assert response.mimetype == media and "EuMigraTool" in response.get_data(as_text=True)
        assert media in spec["paths"]["/api/annotations/export"]["get"]["responses"]["200"]["content"]

    history = client.get(url + "/history")
    assert history.status_code == 200
    history_schema = response_schema(spec, one + "/history", "get", "200", "application/ld+json")
    validate(spec, history_schema, history.get_json(force=True))
    assert [s["glossa:event"] for s in history.get_json(force=True)["glossa:history"]] == ["created"]
    not_review = client.post(url + "/accept", headers=headers)  # anchored, not under review
    assert not_review.status_code == 409
    validate(spec, response_schema(spec, one + "/accept", "post", "409", "application/json"), not_review.get_json())
    exported_one = exported.get_json(force=True)["first"]["items"][0]
    assert exported_one["glossa:history"][0]["glossa:event"] == "created"

    deleted = client.delete(url, headers=headers)
    assert deleted.status_code == 204 and "204" in spec["paths"][one]["delete"]["responses"]
    missing = client.get(url)
    assert missing.status_code == 404
    validate(spec, response_schema(spec, one, "get", "404", "application/json"), missing.get_json())


def test_a_note_annotation_matches_the_spec(client, spec):
    """An annotation on a footnote (target BASE/doc/<id>/fn/<n>) is described by the spec both ways."""
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    note = client.get(f"/api/documents/{PAPER}/footnotes/21").get_json()
    quote = note["text"].split()[0:3]
    new = {
        "type": "Annotation",
        "bodyValue": "check this source",
        "target": {
            "source": f"http://127.0.0.1:5000/doc/{PAPER}/fn/21",
            "selector": {"type": "TextQuoteSelector", "exact": " ".join(quote)},
        },
    }
    post = spec["paths"]["/api/annotations"]["post"]
    validate(spec, post["requestBody"]["content"]["application/ld+json"]["schema"], new)
    created = client.post("/api/annotations", json=new, headers={"X-CSRF-Token": "t0ken"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json(force=True)
    assert body["target"]["source"].endswith(f"/doc/{PAPER}/fn/21")
    validate(spec, response_schema(spec, "/api/annotations", "post", "201", "application/ld+json"), body)
    # a source that is neither a document nor one of its notes is outside the spec
    wrong = dict(new, target={"source": f"http://127.0.0.1:5000/doc/{PAPER}/page/3", "selector": []})
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, post["requestBody"]["content"]["application/ld+json"]["schema"], wrong)


UPLOAD_OPERATIONS = {
    ("/api/documents", "post"),
    ("/api/documents/{doc_id}", "delete"),
    ("/api/jobs", "get"),
    ("/api/jobs/{job_id}", "get"),
}


def wait_for(client, job_id: str, timeout: float = 120.0) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_upload_and_removal_match_the_spec(client, spec):
    """POST /api/documents, the job, the job list and DELETE: each body validates against the spec."""
    import io

    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    headers = {"X-CSRF-Token": "t0ken"}
    sent = client.post(
        "/api/documents",
        data={"files": [(io.BytesIO(b"A note on Frontex and the European Commission."), "spec-note.txt")]},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 202, sent.get_data(as_text=True)
    validate(spec, response_schema(spec, "/api/documents", "post", "202", "application/json"), sent.get_json())
    assert sent.headers["Location"].endswith("/api/jobs/" + sent.get_json()["id"])
    job = wait_for(client, sent.get_json()["id"])
    validate(spec, response_schema(spec, "/api/jobs/{job_id}", "get", "200", "application/json"), job)
    assert [f["status"] for f in job["files"]] == ["added"]
    listed = client.get("/api/jobs").get_json()
    validate(spec, response_schema(spec, "/api/jobs", "get", "200", "application/json"), listed)

    doc_url = "/api/documents/" + job["files"][0]["doc_id"]
    etag = client.get(doc_url).headers["ETag"]
    unconditional = client.delete(doc_url, headers=headers)
    assert unconditional.status_code == 428
    validate(
        spec,
        response_schema(spec, "/api/documents/{doc_id}", "delete", "428", "application/json"),
        unconditional.get_json(),
    )
    removal = client.delete(doc_url, headers={**headers, "If-Match": etag})
    assert removal.status_code == 202
    validate(
        spec, response_schema(spec, "/api/documents/{doc_id}", "delete", "202", "application/json"), removal.get_json()
    )
    assert wait_for(client, removal.get_json()["id"])["files"][0]["status"] == "removed"

    for response, path, method, status in (
        (client.post("/api/documents", data={}, headers=headers), "/api/documents", "post", "400"),
        (client.delete("/api/documents/nope", headers=headers), "/api/documents/{doc_id}", "delete", "404"),
        (client.get("/api/jobs/nope"), "/api/jobs/{job_id}", "get", "404"),
    ):
        assert str(response.status_code) == status
        validate(spec, response_schema(spec, path, method, status, "application/json"), response.get_json())


def _valid(spec: dict, name: str, body) -> bool:
    try:
        validate(spec, {"$ref": f"#/components/schemas/{name}"}, body)
    except jsonschema.ValidationError:
        return False
    return True


def test_request_schemas_state_what_the_server_refuses(spec):
    """What schemathesis found: bodies the spec allowed and the server (rightly) refuses."""
    source = f"http://glossa.test/doc/{PAPER}"
    quote = {"type": "TextQuoteSelector", "exact": "Frontex"}
    position = {"type": "TextPositionSelector", "start": 0, "end": 7}
    make = {"type": "Annotation", "target": {"source": source, "selector": [quote, position]}}
    assert _valid(spec, "AnnotationInput", make)
    assert _valid(spec, "AnnotationInput", {"type": "Annotation", "target": {"source": source, "selector": quote}})
    for selector in (
        [position],
        position,
        [],
        [dict(quote, exact="")],
        [position, quote],
        [quote, dict(position, start=-1)],
    ):
        assert not _valid(
            spec, "AnnotationInput", {"type": "Annotation", "target": {"source": source, "selector": selector}}
        )
    assert not _valid(spec, "AnnotationPatch", {"target": {"source": source, "selector": [position]}})

    assert _valid(spec, "EntityRuleInput", {"action": "retype", "label": "ORG", "name": "EASO", "new_label": "GPE"})
    for rule in (
        {"action": "retype", "label": "AA", "name": "EASO", "new_label": "GPE"},  # no such label
        {"action": "retype", "label": "ORG", "name": "EASO"},  # no new_label
        {"action": "merge", "label": "ORG", "name": "EASO", "new_name": "EUAA"},  # no new_label
        {"action": "split", "label": "ORG", "name": "EASO"},  # no surface
        {"action": "hide", "label": "ORG", "name": "   "},  # blank
        {"action": "hide", "label": "ORG", "name": "EA\x00SO"},  # a control character
    ):
        assert not _valid(spec, "EntityRuleInput", rule), rule
    assert _valid(spec, "EntityRuleInput", {"action": "hide", "label": "ORG", "name": "European\tAsylum  Office"})

    upload = spec["paths"]["/api/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    with pytest.raises(jsonschema.ValidationError):
        Draft202012Validator(upload).validate({"files": [], "paths": [""]})


def test_the_server_refuses_what_the_request_schemas_refuse(client):
    """The same bodies at the server: 400, so the stricter schemas describe the server as it is."""
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    headers = {"X-CSRF-Token": "t0ken"}
    source = f"http://glossa.test/doc/{PAPER}"
    only_position = {"type": "TextPositionSelector", "start": 0, "end": 7}
    body = {"type": "Annotation", "target": {"source": source, "selector": [only_position]}}
    assert client.post("/api/annotations", json=body, headers=headers).status_code == 400
    for rule in (
        {"action": "retype", "label": "AA", "name": "EASO", "new_label": "GPE"},
        {"action": "retype", "label": "ORG", "name": "EASO", "new_label": "ORG"},
        {"action": "split", "label": "ORG", "name": "EASO"},
        {"action": "hide", "label": "ORG", "name": "EA\x00SO"},
    ):
        assert client.post("/api/entity-rules", json=rule, headers=headers).status_code == 400, rule


def test_whole_numbers_written_as_floats_are_integers(client):
    """JSON Schema's integer (and JSON's one number type): a position of 0.0 is 0; 0.5 is not."""
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    headers = {"X-CSRF-Token": "t0ken"}

    def post(start, end):
        selector = [
            {"type": "TextQuoteSelector", "exact": "EuMigraTool"},
            {"type": "TextPositionSelector", "start": start, "end": end},
        ]
        body = {"type": "Annotation", "target": {"source": f"http://glossa.test/doc/{PAPER}", "selector": selector}}
        return client.post("/api/annotations", json=body, headers=headers)

    made = post(0.0, 11.0)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert post(0.5, 11).status_code == 400


def _integer_query_parameters(spec: dict) -> list[tuple[str, str, str]]:
    """(path, method, name) of every query parameter the spec types as an integer."""
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                if param["in"] == "query" and param["schema"].get("type") == "integer":
                    found.append((path, method, param["name"]))
    return found


def test_a_blank_integer_parameter_is_a_400_on_the_api_and_the_default_on_the_pages(client, spec):
    """The spec types these as integers, so a blank value (``?offset=``) is no integer: the
    API says so (what schemathesis checks), and an absent one is its default."""
    found = _integer_query_parameters(spec)
    assert {name for _, _, name in found} >= {"page", "pagelen", "limit", "offset"}
    for path, method, name in found:
        assert method == "get" and "{" not in path, (path, method)
        base = path + ("?q=frontex&" if path == "/api/search" else "?")
        assert client.get(base.rstrip("?&")).status_code == 200, path
        for blank in ("", "%20%20"):
            response = client.get(f"{base}{name}={blank}")
            assert response.status_code == 400 and response.is_json, (path, name, response.status_code)
            message = response.get_json()["message"]
            assert repr(name) in message and "blank" in message and "leave the parameter out" in message
    page = client.get("/?q=frontex&page=")  # an empty form field: the first page
    assert page.status_code == 200 and b"frontex" in page.data.lower()


def test_an_inconsistent_position_hint_is_ignored_and_the_quote_anchors(client, spec):
    """A TextPositionSelector is a hint (as Hypothesis and other annotators treat it): one that
    cannot hold (end before start, an empty range, past the end of the text) is dropped, and the
    annotation anchors on its quote."""
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    headers = {"X-CSRF-Token": "t0ken"}
    text = client.get(f"/api/documents/{PAPER}").get_json()["text"]
    start = text.index("EuMigraTool")
    quote = {"type": "TextQuoteSelector", "exact": "EuMigraTool"}
    for hint in ((start + 11, start), (90, 10), (0, 0), (len(text) + 5, len(text) + 16)):
        position = {"type": "TextPositionSelector", "start": hint[0], "end": hint[1]}
        body = {
            "type": "Annotation",
            "target": {"source": f"http://glossa.test/doc/{PAPER}", "selector": [quote, position]},
        }
        assert _valid(spec, "AnnotationInput", body)
        made = client.post("/api/annotations", json=body, headers=headers)
        assert made.status_code == 201, made.get_data(as_text=True)
        selectors = {s["type"]: s for s in made.get_json()["target"]["selector"]}
        placed = selectors["TextPositionSelector"]
        assert text[placed["start"] : placed["end"]] == "EuMigraTool", hint


def test_a_blank_group_is_a_400_on_the_api_and_passages_on_the_page(client):
    """group's enum has no blank value: the API refuses it like a blank number; the page lists passages."""
    response = client.get("/api/search?q=frontex&group=")
    assert response.status_code == 400 and "'group'" in response.get_json()["message"]
    assert client.get("/api/search?q=frontex&group=document").get_json()["group"] == "document"
    assert client.get("/?q=frontex&group=").status_code == 200


def test_the_spec_allows_one_comment_and_any_number_of_tags(client, spec):
    source = f"http://glossa.test/doc/{PAPER}"
    quote = {"type": "TextQuoteSelector", "exact": "EuMigraTool"}

    def body(*bodies):
        return {"type": "Annotation", "target": {"source": source, "selector": quote}, "body": list(bodies)}

    comment = {"type": "TextualBody", "value": "a note"}
    tag = {"type": "TextualBody", "value": "tool", "purpose": "tagging"}
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    headers = {"X-CSRF-Token": "t0ken"}
    for bodies, allowed in (
        ((comment, tag, dict(tag, value="model")), True),
        ((tag,), True),
        ((), True),
        ((comment, dict(comment, purpose="commenting")), False),
        ((dict(comment, purpose="commenting"), tag, comment), False),
    ):
        assert _valid(spec, "AnnotationInput", body(*bodies)) is allowed, bodies
        status = client.post("/api/annotations", json=body(*bodies), headers=headers).status_code
        assert status == (201 if allowed else 400), (bodies, status)
