"""AnnotationService against SQLite and PostgreSQL: validation, visibility, updates, users, tokens."""

from __future__ import annotations

import pytest

from annotations.base import AnnotationError
from annotations.service import MAX_COMMENT

TEXT = (
    "The European Union externalises its borders. Frontex operates in the Western Balkans. "
    "Serbia signed a status agreement in 2024. The Western Balkans remain a transit region."
)
DOC = "doc-1"


def span(text: str, quote: str, nth: int = 0) -> tuple[int, int]:
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(quote, pos + 1)
    return pos, pos + len(quote)


@pytest.fixture
def users(service):
    return service.add_user("alice", "alice-password"), service.add_user("bob", "bob-password-1")


def make(service, user, quote="Frontex operates", **kw):
    s, e = span(TEXT, quote)
    return service.create(user, DOC, TEXT, quote, s, e, **kw)


def test_create_and_get(service, users):
    alice, _ = users
    a = make(service, alice, comment="Key claim", tags=["frontex", "EU:border"], visibility="shared")
    got = service.get(a.id, alice)
    assert got.exact == "Frontex operates" and got.comment == "Key claim"
    assert got.tags == ["frontex", "EU:border"]
    assert got.creator == "alice" and got.status == "anchored"
    assert got.prefix.endswith("borders. ") and got.suffix.startswith(" in the Western")
    assert got.created.tzinfo is not None and got.modified >= got.created
    assert len(got.text_hash) == 64


def test_quote_found_when_positions_missing_or_stale(service, users):
    alice, _ = users
    a = service.create(alice, DOC, TEXT, "status agreement", None, None)
    assert TEXT[a.start : a.end] == "status agreement"
    b = service.create(alice, DOC, TEXT, "status agreement", 0, 16)
    assert (b.start, b.end) == (a.start, a.end)


