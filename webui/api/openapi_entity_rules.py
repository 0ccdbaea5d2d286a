"""OpenAPI description of the entity correction endpoints (webui/api/entity_rules.py)."""

from __future__ import annotations

from typing import Any

from annotations.models import RULE_ACTIONS
from indexer.entity_rules import MAX_NAME, NEEDS

from ..labels import LABELS
from .openapi_schemas import INT, NUM, STR, array, obj, ref

#: characters a name may not hold (tab and line breaks read as spaces): indexer.entity_rules
_NO_CONTROL = "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\u2028\\u2029]"
NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_NAME,
    "pattern": f"^{_NO_CONTROL}*[^\\s\\x00-\\x1f\\x7f\\u2028\\u2029]{_NO_CONTROL}*$",
    "description": "Not blank, no control characters (runs of spaces count as one).",
}
LABEL = {
    "enum": list(LABELS),
    "description": "An entity label Glossa knows (PERSON, ORG, GPE, LOC, ...; the server reads any letter case).",
}
RULE_FIELDS = {
    "new_label": dict(LABEL, description="retype, merge: the label the entity gets."),
    "new_name": dict(NAME, description="rename, merge: the name the entity gets (merge: the entity it joins)."),
    "surface": dict(NAME, description="split: the alias (as written in the text) that leaves the entity."),
}
RULE_INPUT = {
    "oneOf": [
        obj(
            {
                "action": {"const": action},
                "label": LABEL,
                "name": NAME,
                **{field: RULE_FIELDS[field] for field in needs},
            },
            description=f"{action}: " + (", ".join(needs) or "no other field") + " (other fields are ignored)",
        )
        for action, needs in NEEDS.items()
    ],
    "description": "A correction of the entity (label, name) as the corpus shows it, applied to every mention; "
    "each action with the fields it needs. A rule that changes nothing (a retype to the entity's own label, "
    "a rename to its own name, a merge into itself, a split of its own name) is refused (400).",
}
RULE = obj(
    {"id": INT, "action": {"enum": list(RULE_ACTIONS)}, "label": STR, "name": STR, "author": STR, "created": STR},
    {**RULE_FIELDS, "deleted": STR, "deleted_by": {"type": ["string", "null"]}},
    description="A stored rule, with who made it and when (undone ones, in the history, with deleted).",
)
REINDEX = obj(
    {"state": {"enum": ["done", "running"]}},
    {"passages": INT, "documents": INT, "elapsed": NUM, "skipped": INT},
    description="Whether the affected passages are re-indexed yet (search and facets show the change then).",
)
ENTITY_RULE_SCHEMAS = {
    "EntityRuleInput": RULE_INPUT,
    "EntityRuleImport": obj({"rules": array(ref("EntityRuleInput"))}),
    "EntityRule": RULE,
    "EntityRuleList": obj({"rules": array(ref("EntityRule")), "version": array(INT)}),
    "EntityRuleChange": obj({"rule": ref("EntityRule"), "reindex": REINDEX}),
    "EntityRuleImported": obj({"rules": array(ref("EntityRule")), "reindex": REINDEX}),
}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


def _err(description: str) -> dict[str, Any]:
    return _json("Error", description)


WRITE = (
    " Needs the editor role. Authenticate with `Authorization: Bearer <token>`, or with the session "
    "cookie and the page's `X-CSRF-Token` header."
)


def entity_rule_paths() -> dict[str, Any]:
    """The /api/entity-rules paths."""
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [ref("EntityRuleInput"), ref("EntityRuleImport")]}}},
    }
    return {
        "/api/entity-rules": {
            "get": {
                "operationId": "listEntityRules",
                "summary": "The entity corrections in force",
                "parameters": [
                    {
                        "name": "history",
                        "in": "query",
                        "required": False,
                        "description": "1: also the rules undone.",
                        "schema": STR,
                    }
                ],
                "responses": {
                    "200": _json("EntityRuleList", "The rules, oldest first."),
                    "401": _err("Not signed in."),
                },
            },
            "post": {
                "operationId": "createEntityRule",
                "summary": "Correct an entity (retype, rename, merge, split, hide) or import rules",
                "description": "One rule, or {rules: [...]} to import several (all or none; rules already "
                "in force are skipped). The passages it changes are re-indexed." + WRITE,
                "requestBody": body,
                "responses": {
                    "201": {
                        "description": "The rule (or rules) stored.",
                        "content": {
                            "application/json": {
                                "schema": {"oneOf": [ref("EntityRuleChange"), ref("EntityRuleImported")]}
                            }
                        },
                    },
                    "400": _err("Malformed JSON or a bad field: the message says which."),
                    "401": _err("Not signed in."),
                    "403": _err("Not an editor, or a write without a CSRF token or API token."),
                    "409": _err("The entity already has a correction, or the rule would make a loop."),
                },
            },
        },
        "/api/entity-rules/{rule_id}": {
            "delete": {
                "operationId": "deleteEntityRule",
                "summary": "Undo an entity correction",
                "description": "The rule stays in the history, marked deleted; the passages it changed "
                "are re-indexed." + WRITE,
                "parameters": [
                    {
                        "name": "rule_id",
                        "in": "path",
                        "required": True,
                        "description": "The rule's id.",
                        "schema": INT,
                        "example": 1,
                    }
                ],
                "responses": {
                    "200": _json("EntityRuleChange", "The rule undone."),
                    "401": _err("Not signed in."),
                    "403": _err("Not an editor, or a write without a CSRF token or API token."),
                    "404": _err("No such rule in force."),
                },
            }
        },
    }
