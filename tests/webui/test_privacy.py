"""Another user's private tags: 0 bits through any search, facet, count, suggestion or page.

Alice (user 1) adds a private annotation with the tags "secretplan" and "whistleblower-x".
Bob runs the same few hundred tag queries (negation, wildcards, ``?``, ranges, fuzzy terms,
case, grouping, ``tags:``, the ``tag`` filter, boolean combinations, seeded random ones)
through the JSON API and the HTML page before and after she does: every response must be
the same, and none may hold her tag text. Alice's own responses must change (her tags do
reach her searches), so the comparison is not vacuous.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from .anno_support import build_data_dir, make_test_app, selector_body

LD = "application/ld+json"
SECRETS = ("secretplan", "whistleblower-x", "confidential-remark-77")
#: tag values the queries are built from: the secrets, near misses, and tags bob may see
VALUES = (
    "secretplan",
    "secretplax",
    "secret",
    "whistleblower-x",
    "whistleblower-y",
    "whistle",
    "secretary",
    "islands",
    "returns",
    "pushbacks",
)
WORDS = ("border", "frontex", "asylum", "islands", "greek", "since april", "readmission", "bordr", "asylym", "frontx")
#: the attacks of the issue and their neighbours, spelled out
HANDWRITTEN = (
    "since april -tag:@1?secretplan",
    "since april -tag:@1?secretplax",
    "since april -tag:@1@secretplan",
    "border -tag:@1?secretplan",
    "border -tag:s*",
    "border -tag:secretp*",
    "border -tag:secretpla?",
    "border NOT tag:?ecretplan",
    "tag:whistleblower-y",
    "tag:whistleblower-?",
    "tag:whistleblower-x OR border",
    "tag:@1*",
    "tag:@*",
    "tag:*secret*",
    "tag:*",
    "tag:secretplan~1",
    "tag:secretplax~2",
    "tag:[r TO t]",
    "tag:{s TO z}",
    "tag:>s",
    "tag:<=t",
    "border tag:s*",
    "border AND tag:s*",
    "-tag:secretplan border",
    "NOT tag:secretplan AND border",
    "(tag:secretplan OR border) -tag:whistle*",
    "tags:secretplan",
    "TAG:SECRETPLAN",
    "Tag:SecretPlan",
    "(tag:secretplan)",
    'tag:"secretplan"',
    "tag:'secretplan'",
    "tag:(secretplan OR islands)",
    "tag:(secretplan islands)",
    "border,tag:secretplan",
    "tag:secretplan^3 OR border",
    "+tag:secretplan border",
    "tag:@1@whistleblower-x",
)


def _mutate(value: str, rnd: random.Random) -> str:
    """A spelling of a tag value someone probing for it might try."""
    k = rnd.randint(1, max(1, len(value) - 1))
    choice = rnd.randrange(9)
    if choice == 0:
        return value.upper()
    if choice == 1:
        return value.title()
    if choice == 2:
        return value[:k]
    if choice == 3:
        return value[:k] + "?" + value[k + 1 :]
    if choice == 4:
        return value[:k] + rnd.choice("aexz") + value[k + 1 :]
    if choice == 5:
        return rnd.choice(("@1@", "@1?", "@2@", "@")) + value
    return value


def _clause(rnd: random.Random) -> str:
    value = _mutate(rnd.choice(VALUES), rnd)
    other = _mutate(rnd.choice(VALUES), rnd)
    low, high = sorted((value.lower()[:2] or "a", other.lower()[:2] or "z"))
    prefix = rnd.choice(("tag", "tag", "tag", "TAG", "Tag", "tags"))
    k = rnd.randint(0, max(0, len(value) - 2))
    forms = (
        f"{prefix}:{value}",
        f"{prefix}:{value}*",
        f"{prefix}:*{value[k:]}",
        f"{prefix}:{value}~",
        f"{prefix}:{value}~2",
        f"{prefix}:[{low} TO {high}]",
        f"{prefix}:{{{low} TO {high}}}",
        f"{prefix}:>{value}",
        f"{prefix}:<={value}",
        f'{prefix}:"{value}"',
        f"{prefix}:'{value}'",
        f"{prefix}:({value} OR {other})",
        f"{prefix}:({value} {other})",
        f"{prefix}:{value}^2",
        f"{prefix}:*",
    )
    return rnd.choice(forms)


def _query(rnd: random.Random) -> str:
    a, b = _clause(rnd), _clause(rnd)
    word = rnd.choice(WORDS)
    shapes = (
        a,
        f"-{a} {word}",
        f"{word} -{a}",
        f"{word} NOT {a}",
        f"NOT {a} AND {word}",
        f"+{a} {word}",
        f"({a})",
        f"{a} OR {b}",
        f"{a} AND {b}",
        f"{word} {a}",
        f"{word} OR {a}",
        f"({a} OR {word}) -{b}",
        f"({a} OR {b}) AND NOT {word}",
        f"{word} -({a} OR {b})",
    )
    return rnd.choice(shapes)


def _requests() -> list[tuple[str, str | None]]:
    """(query, tag filter or None): the handwritten attacks, then 400 seeded random ones."""
    rnd = random.Random(20261201)
    out: list[tuple[str, str | None]] = [(q, None) for q in HANDWRITTEN]
    out += [("border", "secretplan"), ("border", "@1@secretplan"), ("border", "islands"), ("greek", "SecretPlan")]
    for _ in range(400):
        tag_filter = _mutate(rnd.choice(VALUES), rnd) if rnd.random() < 0.15 else None
        out.append((_query(rnd), tag_filter))
    return out


def _signed_in(app, name: str, password: str):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/doc/alpha"})
    assert resp.status_code == 302
    client.csrf = re.search(r'data-csrf="([^"]+)"', client.get("/doc/alpha").get_data(as_text=True)).group(1)
    return client


def _create(client, body) -> None:
    resp = client.post(
        "/api/annotations", data=json.dumps(body), content_type=LD, headers={"X-CSRF-Token": client.csrf}
    )
    assert resp.status_code == 201, resp.get_json()


def _params(query: str, tag_filter: str | None) -> dict:
    params = {"q": query, "pagelen": "50"}
    if tag_filter is not None:
        params["tag"] = tag_filter
    return params


def _json(client, query: str, tag_filter: str | None) -> tuple[int, dict]:
    resp = client.get("/api/search", query_string=_params(query, tag_filter))
    body = resp.get_json()
    body.pop("elapsed_ms", None)  # the time a search took is not part of its answer
    return resp.status_code, body


def _html(client, query: str, tag_filter: str | None) -> tuple[int, str]:
    params = _params(query, tag_filter)
    del params["pagelen"]
    resp = client.get("/", query_string=params)
    return resp.status_code, re.sub(r'<span class="timing">\([^)]*\)</span>', "", resp.get_data(as_text=True))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every request's responses, for bob and alice, before and after alice's private tags."""
    from webui import services

    app = make_test_app(build_data_dir(tmp_path_factory.mktemp("privacy") / "data"), AUTH="accounts")
    with app.app_context():
        assert services.get_annotation_service().add_user("alice", "alice's password").id == 1
        services.get_annotation_service().add_user("bob", "bob's password!")
        alpha = services.get_store().get("alpha").document
        beta = services.get_store().get("beta").document
    alice = _signed_in(app, "alice", "alice's password")
    bob = _signed_in(app, "bob", "bob's password!")
    # what bob may see: shared tags of alice, his own private ones (some close to hers)
    _create(alice, selector_body(alpha, "Asylum seekers", tags=["islands"], visibility="shared"))
    _create(alice, selector_body(beta, "link visas to returns", tags=["returns", "secretary"], visibility="shared"))
    _create(bob, selector_body(alpha, "border regime", tags=["secretary", "whistle"]))
    _create(bob, selector_body(beta, "EU-Turkey statement", tags=["pushbacks"]))
    requests = _requests()

    def everything():
        return {
            "bob": [(_json(bob, q, f), _html(bob, q, f)) for q, f in requests],
            "alice": [_json(alice, q, f) for q, f in requests],
        }

    before = everything()
    # alice's private annotations: on passages bob's words and tags reach, and on one of his
    _create(
        alice,
        selector_body(
            alpha,
            "pushbacks at the Greek border",
            tags=["secretplan", "whistleblower-x"],
            comment="confidential-remark-77",
        ),
    )
    _create(alice, selector_body(alpha, "border regime", tags=["secretplan"]))
    _create(alice, selector_body(beta, "Readmission agreements", tags=["whistleblower-x", "islands"]))
    after = everything()
    return requests, before, after


