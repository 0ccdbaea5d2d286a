"""The served app: waitress on a free port, request-size limit, Host check, /healthz, a full
disk (reads work, writes 507), private database file, no server paths for readers, OpenAPI."""

from __future__ import annotations

import errno
import http.client
import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from indexer.backend import SETTING
from webui import services
from webui.config import SettingsError

from .anno_support import build_data_dir, make_test_app, selector_body

PAPER = "alpha"


def config(data: Path, **extra) -> dict:
    out = {
        "TESTING": True,
        "DATA_DIR": str(data),
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{data / 'glossa.db'}",
        "BASE_URL": "http://glossa.test",
    }
    out.update(extra)
    return out


@pytest.fixture
def data(tmp_path):
    return build_data_dir(tmp_path / "data")


@pytest.fixture
def live(data):
    """(app, port): the app served by waitress in a thread on a free loopback port."""
    from webui.server import build_app, create_server

    app = build_app(host="127.0.0.1", **config(data, MAX_CONTENT_LENGTH="64K", THREADS=4))
    server = create_server(app, "127.0.0.1", 0)
    stop = threading.Event()

    def run():  # waitress's own loop, stopped between rounds (close() from here, not mid-select)
        while not stop.is_set():
            server.asyncore.loop(timeout=0.1, map=server._map, count=1)
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield app, server.effective_port
    stop.set()
    thread.join(timeout=10)


