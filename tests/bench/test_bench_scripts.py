"""The benchmark scripts run as modules of the checkout (``python -m bench.NAME``) with the
installed packages: none edits ``sys.path``, and each one's ``--help`` works and shows its
docstring."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text(encoding="utf-8"))


def test_no_bench_module_edits_sys_path():
    for path in [*(ROOT / "bench").glob("*.py"), *(ROOT / "tests" / "bench").glob("*.py")]:
        if path != Path(__file__):
            text = path.read_text(encoding="utf-8")
            assert "sys.path.insert" not in text and "sys.path.append" not in text, path.name


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_help_runs_as_a_module(script: Path):
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{script.stem}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    first = script.read_text(encoding="utf-8").split('"""', 2)[1].splitlines()[0].strip()
    assert " ".join(first.split()[:5]) in " ".join(done.stdout.split())
    assert "usage:" in done.stdout
