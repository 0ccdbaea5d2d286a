"""Sign-in security: backoff with 429, equal work for unknown names, server-side session
revocation, Argon2id with rehash of old hashes, and the passwd / token revoke commands."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

import pytest
from click.testing import CliRunner

from annotations import security
from webui import limits, services

from .anno_support import build_data_dir, make_test_app


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app(tmp_path):
    app = make_test_app(build_data_dir(tmp_path / "data"), AUTH="accounts")
    with app.app_context():
        services.get_annotation_service().add_user("alice", "alice's password")
        services.get_annotation_service().add_user("bob", "bob's password!")
    return app


@pytest.fixture
def clock(app):
    clock = Clock()
    app.extensions["glossa_login_limiter"] = limits.LoginLimiter(clock=clock)
    return clock


def csrf_of(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name, password, address="10.0.0.1"):
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(client), "next": "/doc/alpha"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_thirty_wrong_passwords_meet_429_before_the_tenth(app, clock):
    client = app.test_client()
    statuses = []
    for _ in range(30):
        resp = login(client, "alice", "wrong password")
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            assert int(resp.headers["Retry-After"]) >= 1
            assert "try again in" in resp.get_data(as_text=True)
        clock.now += 0.2  # 5 attempts a second
    assert 429 in statuses[:9]
    assert set(statuses) == {401, 429}
    # the right password is refused too while the name is locked out ...
    assert login(client, "alice", "alice's password").status_code == 429
    # ... and accepted once the lockout has passed
    clock.now += limits.MAX_LOCK + 1
    assert login(client, "alice", "alice's password").status_code == 302


def test_backoff_grows_and_a_success_clears_the_name(app, clock):
    client = app.test_client()
    for _ in range(limits.NAME_FREE):
        assert login(client, "bob", "nope nope").status_code == 401
    first = login(client, "bob", "nope nope")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    clock.now += 1.01
    assert login(client, "bob", "nope nope").status_code == 401  # checked again: a 6th failure
    second = login(client, "bob", "nope nope")
    assert second.status_code == 429 and second.headers["Retry-After"] == "2"
    clock.now += 2.01
    assert login(client, "bob", "bob's password!").status_code == 302
    assert app.extensions["glossa_login_limiter"].retry_after("bob", "10.0.0.9") == 0


def test_one_address_guessing_many_names_is_limited(app, clock):
    client = app.test_client()
    statuses = [login(client, f"user{i}", "guess-guess", address="10.9.9.9").status_code for i in range(25)]
    assert statuses[: limits.ADDRESS_FREE] == [401] * limits.ADDRESS_FREE
    assert statuses[limits.ADDRESS_FREE] == 429
    # another address is not held up
    assert login(client, "alice", "alice's password", address="10.1.1.1").status_code == 302


def test_unknown_names_cost_one_verification_like_wrong_passwords(app, monkeypatch):
    calls = {"verify": 0, "hash": 0}
    security._dummy_hash()  # made once per process, before counting

    class Counting:
        """The real hasher, counting its verifications and hashes."""

        def __init__(self, real):
            self.real = real

        def verify(self, *args):
            calls["verify"] += 1
            return self.real.verify(*args)

        def hash(self, *args):
            calls["hash"] += 1
            return self.real.hash(*args)

        def check_needs_rehash(self, *args):
            return self.real.check_needs_rehash(*args)

    monkeypatch.setattr(security, "_hasher", Counting(security._hasher))
    with app.app_context():
        service = services.get_annotation_service()
        service.ensure_user("imported")  # an account without a usable password
        seen = {}
        for name in ("alice", "nobody", "imported", "x" * 300):
            calls.update(verify=0, hash=0)
            assert service.authenticate(name, "wrong password") is None
            seen[name] = dict(calls)
    assert all(c == {"verify": 1, "hash": 0} for c in seen.values()), seen


def signed_in(app, name, password):
    client = app.test_client()
    assert login(client, name, password, address=f"10.2.0.{secrets.randbelow(200)}").status_code == 302
    assert client.get("/doc/alpha").status_code == 200
    return client


def test_logout_ends_every_session_of_the_user(app):
    laptop, phone = signed_in(app, "alice", "alice's password"), signed_in(app, "alice", "alice's password")
    other = signed_in(app, "bob", "bob's password!")
    with laptop.session_transaction() as saved:
        stolen = dict(saved)  # a copy of the cookie's content, as a thief would keep it
    html = laptop.get("/doc/alpha").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', html).group(1)
    assert laptop.post("/logout", data={"csrf_token": token}).status_code == 302
    assert phone.get("/doc/alpha").status_code == 302  # sent to /login
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/api/annotations").status_code == 401
    assert other.get("/doc/alpha").status_code == 200  # bob's session is untouched
    again = signed_in(app, "alice", "alice's password")
    assert again.get("/doc/alpha").status_code == 200


def test_password_change_ends_sessions_and_the_old_password(app):
    client = signed_in(app, "alice", "alice's password")
    with app.app_context():
        services.get_annotation_service().set_password("alice", "a brand new password")
    assert client.get("/api/annotations").status_code == 401
    fresh = app.test_client()
    assert login(fresh, "alice", "alice's password").status_code == 401
    assert login(fresh, "alice", "a brand new password").status_code == 302


def old_scrypt_hash(password: str) -> str:
    """A hash in the format older Glossa versions stored."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def stored_hash(app, name: str) -> str:
    from sqlalchemy import select

    from annotations.models import User

    with app.app_context(), services.get_engine().connect() as conn:
        return conn.execute(select(User.password_hash).where(User.name == name)).scalar_one()


