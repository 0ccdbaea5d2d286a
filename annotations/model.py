"""W3C Web Annotation Data Model: Glossa annotations to JSON-LD and back."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from .models import EVENTS, STATUSES, VISIBILITIES

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
GLOSSA_NS = "https://glossa.invalid/ns#"
CONTEXT = [ANNO_CONTEXT, {"glossa": GLOSSA_NS}]
ANNOTATION_PATH = "/api/annotations/"
USER_PATH = "/users/"
DOC_PATH = "/doc/"
#: a footnote of a document: BASE/doc/<doc_id>/fn/<number> (the reader's note page), the
#: target source of an annotation on the note's text (its selectors count in that text)
NOTE_PATH = "/fn/"
MAX_NOTE = 20
VISIBILITY_KEY = "glossa:visibility"
STATUS_KEY = "glossa:status"
TEXT_HASH_KEY = "glossa:textHash"
PREVIOUS_KEY = "glossa:previousQuote"
RIVAL_KEY = "glossa:rivalScore"
HISTORY_KEY = "glossa:history"


class JsonLdError(ValueError):
    """Invalid annotation JSON-LD; `field` names the offending property."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class AnnotationRecord:
    """A stored annotation as plain data (what the service returns)."""

    id: str
    doc_id: str
    creator: str
    visibility: str
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    comment: str
    tags: list[str]
    created: datetime
    modified: datetime
    status: str
    text_hash: str
    creator_id: int | None = None
    # status "review": the quote as last confirmed (made, accepted or re-placed), to be
    # shown next to the text the annotation was moved onto
    previous_exact: str | None = None
    # the best other copy's score when last anchored (0.0: unique; None: unknown)
    rival_score: float | None = None
    # the footnote (number) whose text the annotation is on; None: the document's text
    note: str | None = None


@dataclass
class AnchorRecord:
    """One step of an annotation's anchor history.

    `event`: created / recorded (history began with this selector) / imported / kept /
    moved / changed (moved onto text that differs: review) / orphaned / accepted /
    replaced; `old` and `new` are selectors {exact, prefix, suffix, start, end, note} or
    None (`note`: the footnote whose text the offsets count in, None for the document's text).
    """

    event: str
    method: str
    score: float | None
    old: dict | None
    new: dict | None
    old_text_hash: str | None
    new_text_hash: str | None
    actor: str | None
    at: datetime | None


@dataclass
class AnnotationInput:
    """Validated fields read from JSON-LD (optional ones are None when absent)."""

    doc_id: str
    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    comment: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str | None = None
    id: str | None = None
    creator: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    status: str | None = None
    text_hash: str | None = None
    rival_score: float | None = None
    note: str | None = None
    history: list[AnchorRecord] = field(default_factory=list)


def format_datetime(dt: datetime) -> str:
    """xsd:dateTime in UTC with a `Z` (naive datetimes are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    frac = f".{dt.microsecond:06d}" if dt.microsecond else ""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def parse_datetime(value, name: str) -> datetime:
    """Parse an xsd:dateTime that carries a timezone."""
    if not isinstance(value, str):
        raise JsonLdError(name, "must be a date-time string")
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise JsonLdError(name, f"not an ISO 8601 date-time: {value!r}") from None
    if dt.tzinfo is None:
        raise JsonLdError(name, "date-time must include a timezone")
    return dt.astimezone(UTC)


def annotation_iri(base_url: str, annotation_id: str) -> str:
    """The IRI of one annotation."""
    return base_url.rstrip("/") + ANNOTATION_PATH + annotation_id


def document_iri(base_url: str, doc_id: str) -> str:
    """The IRI of a document (the annotation target source)."""
    return base_url.rstrip("/") + DOC_PATH + quote(doc_id, safe="")


def note_iri(base_url: str, doc_id: str, note: str) -> str:
    """The IRI of one footnote of a document (the target source of an annotation on it)."""
    return document_iri(base_url, doc_id) + NOTE_PATH + quote(note, safe="")


def source_iri(base_url: str, doc_id: str, note: str | None = None) -> str:
    """The target source of an annotation: the document, or one of its notes."""
    return document_iri(base_url, doc_id) if note is None else note_iri(base_url, doc_id, note)


def user_iri(base_url: str, name: str) -> str:
    """The IRI of a user (the annotation creator)."""
    return base_url.rstrip("/") + USER_PATH + quote(name, safe="")


def _selectors(sel: dict) -> list[dict]:
    return [
        {"type": "TextQuoteSelector", "exact": sel["exact"], "prefix": sel["prefix"], "suffix": sel["suffix"]},
        {"type": "TextPositionSelector", "start": sel["start"], "end": sel["end"]},
    ]


def _step(sel: dict) -> dict:
    """A history step's selector (`glossa:note`: the footnote its offsets count in)."""
    out: dict = {"selector": _selectors(sel)}
    if sel.get("note") is not None:
        out["glossa:note"] = sel["note"]
    return out


