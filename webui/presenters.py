"""Plain JSON-able dicts built from store and search objects, shared by the API, CLI and pages.

Lookups that can fail raise :class:`LookupFailed` with an HTTP-like status and a message a
person understands; the API turns it into a JSON error, the CLI into a message and exit code.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from annotations.validation import MAX_DOC_ID

from .labels import LABELS, TYPE_ALIASES

# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by space and a capital,
# digit or opening quote; abbreviations such as "e.g. the" are not followed by a capital.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[A-Z0-9\"“‘(\[])")


class LookupFailed(Exception):
    """A request for something that does not exist or cannot be understood."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def plain(obj: Any) -> Any:
    """A JSON-able copy of a dataclass, an object with ``to_dict`` or a container of them."""
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [plain(v) for v in obj]
    return obj


def document_summaries(store) -> list[dict[str, Any]]:
    """Every stored document's metadata, in the store's order."""
    return [plain(s) for s in store.summaries()]


def get_stored(store, doc_id: str):
    """The stored document, or LookupFailed(404)."""
    stored = store.get(doc_id) if len(doc_id) <= MAX_DOC_ID else None
    if stored is None:
        raise LookupFailed(
            404, f"No document with id {doc_id[:MAX_DOC_ID]!r}; list them with GET /api/documents or `glossa docs`."
        )
    return stored


def document_detail(stored) -> dict[str, Any]:
    """A document in full: text, passages, entities, footnotes with references, marks."""
    doc = stored.document
    data = doc.to_dict()
    data["word_count"] = doc.word_count
    data["ingested_at"] = getattr(stored, "ingested_at", None)
    data["entities"] = [plain(e) for e in stored.entities]
    return data


def note_numbers(doc) -> str:
    """The footnote numbers a document has, said compactly ("1-109 and *"; "" if none)."""
    numeric = sorted(int(n.number) for n in doc.footnotes if n.number.isdecimal())
    other = [n.number for n in doc.footnotes if not n.number.isdecimal()]
    parts = []
    if numeric:
        parts.append(f"{numeric[0]}-{numeric[-1]}" if len(numeric) > 1 else str(numeric[0]))
    parts.extend(other)
    return " and ".join(parts)


def footnote_range(doc) -> str:
    """The footnote numbers a document has, as a sentence for an error message."""
    numbers = note_numbers(doc)
    if not numbers:
        return f"Document {doc.doc_id!r} has no footnotes."
    return f"Document {doc.doc_id!r} has footnotes {numbers}."


_CLOSERS = "\"'”’)]"


def sentence_span(text: str, offset: int) -> tuple[int, int]:
    """(start, end) in ``text`` of the sentence that holds (or ends at) character ``offset``."""
    start, end = 0, len(text)
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= offset:
            start = match.end()
        elif match.start() >= offset:
            end = match.start() + 1
            break
        elif match.end() > offset:
            # the mark stands inside the punctuation run ("policy.¹ Next"): sentence ends here
            end = match.start() + 1
            break
    while end < len(text) and text[end] in _CLOSERS:  # keep the closing quote or bracket
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_around(text: str, offset: int) -> str:
    """The sentence of ``text`` that holds (or ends at) character ``offset``."""
    start, end = sentence_span(text, offset)
    return text[start:end]


def citing_sentences(doc, number: str, spans: bool = False) -> list[dict[str, Any]]:
    """Where a footnote is cited: passage ordinal, page, offset and the citing sentence
    (with ``spans``, also the sentence's ``start`` and ``end`` offsets in the document text)."""
    found = []
    for mark in sorted(doc.marks, key=lambda m: m.offset):
        if mark.number != number or not 0 <= mark.passage < len(doc.passages):
            continue
        passage = doc.passages[mark.passage]
        text = doc.passage_text(passage)
        start, end = sentence_span(text, mark.offset - passage.start)
        item = {"passage": passage.ordinal, "page": passage.page, "offset": mark.offset, "sentence": text[start:end]}
        if spans:
            item.update(start=passage.start + start, end=passage.start + end)
        found.append(item)
    return found


def _note_dict(note) -> dict[str, Any]:
    return {
        "number": note.number,
        "text": note.text,
        "page": note.page,
        "kind": note.kind,
        "commentary": note.commentary,
        "refers_to": note.refers_to,
        "references": [plain(r) for r in note.references],
    }


def footnote_detail(stored, number: str | int, spans: bool = False) -> dict[str, Any]:
    """One footnote: its text, citing sentences, references and the note an Ibid. repeats
    (``spans``: see :func:`citing_sentences`)."""
    doc = stored.document
    key = str(number).strip()[:50]
    note = doc.footnote(str(int(key)) if key.isdecimal() else key)  # "042" is note 42 ("²" is not a number)
    if note is None:
        raise LookupFailed(404, f"No footnote {key!r} in {doc.doc_id!r}. {footnote_range(doc)}")
    data = _note_dict(note)
    data["doc_id"] = doc.doc_id
    data["title"] = doc.title
    data["citing"] = citing_sentences(doc, note.number, spans)
    target = doc.footnote(note.refers_to) if note.refers_to else None
    data["ibid_target"] = _note_dict(target) if target is not None else None
    return data


def resolve_entity_type(value: str | None) -> tuple[str, ...] | None:
    """The labels an entity-type filter stands for, or LookupFailed(400) if unknown."""
    if not value:
        return None
    key = value.strip()
    if key.lower() in TYPE_ALIASES:
        return TYPE_ALIASES[key.lower()]
    if key.upper() in LABELS:
        return (key.upper(),)
    known = ", ".join((*LABELS, *TYPE_ALIASES))
    raise LookupFailed(400, f"Unknown entity type {value!r}; use one of: {known}.")


def entity_index(store, type_: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
    """The entity index, optionally only some types and names containing ``q``."""
    labels = resolve_entity_type(type_)
    needle = (q or "").strip().casefold()
    rows = []
    for row in store.entity_index():
        item = plain(row)
        if labels and item.get("label") not in labels:
            continue
        if needle and needle not in str(item.get("canonical", "")).casefold():
            continue
        rows.append(item)
    return rows


def all_documents(store) -> list:
    """Every stored document (the Document objects), for the works index."""
    docs = []
    for summary in store.summaries():
        stored = store.get(summary.doc_id)
        if stored is not None:
            docs.append(stored.document)
    return docs


def works_index(store) -> list[dict[str, Any]]:
    """Every cited work across the corpus, by key (the store's works index, as
    corpus.works.build_works makes it)."""
    rows = []
    for work in sorted(store.works_index().works(), key=lambda w: w.key):
        row = plain(work)
        row["citations"] = [{"doc_id": doc_id, "number": number} for doc_id, number in work.citations]
        row["listed"] = [{"doc_id": doc_id, "passage": ordinal} for doc_id, ordinal in work.listed]
        rows.append(row)
    return rows
