"""Taking an upload in: every limit checked before anything is written, then the files staged
and a job queued (see :mod:`webui.jobs`).

The limits are settings (``UPLOAD_*`` in :mod:`webui.config`). Refused as a whole, with a 4xx
and nothing written: no file; more files than ``UPLOAD_MAX_FILES``; a file over
``UPLOAD_MAX_FILE_SIZE``; more than ``UPLOAD_MAX_TOTAL_SIZE`` in all; a name with an absolute
path or ``..``; a zip with more than ``UPLOAD_ZIP_MAX_ENTRIES`` entries, expanding to more than
``UPLOAD_ZIP_MAX_EXPANDED``, with an entry compressed more than :data:`MAX_RATIO` times, an
entry that is a symbolic link, a zip inside the zip, an encrypted entry, or one that is not a
zip at all. Failed alone (the file gets the reason, the others go on): a type not in
``UPLOAD_TYPES``, or content that does not look like its type (sniffed: a PDF starts with
``%PDF-``, text and HTML hold no binary bytes), and two files of one upload under one name.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .jobs import JobStore

#: an entry expanding to more than this many times its compressed size is a zip bomb
MAX_RATIO = 200
#: how deep a folder upload may nest, and the longest name part kept
MAX_DEPTH, MAX_PART = 12, 120
SNIFF_BYTES = 64 * 1024
#: what binary formats start with (a text type holding one of these is refused)
BINARY_MAGIC = {
    b"%PDF-": "a PDF",
    b"PK\x03\x04": "a ZIP archive (e.g. .docx)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\xd0\xcf\x11\xe0": "an old Office document",
    b"\x7fELF": "a program",
    b"MZ\x90\x00": "a Windows program",
}
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class UploadRefused(Exception):
    """The upload as a whole is refused; nothing was written."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_file: int
    max_total: int
    max_files: int
    types: tuple[str, ...]
    zip_entries: int
    zip_expanded: int

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            max_file=int(config["UPLOAD_MAX_FILE_SIZE"]),
            max_total=int(config["UPLOAD_MAX_TOTAL_SIZE"]),
            max_files=int(config["UPLOAD_MAX_FILES"]),
            types=tuple(config["UPLOAD_TYPES"]),
            zip_entries=int(config["UPLOAD_ZIP_MAX_ENTRIES"]),
            zip_expanded=int(config["UPLOAD_ZIP_MAX_EXPANDED"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_file_size": self.max_file,
            "max_total_size": self.max_total,
            "max_files": self.max_files,
            "types": list(self.types),
            "zip_max_entries": self.zip_entries,
            "zip_max_expanded": self.zip_expanded,
        }


def size_text(n: int) -> str:
    """1536 -> '1.5 KB'."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def safe_name(raw: str) -> str:
    """A relative path safe to keep under the corpus folder: each part's odd characters become
    ``_``, no hidden parts. Raises UploadRefused(400) for an absolute path or ``..``."""
    text = unicodedata.normalize("NFC", str(raw or "")).replace("\\", "/")
    shown = text[:120]
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise UploadRefused(400, f"The name {shown!r} is an absolute path; only relative names are accepted.")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UploadRefused(400, f"The name {shown!r} climbs out of its folder ('..'); such names are refused.")
    if not parts:
        raise UploadRefused(400, f"The name {shown!r} names no file.")
    if len(parts) > MAX_DEPTH:
        raise UploadRefused(400, f"The name {shown!r} is nested deeper than {MAX_DEPTH} folders.")
    clean = []
    for part in parts:
        part = re.sub(r"[^\w.\- ()+,&'@]+", "_", part).strip(" .")
        part = part.lstrip("-") or "file"
        if len(part) > MAX_PART:
            stem, dot, ext = part.rpartition(".")
            part = stem[: MAX_PART - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else part[:MAX_PART]
        clean.append(part)
    return "/".join(clean)


def suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def sniff(kind: str, head: bytes) -> str | None:
    """Why ``head`` (a file's first bytes) does not look like a ``kind`` file, or None when it does."""
    if kind == "pdf":
        return None if b"%PDF-" in head[:1024] else "its content is not a PDF (it does not start with %PDF-)"
    if head.startswith(TEXT_BOMS):
        return None
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            return f"its content is {what}, not {'HTML' if kind in ('html', 'htm') else 'text'}"
    if b"\x00" in head:
        return "its content holds binary bytes (NUL), not text"
    if kind in ("html", "htm") and b"<" not in head:
        return "its content has no HTML markup"
    return None


@dataclass
class Item:
    """One file of an upload: where it comes from, and what the check said."""

    name: str  # the safe relative name it is kept under (DATA/corpus/<name>)
    shown: str  # the name as sent, for people
    size: int
    source: Any  # a file object, or (ZipFile, ZipInfo)
    reason: str = ""
    within: str = ""  # the zip it came from


@dataclass
class Checked:
    items: list[Item] = field(default_factory=list)
    total: int = 0


def _stream_size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _head(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    return head


def _type_reason(name: str, limits: Limits, head: bytes) -> str:
    kind = suffix(name)
    if kind not in limits.types:
        accepted = ", ".join(f".{t}" for t in limits.types)
        return (
            f"not an accepted type ({'.' + kind if kind else 'no extension'}; accepted: {accepted}, or a .zip of them)"
        )
    return sniff(kind, head) or ""


def _zip_items(shown: str, stream: IO[bytes], limits: Limits, prefix: str) -> list[Item]:
    """The files of an uploaded zip, every entry checked; UploadRefused for an unsafe zip."""
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise UploadRefused(400, f"{shown} is not a zip archive that can be read ({exc}).") from None
    if len(infos) > limits.zip_entries:
        raise UploadRefused(
            413,
            f"{shown} has {len(infos):,} entries; at most {limits.zip_entries:,} are accepted "
            "(UPLOAD_ZIP_MAX_ENTRIES): it looks like a zip bomb.",
        )
    expanded = 0
    items = []
    for info in infos:
        entry = info.filename
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            raise UploadRefused(400, f"{shown}: the entry {entry!r} is a symbolic link; links are refused.")
        if info.flag_bits & 0x1:
            raise UploadRefused(400, f"{shown}: the entry {entry!r} is encrypted; encrypted zips are refused.")
        name = safe_name(entry)  # refuses absolute names and '..'
        if info.is_dir():
            continue
        expanded += info.file_size
        if expanded > limits.zip_expanded:
            raise UploadRefused(
                413,
                f"{shown} expands to more than {size_text(limits.zip_expanded)} (UPLOAD_ZIP_MAX_EXPANDED): "
                "it looks like a zip bomb.",
            )
        if info.file_size > limits.max_file:
            raise UploadRefused(
                413,
                f"{shown}: {entry} expands to {size_text(info.file_size)}, over the limit of "
                f"{size_text(limits.max_file)} per file (UPLOAD_MAX_FILE_SIZE).",
            )
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
            raise UploadRefused(
                413,
                f"{shown}: {entry} is compressed {info.file_size // max(info.compress_size, 1):,} times "
                f"(more than {MAX_RATIO}): it looks like a zip bomb.",
            )
        if suffix(entry) == "zip":
            raise UploadRefused(400, f"{shown}: the entry {entry!r} is a zip inside the zip; nested zips are refused.")
        try:
            with archive.open(info) as handle:
                head = handle.read(min(SNIFF_BYTES, info.file_size))
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError) as exc:
            raise UploadRefused(400, f"{shown}: the entry {entry!r} cannot be read ({exc}).") from None
        if head.startswith(ZIP_MAGIC):
            raise UploadRefused(400, f"{shown}: the entry {entry!r} is a zip inside the zip; nested zips are refused.")
        full = f"{prefix}/{name}" if prefix else name
        items.append(
            Item(
                name=full,
                shown=f"{shown}: {entry}",
                size=info.file_size,
                source=(archive, info),
                reason=_type_reason(entry, limits, head),
                within=shown,
            )
        )
    return items


def check_upload(files: list[tuple[str, IO[bytes]]], limits: Limits) -> Checked:
    """Every limit checked on ``files`` ((name as sent, seekable stream)); nothing is written.

    :raises UploadRefused: when the upload as a whole cannot be taken (the message says why).
    """
    if not files:
        raise UploadRefused(400, "No file was sent: choose or drop files, a folder or a zip.")
    checked = Checked()
    for raw, stream in files:
        name = safe_name(raw)
        size = _stream_size(stream)
        checked.total += size
        if checked.total > limits.max_total:
            raise UploadRefused(
                413, f"The upload is larger than {size_text(limits.max_total)} in all (UPLOAD_MAX_TOTAL_SIZE)."
            )
        head = _head(stream)
        if suffix(name) == "zip":
            checked.items.extend(_zip_items(raw, stream, limits, str(PurePosixPath(name).with_suffix(""))))
        else:
            if size > limits.max_file:
                raise UploadRefused(
                    413,
                    f"{raw} is {size_text(size)}, over the limit of {size_text(limits.max_file)} per file "
                    "(UPLOAD_MAX_FILE_SIZE).",
                )
            checked.items.append(
                Item(name=name, shown=raw, size=size, source=stream, reason=_type_reason(name, limits, head))
            )
        if len(checked.items) > limits.max_files:
            raise UploadRefused(
                413, f"The upload holds more than {limits.max_files:,} files (UPLOAD_MAX_FILES); send fewer at once."
            )
    if not checked.items:
        raise UploadRefused(400, "The upload holds no file (the zip is empty).")
    seen: set[str] = set()
    for item in checked.items:
        key = item.name.casefold()
        if key in seen and not item.reason:
            item.reason = "another file of this upload has the same name"
        seen.add(key)
    if all(item.reason for item in checked.items):
        reasons = "; ".join(f"{i.shown}: {i.reason}" for i in checked.items[:5])
        raise UploadRefused(415, f"No file of the upload can be read: {reasons}.")
    return checked


def _copy(item: Item, target: Path) -> None:
    """Write one item to ``target``; a zip entry is read within its declared size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        if isinstance(item.source, tuple):
            archive, info = item.source
            with archive.open(info) as handle:  # never yields more than file_size; CRC checked
                shutil.copyfileobj(handle, out, 1 << 20)
        else:
            item.source.seek(0)
            shutil.copyfileobj(item.source, out, 1 << 20)


def stage_upload(data_dir: str | os.PathLike, checked: Checked, user: str) -> dict[str, Any]:
    """Write the checked files to the job's staging folder and queue the job; returns it."""
    jobs = JobStore(data_dir)
    job_id = jobs.new_id()
    staging = jobs.staging(job_id)
    entries = []
    try:
        for number, item in enumerate(checked.items):
            entry = {"name": item.name, "sent_as": item.shown, "size": item.size, "status": "queued", "reason": ""}
            if item.within:
                entry["zip"] = item.within
            if item.reason:
                entry.update(status="failed", reason=item.reason)
            else:
                staged = f"{number:05d}{Path(item.name).suffix.lower()}"
                entry["staged"] = staged
                _copy(item, staging / staged)
            entries.append(entry)
    except (zipfile.BadZipFile, EOFError, RuntimeError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UploadRefused(400, f"A file of the zip is damaged ({exc}); nothing was kept.") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return jobs.create(job_id, "upload", user, entries, total_size=checked.total)


def queue_removal(data_dir: str | os.PathLike, doc_ids: list[str], titles: dict[str, str], user: str) -> dict[str, Any]:
    """Queue a job removing these documents; returns it."""
    jobs = JobStore(data_dir)
    entries = [
        {"doc_id": d, "name": titles.get(d, d), "status": "queued", "reason": ""} for d in dict.fromkeys(doc_ids)
    ]
    return jobs.create(jobs.new_id(), "remove", user, entries)


def upload_body_limit(config) -> int:
    """The request body an upload may have: UPLOAD_MAX_TOTAL_SIZE and room for the multipart
    headers of UPLOAD_MAX_FILES parts."""
    return int(config["UPLOAD_MAX_TOTAL_SIZE"]) + 64 * 1024 + 1024 * int(config["UPLOAD_MAX_FILES"])


# --- from a request -----------------------------------------------------------------------


def body_limits(app) -> tuple[int, int, str]:
    """(body limit, form parts limit, setting name) of the upload routes (see webui.limits)."""
    # each file may come with its relative name (a folder upload): two parts per file
    return upload_body_limit(app.config), 2 * int(app.config["UPLOAD_MAX_FILES"]) + 16, "UPLOAD_MAX_TOTAL_SIZE"


def register_upload_endpoint(app, endpoint: str) -> None:
    """Let ``endpoint`` take upload-sized bodies (instead of MAX_CONTENT_LENGTH)."""
    from .limits import BODY_LIMITS

    app.extensions.setdefault(BODY_LIMITS, {})[endpoint] = body_limits


def upload_from_request() -> dict[str, Any]:
    """Check and queue the upload of this request (multipart field ``files``, with the names
    as sent in parallel fields ``paths`` when a folder was chosen); returns the job.

    :raises UploadRefused: for an upload refused as a whole (nothing written).
    """
    from flask import current_app, g, request
    from werkzeug.exceptions import RequestEntityTooLarge

    from . import jobs

    limits = Limits.from_config(current_app.config)
    try:
        sent = [f for f in request.files.getlist("files") if f and (f.filename or "").strip()]
        paths = request.form.getlist("paths")
    except RequestEntityTooLarge:  # more form parts than files allowed
        raise UploadRefused(
            413, f"The upload holds more than {limits.max_files:,} files (UPLOAD_MAX_FILES); send fewer at once."
        ) from None
    named = []
    for number, storage in enumerate(sent):
        given = paths[number].strip() if number < len(paths) and paths[number].strip() else storage.filename
        named.append((given or "", storage.stream))
    checked = check_upload(named, limits)
    user = getattr(g.get("user"), "name", "") or ""
    job = stage_upload(current_app.config["DATA_DIR"], checked, user)
    jobs.start_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    return job


def document_version(doc_id: str) -> tuple[dict[str, Any] | None, str]:
    """(manifest entry, version) of a document, or (None, "") when there is none. The version
    (the source's content hash) is the document's ETag in the API."""
    from . import services

    if not isinstance(doc_id, str) or not 0 < len(doc_id) <= 200:
        return None, ""
    entry = services.get_store().manifest().get(doc_id)
    if entry is None:
        return None, ""
    return entry, str(entry.get("source_hash") or "")


def removal_from_request(doc_id: str, version: str | None) -> dict[str, Any]:
    """Queue the removal of ``doc_id``; returns the job.

    ``version`` is the version the client means to remove (``If-Match``, or the confirmation
    form's field): without one the removal is refused (428), and when the document changed
    meanwhile (re-ingested) too (412), so nobody removes a version they have not seen.
    ``*`` stands for whatever version is current. LookupError when there is no such document.
    """
    from flask import current_app, g

    from . import jobs

    entry, current = document_version(doc_id)
    if entry is None:
        raise LookupError(doc_id)
    wanted = [v.strip().removeprefix("W/").strip('"') for v in (version or "").split(",") if v.strip()]
    if not wanted:
        raise UploadRefused(
            428,
            "Say which version you remove: send If-Match with the document's ETag (from GET "
            f"/api/documents/{doc_id}), or '*' for whatever version is current.",
        )
    if "*" not in wanted and current not in wanted:
        raise UploadRefused(
            412, "The document changed since you looked at it (it was ingested again): look again and retry."
        )
    user = getattr(g.get("user"), "name", "") or ""
    title = str(entry.get("title") or doc_id)
    job = queue_removal(current_app.config["DATA_DIR"], [doc_id], {doc_id: title}, user)
    jobs.start_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    return job
