"""OCR for scanned PDFs (opt-in): Debian's ``ocrmypdf`` (Tesseract) adds a text layer.

The source file is never touched: ``ocrmypdf`` reads it and writes its result into a
temporary directory, whose bytes are returned and the directory removed. Tesseract runs
single-threaded (``--jobs 1``, ``OMP_THREAD_LIMIT=1``) so one file costs one core, within
the ingest's per-file budget (``timeout``: the seconds left to it). A failure is a
:class:`ReadError` with a reason a person can act on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .models import ReadError

OCR_COMMAND = "ocrmypdf"
#: what to install when the command is missing (Debian packages)
OCR_PACKAGES = "ocrmypdf tesseract-ocr-eng"


def ocr_available() -> bool:
    """Whether the ``ocrmypdf`` command is installed."""
    return shutil.which(OCR_COMMAND) is not None


def missing_message(name: str) -> str:
    """The reason given for a scan when OCR was asked for but ``ocrmypdf`` is not installed."""
    return (
        f"{name}: the PDF has no text layer (probably a scan) and --ocr was given, but the "
        f"`{OCR_COMMAND}` command is not installed: install it (Debian: apt-get install {OCR_PACKAGES}) "
        "and ingest again"
    )


def ocr_pdf(path: str | Path, timeout: float | None = None, language: str = "eng") -> bytes:
    """The PDF at ``path`` with a text layer added by ``ocrmypdf``; the source is only read."""
    path = Path(path)
    if not ocr_available():
        raise ReadError(missing_message(path.name))
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory(prefix="glossa-ocr-") as tmp:
        source = Path(tmp) / "in.pdf"
        shutil.copyfile(path, source)  # ocrmypdf never sees (or writes next to) the original
        target = Path(tmp) / "out.pdf"
        command = [
            OCR_COMMAND,
            "--jobs",
            "1",
            "--quiet",
            "--output-type",
            "pdf",
            "-l",
            language,
            str(source),
            str(target),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise ReadError(f"{path.name}: OCR (ocrmypdf) took longer than {timeout:g} s, so it was stopped") from None
        except OSError as exc:
            raise ReadError(f"{path.name}: OCR (ocrmypdf) could not be started: {exc.strerror or exc}") from None
        if done.returncode != 0 or not target.is_file():
            detail = (done.stderr or done.stdout or "").strip().splitlines()
            reason = detail[-1] if detail else f"exit status {done.returncode}"
            raise ReadError(f"{path.name}: OCR (ocrmypdf) failed: {reason[:300]}")
        return target.read_bytes()