def fetch(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_waitress_serves_search_and_health(live):
    app, port = live
    status, headers, body = fetch(port, "GET", "/api/search?q=border")
    assert status == 200 and json.loads(body)["total"] >= 1
    assert headers["Server"] == "glossa"
    status, _, body = fetch(port, "GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "checks": {"index": "ok", "database": "ok"}}


def test_the_database_is_migrated_before_the_first_request(data):
    from webui.server import build_app

    app = build_app(**config(data))
    assert "engine" in app.extensions["glossa"]  # build_app migrated it; no request has run


def test_oversized_bodies_are_refused_before_they_are_read(live):
    app, port = live
    big = b"name=x&password=" + b"p" * (200 * 1024)
    status, _, _ = fetch(port, "POST", "/login", big, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413  # waitress refuses it (max_request_body_size = MAX_CONTENT_LENGTH)
    client = app.test_client()
    api = client.post("/api/annotations", data=b"{" + b" " * (100 * 1024) + b"}", content_type="application/json")
    assert api.status_code == 413 and api.get_json()["status"] == 413
    assert "MAX_CONTENT_LENGTH" in api.get_json()["message"]
    page = client.post("/login", data=big, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413 and page.mimetype == "text/html"


def test_the_length_check_runs_before_any_hook_reads_the_body(data, monkeypatch):
    app = make_test_app(data, MAX_CONTENT_LENGTH="1K")
    read = []
    monkeypatch.setattr("werkzeug.wrappers.request.Request.get_data", lambda *a, **k: read.append(1) or b"")
    resp = app.test_client().post(
        "/api/annotations", data=b"x" * 4096, content_type="application/json", headers={"X-CSRF-Token": "t"}
    )
    assert resp.status_code == 413 and read == []


def test_max_content_length_setting_is_checked(data):
    assert make_test_app(data, MAX_CONTENT_LENGTH="10M").config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    for bad in ("lots", "0", "-5", "20G", "5T"):
        with pytest.raises(SettingsError, match="MAX_CONTENT_LENGTH"):
            make_test_app(data, MAX_CONTENT_LENGTH=bad)
    for name, bad in (("THREADS", "0"), ("THREADS", "many"), ("CONNECTION_LIMIT", "-1"), ("PROXY_FIX", "x")):
        with pytest.raises(SettingsError, match=name):
            make_test_app(data, **{name: bad})


def test_only_trusted_hosts_are_served(data):
    app = make_test_app(data)
    client = app.test_client()
    for host in ("localhost", "localhost:5000", "127.0.0.1:8000", "[::1]:5000", "glossa.test", "GLOSSA.TEST."):
        assert client.get("/api/documents", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "glossa.test.evil.example", "127.0.0.2", "localhost.evil"):
        resp = client.get("/api/documents", headers={"Host": host})
        assert resp.status_code == 400, host
        assert "TRUSTED_HOSTS" in resp.get_json()["message"]
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "10.0.0.5"}).status_code == 200  # load balancers
    named = make_test_app(data, TRUSTED_HOSTS="glossa.example.org, .corp.example").test_client()
    assert named.get("/api/documents", headers={"Host": "glossa.example.org"}).status_code == 200
    assert named.get("/api/documents", headers={"Host": "a.corp.example"}).status_code == 200
    assert named.get("/api/documents", headers={"Host": "localhost"}).status_code == 400
    anyhost = make_test_app(data, TRUSTED_HOSTS="*").test_client()
    assert anyhost.get("/api/documents", headers={"Host": "evil.example"}).status_code == 200
    with pytest.raises(SettingsError, match="TRUSTED_HOSTS"):
        make_test_app(data, TRUSTED_HOSTS="bad host/name")


def test_the_served_host_is_trusted(data):
    from webui.server import build_app

    app = build_app(host="192.168.7.7", **config(data))
    assert app.test_client().get("/api/documents", headers={"Host": "192.168.7.7:5000"}).status_code == 200


def test_proxy_fix_reads_forwarded_headers_only_when_set(data, tmp_path):
    plain = make_test_app(data).test_client()
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    app = make_test_app(data, PROXY_FIX=1)

    @app.get("/_whoami")
    def whoami():
        from flask import request

        return {"addr": request.remote_addr, "scheme": request.scheme}

    assert app.test_client().get("/_whoami", headers=headers).get_json() == {"addr": "203.0.113.9", "scheme": "https"}
    assert plain.get("/api/documents", headers=headers).status_code == 200


def test_healthz_says_what_fails(data, tmp_path):
    app = make_test_app(data)
    (data / "index" / "CURRENT").rename(data / "index" / "CURRENT.away")
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
    assert "index" in body["checks"]["index"] and body["checks"]["index"] != "ok"
    (data / "index" / "CURRENT.away").rename(data / "index" / "CURRENT")
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where a directory should be")
    broken = make_test_app(data, DATABASE_URL=f"sqlite:///{blocked / 'glossa.db'}")
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503
    checks = resp.get_json()["checks"]
    assert checks["index"] == "ok" and checks["database"] != "ok" and str(tmp_path) not in checks["database"]


def test_the_database_file_is_private(data):
    app = make_test_app(data)
    with app.app_context():
        services.get_annotation_service().ensure_user("local")
    for name in ("glossa.db", "glossa.db-wal", "glossa.db-shm"):
        path = data / name
        if name == "glossa.db" or path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name


def test_readers_never_see_server_paths(data):
    client = make_test_app(data).test_client()
    listing = client.get("/api/documents")
    detail = client.get(f"/api/documents/{PAPER}")
    for resp in (listing, detail):
        assert resp.status_code == 200
        assert "source_path" not in resp.get_data(as_text=True)
        assert str(data) not in resp.get_data(as_text=True)
    assert "source_name" in detail.get_json()
    assert str(data) not in client.get(f"/doc/{PAPER}").get_data(as_text=True)


def full_disk(monkeypatch, kind: str) -> None:
    """Make every database commit fail as on a full disk (SQLite's error, or ENOSPC)."""

    def commit(self):
        if kind == "sqlite":
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Session, "commit", commit)


@pytest.mark.parametrize("kind", ["sqlite", "enospc"])
def test_a_full_disk_keeps_reads_working_and_writes_get_507(data, monkeypatch, kind):
    app = make_test_app(data)
    with app.app_context():  # the local user and a token exist from before the disk filled
        service = services.get_annotation_service()
        token = service.create_token(service.ensure_user("local"), "t")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    full_disk(monkeypatch, kind)
    for url in ("/api/search?q=border", f"/api/documents/{PAPER}", "/api/annotations", f"/doc/{PAPER}", "/"):
        assert client.get(url, headers=auth).status_code == 200, url
        assert client.get(url).status_code == 200, url
    with app.app_context():
        doc = services.get_store().get(PAPER).document
    quote = " ".join(doc.text.split()[3:7])
    resp = client.post("/api/annotations", json=selector_body(doc, quote, tags=["t"]), headers=auth)
    assert resp.status_code == 507
    assert resp.get_json()["status"] == 507 and "full" in resp.get_json()["message"]


def test_a_full_disk_on_a_fresh_database_still_serves_reads(data, monkeypatch):
    app = make_test_app(data)
    with app.app_context():
        services.get_engine()  # migrated before the disk filled; no local user yet
    full_disk(monkeypatch, "sqlite")
    client = app.test_client()
    assert client.get("/api/search?q=border").status_code == 200
    assert client.get(f"/doc/{PAPER}").status_code == 200


def test_a_full_disk_makes_an_html_write_a_507_page(data, monkeypatch):
    app = make_test_app(data, AUTH="accounts")
    with app.app_context():
        services.get_annotation_service().add_user("alice", "alice's password")
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert (
        client.post("/login", data={"name": "alice", "password": "alice's password", "csrf_token": token}).status_code
        == 302
    )
    assert client.get(f"/doc/{PAPER}").status_code == 200
    page = client.get(f"/doc/{PAPER}").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    full_disk(monkeypatch, "sqlite")
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 507 and resp.mimetype == "text/html"
    assert "full" in resp.get_data(as_text=True)


def test_options_of_fixed_annotation_paths_advertise_only_their_methods(data):
    client = make_test_app(data).test_client()
    for path in ("/api/annotations/export", "/api/annotations/tags"):
        allow = set(client.options(path).headers["Allow"].split(", "))
        assert allow == {"GET", "HEAD", "OPTIONS"}, path
        assert client.delete(path, headers={"X-CSRF-Token": "x"}).status_code in (403, 405)
    allow = set(client.options("/api/annotations/some-id").headers["Allow"].split(", "))
    assert {"GET", "PATCH", "DELETE"} <= allow


def test_an_empty_collection_matches_the_spec(data):
    from jsonschema import Draft202012Validator

    client = make_test_app(data).test_client()
    spec = client.get("/api/openapi.json").get_json()
    body = client.get("/api/annotations").get_json(force=True)
    assert body["total"] == 0
    schema = dict(
        spec["paths"]["/api/annotations"]["get"]["responses"]["200"]["content"]["application/ld+json"]["schema"]
    )
    schema["components"] = spec["components"]
    Draft202012Validator(schema).validate(body)
    assert "source_name" in spec["components"]["schemas"]["Document"]["required"]


JUNK = ["", "-1", "0", "abc", "x" * 3000, "\u00e9\u0000", "*", "[", '"']


def test_every_status_the_server_gives_for_junk_parameters_is_documented(data):
    """Each query parameter and path segment of each GET operation given junk: the status is in the spec."""
    app = make_test_app(data)
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        documented = set(operation["responses"])
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for junk in JUNK:
            url = path.replace("{doc_id}", PAPER).replace("{number}", "1").replace("{annotation_id}", "nope")
            for name in names:
                resp = client.get(url, query_string={name: junk, **({"q": "border"} if name != "q" else {})})
                assert str(resp.status_code) in documented, (path, name, junk, resp.status_code)
                assert resp.is_json or resp.status_code == 200, (path, name, junk)
            for placeholder in ("{doc_id}", "{number}", "{annotation_id}"):
                if placeholder in path:
                    target = path.replace(placeholder, junk.replace("/", "") or "x")
                    target = target.replace("{doc_id}", PAPER).replace("{number}", "1").replace("{annotation_id}", "n")
                    resp = client.get(target)
                    assert str(resp.status_code) in documented, (target, resp.status_code)
        assert "400" in documented and "503" in documented
    for path, item in spec["paths"].items():
        for method in set(item) & {"post", "patch", "delete"}:
            assert {"413", "507"} <= set(item[method]["responses"]), (path, method)


def test_the_wsgi_entry_point_builds_a_migrated_app_from_the_environment(data):
    import subprocess
    import sys

    code = (
        "import webui.wsgi as w; c = w.app.test_client(); "
        "print(w.app.config['DATA_DIR'], 'engine' in w.app.extensions['glossa'], c.get('/healthz').status_code)"
    )
    # no GLOSSA_ setting but the search backend the suite runs on (tests/common/backend.py)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSA_") or k == SETTING}
    env["GLOSSA_DATA"] = str(data)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(data.resolve()), "True", "200"]
    env["GLOSSA_THREADS"] = "lots"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "THREADS" in bad.stderr


