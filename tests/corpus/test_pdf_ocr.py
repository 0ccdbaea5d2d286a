"""Scanned PDFs: the reason given without OCR, and ``--ocr`` (ocrmypdf) when it is installed.

``tests/data/scanned.pdf`` is a page with no text at all; ``tests/data/tex-scanned.pdf`` is a
LaTeX page rendered to an image by Ghostscript (no text layer, as a scanner makes), which
Tesseract can read. The OCR tests run only where ``ocrmypdf`` is installed (Debian:
``apt-get install ocrmypdf tesseract-ocr-eng``); the message tests always run.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import corpus
from corpus.models import NoTextLayer
from corpus.pdf_ocr import OCR_PACKAGES, ocr_available
from indexer.workers import Budget, read_one

DATA = Path(__file__).resolve().parent.parent / "data"
needs_ocr = pytest.mark.skipif(not ocr_available(), reason="ocrmypdf is not installed")


@pytest.mark.parametrize("name", ["scanned.pdf", "tex-scanned.pdf"])
def test_a_scan_without_ocr_names_the_option_and_the_package(name):
    with pytest.raises(NoTextLayer) as caught:
        corpus.read_document(DATA / name)
    message = str(caught.value)
    assert "no text layer" in message and "--ocr" in message and "ocrmypdf" in message
    with pytest.raises(NoTextLayer):
        read_one(DATA / name, "scan", Budget(ocr=False))


def test_ocr_asked_for_but_not_installed(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(corpus.ReadError) as caught:
        read_one(DATA / "tex-scanned.pdf", "scan", Budget(ocr=True))
    message = str(caught.value)
    assert "--ocr" in message and OCR_PACKAGES in message and "not installed" in message


def test_the_ocr_setting_is_validated():
    assert Budget.from_settings(environ={"GLOSSA_INGEST_OCR": "true"}).ocr is True
    assert Budget.from_settings(environ={}).ocr is False
    assert Budget.from_settings(ocr=True, environ={"GLOSSA_INGEST_OCR": "no"}).ocr is True
    with pytest.raises(ValueError, match="GLOSSA_INGEST_OCR"):
        Budget.from_settings(environ={"GLOSSA_INGEST_OCR": "maybe"})


@needs_ocr
def test_ocr_reads_a_scan_and_leaves_the_file_alone(tmp_path):
    source = tmp_path / "scan.pdf"
    shutil.copyfile(DATA / "tex-scanned.pdf", source)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    document = read_one(source, "scan", Budget(ocr=True))
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.pdf"]  # nothing written beside it
    text = " ".join(document.text.split()).lower()
    assert "summit reservoirs" in text
    assert "filled slowly over the winter months" in text
    assert document.metadata["ocr"] == "ocrmypdf"
    assert document.content_hash == before


@needs_ocr
def test_ocr_of_a_page_with_nothing_on_it_says_so():
    with pytest.raises(corpus.ReadError, match="found no text"):
        read_one(DATA / "scanned.pdf", "blank", Budget(ocr=True))


@needs_ocr
def test_ingest_with_ocr_on_its_budget(tmp_path):
    from indexer.pipeline import ingest

    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copyfile(DATA / "tex-scanned.pdf", folder / "scan.pdf")
    report = ingest([folder], tmp_path / "data", progress=False, ocr=False)
    assert len(report.failed) == 1 and "--ocr" in report.failed[0][1]
    report = ingest([folder], tmp_path / "data", progress=False, ocr=True)
    assert report.failed == [] and len(report.added) == 1
