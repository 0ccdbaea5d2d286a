"""OpenAPI description of the annotation endpoints (webui/api/annotations.py): W3C Web Annotations."""

from __future__ import annotations

from typing import Any

from annotations.models import EVENTS, STATUSES, VISIBILITIES

from ..params import MAX_LIMIT
from .openapi_schemas import INT, STR, array, obj, ref

#: the largest offset GET /api/annotations accepts (webui/api/annotations.py)
MAX_OFFSET = 10**9

LD = "application/ld+json"
SELECTOR = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": ["TextQuoteSelector", "TextPositionSelector"]},
        "exact": STR,
        "prefix": STR,
        "suffix": STR,
        "start": INT,
        "end": INT,
    },
}
SOURCE = {
    "type": "string",
    # a note number as annotations.model.check_note takes it: 1-20 characters, not blank, no
    # control character (the spec also leaves out spaces and %-escapes, which could hide one)
    "pattern": "/doc/[^/]+(/fn/[^/\\s\\x00-\\x1f%]{1,20})?/?$",
    "description": "The document's IRI: any base, ending in /doc/<doc_id>; or one of its "
    "footnotes: /doc/<doc_id>/fn/<number> (the reader's note page; the note number is at "
    "most 20 printable characters).",
}
TARGET = obj(
    {"source": SOURCE},
    {"selector": {"oneOf": [SELECTOR, array(SELECTOR)]}},
    description="The annotated text: <BASE_URL>/doc/<doc_id> (a passage of the body) or "
    "<BASE_URL>/doc/<doc_id>/fn/<number> (a footnote), plus quote and position selectors; the "
    "positions count in the document's text, or in the note's text for a note target.",
)
#: what a new or re-placed annotation's target must give: the quote (annotations.model)
QUOTE_INPUT = obj(
    {"type": {"const": "TextQuoteSelector"}, "exact": {"type": "string", "minLength": 1}},
    {"prefix": STR, "suffix": STR},
    description="The quoted text (exact, not empty) with the text just before and after it.",
)
OFFSET = {"type": "integer", "minimum": 0}
POSITION_INPUT = obj(
    {"type": {"const": "TextPositionSelector"}, "start": OFFSET, "end": OFFSET},
    description="Character offsets in the document's text, a hint where the quote is. The quote decides: "
    "a hint that does not hold (end before start, offsets past the text, another place) is ignored "
    "and the quote anchors wherever it is.",
)
TARGET_INPUT = obj(
    {
        "source": SOURCE,
        "selector": {
            "oneOf": [
                QUOTE_INPUT,
                {  # the quote first (the server finds it anywhere; the spec asks for one place)
                    "type": "array",
                    "minItems": 1,
                    "prefixItems": [QUOTE_INPUT],
                    "items": {"oneOf": [QUOTE_INPUT, POSITION_INPUT]},
                },
            ]
        },
    },
    description="The text to annotate: <BASE_URL>/doc/<doc_id> or <BASE_URL>/doc/<doc_id>/fn/<number> "
    "(a footnote), a TextQuoteSelector (required; first in a list) and optionally a "
    "TextPositionSelector (offsets in the note's text for a note target).",
)
BODY = obj(
    {"type": {"const": "TextualBody"}, "value": STR},
    {"purpose": {"enum": ["commenting", "tagging"]}},
    description="A comment (purpose commenting) or a tag (purpose tagging).",
)
#: a body that is a comment: any purpose but tagging (commenting is the default)
_COMMENT = {"not": {"required": ["purpose"], "properties": {"purpose": {"const": "tagging"}}}}
#: the bodies of an annotation: any number of tags, at most one comment (annotations.model)
BODIES = {
    "oneOf": [
        BODY,
        dict(array(BODY), contains=_COMMENT, minContains=0, maxContains=1),
    ],
    "description": "One body, or a list: any number of tags, at most one comment.",
}
VISIBILITY = {"enum": list(VISIBILITIES)}
STATUS = {
    "enum": list(STATUSES),
    "description": "anchored; review (re-anchoring moved it onto text that differs from its quote: "
    "glossa:previousQuote is the quote as last confirmed; accept or re-place it); orphaned (its text "
    "was not found after a re-ingest; re-place it).",
}
PREVIOUS_QUOTE = obj(
    {"type": {"const": "TextQuoteSelector"}, "exact": STR},
    description="Only with status review: the quote as last confirmed (made, accepted or re-placed).",
)
RIVAL_SCORE = {
    "type": "number",
    "description": "Score (0-1) of the best other place the quote could match; a re-anchoring must beat it.",
}
HISTORY_SELECTORS = obj({"selector": array(SELECTOR)})
HISTORY_STEP = obj(
    {"glossa:event": {"enum": list(EVENTS)}},
    {
        "glossa:method": STR,
        "glossa:score": {"type": "number"},
        "created": STR,
        "creator": {"type": ["object", "string"]},
        "glossa:from": HISTORY_SELECTORS,
        "glossa:fromTextHash": STR,
        "glossa:to": HISTORY_SELECTORS,
        "glossa:toTextHash": STR,
    },
    description="One step of the anchor: the selectors before (glossa:from) and after (glossa:to).",
)
HISTORY = array(HISTORY_STEP)