@pytest.mark.parametrize(
    "kwargs, status, words",
    [
        (dict(doc_text=None), 404, "unknown document"),
        (dict(start=150, end=400), 400, "outside the document"),
        (dict(start=-1, end=5), 400, "outside the document"),
        (dict(start=10, end=5), 400, "outside the document"),
        (dict(exact="words that are nowhere in it"), 422, "does not match"),
        (dict(exact=""), 400, "non-empty"),
        (dict(comment="x" * (MAX_COMMENT + 1)), 413, "too long"),
        (dict(tags=["has space"]), 400, "bad tag"),
        (dict(tags=["x" * 41]), 400, "bad tag"),
        (dict(tags=["<script>"]), 400, "bad tag"),
        (dict(tags="notalist"), 400, "list"),
        (dict(tags=[f"t{i}" for i in range(21)]), 400, "at most"),
        (dict(visibility="public"), 400, "visibility"),
        (dict(doc_id=""), 400, "doc_id"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(service, users, kwargs, status, words):
    alice, _ = users
    s, e = span(TEXT, "Frontex operates")
    args = dict(doc_id=DOC, doc_text=TEXT, exact="Frontex operates", start=s, end=e)
    args.update(kwargs)
    with pytest.raises(AnnotationError) as err:
        service.create(alice, **args)
    assert err.value.status == status and words in err.value.message
    assert service.count(alice) == 0


def test_anonymous_cannot_create(service):
    with pytest.raises(AnnotationError) as err:
        service.create(None, DOC, TEXT, "Frontex", *span(TEXT, "Frontex"))
    assert err.value.status == 401


def test_visibility_rules(service, users):
    alice, bob = users
    private = make(service, alice, visibility="private")
    shared = make(service, alice, quote="Serbia signed", visibility="shared")
    bobs = make(service, bob, quote="transit region", visibility="private")
    assert {a.id for a in service.find(alice)} == {private.id, shared.id}
    assert {a.id for a in service.find(bob)} == {shared.id, bobs.id}
    assert [a.id for a in service.find(None)] == [shared.id]
    with pytest.raises(AnnotationError) as err:
        service.get(private.id, bob)
    assert err.value.status == 404
    with pytest.raises(AnnotationError):
        service.get(private.id, None)
    assert service.get(shared.id, None).id == shared.id
    assert service.count(None) == 1 and service.count(bob) == 2


def test_update_and_delete_author_only(service, users):
    alice, bob = users
    a = make(service, alice, visibility="shared", tags=["one"])
    with pytest.raises(AnnotationError) as err:
        service.update(a.id, bob, comment="hijack")
    assert err.value.status == 403
    with pytest.raises(AnnotationError) as err:
        service.delete(a.id, bob)
    assert err.value.status == 403
    b = service.update(a.id, alice, comment="new text", tags=["two", "three"], visibility="private")
    assert (b.comment, b.tags, b.visibility) == ("new text", ["two", "three"], "private")
    assert b.modified > a.modified and b.created == a.created
    assert service.get(a.id, alice).tags == ["two", "three"]
    with pytest.raises(AnnotationError):
        service.update(a.id, alice, tags=["bad tag"])
    assert service.get(a.id, alice).tags == ["two", "three"]
    service.delete(a.id, alice)
    with pytest.raises(AnnotationError) as err:
        service.get(a.id, alice)
    assert err.value.status == 404


def test_list_filters_and_tag_counts(service, users):
    alice, bob = users
    make(service, alice, tags=["frontex", "eu"], comment="About 100% sure", visibility="shared")
    make(service, alice, quote="Western Balkans remain", tags=["balkans"], visibility="shared")
    make(service, bob, quote="Serbia signed", tags=["frontex"], visibility="shared")
    make(service, bob, quote="European Union", tags=["secret"], visibility="private")
    service.create(
        alice, "doc-2", "Other text about Frontex.", "Frontex", 17, 24, tags=["frontex"], visibility="shared"
    )
    assert len(service.find(None, doc_id=DOC)) == 3
    assert [a.exact for a in service.find(None, doc_id=DOC)] == [
        "Frontex operates",
        "Serbia signed",
        "Western Balkans remain",
    ]
    assert len(service.find(None, tag="frontex")) == 3
    assert {a.creator for a in service.find(None, author="bob")} == {"bob"}
    assert [a.exact for a in service.find(None, q="serbia")] == ["Serbia signed"]
    assert len(service.find(None, q="100%")) == 1 and service.find(None, q="1_0") == []
    assert service.tag_counts(None) == [("frontex", 3), ("balkans", 1), ("eu", 1)]
    assert ("secret", 1) in service.tag_counts(bob)
    assert service.tag_counts(None, doc_id="doc-2") == [("frontex", 1)]
    assert len(service.find(alice, limit=2)) == 2


def test_users_and_tokens(service):
    u = service.add_user("carol", "correct horse")
    with pytest.raises(AnnotationError) as err:
        service.add_user("carol", "another password")
    assert err.value.status == 409
    for bad in ("", "has space", "x" * 65, "<b>"):
        with pytest.raises(AnnotationError):
            service.add_user(bad, "long enough password")
    with pytest.raises(AnnotationError):
        service.add_user("dave", "short")
    assert service.authenticate("carol", "correct horse") == u
    assert service.authenticate("carol", "wrong horse") is None
    assert service.authenticate("nobody", "correct horse") is None
    assert service.check_password("carol", "correct horse")
    assert service.get_user("carol") == u and service.get_user("nobody") is None
    token = service.create_token(u, "cli")
    assert service.user_for_token(token) == u
    assert service.user_for_token(token + "x") is None and service.user_for_token("") is None
    assert service.revoke_tokens(u) == 1 and service.user_for_token(token) is None


def test_secrets_are_not_stored_in_plain_text(service, service_url):
    from sqlalchemy import create_engine, text

    from annotations.db import normalize_url

    u = service.add_user("erin", "my secret password")
    token = service.create_token(u)
    engine = create_engine(normalize_url(service_url))
    with engine.connect() as conn:
        pw = conn.execute(text("SELECT password_hash FROM users")).scalar()
        stored = conn.execute(text("SELECT token_hash FROM api_tokens")).scalar()
    engine.dispose()
    assert "my secret password" not in pw and pw.startswith("$argon2id$")
    assert stored != token and token not in stored