def history_jsonld(history: list[AnchorRecord], base_url: str) -> list[dict]:
    """The anchor history in Glossa's extension: each step's selectors before and after."""
    out = []
    for h in history:
        item: dict = {"glossa:event": h.event}
        if h.method:
            item["glossa:method"] = h.method
        if h.score is not None:
            item["glossa:score"] = h.score
        if h.at is not None:
            item["created"] = format_datetime(h.at)
        if h.actor:
            item["creator"] = {"id": user_iri(base_url, h.actor), "type": "Person", "name": h.actor}
        if h.old is not None:
            item["glossa:from"] = _step(h.old)
        if h.old_text_hash:
            item["glossa:fromTextHash"] = h.old_text_hash
        if h.new is not None:
            item["glossa:to"] = _step(h.new)
        if h.new_text_hash:
            item["glossa:toTextHash"] = h.new_text_hash
        out.append(item)
    return out


def to_jsonld(annotation: AnnotationRecord, base_url: str, history: list[AnchorRecord] | None = None) -> dict:
    """One annotation as a W3C Web Annotation (JSON-LD, compacted with anno.jsonld).

    The target carries the current selectors; its source is the document, or for an
    annotation on a footnote the note (`BASE/doc/<doc_id>/fn/<number>`, the selectors
    counting in the note's text); an annotation under review names the quote
    it had before (`glossa:previousQuote`); `history` adds every step (`glossa:history`).
    """
    a = annotation
    body: list[dict] = []
    if a.comment:
        body.append({"type": "TextualBody", "purpose": "commenting", "value": a.comment, "format": "text/plain"})
    for tag in a.tags:
        body.append({"type": "TextualBody", "purpose": "tagging", "value": tag})
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "id": annotation_iri(base_url, a.id),
        "type": "Annotation",
        "motivation": "commenting" if a.comment else ("tagging" if a.tags else "highlighting"),
        "created": format_datetime(a.created),
        "modified": format_datetime(a.modified),
        "creator": {"id": user_iri(base_url, a.creator), "type": "Person", "name": a.creator},
    }
    if body:
        data["body"] = body
    data["target"] = {
        "source": source_iri(base_url, a.doc_id, a.note),
        "selector": [
            {"type": "TextQuoteSelector", "exact": a.exact, "prefix": a.prefix, "suffix": a.suffix},
            {"type": "TextPositionSelector", "start": a.start, "end": a.end},
        ],
    }
    data[VISIBILITY_KEY] = a.visibility
    data[STATUS_KEY] = a.status
    if a.text_hash:
        data[TEXT_HASH_KEY] = a.text_hash
    if a.status == "review" and a.previous_exact is not None:
        data[PREVIOUS_KEY] = {"type": "TextQuoteSelector", "exact": a.previous_exact}
    if a.rival_score is not None:
        data[RIVAL_KEY] = a.rival_score
    if history:
        data[HISTORY_KEY] = history_jsonld(history, base_url)
    return data


def collection_jsonld(
    items: list[AnnotationRecord],
    base_url: str,
    label: str = "Glossa annotations",
    collection_id: str | None = None,
    histories: dict[str, list[AnchorRecord]] | None = None,
) -> dict:
    """An AnnotationCollection whose embedded `first` AnnotationPage holds every item
    (with its anchor history when `histories` maps annotation ids to it)."""
    histories = histories or {}
    cid = collection_id or base_url.rstrip("/") + ANNOTATION_PATH.rstrip("/")
    data = {
        "@context": CONTEXT,
        "id": cid,
        "type": "AnnotationCollection",
        "label": label,
        "total": len(items),
    }
    if items:
        page_id = cid + ("&" if "?" in cid else "?") + "page=0"
        data["first"] = {
            "id": page_id,
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [_without_context(to_jsonld(a, base_url, histories.get(a.id))) for a in items],
        }
        data["last"] = page_id
    return data