ANNOTATION_SCHEMAS: dict[str, Any] = {
    "Annotation": obj(
        {
            "id": STR,
            "type": {"const": "Annotation"},
            "target": TARGET,
            "created": STR,
            "modified": STR,
            "glossa:visibility": VISIBILITY,
            "glossa:status": STATUS,
        },
        {
            "@context": {"type": ["string", "array"]},
            "body": BODIES,
            "motivation": STR,
            "creator": {"type": ["object", "string"]},
            "glossa:textHash": STR,
            "glossa:previousQuote": PREVIOUS_QUOTE,
            "glossa:rivalScore": RIVAL_SCORE,
            "glossa:history": HISTORY,
        },
        description="A stored W3C Web Annotation (JSON-LD); glossa:history only in JSON-LD exports.",
    ),
    "AnnotationHistory": obj(
        {"id": STR, "glossa:status": STATUS, "glossa:history": HISTORY},
        {"@context": {"type": ["string", "array"]}},
        description="Every step of an annotation's anchor, oldest first (the first is the original).",
    ),
    "AnnotationInput": obj(
        {"type": {"const": "Annotation"}, "target": TARGET_INPUT},
        {
            "@context": {"type": ["string", "array"]},
            "body": BODIES,
            "bodyValue": STR,
            "glossa:visibility": VISIBILITY,
        },
        description="A new annotation; the server adds id, creator, created, modified and status. "
        "A comment is given as body or as bodyValue, never both.",
    )
    | {"not": {"required": ["body", "bodyValue"]}},
    "AnnotationPatch": obj(
        {},
        {
            "body": BODIES,
            "bodyValue": STR,
            "target": TARGET_INPUT,
            "glossa:visibility": VISIBILITY,
        },
        description="Any of body (replaces comment and tags), target (re-places it), visibility; "
        "body or bodyValue, never both.",
    )
    | {"not": {"required": ["body", "bodyValue"]}},
    "AnnotationCollection": obj(
        {
            "@context": {"type": ["string", "array"]},
            "id": STR,
            "type": {"const": "AnnotationCollection"},
            "total": INT,
        },
        {
            "label": STR,
            "first": obj({"type": {"const": "AnnotationPage"}, "items": array(ref("Annotation"))}),
            "last": STR,
        },
        description="The annotations you may see, in document order; an empty collection has no "
        "`first` page (W3C Web Annotation model).",
    ),
    "TagList": obj({"tags": array(obj({"tag": STR, "count": INT}))}),
}


def _ld(schema: str, description: str) -> dict:
    return {"description": description, "content": {LD: {"schema": ref(schema)}}}


def _err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def _q(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or STR}


FILTERS = [
    _q("doc", "Only annotations of this document."),
    _q("tag", "Only annotations with this tag."),
    _q("author", "Only annotations by this user."),
    _q("q", "Only annotations whose comment or quote contains this text."),
    _q("visibility", "private or shared (empty: both).", {"enum": ["", *VISIBILITIES]}),
    _q(
        "status",
        "anchored, review (moved onto changed text) or orphaned (lost its text after a re-ingest); empty: any.",
        {"enum": ["", *STATUSES]},
    ),
]
ANNOTATION_ID = {
    "name": "annotation_id",
    "in": "path",
    "required": True,
    "schema": STR,
    "description": "The annotation id (last segment of its IRI).",
}
SECURITY: list[dict[str, list[str]]] = [{"bearerToken": []}, {}]
WRITE_NOTE = (
    " Authenticate with `Authorization: Bearer <token>`, or with the session cookie and "
    "the page's `X-CSRF-Token` header."
)
UNAUTHORIZED = _err("Not signed in (AUTH=accounts) or unknown API token.")
FORBIDDEN = _err("Not your annotation, or a write without a CSRF token or API token.")
MISSING = _err("No such annotation, or not visible to you.")


