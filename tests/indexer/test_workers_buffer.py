"""A slow file does not hold the other workers up: outcomes wait for it in plan order, bounded
by their size (indexer.workers.BUFFER_WEIGHT), not by a small count of files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from indexer.pipeline import ingest

QUICK = 14
#: how long the slow file waits for the others at most (they finish in seconds)
PATIENCE = 60.0


def _waiting_work(item):
    """Runs in a worker: a-slow.txt finishes only once every other file is done (each one
    leaves a marker), as a hostile file on its time budget keeps one worker busy."""
    from indexer import workers

    markers = Path(os.environ["GLOSSA_TEST_MARKERS"])
    if Path(item[0]).name == "a-slow.txt":
        deadline = time.monotonic() + PATIENCE
        while len(list(markers.iterdir())) < QUICK and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = len(list(markers.iterdir()))
        (markers.parent / "seen-by-the-slow-file").write_text(str(seen))
        return workers.read_and_tag(item)
    outcome = workers.read_and_tag(item)
    (markers / Path(item[0]).name).write_text("done")
    return outcome


def test_the_other_workers_go_on_while_one_file_is_slow(tmp_path, monkeypatch):
    from indexer import workers

    src, markers = tmp_path / "src", tmp_path / "markers"
    src.mkdir()
    markers.mkdir()
    (src / "a-slow.txt").write_text("The slow file, first in the plan, mentions Brussels.\n")
    for i in range(QUICK):
        (src / f"b-quick-{i:02d}.txt").write_text(f"Quick file {i}: Frontex met officials in Warsaw.\n")
    monkeypatch.setenv("GLOSSA_TEST_MARKERS", str(markers))
    monkeypatch.setattr(workers, "_work", _waiting_work)
    report = ingest([src], tmp_path / "data", workers=2, progress=False)
    assert report.failed == []
    assert len(report.added) == QUICK + 1
    assert len(list(markers.iterdir())) == QUICK
    # every other file was done while the slow one was still in flight (when the files waiting
    # behind it were capped at a handful, the other worker idled and the slow one gave up)
    assert (tmp_path / "seen-by-the-slow-file").read_text() == str(QUICK)
