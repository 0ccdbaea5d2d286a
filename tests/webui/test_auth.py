"""Accounts mode: login, logout, CSRF on forms, visibility of private annotations and tags."""

from __future__ import annotations

import json
import re

import pytest

from .anno_support import build_data_dir, make_test_app, selector_body

LD = "application/ld+json"


@pytest.fixture
def accounts_app(tmp_path):
    app = make_test_app(build_data_dir(tmp_path / "data"), AUTH="accounts")
    from webui import services

    with app.app_context():
        services.get_annotation_service().add_user("alice", "alice's password")
        services.get_annotation_service().add_user("bob", "bob's password!")
    return app


def csrf_of(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"|data-csrf="([^"]+)"', html).group(1) or ""


def signed_in(app, name, password):
    client = app.test_client()
    token = csrf_of(client)
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/doc/alpha"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/doc/alpha")
    html = client.get("/doc/alpha").get_data(as_text=True)
    client.csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
    assert f'data-user="{name}"' in html
    return client


def alpha(app):
    from webui import services

    with app.app_context():
        return services.get_store().get("alpha").document


def create(client, body):
    resp = client.post(
        "/api/annotations", data=json.dumps(body), content_type=LD, headers={"X-CSRF-Token": client.csrf}
    )
    assert resp.status_code == 201, resp.get_json()
    return json.loads(resp.data)["id"].rsplit("/", 1)[1]


def test_login_required_everywhere_in_accounts_mode(accounts_app):
    client = accounts_app.test_client()
    page = client.get("/doc/alpha")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]
    assert client.get("/api/annotations").status_code == 401
    assert client.get("/api/search?q=border").status_code == 401
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_bad_login_and_login_csrf(accounts_app):
    client = accounts_app.test_client()
    token = csrf_of(client)
    wrong = client.post("/login", data={"name": "alice", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "wrong password" in wrong.get_data(as_text=True)
    forged = client.post("/login", data={"name": "alice", "password": "alice's password"})
    assert forged.status_code == 403
    offsite = client.post(
        "/login",
        data={"name": "alice", "password": "alice's password", "csrf_token": token, "next": "https://evil.test/"},
    )
    assert offsite.status_code == 302 and offsite.headers["Location"] == "/"


def test_session_cookie_flags(accounts_app):
    client = accounts_app.test_client()
    resp = client.get("/login")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_needs_csrf_and_ends_the_session(accounts_app):
    client = signed_in(accounts_app, "alice", "alice's password")
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 302
    assert client.get("/api/annotations").status_code == 401


def test_private_annotations_and_tags_stay_private(accounts_app):
    alice = signed_in(accounts_app, "alice", "alice's password")
    bob = signed_in(accounts_app, "bob", "bob's password!")
    doc = alpha(accounts_app)
    secret = create(alice, selector_body(doc, "pushbacks at the Greek border", tags=["pushbacks"], comment="mine"))
    shared = create(alice, selector_body(doc, "Asylum seekers", tags=["islands"], visibility="shared"))

    # alice sees both and finds her private tag through search
    assert json.loads(alice.get("/api/annotations").data)["total"] == 2
    found = alice.get("/api/search?q=tag:pushbacks").get_json()
    assert found["total"] == 1 and found["hits"][0]["tags"] == ["pushbacks"]
    assert found["query"] == "tag:pushbacks"
    assert alice.get("/api/search?q=border&tag=pushbacks").get_json()["total"] == 1

    # bob sees only the shared one, neither the private annotation nor its tag
    listing = json.loads(bob.get("/api/annotations").data)
    assert listing["total"] == 1 and listing["first"]["items"][0]["id"].endswith(shared)
    assert bob.get(f"/api/annotations/{secret}").status_code == 404
    assert bob.get("/api/search?q=tag:pushbacks").get_json()["total"] == 0
    assert bob.get("/api/search?q=border&tag=pushbacks").get_json()["total"] == 0
    bob_hits = bob.get("/api/search?q=border").get_json()
    assert all("pushbacks" not in h["tags"] and not any(t.startswith("@") for t in h["tags"]) for h in bob_hits["hits"])
    assert "pushbacks" not in [f["value"] for f in bob_hits["facets"]["tags"]]
    # every tag clause matches among the tags bob may see: the shared "islands" only
    for sneaky, total in (
        ("tag:@1@pushbacks", 0),
        ("tag:(@1@pushbacks)", 0),
        ("TAG:@1@pushbacks", 0),
        ("tag:'@1@pushbacks'", 0),
        ("tag:(p*)", 0),
        ("tag:pushbacks~2", 0),
        ("tag:*", 1),
        ("tag:[0 TO z]", 1),
        ("Tag:?s*", 1),
    ):
        resp = bob.get("/api/search", query_string={"q": sneaky})
        assert resp.status_code == 200 and resp.get_json()["total"] == total, sneaky
        assert "pushbacks" not in resp.get_data(as_text=True).replace(sneaky, ""), sneaky
    assert bob.get("/api/search?q=border&tag=@1@pushbacks").get_json()["total"] == 0
    assert alice.get("/api/search?q=tag:*").get_json()["total"] == 2
    assert alice.get("/api/search?q=tag:push*").get_json()["total"] == 1
    assert bob.get("/api/search?q=tag:push*").get_json()["total"] == 0
    assert bob.get("/api/search?q=tag:islands").get_json()["total"] == 1
    assert [t["tag"] for t in bob.get("/api/annotations/tags").get_json()["tags"]] == ["islands"]
    page = bob.get("/annotations").get_data(as_text=True)
    assert "Asylum seekers" in page and "pushbacks at the Greek border" not in page

    # bob may read the shared annotation but not change or delete it
    patch = {"body": [{"type": "TextualBody", "purpose": "tagging", "value": "hijack"}]}
    resp = bob.patch(
        f"/api/annotations/{shared}", data=json.dumps(patch), content_type=LD, headers={"X-CSRF-Token": bob.csrf}
    )
    assert resp.status_code == 403 and "author" in resp.get_json()["message"]
    assert bob.delete(f"/api/annotations/{shared}", headers={"X-CSRF-Token": bob.csrf}).status_code == 403
    assert bob.delete(f"/api/annotations/{secret}", headers={"X-CSRF-Token": bob.csrf}).status_code == 404

    # once alice shares it, bob finds the tag too
    resp = alice.patch(
        f"/api/annotations/{secret}",
        data=json.dumps({"glossa:visibility": "shared"}),
        content_type=LD,
        headers={"X-CSRF-Token": alice.csrf},
    )
    assert resp.status_code == 200
    assert bob.get("/api/search?q=tag:pushbacks").get_json()["total"] == 1