def test_new_hashes_are_argon2id_and_old_ones_are_rehashed_at_sign_in(app):
    from sqlalchemy import update

    from annotations.models import User

    assert stored_hash(app, "alice").startswith("$argon2id$")
    with app.app_context(), services.get_engine().begin() as conn:
        conn.execute(update(User).where(User.name == "bob").values(password_hash=old_scrypt_hash("bob's password!")))
    assert stored_hash(app, "bob").startswith("scrypt$")
    assert login(app.test_client(), "bob", "wrong-password").status_code == 401
    assert stored_hash(app, "bob").startswith("scrypt$")  # a failed sign-in changes nothing
    assert login(app.test_client(), "bob", "bob's password!").status_code == 302
    upgraded = stored_hash(app, "bob")
    assert upgraded.startswith("$argon2id$") and security.verify_password(upgraded, "bob's password!")
    assert login(app.test_client(), "bob", "bob's password!").status_code == 302


def run(data, *args, input=None):
    from webui.cli import cli

    return CliRunner().invoke(cli, ["--data", str(data), *args], input=input, catch_exceptions=False)


def test_user_passwd_and_token_revoke_commands(app):
    data = app.config["DATA_DIR"]
    client = signed_in(app, "alice", "alice's password")
    changed = run(data, "user", "passwd", "alice", "--password-stdin", input="another fine password\n")
    assert changed.exit_code == 0 and "changed" in changed.output
    assert client.get("/api/annotations").status_code == 401  # the command ended the session
    assert login(app.test_client(), "alice", "another fine password").status_code == 302
    assert run(data, "user", "passwd", "nobody", "--password-stdin", input="whatever-pass\n").exit_code == 1
    short = run(data, "user", "passwd", "alice", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "password must be" in short.output

    with app.app_context():
        service = services.get_annotation_service()
        keep = service.create_token("alice", "keep")
        drop = service.create_token("alice", "script")
    api = app.test_client()
    assert api.get("/api/annotations", headers={"Authorization": f"Bearer {drop}"}).status_code == 200
    revoked = run(data, "token", "revoke", "alice", "--label", "script")
    assert revoked.exit_code == 0 and "Revoked 1 token" in revoked.output
    assert api.get("/api/annotations", headers={"Authorization": f"Bearer {drop}"}).status_code == 401
    assert api.get("/api/annotations", headers={"Authorization": f"Bearer {keep}"}).status_code == 200
    everything = run(data, "token", "revoke", "alice")
    assert everything.exit_code == 0 and "Revoked 1 token" in everything.output
    assert api.get("/api/annotations", headers={"Authorization": f"Bearer {keep}"}).status_code == 401
    assert run(data, "token", "revoke", "nobody").exit_code == 1


def test_a_database_from_before_session_versions_is_migrated_and_its_users_sign_in(tmp_path):
    from sqlalchemy import create_engine, text

    from annotations import db

    data = build_data_dir(tmp_path / "data")
    url = f"sqlite:///{data / 'glossa.db'}"
    db.upgrade(url, "0001")  # the schema of the previous release, with a user it stored
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (name, password_hash, created) VALUES ('carol', :h, '2026-01-01 00:00:00')"),
            {"h": old_scrypt_hash("carol's old password")},
        )
    engine.dispose()
    app = make_test_app(data, AUTH="accounts")
    with app.app_context():
        services.get_engine()  # migrates to head
        assert services.get_annotation_service().session_version("carol") == 0
    client = app.test_client()
    assert login(client, "carol", "carol's old password").status_code == 302
    assert client.get("/doc/alpha").status_code == 200
    assert stored_hash(app, "carol").startswith("$argon2id$")
