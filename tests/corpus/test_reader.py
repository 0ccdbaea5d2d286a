"""reader: finding files, ids, decoding, dispatch, and clear errors for bad input."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pytest

from corpus import SUPPORTED_SUFFIXES, ReadError, UnsupportedFormat, iter_files, make_doc_id, read_document
from corpus.reader import decode_text

DATA = Path(__file__).resolve().parents[1] / "data"


def test_iter_files_recursive_sorted_filtered(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b/z.md", "a.txt", "b/c.HTML", "notes.docx", ".secret.txt", ".hidden/x.txt", "p.pdf"):
        (tmp_path / name).write_text("x")
    single = tmp_path / "a.txt"
    found = list(iter_files([tmp_path, single, tmp_path / "missing.txt"]))
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.txt", "b/c.HTML", "b/z.md", "p.pdf"]
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


def test_make_doc_id():
    taken: set[str] = set()
    assert make_doc_id("003_b4544ddbd7f01f68", taken) == "003-b4544ddbd7f01f68"
    assert make_doc_id("Été à Šabac (draft)", taken) == "ete-a-sabac-draft"
    assert make_doc_id("Été à Šabac (draft)", taken) == "ete-a-sabac-draft-2"
    assert make_doc_id("ete a sabac draft", taken) == "ete-a-sabac-draft-3"
    assert make_doc_id("???", taken) == "doc"
    assert all(c.isalnum() or c == "-" for c in make_doc_id("a/b\\c?d#e", set()))


def test_read_plain_and_markdown(tmp_path):
    txt = tmp_path / "Plain Note.txt"
    txt.write_text("A Plain Title\n\nSome text that is a sentence.\n", encoding="utf-8")
    doc = read_document(txt)
    assert doc.doc_id == "plain-note" and doc.format == "txt" and doc.title == "A Plain Title"
    assert doc.content_hash == hashlib.sha256(txt.read_bytes()).hexdigest()
    assert doc.source_path == str(txt.resolve())
    md = tmp_path / "paper.md"
    md.write_text("# Paper\n\nBody with a note[^1] and **bold**.\n\n[^1]: See <https://x.org>.\n", encoding="utf-8")
    doc = read_document(md, doc_id="custom")
    assert doc.doc_id == "custom" and doc.format == "md" and doc.title == "Paper"
    assert doc.text == "Paper\n\nBody with a note and bold."
    assert doc.footnote("1").text == "See https://x.org."
    assert doc.marks[0].offset == len("Paper\n\nBody with a note")


def test_markdown_in_txt_is_detected(tmp_path):
    path = tmp_path / "disguised.txt"
    path.write_text("## Heading\n\nA claim<sup>1</sup> made.\n\n---\n\n<sup>1</sup> The source.\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.format == "txt" and doc.text == "Heading\n\nA claim made." and doc.footnote(1).text == "The source."


def test_footnotes_are_annotated(tmp_path, monkeypatch):
    import corpus.references as references

    seen = []
    monkeypatch.setattr(references, "annotate_footnotes", lambda notes: seen.extend(n.number for n in notes))
    path = tmp_path / "n.md"
    path.write_text("Text[^1] and more[^2].\n\n[^1]: One.\n[^2]: Two.\n", encoding="utf-8")
    read_document(path)
    assert seen == ["1", "2"]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"  \n\n \t", "empty"),
        (b"\x00\x01\x02binary\x00data" * 20, "binary"),
        (b"%PDF-1.4 fake", "PDF"),
        (b"ok \x81\x8d\x8f\x90 \xff\xfe" * 10, "tried UTF-8"),
        (b"\x1b\x1c\x1d text with control bytes \x92", "tried UTF-8"),
        (bytes(range(1, 32)) * 50 + b"valid utf-8 though", "control characters"),
    ],
)
def test_bad_text_files(tmp_path, data, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(ReadError, match=reason) as info:
        read_document(path)
    assert "bad.txt" in str(info.value)


def test_encodings():
    assert decode_text("Šabac “quoted”".encode()) == "Šabac “quoted”"
    assert decode_text("\ufeffTürkiye".encode("utf-8")) == "Türkiye"
    assert decode_text("Türkiye and Šabac".encode("utf-16")) == "Türkiye and Šabac"
    assert decode_text("Caf\xe9 \u201cna\xefve\u201d \u20ac5".encode("cp1252")) == "Café “naïve” €5"


def test_unsupported_and_missing(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormat, match="unsupported file type '.docx'"):
        read_document(path)
    assert issubclass(UnsupportedFormat, ReadError)
    with pytest.raises(ReadError, match="no such file"):
        read_document(tmp_path / "gone.txt")


def test_markup_only_file_has_no_text(tmp_path):
    path = tmp_path / "rules.md"
    path.write_text("---\n\n***\n\n12\n", encoding="utf-8")
    with pytest.raises(ReadError, match="no text found"):
        read_document(path)


def test_pdf_dispatch_without_reader(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "corpus.pdf", types.ModuleType("corpus.pdf"))
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(ReadError, match="PDF support is not available"):
        read_document(path)


@pytest.mark.skipif(not (DATA / "small.pdf").is_file(), reason="no sample PDF")
def test_pdf_dispatch():
    doc = read_document(DATA / "small.pdf")
    assert doc.format == "pdf" and doc.doc_id == "small"
    assert doc.content_hash == hashlib.sha256((DATA / "small.pdf").read_bytes()).hexdigest()
    assert doc.text.strip()