def test_another_users_private_tags_change_no_search_result(runs):
    requests, before, after = runs
    changed = [
        (query, tag_filter)
        for (query, tag_filter), old, new in zip(requests, before["bob"], after["bob"], strict=True)
        if old != new
    ]
    assert changed == [], f"{len(changed)} of {len(requests)} searches changed for bob, e.g. {changed[:5]}"
    # the same private annotations do change alice's own results: the comparison has teeth
    hers = sum(old != new for old, new in zip(before["alice"], after["alice"], strict=True))
    assert hers >= len(requests) // 4, hers
    found = after["alice"][requests.index(("tag:whistleblower-x OR border", None))][1]
    assert any("whistleblower-x" in hit["tags"] for hit in found["hits"])
    assert {"value": "secretplan", "label": "secretplan", "count": 2} in found["facets"]["tags"]
    statuses = {status for (status, _), _ in after["bob"]}
    assert 200 in statuses and len(requests) > 400


def test_no_search_response_holds_another_users_private_tag_text(runs):
    requests, _, after = runs
    scanned = 0
    for (query, tag_filter), ((_, body), (_, html)) in zip(requests, after["bob"], strict=True):
        asked = f"{query} {tag_filter or ''}".lower()
        text = json.dumps(body).lower() + html.lower()
        for secret in SECRETS:
            if secret not in asked:  # a query naming the tag is echoed back; it reveals nothing
                assert secret not in text, (query, tag_filter, secret)
        if "@1" not in asked:
            assert "@1@" not in text, (query, tag_filter)
        scanned += 1
    assert scanned == len(requests)
    # the suggestion of the issue: a near miss of her tag
    status, body = after["bob"][requests.index(("tag:whistleblower-y", None))][0]
    assert status == 200 and body["total"] == 0 and "whistleblower-x" not in str(body["suggestion"])