def test_one_worker_serves_settled_the_index_warm_and_the_heap_frozen(data, monkeypatch):
    import gc
    import weakref

    from webui import server as served

    app = served.build_app(host="127.0.0.1", **config(data, WORKERS=1))

    class Cycle:
        pass

    garbage = Cycle()
    garbage.me = garbage  # only the cyclic collector frees it
    gone = weakref.ref(garbage)
    del garbage
    seen = {}

    class Fake:
        def run(self):
            seen.update(frozen=gc.get_freeze_count(), collected=gone() is None)
            raise KeyboardInterrupt

        def close(self):
            seen["closed"] = True

    real_warm = served.warm
    monkeypatch.setattr(served, "warm", lambda a: seen.setdefault("warm", real_warm(a)))
    monkeypatch.setattr(served, "create_server", lambda *_a, **_k: Fake())
    gc.unfreeze()
    try:
        served.serve(app, "127.0.0.1", 0)
    finally:
        gc.unfreeze()
    with app.app_context():
        backend = served.services.get_searcher().name
    # Whoosh reads the commonest words' postings in; tantivy maps its files at open, nothing to read
    assert seen["warm"]["passages"] > 0 and (seen["warm"]["words"] > 0) == (backend == "whoosh")
    assert seen["frozen"] > 0 and seen["collected"] and seen["closed"]
