"""``/healthz``: opens the search index and the annotation database, and says which one fails.

200 ``{"status": "ok", "checks": {"index": "ok", "database": "ok"}}`` when both answer; 503
with the same shape, the failing check holding a short reason, otherwise. When Whoosh's
private fast paths fell back to its public API (indexer.whoosh_internals: search still
works, slower) the answer also holds ``"warnings": [...]`` saying so. It is public (a load
balancer calls it without signing in), so the reasons name no server paths.
"""

from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import text

from indexer import whoosh_internals

from . import services


def _first_line(exc: BaseException) -> str:
    """A short reason without file names (OSError messages carry the path)."""
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'operating system error'}"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {reason[0][:200]}" if reason else type(exc).__name__


def check_index() -> str:
    """'ok', or why the index cannot be searched."""
    from indexer.backend import live_passages

    try:
        if live_passages(current_app.config["INDEX_DIR"], current_app.config.get("SEARCH_BACKEND")) is None:
            return "no search index: ingest documents first (glossa ingest PATH)"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return "cannot open the search index: " + _first_line(exc)
    return "ok"


def check_database() -> str:
    """'ok', or why the annotation database cannot be read."""
    try:
        with services.get_engine().connect() as conn:
            conn.execute(text("SELECT 1 FROM users LIMIT 1")).all()
    except services.DatabaseUnavailable as exc:  # its message names the URL: for the log only
        current_app.logger.error("health check: %s", exc)
        return "cannot open the annotation database (the server log says why)"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return "cannot read the annotation database: " + _first_line(exc)
    return "ok"


def healthz():
    """The health check view."""
    checks = {"index": check_index(), "database": check_database()}
    healthy = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    engine = whoosh_internals.status()
    if not engine.ok:  # search works through Whoosh's public API: said, not a failure
        body["warnings"] = [engine.public_summary()]
    return jsonify(body), 200 if healthy else 503
