"""Settings are validated when the app starts and fail closed, with a message naming the setting."""

from __future__ import annotations

import pytest

from webui import config as settings
from webui.app import create_app


def make(tmp_path, monkeypatch, env=None, **config):
    for key in [k for k in list(__import__("os").environ) if k.startswith("GLOSSA_")]:
        monkeypatch.delenv(key)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    return create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "test", **config})


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"GLOSSA_AUTH": "acounts"}, "AUTH"),
        ({"GLOSSA_PAGE_SIZE": "abc"}, "PAGE_SIZE"),
        ({"GLOSSA_PAGE_SIZE": "0"}, "PAGE_SIZE"),
        ({"GLOSSA_PAGE_SIZE": "100000"}, "PAGE_SIZE"),
        ({"GLOSSA_BASE_URL": "javascript:alert(1)"}, "BASE_URL"),
        ({"GLOSSA_DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"GLOSSA_SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE"),
        ({"GLOSSA_PAGESIZE": "20"}, "GLOSSA_PAGE_SIZE"),  # unknown name: a typo, with a hint
    ],
)
def test_a_bad_setting_refuses_to_start(tmp_path, monkeypatch, env, needle):
    with pytest.raises(settings.SettingsError) as err:
        make(tmp_path, monkeypatch, env)
    assert needle in str(err.value)


def test_a_typo_in_auth_never_opens_the_server(tmp_path, monkeypatch):
    with pytest.raises(settings.SettingsError, match="single.*accounts"):
        make(tmp_path, monkeypatch, AUTH="acounts")


def test_good_values_are_parsed_to_their_types(tmp_path, monkeypatch):
    app = make(
        tmp_path,
        monkeypatch,
        {"GLOSSA_PAGE_SIZE": "20", "GLOSSA_AUTH": "Accounts", "GLOSSA_SESSION_COOKIE_SECURE": "true"},
        BASE_URL="https://glossa.example.org/",
    )
    assert app.config["PAGE_SIZE"] == 20
    assert app.config["AUTH"] == "accounts"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["BASE_URL"] == "https://glossa.example.org"


def test_the_command_line_reports_a_bad_setting_as_a_user_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from webui.cli import cli

    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "docs"], env={"GLOSSA_AUTH": "acounts"})
    assert result.exit_code != 0
    assert "AUTH" in result.output and "Unexpected error" not in result.output


def test_concurrent_first_requests_on_a_new_database(data_dir, tmp_path):
    """48 first requests at once on a fresh database: 0 errors, one migration, a usable database."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import make_app

    app = make_app(data_dir, tmp_path / "fresh.db")

    def first_request(i: int) -> int:
        with app.test_client() as client:
            path = "/api/annotations" if i % 2 else "/annotations"
            return client.get(path).status_code

    with ThreadPoolExecutor(max_workers=48) as pool:
        codes = list(pool.map(first_request, range(48)))
    assert all(code < 500 for code in codes), codes
    from annotations import db

    assert db.current_revision(app.config["DATABASE_URL"]) is not None


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 2), (16, settings.MAX_DEFAULT_WORKERS)])
def test_workers_default_to_the_cores_at_most_a_few(monkeypatch, cores, workers):
    monkeypatch.setattr(settings.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert settings.default_workers() == workers


def test_workers_default_without_cpu_affinity(monkeypatch):
    def unavailable(pid):
        raise OSError("not here")

    monkeypatch.setattr(settings.os, "sched_getaffinity", unavailable, raising=False)
    monkeypatch.setattr(settings.os, "cpu_count", lambda: None)
    assert settings.default_workers() == 1