def _without_context(d: dict) -> dict:
    d = dict(d)
    d.pop("@context", None)
    return d


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _string(value, name: str, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise JsonLdError(name, "must be a string")
    if not allow_empty and not value:
        raise JsonLdError(name, "must not be empty")
    return value


def _int(value, name: str) -> int:
    if isinstance(value, float) and value.is_integer():  # JSON has one number type: 76.0 is 76
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise JsonLdError(name, "must be a non-negative integer")
    return value


def _doc_id_from(source, name: str) -> tuple[str, str | None]:
    """(doc_id, note number or None) of a target source: a document or one of its notes."""
    source = _string(source, name, allow_empty=False)
    if DOC_PATH not in source:
        raise JsonLdError(name, f"must be a Glossa document IRI ending in {DOC_PATH}<doc_id>")
    rest = source.rsplit(DOC_PATH, 1)[1]
    note = None
    if NOTE_PATH in rest:
        rest, raw_note = rest.split(NOTE_PATH, 1)
        note = check_note(unquote(raw_note).strip("/"), name)
    doc_id = unquote(rest).strip("/")
    if not doc_id:
        raise JsonLdError(name, "names no document")
    return doc_id, note


def check_note(value, name: str = "note") -> str:
    """A footnote number as an annotation names it (non-empty, at most MAX_NOTE characters)."""
    if not isinstance(value, str) or not value.strip():
        raise JsonLdError(name, f"names no note (a note is {DOC_PATH}<doc_id>{NOTE_PATH}<number>)")
    value = value.strip()
    if len(value) > MAX_NOTE or any(ord(c) < 32 for c in value):
        raise JsonLdError(name, f"the note number must be at most {MAX_NOTE} printable characters")
    return value


def _read_target(data: dict, inp: dict) -> None:
    targets = _as_list(data.get("target"))
    if len(targets) != 1 or not isinstance(targets[0], dict):
        raise JsonLdError("target", "must be one object with source and selector")
    target = targets[0]
    inp["doc_id"], inp["note"] = _doc_id_from(target.get("source"), "target.source")
    quote_sel = position_sel = None
    for i, sel in enumerate(_as_list(target.get("selector"))):
        if not isinstance(sel, dict):
            raise JsonLdError(f"target.selector[{i}]", "must be an object")
        if sel.get("type") == "TextQuoteSelector":
            quote_sel = sel
        elif sel.get("type") == "TextPositionSelector":
            position_sel = sel
    if quote_sel is None:
        raise JsonLdError("target.selector", "a TextQuoteSelector is required")
    inp["exact"] = _string(quote_sel.get("exact"), "target.selector.exact", allow_empty=False)
    inp["prefix"] = _string(quote_sel.get("prefix", ""), "target.selector.prefix")
    inp["suffix"] = _string(quote_sel.get("suffix", ""), "target.selector.suffix")
    if position_sel is not None:
        start = _int(position_sel.get("start"), "target.selector.start")
        end = _int(position_sel.get("end"), "target.selector.end")
        if start <= end:  # a position is a hint where the quote is: an inconsistent one is ignored
            inp["start"], inp["end"] = start, end


def _read_body(data: dict, inp: dict) -> None:
    comments, tags = [], []
    for i, body in enumerate(_as_list(data.get("body"))):
        name = f"body[{i}]"
        if not isinstance(body, dict) or body.get("type", "TextualBody") != "TextualBody":
            raise JsonLdError(name, "only TextualBody bodies are supported")
        value = _string(body.get("value"), name + ".value")
        purpose = body.get("purpose", "commenting")
        if purpose == "tagging":
            tags.append(value)
        elif purpose in ("commenting", "describing"):
            comments.append(value)
        else:
            raise JsonLdError(name + ".purpose", f"unsupported purpose {purpose!r}")
    if len(comments) > 1:
        raise JsonLdError("body", "at most one commenting body is allowed")
    inp["comment"] = comments[0] if comments else ""
    inp["tags"] = tags


def from_jsonld(data) -> AnnotationInput:
    """Read and check an annotation posted as JSON-LD; raises JsonLdError naming the bad field."""
    if not isinstance(data, dict):
        raise JsonLdError("annotation", "must be a JSON object")
    types = _as_list(data.get("type", "Annotation"))
    if "Annotation" not in types:
        raise JsonLdError("type", "must be Annotation")
    if "bodyValue" in data:
        if data.get("body") is not None:
            raise JsonLdError("bodyValue", "cannot be used together with body")
        data = dict(
            data,
            body=[{"type": "TextualBody", "purpose": "commenting", "value": _string(data["bodyValue"], "bodyValue")}],
        )
    inp: dict = {}
    _read_target(data, inp)
    _read_body(data, inp)
    if "id" in data:
        raw = _string(data["id"], "id", allow_empty=False).rstrip("/").rsplit("/", 1)[-1]
        try:
            inp["id"] = str(uuid.UUID(raw))
        except ValueError:
            raise JsonLdError("id", "must end in an annotation UUID") from None
    creator = data.get("creator")
    if creator is not None:
        if isinstance(creator, list) and len(creator) == 1:
            creator = creator[0]
        if isinstance(creator, dict) and isinstance(creator.get("name"), str):
            inp["creator"] = creator["name"]
        elif isinstance(creator, dict) and isinstance(creator.get("id"), str) and USER_PATH in creator["id"]:
            inp["creator"] = unquote(creator["id"].rsplit(USER_PATH, 1)[1])
        else:
            raise JsonLdError("creator", "must be a Person with a name")
    for key in ("created", "modified"):
        if key in data:
            inp[key] = parse_datetime(data[key], key)
    for key, attr, allowed in (
        (VISIBILITY_KEY, "visibility", VISIBILITIES),
        (STATUS_KEY, "status", STATUSES),
    ):
        if key in data:
            if data[key] not in allowed:
                raise JsonLdError(key, f"must be one of {', '.join(allowed)}")
            inp[attr] = data[key]
    if TEXT_HASH_KEY in data:
        value = _string(data[TEXT_HASH_KEY], TEXT_HASH_KEY)
        if not re.fullmatch(r"[0-9a-f]{64}|", value):
            raise JsonLdError(TEXT_HASH_KEY, "must be a SHA-256 hex digest")
        inp["text_hash"] = value
    if RIVAL_KEY in data:
        value = data[RIVAL_KEY]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise JsonLdError(RIVAL_KEY, "must be a number from 0 to 1")
        inp["rival_score"] = float(value)
    if HISTORY_KEY in data:
        inp["history"] = _read_history(data[HISTORY_KEY])
    return AnnotationInput(**inp)


def _read_selector(value, name: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise JsonLdError(name, "must be an object with selectors")
    out: dict = {}
    for i, sel in enumerate(_as_list(value.get("selector"))):
        if not isinstance(sel, dict):
            raise JsonLdError(f"{name}.selector[{i}]", "must be an object")
        if sel.get("type") == "TextQuoteSelector":
            out["exact"] = _string(sel.get("exact"), f"{name}.exact")
            out["prefix"] = _string(sel.get("prefix", ""), f"{name}.prefix")
            out["suffix"] = _string(sel.get("suffix", ""), f"{name}.suffix")
        elif sel.get("type") == "TextPositionSelector":
            out["start"] = _int(sel.get("start"), f"{name}.start")
            out["end"] = _int(sel.get("end"), f"{name}.end")
    if "exact" not in out:
        raise JsonLdError(name, "a TextQuoteSelector is required")
    if value.get("glossa:note") is not None:
        out["note"] = check_note(value["glossa:note"], f"{name}.glossa:note")
    out.setdefault("start", None)
    out.setdefault("end", None)
    return out


def _read_history(value) -> list[AnchorRecord]:
    if not isinstance(value, list):
        raise JsonLdError(HISTORY_KEY, "must be a list")
    out = []
    for i, item in enumerate(value):
        name = f"{HISTORY_KEY}[{i}]"
        if not isinstance(item, dict):
            raise JsonLdError(name, "must be an object")
        event = item.get("glossa:event")
        if event not in EVENTS:
            raise JsonLdError(name + ".glossa:event", f"must be one of {', '.join(EVENTS)}")
        score = item.get("glossa:score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            raise JsonLdError(name + ".glossa:score", "must be a number")
        hashes = {}
        for key in ("glossa:fromTextHash", "glossa:toTextHash"):
            if key in item:
                h = _string(item[key], f"{name}.{key}")
                if not re.fullmatch(r"[0-9a-f]{64}|", h):
                    raise JsonLdError(f"{name}.{key}", "must be a SHA-256 hex digest")
                hashes[key] = h
        creator = item.get("creator")
        actor = creator.get("name") if isinstance(creator, dict) and isinstance(creator.get("name"), str) else None
        out.append(
            AnchorRecord(
                event=event,
                method=_string(item.get("glossa:method", ""), name + ".glossa:method")[:12],
                score=None if score is None else float(score),
                old=_read_selector(item.get("glossa:from"), name + ".glossa:from"),
                new=_read_selector(item.get("glossa:to"), name + ".glossa:to"),
                old_text_hash=hashes.get("glossa:fromTextHash"),
                new_text_hash=hashes.get("glossa:toTextHash"),
                actor=actor,
                at=parse_datetime(item["created"], name + ".created") if "created" in item else None,
            )
        )
    return out


def items_from_collection(data) -> list[dict]:
    """The annotation objects of an AnnotationCollection (or AnnotationPage, or list)."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise JsonLdError("collection", "must be a JSON object")
    if data.get("type") == "Annotation":
        return [data]
    if data.get("type") == "AnnotationPage":
        return _as_list(data.get("items"))
    if data.get("type") != "AnnotationCollection":
        raise JsonLdError("type", "must be AnnotationCollection, AnnotationPage or Annotation")
    first = data.get("first")
    if first is None:
        return []
    if not isinstance(first, dict):
        raise JsonLdError("first", "must be an embedded AnnotationPage")
    return _as_list(first.get("items"))
