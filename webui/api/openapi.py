"""The OpenAPI 3.1 description of the JSON API, built in Python and served at /api/openapi.json."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from ..labels import LABELS, TYPE_ALIASES
from ..params import MAX_PAGE, MAX_PAGELEN, MAX_QUERY
from .openapi_annotations import ANNOTATION_SCHEMAS, annotation_paths
from .openapi_entity_rules import ENTITY_RULE_SCHEMAS, entity_rule_paths
from .openapi_jobs import JOB_SCHEMAS, job_paths
from .openapi_schemas import SCHEMAS, STR, ref


def ok(schema_name: str, description: str) -> dict[str, Any]:
    """A 200 response whose JSON body follows a component schema."""
    return {"description": description, "content": {"application/json": {"schema": ref(schema_name)}}}


def error(description: str) -> dict[str, Any]:
    """An error response (JSON Error body)."""
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def query_param(name: str, description: str, schema: dict, required: bool = False, example: Any = None) -> dict:
    """A query-string parameter."""
    param = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    if example is not None:
        param["example"] = example
    return param


def path_param(name: str, description: str, example: str) -> dict:
    """A path parameter."""
    return {"name": name, "in": "path", "required": True, "description": description, "schema": STR, "example": example}


DOC_ID = path_param("doc_id", "Document id, as listed by GET /api/documents.", "003-b4544ddbd7f01f68")
BAD_REQUEST = error("Bad input: the message says what is wrong and what is allowed.")
NOT_FOUND = error("No such document or footnote; the message says what exists.")


#: a query parameter that may be repeated (form style, exploded: ?doc=a&doc=b)
MANY = {"type": "array", "items": {"type": "string"}}


def core_paths() -> dict[str, Any]:
    """The paths of the search, document, entity and works API."""
    return {
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Search passages",
                "description": "Whoosh query language plus person:, org:, place:, entity:, doc:, fn:, tag:, "
                "cites: prefixes. Hits are grouped by document; snippets are escaped HTML. Filters: the values "
                "of one filter repeated are OR-ed, different filters AND-ed; a facet whose filter is given is "
                "counted over the results of every other filter, so its other values keep their counts. "
                "group=document pages through documents: each once, in the order of its best passage, with "
                "its best passages and its count of matching passages over the whole result.",
                "parameters": [
                    query_param(
                        "q",
                        f"The query (not blank; at most {MAX_QUERY} characters).",
                        {"type": "string", "minLength": 1, "maxLength": MAX_QUERY, "pattern": "\\S"},
                        required=True,
                        example="frontex",
                    ),
                    query_param(
                        "page",
                        f"Result page, from 1 (at most {MAX_PAGE}). A page past the last one has no hits; "
                        "its total and pages are the true ones.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        example=1,
                    ),
                    query_param(
                        "pagelen",
                        f"Hits per page (1-{MAX_PAGELEN}; default PAGE_SIZE).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGELEN},
                        example=10,
                    ),
                    query_param(
                        "group",
                        "passage (default): pages of passages; document: pages of documents (pagelen "
                        "documents, each with its best passages and its true count).",
                        {"type": "string", "enum": ["passage", "document"]},
                        example="document",
                    ),
                    query_param("doc", "Only these document ids (repeat the parameter: any of them).", MANY),
                    query_param("type", "Only passages with an entity of one of these labels (e.g. PERSON).", MANY),
                    query_param("entity", "Only passages mentioning one of these canonical entity names.", MANY),
                    query_param("tag", "Only passages carrying one of these annotation tags.", MANY),
                ],
                "responses": {
                    "200": ok("SearchResults", "One page of results."),
                    "400": error(
                        "Missing or malformed query, a page number or pagelen out of range, or an unknown grouping."
                    ),
                },
            }
        },
        "/api/documents": {
            "get": {
                "operationId": "listDocuments",
                "summary": "List documents with their metadata",
                "responses": {"200": ok("DocumentList", "Every ingested document.")},
            }
        },
        "/api/documents/{doc_id}": {
            "get": {
                "operationId": "getDocument",
                "summary": "A document: cleaned text, passages, entities, footnotes, marks",
                "parameters": [DOC_ID],
                "responses": {
                    "200": {
                        **ok("Document", "The document."),
                        "headers": {
                            "ETag": {
                                "description": "The document's version (send it as If-Match to remove it).",
                                "schema": STR,
                            }
                        },
                    },
                    "404": NOT_FOUND,
                },
            }
        },
        "/api/documents/{doc_id}/footnotes/{number}": {
            "get": {
                "operationId": "getFootnote",
                "summary": "A footnote: its text, citing sentences, references and Ibid. target",
                "parameters": [DOC_ID, path_param("number", "Footnote number (or '*').", "42")],
                "responses": {
                    "200": ok("FootnoteDetail", "The footnote."),
                    "404": error("No such document, or no such footnote (the message gives the valid range)."),
                },
            }
        },
        "/api/entities": {
            "get": {
                "operationId": "listEntities",
                "summary": "The entity index",
                "parameters": [
                    query_param(
                        "type",
                        "Only this label (PERSON, ORG, GPE, ...) or alias (person, org, place); "
                        "letter case does not matter; empty: every type.",
                        {"type": "string", "enum": ["", *LABELS, *TYPE_ALIASES]},
                        example="ORG",
                    ),
                    query_param("q", "Only canonical names containing this text (case-insensitive).", STR),
                ],
                "responses": {
                    "200": ok("EntityList", "Entities with mention and document counts."),
                    "400": error("Unknown entity type."),
                },
            }
        },
        "/api/works": {
            "get": {
                "operationId": "listWorks",
                "summary": "Works cited in the corpus's footnotes",
                "responses": {"200": ok("WorkList", "Every cited work, with the notes citing it.")},
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This OpenAPI description",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1 document.",
                        "content": {
                            "application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}
                        },
                    }
                },
            }
        },
    }


def _version() -> str:
    try:
        return metadata.version("glossa")
    except metadata.PackageNotFoundError:
        return "0.0.0"


#: answers any operation can give, whatever its parameters (see webui.limits and webui.app)
COMMON_ERRORS = {
    "400": "Bad request: a malformed or out-of-range parameter, or a Host header not in TRUSTED_HOSTS.",
    "503": "The annotation database is unavailable or busy; try again.",
}
#: and those of operations that change something
WRITE_ERRORS = {
    "413": "The request body is larger than MAX_CONTENT_LENGTH (an upload: UPLOAD_MAX_TOTAL_SIZE).",
    "507": "The disk is full: nothing was saved.",
}


def add_common_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation lists the errors the server can give it besides its own."""
    for item in paths.values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            extra = dict(COMMON_ERRORS)
            if method in ("post", "put", "patch", "delete"):
                extra.update(WRITE_ERRORS)
            for status, description in extra.items():
                responses.setdefault(status, error(description))
    return paths


def build_spec(app=None) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    paths = core_paths()
    for path, item in job_paths(DOC_ID).items():
        paths.setdefault(path, {}).update(item)
    paths.update(annotation_paths())
    paths.update(entity_rule_paths())
    add_common_errors(paths)
    base = (app.config.get("BASE_URL") if app is not None else None) or "/"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Glossa API",
            "version": _version(),
            "description": "Search, read and cite a footnoted document corpus; annotate it with W3C "
            "Web Annotations; editors upload and remove documents (jobs). Every error is JSON: {error, message, status}. "
            "A whole-number query parameter left out takes its default; given blank (?offset=) it is no "
            "number, so a 400.",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **ANNOTATION_SCHEMAS, **JOB_SCHEMAS, **ENTITY_RULE_SCHEMAS},
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `glossa token create`.",
                }
            },
        },
    }
