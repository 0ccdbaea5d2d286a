"""Roles: reader, editor, admin in accounts mode; the demo's local user may do everything."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from .anno_support import build_data_dir, make_test_app


def run(data, *args, input=None):
    from webui.cli import cli

    return CliRunner().invoke(cli, ["--data", str(data), *args], input=input, catch_exceptions=False)


@pytest.fixture
def data(tmp_path):
    return build_data_dir(tmp_path / "data")


def roles_listed(data) -> dict[str, str]:
    listed = run(data, "user", "list")
    assert listed.exit_code == 0, listed.output
    return {line.split("\t")[0]: line.split("\t")[-1] for line in listed.output.splitlines()}


# --- the role model and the CLI ----------------------------------------------------------


def test_first_account_is_admin_then_readers_and_role_changes(data):
    first = run(data, "user", "add", "alice", "--password-stdin", input="alice-password\n")
    assert first.exit_code == 0 and "admin role" in first.output
    second = run(data, "user", "add", "bob", "--password-stdin", input="bob-password\n")
    assert second.exit_code == 0 and "reader role" in second.output
    chosen = run(data, "user", "add", "carol", "--password-stdin", "--role", "editor", input="carol-password\n")
    assert chosen.exit_code == 0 and "editor role" in chosen.output
    assert roles_listed(data) == {"alice": "admin", "bob": "reader", "carol": "editor"}

    changed = run(data, "user", "role", "bob", "editor")
    assert changed.exit_code == 0 and "bob now has the editor role" in changed.output
    assert roles_listed(data)["bob"] == "editor"
    unknown = run(data, "user", "role", "nobody", "editor")
    assert (
        unknown.exit_code == 1 and "no user 'nobody'" in unknown.output and "glossa user add nobody" in unknown.output
    )
    bad = run(data, "user", "role", "bob", "owner")
    assert bad.exit_code == 2 and "owner" in bad.output  # click's choice check names the choices


def test_users_without_a_password_do_not_count_as_the_first_account(data):
    """The demo's local user (and imported authors) cannot sign in, so the first real account is still admin."""
    app = make_test_app(data)
    from webui import services

    with app.app_context():
        service = services.get_annotation_service()
        local = service.ensure_user("local")
        assert local.role == "reader"
        assert service.add_user("alice", "alice-password").role == "admin"
        assert service.add_user("bob", "bob-password").role == "reader"
        with pytest.raises(Exception, match="role must be one of"):
            service.set_role("bob", "owner")


def test_migration_makes_the_oldest_account_admin_and_the_others_readers(tmp_path):
    from annotations import db

    url = db.default_url(tmp_path)
    db.upgrade(url, "0003")
    engine = db.make_engine(url)
    rows = [
        (1, "imported", "!unusable", "2025-01-01 00:00:00"),  # oldest, but nobody can sign in to it
        (2, "founder", "$argon2id$x", "2025-02-01 00:00:00"),
        (3, "later", "$argon2id$y", "2025-03-01 00:00:00"),
    ]
    with engine.begin() as conn:
        for uid, name, hashed, created in rows:
            conn.execute(
                text("INSERT INTO users (id, name, password_hash, created) VALUES (:i, :n, :h, :c)"),
                {"i": uid, "n": name, "h": hashed, "c": created},
            )
    engine.dispose()
    db.upgrade(url)
    engine = db.make_engine(url)
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT name, role FROM users")).all())
        assert conn.execute(text("SELECT count(*) FROM removed_documents")).scalar() == 0
    engine.dispose()
    assert roles == {"imported": "reader", "founder": "admin", "later": "reader"}


def test_require_role_refuses_an_unknown_role():
    from webui.roles import require_role

    with pytest.raises(ValueError, match="unknown role"):
        require_role("owner")


# --- the server checks the role on every write route --------------------------------------