def annotation_paths() -> dict[str, Any]:
    """The /api/annotations paths."""
    new_body = {
        "required": True,
        "content": {LD: {"schema": ref("AnnotationInput")}, "application/json": {"schema": ref("AnnotationInput")}},
    }
    patch_body = {
        "required": True,
        "content": {LD: {"schema": ref("AnnotationPatch")}, "application/json": {"schema": ref("AnnotationPatch")}},
    }
    return {
        "/api/annotations": {
            "get": {
                "operationId": "listAnnotations",
                "summary": "The annotations you may see",
                "security": SECURITY,
                "parameters": FILTERS
                + [
                    _q(
                        "limit",
                        f"At most this many (0-{MAX_LIMIT}).",
                        {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
                    ),
                    _q("offset", "Skip this many.", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
                ],
                "responses": {
                    "200": _ld("AnnotationCollection", "An AnnotationCollection."),
                    "400": _err("Bad filter value."),
                    "401": UNAUTHORIZED,
                },
            },
            "post": {
                "operationId": "createAnnotation",
                "summary": "Create an annotation",
                "description": "Anchors the quote in the document text." + WRITE_NOTE,
                "security": SECURITY,
                "requestBody": new_body,
                "responses": {
                    "201": _ld("Annotation", "The stored annotation; Location names it."),
                    "400": _err("Malformed JSON or annotation, or the quote is not in the text."),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": _err("Unknown document."),
                    "413": _err("Body too large."),
                },
            },
        },
        "/api/annotations/{annotation_id}": {
            "get": {
                "operationId": "getAnnotation",
                "summary": "One annotation",
                "security": SECURITY,
                "parameters": [ANNOTATION_ID],
                "responses": {"200": _ld("Annotation", "The annotation."), "401": UNAUTHORIZED, "404": MISSING},
            },
            "patch": {
                "operationId": "updateAnnotation",
                "summary": "Change your annotation",
                "description": "Comment, tags, visibility or place." + WRITE_NOTE,
                "security": SECURITY,
                "parameters": [ANNOTATION_ID],
                "requestBody": patch_body,
                "responses": {
                    "200": _ld("Annotation", "The changed annotation."),
                    "400": _err("Nothing to change, or a bad field."),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": MISSING,
                },
            },
            "delete": {
                "operationId": "deleteAnnotation",
                "summary": "Delete your annotation",
                "description": WRITE_NOTE.strip(),
                "security": SECURITY,
                "parameters": [ANNOTATION_ID],
                "responses": {
                    "204": {"description": "Deleted."},
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": MISSING,
                },
            },
        },
        "/api/annotations/{annotation_id}/accept": {
            "post": {
                "operationId": "acceptAnnotationAnchor",
                "summary": "Accept where re-anchoring put your annotation",
                "description": "For an annotation under review: it becomes anchored where it is." + WRITE_NOTE,
                "security": SECURITY,
                "parameters": [ANNOTATION_ID],
                "responses": {
                    "200": _ld("Annotation", "The annotation, now anchored."),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": MISSING,
                    "409": _err("The annotation is not under review."),
                },
            },
        },
        "/api/annotations/{annotation_id}/history": {
            "get": {
                "operationId": "annotationHistory",
                "summary": "The anchor history of an annotation",
                "security": SECURITY,
                "parameters": [ANNOTATION_ID],
                "responses": {
                    "200": _ld("AnnotationHistory", "Every step of its anchor, oldest first."),
                    "401": UNAUTHORIZED,
                    "404": MISSING,
                },
            },
        },
        "/api/annotations/tags": {
            "get": {
                "operationId": "annotationTags",
                "summary": "Tags in use, most used first",
                "security": SECURITY,
                "parameters": [_q("doc", "Only tags used in this document.")],
                "responses": {
                    "200": {
                        "description": "Tags with counts.",
                        "content": {"application/json": {"schema": ref("TagList")}},
                    },
                    "401": UNAUTHORIZED,
                },
            },
        },
        "/api/annotations/export": {
            "get": {
                "operationId": "exportAnnotations",
                "summary": "Download the annotations you may see",
                "security": SECURITY,
                "parameters": [
                    _q(
                        "format",
                        "jsonld (default, also when empty), csv or markdown.",
                        {"enum": ["", "jsonld", "csv", "markdown"]},
                    )
                ]
                + FILTERS,
                "responses": {
                    "200": {
                        "description": "An attachment in the chosen format.",
                        "content": {
                            LD: {"schema": ref("AnnotationCollection")},
                            "text/csv": {"schema": STR},
                            "text/markdown": {"schema": STR},
                        },
                    },
                    "400": _err("Unknown format or bad filter."),
                    "401": UNAUTHORIZED,
                },
            },
        },
    }
