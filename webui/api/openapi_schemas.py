"""JSON schemas of the API's bodies (OpenAPI 3.1 components) and helpers to write them."""

from __future__ import annotations

from typing import Any

STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
OPT_STR = {"type": ["string", "null"]}
OPT_INT = {"type": ["integer", "null"]}


def ref(name: str) -> dict[str, str]:
    """A JSON reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None, description: str = "") -> dict:
    """An object schema: ``required`` properties must be present, ``optional`` may be."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
    }
    if description:
        schema["description"] = description
    return schema


def array(item: dict) -> dict:
    """An array schema."""
    return {"type": "array", "items": item}


REFERENCE = obj(
    {
        "raw": STR,
        "authors": array(STR),
        "year": OPT_STR,
        "title": OPT_STR,
        "container": OPT_STR,
        "pages": OPT_STR,
        "urls": array(STR),
        "work_key": OPT_STR,
    },
    description="One work cited inside a footnote.",
)
NOTE = obj(
    {
        "number": STR,
        "text": STR,
        "page": OPT_INT,
        "kind": {"enum": ["note", "ibid", "opcit"]},
        "commentary": STR,
        "refers_to": OPT_STR,
        "references": array(ref("Reference")),
    },
    description="A footnote with its parsed references.",
)
CITATION = obj(
    {"passage": INT, "page": OPT_INT, "offset": INT, "sentence": STR},
    description="A place citing a footnote, and the sentence around it.",
)
FOOTNOTE_DETAIL = {
    "allOf": [
        ref("Footnote"),
        obj(
            {
                "doc_id": STR,
                "title": STR,
                "citing": array(ref("Citation")),
                "ibid_target": {"oneOf": [ref("Footnote"), {"type": "null"}]},
            }
        ),
    ],
    "description": "A footnote, the sentences citing it and (for Ibid./op. cit.) the note it repeats.",
}
PASSAGE = obj(
    {"ordinal": INT, "start": INT, "end": INT, "page": OPT_INT, "kind": STR, "level": INT, "footnotes": array(STR)},
    {"references": array(ref("Reference"))},
    description="A paragraph-like span of the document text (kind 'reference': an entry of its reference "
    "list, with the works it names parsed).",
)
MARK = obj({"number": STR, "offset": INT, "passage": INT}, description="Where a footnote is cited.")
ENTITY = obj(
    {"start": INT, "end": INT, "label": STR, "text": STR, "canonical": STR},
    description="A named-entity span (offsets into the document text, or the passage for hits).",
)
SUMMARY = obj(
    {
        "doc_id": STR,
        "title": STR,
        "format": STR,
        "source_name": STR,
        "pages": OPT_INT,
        "word_count": INT,
        "passages": INT,
        "footnotes": INT,
        "entities": INT,
        "ingested_at": STR,
    },
    description="A document's metadata.",
)
DOCUMENT = obj(
    {
        "doc_id": STR,
        "title": STR,
        "text": STR,
        "format": STR,
        "source_name": STR,
        "pages": OPT_INT,
        "content_hash": STR,
        "metadata": {"type": "object"},
        "word_count": INT,
        "ingested_at": OPT_STR,
        "passages": array(ref("Passage")),
        "entities": array(ref("Entity")),
        "footnotes": array(ref("Footnote")),
        "marks": array(ref("Mark")),
    },
    description="A cleaned document: text, passages, entities, footnotes and marks.",
)
FACET_VALUE = obj({"value": STR, "label": STR, "count": INT})
HIT = obj(
    {
        "doc_id": STR,
        "title": STR,
        "ordinal": INT,
        "start": INT,
        "end": INT,
        "page": OPT_INT,
        "text": STR,
        "snippet_html": STR,
        "entities": array(ref("Entity")),
        "footnotes": array({"type": "object"}),
        "tags": array(STR),
        "score": NUM,
    },
    {"kind": STR, "cites": array(STR)},
    description="A matching passage; snippet_html is escaped HTML with <mark> terms and entity spans.",
)
SEARCH_RESULTS = obj(
    {
        "query": STR,
        "total": INT,
        "page": INT,
        "pagelen": INT,
        "pages": INT,
        "elapsed_ms": NUM,
        "groups": array(
            obj(
                {"doc_id": STR, "title": STR, "count": INT, "hits": array(ref("Hit"))},
                description="A document's hits on this page; count: its matching passages in the whole result.",
            )
        ),
        "documents": INT,
        "facets": obj({k: array(ref("FacetValue")) for k in ("documents", "entity_types", "entities", "tags")}),
        "suggestion": OPT_STR,
    },
    {
        "hits": array(ref("Hit")),
        "filters": {"type": "object"},
        "relaxed": {
            "type": ["object", "null"],
            "description": "null when every listed passage holds every word of a plain-words query; else "
            "{matched_words, of, min_words}: the most words any passage holds, of how many, and the fewest listed",
        },
        "relaxed_message": OPT_STR,
        "facet_more": {"type": "object", "description": "per facet, how many entries the top list left off"},
        "rewritten_query": {
            "type": "string",
            "description": "present when entity corrections changed what an entity clause means: the query searched",
        },
        "rewrites": array(
            obj(
                {
                    "field": STR,
                    "typed": STR,
                    "label": STR,
                    "was": STR,
                    "now": STR,
                    "action": STR,
                    "searched": {"type": "boolean"},
                    "message": STR,
                },
                description="an entity clause read through the entity corrections: what was typed, what it now "
                "is (after a merge, a rename, a retype, a detached alias; hide: not an entity), whether the query searched "
                "that (not for a hidden entity, or one now of a label the clause's field does not hold) and a line saying so",
            )
        ),
        "group": {
            "type": ["string", "null"],
            "description": "null: a page of passages; document: a page of documents (pages counts them)",
        },
    },
    description="One page of search results, grouped by document.",
)
ENTITY_COUNT = obj(
    {"label": STR, "canonical": STR, "mentions": INT},
    {"documents": {"type": ["integer", "array"]}},
    description="An entity of the index, with its mentions and documents.",
)
WORK = obj(
    {
        "key": STR,
        "authors": array(STR),
        "year": OPT_STR,
        "title": OPT_STR,
        "container": OPT_STR,
        "urls": array(STR),
        "type": STR,
        "citations": array(obj({"doc_id": STR, "number": STR})),
    },
    {"listed": array(obj({"doc_id": STR, "passage": INT}))},
    description="A work cited in the corpus (type is a CSL type), with every footnote citing it and every "
    "reference-list entry (a passage) naming it.",
)
ERROR = obj({"error": STR, "message": STR, "status": INT}, description="Every error of the API.")

SCHEMAS: dict[str, Any] = {
    "Error": ERROR,
    "Reference": REFERENCE,
    "Footnote": NOTE,
    "Citation": CITATION,
    "FootnoteDetail": FOOTNOTE_DETAIL,
    "Passage": PASSAGE,
    "Mark": MARK,
    "Entity": ENTITY,
    "DocumentSummary": SUMMARY,
    "DocumentList": obj({"documents": array(ref("DocumentSummary"))}),
    "Document": DOCUMENT,
    "FacetValue": FACET_VALUE,
    "Hit": HIT,
    "SearchResults": SEARCH_RESULTS,
    "EntityCount": ENTITY_COUNT,
    "EntityList": obj({"entities": array(ref("EntityCount"))}),
    "Work": WORK,
    "WorkList": obj({"works": array(ref("Work"))}),
}
