"""Legacy encodings: real text re-encoded in cp1250, cp1252, Latin-1 and UTF-8 reads back exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import read_document
from corpus.reader import decode_text

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = json.loads((Path(__file__).parent / "fixtures" / "legacy_texts.json").read_text(encoding="utf-8"))["samples"]
PAPER = ROOT / "webui" / "sample_corpus" / "003_b4544ddbd7f01f68.txt"

CASES = [
    ("polish", "cp1250"),
    ("polish", "iso-8859-2"),
    ("polish", "utf-8"),
    ("german", "cp1252"),
    ("german", "cp1250"),
    ("portuguese", "cp1252"),
    ("portuguese", "utf-8"),
]


@pytest.mark.parametrize("name, encoding", CASES)
def test_real_text_in_a_legacy_encoding_decodes_exactly(name, encoding):
    text = SAMPLES[name]["text"]
    assert decode_text(text.encode(encoding)) == text


def test_latin1_bytes_decode_as_latin1():
    text = SAMPLES["portuguese"]["text"].replace("‚", ",")
    data = text.encode("latin-1", errors="ignore")
    assert decode_text(data) == data.decode("latin-1")


def test_croatian_names_in_a_short_cp1250_note():
    note = "Župarić-Iljić, D., & Valenta, M. (2019). Refugee Crisis in the Southeastern European Countries."
    assert decode_text(note.encode("cp1250")) == note


@pytest.mark.skipif(not PAPER.exists(), reason="sample corpus not present")
def test_whole_english_paper_with_croatian_names_in_cp1250(tmp_path):
    text = PAPER.read_text(encoding="utf-8")
    data = text.encode("cp1250", errors="replace")
    path = tmp_path / "paper.txt"
    path.write_bytes(data)
    doc = read_document(path)
    assert "Župarić" in doc.text or any("Župarić" in n.text for n in doc.footnotes)
    assert "Župariæ" not in doc.text and not any("æ" in n.text for n in doc.footnotes)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_files_without_a_declared_charset(tmp_path, suffix):
    text = SAMPLES["polish"]["text"]
    body = f"<html><head><title>Notes</title></head><body><p>{text}</p></body></html>" if suffix == ".html" else text
    path = tmp_path / f"notes{suffix}"
    path.write_bytes(body.encode("cp1250"))
    doc = read_document(path)
    assert "Poprawa bezpieczeństwa turystów" in doc.text


def test_page_labelled_latin1_is_read_as_windows_1252(tmp_path):
    page = (
        '<html><head><meta charset="iso-8859-1"><title>Zitat</title></head><body>'
        "<p>Er nannte es \u201eArbeit und Besch\u00e4ftigung\u201c \u2013 ein Begriff, der bis heute gilt.</p></body></html>"
    )
    path = tmp_path / "zitat.html"
    path.write_bytes(page.encode("cp1252"))
    assert "\u201eArbeit und Besch\u00e4ftigung\u201c \u2013 ein Begriff" in read_document(path).text
