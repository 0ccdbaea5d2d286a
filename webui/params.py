"""Query-string parameters, read one way for the HTML pages and the JSON API, with the
limits both share.

The pages are forgiving (a junk page number shows the first page, a huge one the last);
the API says what is wrong with a 400. Both read a number by the same rule: an optional
sign and ASCII digits, surrounding spaces ignored. An absent parameter is its default on
both; a blank one (``?offset=``) is the default on the pages (an empty form field) and a
400 on the API, whose description types the parameter as an integer: a client that sends
a blank value has lost the number it meant, and a default would hide that.
"""

from __future__ import annotations

import re

from flask import abort, request

#: longest query accepted: longer ones cost the searcher seconds to minutes
MAX_QUERY = 1000
#: highest result page asked for
MAX_PAGE = 10_000
#: query-string parameters that narrow a search (keys of Searcher.search's ``filters``)
FILTER_PARAMS = ("doc", "type", "entity", "tag")
#: longest filter value kept by the pages (longer ones are cut)
MAX_FILTER = 200
#: most search hits per API page
MAX_PAGELEN = 100
#: most annotations per API page
MAX_LIMIT = 5000

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")
_DIGITS = re.compile(r"[+-]?[0-9]+")


def _shown(raw: str, limit: int = 40) -> str:
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")


def int_param(name: str, default: int, low: int, high: int, *, clamp: bool = False) -> int:
    """The whole-number query parameter ``name`` (absent: ``default``).

    :param clamp: for pages: junk or a blank value gives ``default`` and a number out of
        bounds the nearest bound. Otherwise (the API) each is a 400 error saying what is allowed.
    """
    given = request.args.get(name)
    if given is None:
        return default
    raw = given.strip()
    if not raw:
        if clamp:
            return default
        abort(
            400,
            description=f"Parameter {name!r} is blank: give a whole number from {low} to {high}, "
            f"or leave the parameter out for {default}.",
        )
    if _WHOLE.fullmatch(raw):
        value = int(raw)
    elif _DIGITS.fullmatch(raw):  # more digits than any bound: out of range, not junk
        value = low - 1 if raw.startswith("-") else high + 1
    else:
        if clamp:
            return default
        abort(400, description=f"Parameter {name!r} must be a whole number, not {_shown(raw)}.")
    if low <= value <= high:
        return value
    if clamp:
        return min(max(value, low), high)
    shown = value if abs(value) <= 10**18 else _shown(raw)
    abort(400, description=f"Parameter {name!r} must be between {low} and {high}, not {shown}.")


def query_too_long(query: str) -> str | None:
    """What is wrong with a query longer than :data:`MAX_QUERY`, else None."""
    if len(query) <= MAX_QUERY:
        return None
    return f"The query is too long ({len(query)} characters; at most {MAX_QUERY})."


#: how search results may be listed: a page of passages (the default) or of documents
GROUPS = ("passage", "document")


def group_param(*, clamp: bool = False) -> str | None:
    """The ``group`` query parameter as ``Searcher.search`` takes it: None (passages) or "document".

    :param clamp: for pages: anything else lists passages. Otherwise (the API) a 400 error
        naming the values allowed.
    """
    given = request.args.get("group")
    raw = (given or "").strip()
    if given is None or raw == "passage" or (clamp and not raw):
        return None
    if raw == "document":
        return "document"
    if clamp:
        return None
    if not raw:  # as with whole numbers: blank is no value on the API (leave it out for passages)
        abort(400, description=f"Parameter 'group' is blank: give one of {', '.join(GROUPS)}, or leave it out.")
    abort(400, description=f"Parameter 'group' must be one of {', '.join(GROUPS)}, not {_shown(raw)}.")
