"""Files in, documents out: find files, decode them, dispatch by format, build the Document."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from . import clean
from .builder import DocumentBuilder
from .models import Document, ReadError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (e.g. .docx)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "a program",
}


class UnsupportedFormat(ReadError):
    """The file's suffix is not one Glossa reads."""


def iter_files(paths: Iterable[str | Path], on_error: Callable[[Path, OSError], None] | None = None) -> Iterator[Path]:
    """Yield the supported files among ``paths`` (folders searched recursively), sorted, no hidden files.

    A folder that cannot be listed (no permission, removed meanwhile) is skipped; ``on_error``,
    when given, is called with it and the error, so the caller can say so. Symbolic links to
    folders are followed, each folder once.
    """
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(_walk(path, on_error))
        elif path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            found = [path]
        else:
            found = []
        for p in found:
            if p not in seen:
                seen.add(p)
                yield p


def _walk(root: Path, on_error: Callable[[Path, OSError], None] | None) -> Iterator[Path]:
    """Supported, non-hidden files below ``root``; unlistable folders reported to ``on_error``."""
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in visited:
                continue  # a link loop, or a folder reached twice
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            if on_error is not None:
                on_error(folder, exc)
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                stack.append(folder / entry.name)
            elif is_file and os.path.splitext(entry.name)[1].lower() in SUPPORTED_SUFFIXES:
                yield folder / entry.name


def make_doc_id(stem: str, taken: set[str]) -> str:
    """A URL-safe, lower-case ASCII slug of ``stem``, made unique against ``taken`` (and added to it)."""
    base = clean.slug(stem, other="")[:80].strip("-") or "doc"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def decode_text(data: bytes, name: str = "file", declared: str | None = None) -> str:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, a declared charset, else the
    legacy encoding charset-normalizer detects, else clean Windows-1252."""
    if not data.strip():
        raise ReadError(f"{name} is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"{name} starts with a UTF-16 mark but is not valid UTF-16 ({exc.reason})") from None
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ReadError(f"{name} is {what}, not text; give it the right suffix or convert it to text")
    if b"\x00" in data[:65536]:
        raise ReadError(
            f"{name} looks like a binary file (it contains NUL bytes), not text; "
            "if it is UTF-16 text without a byte-order mark, re-save it as UTF-8"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        if _control_share(text[:65536]) > 0.01:
            raise ReadError(f"{name} looks like a binary file (it is full of control characters), not text")
        return text
    if declared:
        try:
            encoding = codecs.lookup(declared).name
            # as browsers do (WHATWG): a page labelled Latin-1 or ASCII is read as its superset Windows-1252
            return data.decode("cp1252" if encoding in ("latin-1", "iso8859-1", "ascii") else encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    detected = _detected(data)
    if detected is not None:
        return detected
    legacy: str | None
    try:
        legacy = data.decode("cp1252")
    except UnicodeDecodeError:
        legacy = None
    if legacy is not None and _looks_like_text(legacy):
        return legacy
    raise ReadError(
        f"{name} is not readable text: tried UTF-8, UTF-8 with BOM, UTF-16 (with BOM), a detected legacy "
        "encoding and Windows-1252; re-save it as UTF-8 and ingest it again"
    )


def _detected(data: bytes) -> str | None:
    """The text in the legacy encoding most likely by charset-normalizer, or None.

    Candidates whose decoding holds C1 control characters (U+0080-U+009F, never text) are passed
    over. Among the candidates charset-normalizer finds about as likely, the one whose accented
    letters all belong to one language's alphabet wins ("Župarić": ž and ć are both Croatian;
    "Župariæ" mixes Croatian ž with Danish æ); on a tie, Windows-1252, the commonest legacy encoding.
    """
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a pinned dependency
        return None
    try:
        matches = list(from_bytes(data))
    except Exception:  # noqa: BLE001 - detection is a best effort; the fallback below still runs
        return None
    kept: list[tuple[float, float, str, str]] = []
    for match in matches:
        encoding = match.encoding
        if not encoding or encoding.replace("-", "_").startswith(("utf_16", "utf_32")):
            continue
        try:
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        if any("\x80" <= c <= "\x9f" for c in text) or not _looks_like_text(text):
            continue
        if match.chaos >= 0.1 and _alphabet_fit(text) < 0.5:  # noisy and no language's letters: not text
            continue
        kept.append((match.chaos, match.coherence, encoding, text))
    if not kept:
        return None
    chaos, coherence = kept[0][0], kept[0][1]
    near = [k for k in kept if k[0] <= chaos + 0.01 and k[1] >= coherence - 0.1]
    ranked = sorted(
        enumerate(near),
        key=lambda item: (-_alphabet_fit(item[1][3]), item[1][2].replace("_", "") != "cp1252", item[0]),
    )
    return ranked[0][1][3]


def _alphabet_fit(text: str) -> float:
    """Share of the accented letters of ``text`` that one language's common letters account for."""
    from charset_normalizer.constant import FREQUENCIES

    counts: dict[str, int] = {}
    for c in text:
        if ord(c) > 127 and c.isalpha():
            counts[c.lower()] = counts.get(c.lower(), 0) + 1
    total = sum(counts.values())
    if not total:
        return 1.0
    best = max(sum(n for c, n in counts.items() if c in set(letters)) for letters in FREQUENCIES.values())
    return best / total


