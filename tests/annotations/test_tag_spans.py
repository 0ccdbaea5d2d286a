"""AnnotationService.visible_tag_spans: what tag: search may match for a viewer (SQLite and PostgreSQL)."""

from __future__ import annotations

TEXT = "Frontex operates in the Western Balkans. Serbia signed a status agreement in 2024."


def _make(service, user, quote, tags, visibility="private"):
    start = TEXT.index(quote)
    return service.create(user, "doc-1", TEXT, quote, start, start + len(quote), tags=tags, visibility=visibility)


def test_visible_tag_spans_are_shared_and_own_anchored_tags_only(service):
    alice = service.add_user("alice", "alice-password")
    bob = service.add_user("bob", "bob-password-1")
    frontex = _make(service, alice, "Frontex operates", ["secretplan", "Frontex"])
    serbia = _make(service, alice, "Serbia signed", ["treaty"], visibility="shared")
    balkans = _make(service, bob, "Western Balkans", ["route"])
    _make(service, bob, "status agreement", [])
    f, s, b = (frontex.start, frontex.end), (serbia.start, serbia.end), (balkans.start, balkans.end)
    assert sorted(service.visible_tag_spans(alice)) == sorted(
        [("doc-1", *f, "secretplan"), ("doc-1", *f, "Frontex"), ("doc-1", *s, "treaty")]
    )
    assert sorted(service.visible_tag_spans(bob)) == sorted([("doc-1", *s, "treaty"), ("doc-1", *b, "route")])
    assert service.visible_tag_spans(None) == [("doc-1", *s, "treaty")]
    assert service.visible_tag_spans("alice") == service.visible_tag_spans(alice)  # by name too
    assert service.visible_tag_spans("nobody") == [("doc-1", *s, "treaty")]
    # changes show at once: tags replaced, made shared, orphaned, deleted
    service.update(frontex.id, alice, tags=["plan-b"], visibility="shared")
    assert ("doc-1", *f, "plan-b") in service.visible_tag_spans(bob)
    assert "secretplan" not in {t for *_, t in service.visible_tag_spans(alice)}
    service.reanchor("doc-1", "A text that no longer holds any of the quotes at all.")
    assert service.visible_tag_spans(alice) == [] and service.visible_tag_spans(bob) == []
