"""schemathesis checks of Glossa's own (loaded by scripts/schemathesis.sh via SCHEMATHESIS_HOOKS).

scripts/schemathesis.toml lets two operations answer 400 to a request the spec allows,
because what makes them refuse it is no JSON Schema: a search whose query the query language
cannot run, and an entity rule that changes nothing. Allowing the status alone would hide
every other 400 of those operations (a page number the server reads wrongly, a filter it
refuses). So :func:`only_documented_refusals` fails any 400 to schema-valid data on them
whose message is not one of those refusals.
"""

from __future__ import annotations

import re

import schemathesis

#: operation label -> the messages its schema-valid requests may be refused (400) with
REFUSALS = {
    # webui/api/documents.py run_search: every indexer.query.QueryError, and only those
    "GET /api/search": re.compile(r"Cannot understand the query "),
    # indexer.entity_rules.check_rule's rules that change nothing (an import: "rule N: ...")
    "POST /api/entity-rules": re.compile(
        r"(rule \d+: )?(the entity is already a |the new name is the entity's name"
        r"|an entity cannot be merged into itself|that alias is the entity's own name)"
    ),
}


def _message(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message") or "") if isinstance(body, dict) else ""


@schemathesis.check
def only_documented_refusals(ctx, response, case):
    """A 400 to schema-valid data is allowed only with the refusal the toml documents."""
    pattern = REFUSALS.get(case.operation.label)
    meta = case.meta
    if pattern is None or meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    message = _message(response)
    if not pattern.match(message):
        raise AssertionError(
            f"schema-valid request refused with 400 for a reason the spec does not document: {message!r}"
        )
    return None