@pytest.fixture
def accounts_app(data):
    app = make_test_app(data, AUTH="accounts")
    from webui import services

    with app.app_context():
        service = services.get_annotation_service()
        service.add_user("alice", "alice-password")  # the first: admin
        service.add_user("rita", "rita-password")  # reader
        service.add_user("ed", "ed-password", role="editor")
    return app


def csrf_from(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(r'data-csrf="([^"]+)"', page)
    return found.group(1)


def login(app, name, password):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/doc/alpha"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    client.csrf = csrf_from(client.get("/doc/alpha").get_data(as_text=True))
    return client


def test_a_reader_cannot_upload_remove_or_see_jobs(accounts_app):
    rita = login(accounts_app, "rita", "rita-password")
    headers = {"X-CSRF-Token": rita.csrf}
    upload = rita.post(
        "/api/documents",
        data={"files": [(io.BytesIO(b"Some text about Frontex."), "a.txt")]},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403 and upload.is_json
    body = upload.get_json()
    assert body["status"] == 403 and "editor role" in body["message"] and "reader role" in body["message"]
    removal = rita.delete("/api/documents/alpha", headers=headers)
    assert removal.status_code == 403 and removal.is_json
    assert rita.get("/api/jobs").status_code == 403
    assert rita.get("/api/jobs/20261201T000000-00000000").status_code == 403
    page = rita.get("/upload")
    assert page.status_code == 403 and "text/html" in page.content_type
    assert "needs the editor role" in page.get_data(as_text=True)
    form = rita.post("/upload", data={"csrf_token": rita.csrf}, content_type="multipart/form-data")
    assert form.status_code == 403
    assert rita.get("/documents/alpha/remove").status_code == 403
    assert rita.post("/documents/alpha/remove", data={"csrf_token": rita.csrf}).status_code == 403
    # nothing was queued or kept
    assert not (Path(accounts_app.config["DATA_DIR"]) / "uploads" / "jobs").exists()
    assert not (Path(accounts_app.config["DATA_DIR"]) / "corpus").exists()


def test_the_ui_hides_what_a_role_cannot_do(accounts_app):
    rita = login(accounts_app, "rita", "rita-password")
    for path in ("/", "/doc/alpha"):
        html = rita.get(path).get_data(as_text=True)
        assert 'href="/upload"' not in html and "/remove" not in html, path
    ed = login(accounts_app, "ed", "ed-password")
    home = ed.get("/").get_data(as_text=True)
    assert 'href="/upload"' in home and 'href="/documents/alpha/remove"' in home
    doc = ed.get("/doc/alpha").get_data(as_text=True)
    assert 'href="/documents/alpha/remove"' in doc
    assert ed.get("/upload").status_code == 200
    confirm = ed.get("/documents/alpha/remove").get_data(as_text=True)
    assert "annotations are kept" in confirm


def test_a_role_change_applies_at_the_next_request(accounts_app):
    rita = login(accounts_app, "rita", "rita-password")
    assert rita.get("/api/jobs").status_code == 403
    from webui import services

    with accounts_app.app_context():
        services.get_annotation_service().set_role("rita", "editor")
    assert rita.get("/api/jobs").status_code == 200
    with accounts_app.app_context():
        services.get_annotation_service().set_role("rita", "reader")
    assert rita.get("/api/jobs").status_code == 403


def test_an_api_token_carries_its_users_role(accounts_app):
    from webui import services

    with accounts_app.app_context():
        service = services.get_annotation_service()
        reader_token = service.create_token("rita")
        editor_token = service.create_token("ed")
    client = accounts_app.test_client()
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {reader_token}"}).status_code == 403
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {editor_token}"}).status_code == 200
    # without a token or session: 401, as for every API route in accounts mode
    assert client.get("/api/jobs").status_code == 401


def test_single_user_mode_may_do_everything(data):
    app = make_test_app(data)
    client = app.test_client()
    assert client.get("/upload").status_code == 200
    assert client.get("/api/jobs").status_code == 200
    assert 'href="/upload"' in client.get("/").get_data(as_text=True)
