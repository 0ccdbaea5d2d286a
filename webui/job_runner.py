"""``python -m webui.job_runner``: the process that runs upload and removal jobs (see
:mod:`webui.jobs`). It reads the app's settings as JSON on standard input, builds the app from
them (for the annotation database and the ingest settings) and runs the queue of its data
directory; it exits when the queue is empty, or at once when another runner holds it."""

from __future__ import annotations

import json
import logging
import sys

from .app import create_app
from .jobs import run_queue


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = json.loads(sys.stdin.read() or "{}")
    run_queue(create_app(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