def _control_share(text: str) -> float:
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    return controls / max(len(text), 1)


def _looks_like_text(text: str) -> bool:
    letters = sum(1 for c in text if c.isalpha() or c.isspace())
    return _control_share(text) == 0 and letters >= 0.7 * len(text)


def _parse(path: Path, fmt: str, doc_id: str, data: bytes) -> tuple[clean.Parsed | Document, str]:
    if fmt == "pdf":
        try:  # imported here: reading the other formats does not load pdfminer
            from .pdf import read_pdf
        except ImportError as exc:  # a broken installation (pdfminer.six missing)
            raise ReadError(f"PDF support is not available ({exc})") from None
        return read_pdf(path, doc_id, data=data), "pdf"  # parsed once, its notes annotated there
    declared = None
    if fmt == "html":
        found = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", data[:4096])
        declared = found.group(1).decode("ascii") if found else None
    text = decode_text(data, path.name, declared)
    from . import markdown
    from . import text as plain

    if fmt == "html":
        from . import html  # imports trafilatura: only when a page is read

        return html.parse_html(text), "html"
    if fmt == "md" or markdown.looks_like_markdown(text):
        return markdown.parse_markdown(text), "md" if fmt == "md" else "txt"
    return plain.parse_text(text), "txt"


def read_document(path: str | Path, doc_id: str | None = None) -> Document:
    """Read one file into a cleaned :class:`Document`; raise ``ReadError`` with a reason."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(
            f"{path.name}: unsupported file type {path.suffix or '(no suffix)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    doc_id = doc_id or make_doc_id(path.stem, set())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"{path.name}: cannot be opened ({exc.strerror or exc})") from None
    try:
        parsed, fmt = _parse(path, fmt, doc_id, data)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser failing on odd input must not crash an ingest
        raise ReadError(f"{path.name}: could not be read ({type(exc).__name__}: {exc})") from exc
    if isinstance(parsed, Document):
        doc = parsed
        doc.doc_id = doc_id
    else:
        builder = DocumentBuilder()
        for block in parsed.blocks:
            builder.add(block)
        doc = builder.build(
            doc_id=doc_id, title=parsed.title, footnotes=parsed.footnotes, pages=parsed.pages, metadata=parsed.metadata
        )
    if not doc.text.strip():
        raise ReadError(f"{path.name}: no text found in the file")
    if not doc.title:
        doc.title = path.stem
    doc.source_path = str(path.resolve())
    doc.format = fmt
    doc.content_hash = hashlib.sha256(data).hexdigest()
    if not isinstance(parsed, Document):  # the PDF reader annotates its own notes
        from . import references

        failures = references.annotate_footnotes(doc.footnotes)
        if failures:
            doc.metadata["reference_parse_failures"] = failures  # kept as commentary notes, counted here
    return doc
