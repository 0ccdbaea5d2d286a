"""Hostile and malformed input against every route: never a 5xx, API errors are JSON, HTML escapes.

The explicit cases walk ``app.url_map`` so a new route is covered without editing this file;
a seeded random loop then mixes the same ingredients (a few hundred requests).
"""

from __future__ import annotations

import json
import random
import re
import shutil

import pytest
from werkzeug.exceptions import MethodNotAllowed

from tests.conftest import make_app

XSS = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
#: hostile values for query parameters (sent URL-encoded)
WEIRD = [
    '"unbalanced',
    "(open",
    "close)",
    "((a)",
    "*",
    "?",
    "~",
    "a~",
    "field:",
    "fn:",
    "tag:",
    "tag:@1@x",
    "AND",
    "NOT",
    "OR",
    "a AND",
    "NOT NOT",
    "AND OR NOT",
    "x" * 10_000,
    "a\x00b",
    "\x00",
    XSS,
    IMG,
    "[a TO",
    "{",
    "}",
    "^",
    "a^2^",
    "\\",
    "/",
    ":",
    '"',
    "'",
    "person:",
    'person:"',
    "page:abc",
    "ordinal:-1",
    "doc:../etc/passwd",
    "title:[z TO a]",
    "é文字🙂",
    "\u202e",
    "*" * 50,
    "a" * 1001,
    "cites:",
    'entity:""',
    "-",
    "+",
    "!",
    "&&",
    "||",
    "%",
    "%25ff",
    " ",
    "",
]
#: raw (already percent-encoded) query-string fragments, some of them invalid UTF-8
RAW = ["%ff", "%c3%28", "%00", "%ZZ", "%", "%e2%82", "%3Cscript%3E", "%fe%ff%00"]
PAGES = ["-1", "0", "abc", str(10**9), "1e3", "", " ", "9" * 50, "1.5", "0x10", "NaN"]
DOC_IDS = ["../etc/passwd", "..", ".", "é文", "x" * 1000, XSS, "%00", "a b", "🙂", "nul\x00"]
NOTES = ["0", "-1", "abc", "99999", "*", "1/2", XSS, "9" * 400, "042", " 4", "../4", "†"]
ANN_IDS = ["0", "-1", "abc", "9" * 40, XSS, "../x", "é"]
PARAMS = [
    "q",
    "page",
    "pagelen",
    "doc",
    "type",
    "entity",
    "tag",
    "n",
    "name",
    "show",
    "types",
    "ent",
    "limit",
    "offset",
    "format",
    "author",
    "visibility",
    "status",
    "next",
]
BAD_BODIES = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'"text"', "application/json"),
    (b"\xff\xfe", "application/json"),
    (b'{"type": "Annotation"}', "application/json"),
    (b'{"type": "Annotation", "target": 5, "body": "x"}', "application/json"),
    (b'{"type": "Annotation", "target": {"source": null}}', "application/json"),
    (b'{"type": "Annotation", "target": {"source": "http://x/doc/../etc", "selector": []}}', "application/json"),
    (b'{"body": {"value": 1}, "target": {"selector": {"start": "a", "end": []}}}', "application/json"),
    (b"q=1&x=2", "application/x-www-form-urlencoded"),
    (b"<xml/>", "text/xml"),
    (b'{"a": 1}', "text/plain"),
    (b"{" * 5000, "application/json"),
    (b'{"body": "' + b"x" * (300 * 1024) + b'"}', "application/json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),  # was a RecursionError (500)
    (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
]


@pytest.fixture(scope="module")
def app(sample_data_dir, tmp_path_factory):
    """One app for the module over a private copy of the sample data (annotations may be written)."""
    target = tmp_path_factory.mktemp("robust") / "data"
    shutil.copytree(sample_data_dir, target, ignore=shutil.ignore_patterns("glossa.db", "secret_key"))
    return make_app(target, target / "glossa.db")


@pytest.fixture(scope="module")
def web(app, doc_id):
    """A client with a session and its CSRF token (``web.csrf``), read from the reader page."""
    client = app.test_client()
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    client.csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
    return client


@pytest.fixture(scope="module")
def doc_id(app):
    with app.app_context():
        from webui import services

        return next(s.doc_id for s in services.get_store().summaries() if s.footnotes)


@pytest.fixture(scope="module")
def annotation_id(app, web, doc_id):
    """A real annotation to aim PATCH/DELETE/GET at."""
    from tests.webui.anno_support import selector_body

    with app.app_context():
        from webui import services

        doc = services.get_store().get(doc_id).document
    quote = doc.text[doc.passages[2].start : doc.passages[2].start + 30]
    body = selector_body(doc, quote, tags=["robust"], comment="x", base="http://localhost")
    resp = web.post("/api/annotations", json=body, headers={"X-CSRF-Token": web.csrf})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()["id"].rsplit("/", 1)[1]


def rules(app):
    """(rule, methods) of every route but static files (which get their own cases)."""
    return [(r, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in app.url_map.iter_rules()]


def fill(rule, doc_id, annotation_id, values=None) -> str:
    """A URL for ``rule`` with its variables taken from ``values`` or sensible real ones."""
    from urllib.parse import quote

    defaults = {"doc_id": doc_id, "number": "4", "annotation_id": annotation_id, "filename": "app.js"}
    path = rule.rule
    for arg in rule.arguments:
        value = (values or {}).get(arg, defaults.get(arg, "x"))
        safe = "/" if arg in ("number", "filename") else ""  # <path:...> variables may hold slashes
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", quote(value, safe=safe), path)
    return path


def check(resp, url: str, reflected: tuple[str, ...] = (XSS, IMG)) -> None:
    """The invariants of every response to hostile input."""
    where = f"{resp.request.method} {url[:200]} -> {resp.status_code}"
    assert resp.status_code < 500, where + "\n" + resp.get_data(as_text=True)[:2000]
    assert "Content-Security-Policy" in resp.headers, where
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"].split("script-src", 1)[-1].split(";")[0]
    path = url.split("?", 1)[0]
    body = resp.get_data(as_text=True)
    if (path == "/api" or path.startswith("/api/")) and resp.status_code >= 400:
        assert "json" in resp.content_type, where
        data = json.loads(body)
        assert data.get("error") and data.get("message"), where
        assert "Traceback" not in body
    if "text/html" in resp.content_type:
        for raw in reflected:
            assert raw not in body, where
        assert "Traceback" not in body


def send(client, method: str, url: str, body: bytes | None = None, ctype: str | None = None, csrf=None):
    if url.startswith("/logout"):  # signing out clears the session (and its CSRF token): not on ``web``
        client = client.application.test_client()
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    if ctype:
        headers["Content-Type"] = ctype
    return client.open(url, method=method, data=body, headers=headers)


@pytest.mark.parametrize("value", WEIRD, ids=lambda v: repr(v[:20]))
def test_every_get_route_survives_weird_parameters(app, web, doc_id, annotation_id, value):
    from urllib.parse import quote, urlencode

    query = urlencode([(name, value) for name in PARAMS])
    for rule, methods in rules(app):
        if "GET" not in methods:
            continue
        base = fill(rule, doc_id, annotation_id)
        for url in (f"{base}?{query}", f"{base}?q={quote(value)}&page=2", f"{base}?doc={quote(value)}&n=1"):
            check(web.get(url), url)


@pytest.mark.parametrize("raw", RAW)
def test_invalid_percent_escapes(app, web, doc_id, annotation_id, raw):
    for rule, methods in rules(app):
        if "GET" in methods:
            base = fill(rule, doc_id, annotation_id)
            for name in ("q", "page", "doc", "type", "tag", "n", "format"):
                url = f"{base}?{name}={raw}&{name}={raw}x"
                check(web.get(url), url)
    check(web.get(f"/doc/{raw}"), f"/doc/{raw}")
    check(web.get(f"/api/documents/{doc_id}/footnotes/{raw}"), raw)


def test_page_and_pagelen_values(web):
    for value in PAGES:
        for url in (
            f"/?q=border&page={value}",
            f"/api/search?q=border&page={value}",
            f"/api/search?q=border&pagelen={value}",
            f"/api/annotations?limit={value}",
            f"/api/annotations?offset={value}",
        ):
            resp = web.get(url)
            check(resp, url)
            if url.startswith("/api/search") and value not in ("", " "):
                assert resp.status_code in (200, 400), url
    assert web.get(f"/api/search?q=border&pagelen={10**9}").status_code == 400
    assert web.get(f"/api/search?q=border&page={10**9}").status_code == 400
    resp = web.get(f"/?q=border&page={10**9}")
    assert resp.status_code == 200 and b"There is no page" in resp.data


def test_unknown_documents_and_notes(app, web, doc_id, annotation_id):
    for value in DOC_IDS:
        for rule, _ in rules(app):
            if "doc_id" in rule.arguments:
                url = fill(rule, value, annotation_id)
                resp = web.get(url)
                check(resp, url)
                assert resp.status_code in (404, 308, 400), url
    for value in NOTES:
        for url in (
            f"/doc/{doc_id}/fn/{value}",
            f"/api/documents/{doc_id}/footnotes/{value}",
            f"/cite?doc={doc_id}&n={value}",
        ):
            check(web.get(url), url)
    for value in ANN_IDS:
        for method in ("GET", "PATCH", "DELETE"):
            url = f"/api/annotations/{value}"
            resp = send(web, method, url, b'{"glossa:visibility": "shared"}', "application/json", web.csrf)
            check(resp, url)
            assert resp.status_code in (400, 404), url


def test_footnote_page_escapes_the_number(web, doc_id):
    resp = web.get(f"/doc/{doc_id}/fn/{XSS}")
    assert resp.status_code == 404
    assert XSS not in resp.get_data(as_text=True)
    assert "&lt;script&gt;" in resp.get_data(as_text=True)


def test_reflected_query_is_escaped(web):
    for q in (XSS, IMG):
        for url in (f"/?q={q}", f"/doc/x?q={q}", f"/entities?name={q}", f"/works?name={q}", f"/annotations?q={q}"):
            check(web.get(url), url)
    body = web.get("/?q=" + XSS).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_write_methods_with_bad_bodies(app, web, doc_id, annotation_id):
    for rule, methods in rules(app):
        for method in methods:
            if method == "GET":
                continue
            # DELETE is aimed at an unknown id: the real annotation must outlive the malformed PATCHes
            url = fill(rule, doc_id, "404" if method == "DELETE" else annotation_id)
            for body, ctype in BAD_BODIES:
                resp = send(web, method, url, body, ctype, web.csrf)
                check(resp, url)
    # the real annotation survived every malformed PATCH
    resp = web.get(f"/api/annotations/{annotation_id}")
    assert resp.status_code == 200
    assert any(b.get("value") == "robust" for b in resp.get_json()["body"])


def test_oversized_annotation_bodies_are_413(web, annotation_id):
    big = json.dumps({"type": "Annotation", "body": [{"type": "TextualBody", "value": "x" * (400 * 1024)}]})
    for method, url in (("POST", "/api/annotations"), ("PATCH", f"/api/annotations/{annotation_id}")):
        resp = send(web, method, url, big.encode(), "application/json", web.csrf)
        check(resp, url)
        assert resp.status_code == 413


def test_wrong_method_is_405_not_403(app, doc_id, annotation_id):
    """An unsigned write to a read-only route says the method is wrong, not that CSRF failed."""
    allowed: dict[str, set] = {}
    for rule, methods in rules(app):
        allowed.setdefault(fill(rule, doc_id, annotation_id), set()).update(methods)
    adapter = app.url_map.bind("localhost")
    for url, methods in allowed.items():
        for method in {"POST", "PUT", "PATCH", "DELETE"} - methods:
            try:  # /api/annotations/tags is also /api/annotations/<annotation_id>, which takes PATCH
                adapter.match(url, method=method)
                continue
            except MethodNotAllowed:
                pass
            resp = app.test_client().open(url, method=method)  # no session, no token
            check(resp, url)
            assert resp.status_code == 405, (method, url)
            assert set(resp.headers["Allow"].split(", ")) >= methods
            if url.startswith("/api/"):
                assert resp.get_json()["status"] == 405
    # a write to a route that exists is still refused without the token
    assert app.test_client().post("/api/annotations", json={}).status_code == 403


def test_repeated_parameters_and_static(web):
    for url in (
        "/?q=a&q=b&page=1&page=x",
        "/api/search?q=a&q=(&page=2&page=abc",
        "/entities?type=ORG&type=PERSON",
        "/api/entities?type=ORG&type=bogus",
        "/api/annotations/export?format=csv&format=exe",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/" + "x" * 1000,
        "/static/app.js%00",
    ):
        resp = web.get(url)
        check(resp, url)
    assert web.get("/static/../app.py").status_code == 404


def test_seeded_fuzz(app, web, doc_id, annotation_id):
    """A bounded random mix of everything above (reproducible: seeded)."""
    fuzz(app, web, doc_id, annotation_id, random.Random(20261124), 300)


def test_seeded_fuzz_signed_out_in_accounts_mode(app, doc_id, annotation_id):
    """With AUTH=accounts and nobody signed in: API errors stay JSON (401/403/404...), pages redirect."""
    accounts = make_app(app.config["DATA_DIR"], app.config["DATA_DIR"] + "/accounts.db", AUTH="accounts")
    client = accounts.test_client()
    assert client.get("/api/documents").status_code == 401
    assert client.get("/").status_code == 302
    fuzz(accounts, client, doc_id, annotation_id, random.Random(7), 150, token=None)


def fuzz(app, web, doc_id, annotation_id, rng, count: int, token: str | None = "session") -> None:
    """Send ``count`` random requests mixing routes, hostile values and bodies; check each."""
    from urllib.parse import urlencode

    pools = {
        "doc_id": DOC_IDS + [doc_id] * 5,
        "number": NOTES + ["4"] * 3,
        "annotation_id": ANN_IDS + [annotation_id] * 3,
        "filename": ["app.js", "../x", "%ff", "a" * 300],
    }
    values = WEIRD + PAGES + NOTES
    routes = rules(app)
    for _ in range(count):
        rule, methods = rng.choice(routes)
        method = rng.choice(methods)
        url = fill(rule, doc_id, annotation_id, {a: rng.choice(p) for a, p in pools.items()})
        pairs = [(rng.choice(PARAMS), rng.choice(values)) for _ in range(rng.randint(0, 4))]
        query = urlencode(pairs)
        if rng.random() < 0.2:
            query += "&" + rng.choice(PARAMS) + "=" + rng.choice(RAW)
        full = f"{url}?{query}" if query else url
        body, ctype = rng.choice(BAD_BODIES) if method != "GET" else (None, None)
        csrf = web.csrf if token and rng.random() < 0.8 else None
        check(send(web, method, full, body, ctype, csrf), full)


def test_deeply_nested_json_is_a_400(web, annotation_id):
    for method, url in (("POST", "/api/annotations"), ("PATCH", f"/api/annotations/{annotation_id}")):
        resp = send(web, method, url, b"[" * 100_000 + b"]" * 100_000, "application/json", web.csrf)
        check(resp, url)
        assert resp.status_code == 400 and "deeply" in resp.get_json()["message"]


@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.example",
        "/\\/evil.example",
        "//evil.example",
        "/\tx",
        "https://evil.example/",
        "javascript:alert(1)",
        "\\\\evil.example",
    ],
)
def test_login_never_redirects_off_site(web, target):
    resp = web.get("/login", query_string={"next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] in ("/", "http://localhost/")


# --- untrusted document text, entities and annotations are escaped wherever rendered -----------

EVIL = {
    "title": f"Evil {XSS} title",
    "paragraphs": [
        f"Border policy {XSS} and {IMG} in the Aegean.",
        "Frontex </p><b>bold</b> runs the border agency & more.",
    ],
    "note": f'See {XSS} and https://example.org/a"onmouseover=alert(1).',
}


@pytest.fixture(scope="module")
def evil_app(tmp_path_factory):
    """A data directory holding one document whose text, title, note and entities are hostile."""
    from indexer.ner import Entity
    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document

    root = tmp_path_factory.mktemp("evil") / "data"
    root.mkdir()
    first = EVIL["paragraphs"][0]
    doc = make_document(
        "evil", EVIL["paragraphs"], title=EVIL["title"], notes={"1": EVIL["note"]}, marks={0: [(len(first), "1")]}
    )
    p0 = doc.passages[0].start
    at = doc.text.index(XSS, p0)
    entities = [
        Entity(at, at + len(XSS), "ORG", XSS, XSS),
        Entity(doc.text.index("Frontex"), doc.text.index("Frontex") + 7, '"><b>', "Frontex", IMG),
    ]
    write_index(root / "index", [(doc, entities)])
    DocumentStore(root).put(
        StoredDocument(document=doc, entities=entities, ingested_at="2026-01-01T00:00:00Z", source_hash="x")
    )
    return make_app(root, root / "glossa.db")


def test_hostile_document_text_is_escaped_everywhere(evil_app):
    client = evil_app.test_client()
    html = client.get("/doc/evil").get_data(as_text=True)
    client.csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
    body = {
        "type": "Annotation",
        "body": [
            {"type": "TextualBody", "purpose": "commenting", "value": XSS},
            {"type": "TextualBody", "purpose": "tagging", "value": "evil"},
        ],
        "target": {
            "source": "http://localhost/doc/evil",
            "selector": {"type": "TextQuoteSelector", "exact": "Border policy"},
        },
    }
    assert client.post("/api/annotations", json=body, headers={"X-CSRF-Token": client.csrf}).status_code == 201
    urls = [
        "/",
        "/?q=border",
        "/?q=aegean&type=ORG",
        f"/?q=border&entity={IMG}",
        "/?q=tag:evil",
        "/doc/evil",
        "/doc/evil?q=border",
        f"/doc/evil?ent=ORG:{XSS}",
        "/doc/evil/fn/1",
        "/entities",
        f"/entities?name={XSS}",
        "/works",
        "/annotations",
        "/annotations?tag=evil",
    ]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        check(resp, url, reflected=(XSS, IMG, "<b>bold</b>", "<b>", 'onmouseover=alert(1)"'))
        html = resp.get_data(as_text=True)
        assert "onmouseover=" not in html.replace("onmouseover=alert(1)", ""), url  # only as escaped text
    # the hostile text is still shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/doc/evil").get_data(as_text=True)
    assert "&lt;script&gt;" in client.get("/?q=border").get_data(as_text=True)
    # JSON carries it as data (the browser never renders it as HTML)
    assert client.get("/api/search?q=border").status_code == 200


# --- headers: CSP on every response type, cookies, no inline script anywhere -----------------------


def test_security_headers_on_every_kind_of_response(app, web, doc_id, annotation_id):
    responses = {
        "html": web.get("/"),
        "html 404": web.get("/doc/nope"),
        "html 405": web.post("/help"),
        "redirect": web.get(f"/cite?doc={doc_id}&n=4"),
        "json": web.get("/api/documents"),
        "json 400": web.get("/api/search"),
        "json 404": web.get("/api/documents/nope"),
        "ld+json": web.get("/api/annotations"),
        "csv": web.get("/api/annotations/export?format=csv"),
        "static": web.get("/static/app.js"),
        "health": web.get("/healthz"),
        "403": app.test_client().post("/api/annotations", json={}),
        "204": send(
            web,
            "DELETE",
            "/api/annotations/"
            + web.post("/api/annotations", headers={"X-CSRF-Token": web.csrf}, json=_quote_body(app, doc_id))
            .get_json()["id"]
            .rsplit("/", 1)[1],
            csrf=web.csrf,
        ),
    }
    for kind, resp in responses.items():
        assert resp.status_code < 500, kind
        csp = resp.headers.get("Content-Security-Policy", "")
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", kind
        assert "unsafe-inline" not in directives.get("script-src", "") and "unsafe-eval" not in csp, kind
        assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", kind
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", kind
    assert responses["204"].status_code == 204 and responses["html 405"].status_code == 405
    assert responses["json 404"].is_json and responses["html 404"].mimetype == "text/html"
    cookies = [h for k, h in responses["html"].headers.items() if k.lower() == "set-cookie"]
    cookies += [h for k, h in web.get(f"/doc/{doc_id}").headers.items() if k.lower() == "set-cookie"]
    fresh = app.test_client().get(f"/doc/{doc_id}")
    cookies += [h for k, h in fresh.headers.items() if k.lower() == "set-cookie"]
    assert cookies, "the session cookie is set for the CSRF token"
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


def _quote_body(app, doc_id):
    from tests.webui.anno_support import selector_body

    with app.app_context():
        from webui import services

        doc = services.get_store().get(doc_id).document
    quote = doc.text[doc.passages[3].start : doc.passages[3].start + 20]
    return selector_body(doc, quote, comment="to delete", base="http://localhost")


def test_templates_and_scripts_have_no_inline_code():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "webui"
    for path in sorted((root / "templates").glob("*.html")) + sorted((root / "static").glob("*.js")):
        text = path.read_text()
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", text, re.I), f"inline event handler in {path.name}"
        assert not re.search(r"javascript:", text, re.I), path.name
        for script in re.findall(r"<script\b[^>]*>", text, re.I):
            assert "src=" in script, f"inline <script> in {path.name}"
        if path.suffix == ".js":
            for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
                assert bad not in text, f"{bad} in {path.name}"
    # only one place marks text safe in a template: the indexer's escaped snippet
    safe = [
        (p.name, line)
        for p in (root / "templates").glob("*.html")
        for line in p.read_text().splitlines()
        if "|safe" in line
    ]
    assert [name for name, _ in safe] == ["search.html"]


# --- the footnote page and the API agree on citing sentences (one implementation) --------------


def test_footnote_page_and_api_show_the_same_citing_sentences(app, web, doc_id):
    from html import unescape

    with app.app_context():
        from webui import services

        doc = services.get_store().get(doc_id).document
    for note in doc.footnotes[:40]:
        api = web.get(f"/api/documents/{doc_id}/footnotes/{note.number}").get_json()
        html = web.get(f"/doc/{doc_id}/fn/{note.number}").get_data(as_text=True)
        shown = re.findall(r"<li><blockquote>(.*?)</blockquote>", html.split("Cited in the text", 1)[1], re.S)
        plain_ = [unescape(re.sub(r'<sup class="fnref-here">.*?</sup>', "", s)) for s in shown]
        assert plain_ == [c["sentence"] for c in api["citing"]], note.number


def test_overlong_api_query_is_refused_fast(web):
    """A 100,000-character query kept the searcher busy for over a minute; now a quick 400."""
    import time

    started = time.perf_counter()
    resp = web.get("/api/search", query_string={"q": "x" * 100_000})
    assert resp.status_code == 400 and "too long" in resp.get_json()["message"]
    assert time.perf_counter() - started < 2
    # error messages quote a long bad query shortened, not whole
    resp = web.get("/api/search", query_string={"q": "NOT " * 200 + "("})
    assert resp.status_code == 400 and len(resp.get_json()["message"]) < 400


def test_hostile_sign_in_and_tokens(app):
    accounts = make_app(app.config["DATA_DIR"], app.config["DATA_DIR"] + "/signin.db", AUTH="accounts")
    client = accounts.test_client()
    for header in ("Bearer <script>", "Bearer " + "x" * 50_000, "Bearer \x00", "Bearer é", "Basic abc", "Bearer"):
        resp = client.get("/api/annotations", headers={"Authorization": header})
        check(resp, "/api/annotations")
        assert resp.status_code == 401
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    for name, password in (("x" * 10_000, "\x00"), (XSS, "y"), ("a\x00b", "p" * 100_000), ("é", "")):
        resp = client.post(
            "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/\\evil.example"}
        )
        check(resp, "/login")
        assert resp.status_code == 401 and "Unknown user name or wrong password" in resp.get_data(as_text=True)
    for body, ctype in BAD_BODIES[:14]:
        check(send(client, "POST", "/login", body, ctype, token), "/login")
