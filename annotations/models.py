"""ORM tables: users, API tokens, annotations and their tags."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .db import Base

VISIBILITIES = ("private", "shared")
# anchored; review: re-anchored onto text that differs from the quote, for its author to
# accept or re-place; orphaned: not found in the current text (kept, never deleted)
STATUSES = ("anchored", "review", "orphaned")
# what happened to an annotation's anchor (AnchorEvent.event)
EVENTS = ("created", "recorded", "imported", "kept", "moved", "changed", "orphaned", "accepted", "replaced")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, to the microsecond."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A DateTime stored as UTC and always read back timezone-aware (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class User(Base):
    """A person who annotates; the password is stored only as a salted Argon2id (or older scrypt) hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    #: sessions started under an older version are over (sign-out, password change)
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    #: reader, editor or admin (annotations.accounts.ROLES); what the web layer lets the user do
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="reader", server_default="reader")


class ApiToken(Base):
    """An API token; only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship()


class Annotation(Base):
    """A highlighted quote of one document with an optional comment and tags."""

    __tablename__ = "annotations"
    __table_args__ = (
        CheckConstraint("visibility IN ('private', 'shared')", name="visibility"),
        CheckConstraint("status IN ('anchored', 'review', 'orphaned')", name="status"),
        CheckConstraint("start_offset >= 0 AND end_offset >= start_offset", name="offsets"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    doc_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    visibility: Mapped[str] = mapped_column(String(10), nullable=False, default="private")
    exact: Mapped[str] = mapped_column(Text, nullable=False)
    prefix: Mapped[str] = mapped_column(Text, nullable=False, default="")
    suffix: Mapped[str] = mapped_column(Text, nullable=False, default="")
    start: Mapped[int] = mapped_column("start_offset", Integer, nullable=False)
    end: Mapped[int] = mapped_column("end_offset", Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="anchored")
    text_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # how well the best other copy of the quote matched the selector when it was last
    # anchored (0.0: the quote was unique; NULL: not known, e.g. before history was kept)
    rival_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # the footnote (its number) whose text the annotation is on; NULL: the document's text.
    # Offsets, quote and context then count in that note's text.
    note: Mapped[str | None] = mapped_column(String(20), nullable=True)

    creator: Mapped[User] = relationship(lazy="joined")
    tag_rows: Mapped[list[AnnotationTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AnnotationTag.position"
    )

    @property
    def tags(self) -> list[str]:
        """The tags in the order they were given."""
        return [t.tag for t in self.tag_rows]


class AnnotationTag(Base):
    """One tag of one annotation."""

    __tablename__ = "annotation_tags"

    annotation_id: Mapped[str] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AnchorEvent(Base):
    """One step of an annotation's anchor history: never updated, never overwritten.

    `old_*` is the selector before the step, `new_*` after it (NULL when orphaned); the
    first event ("created", "imported", or "recorded" for annotations older than the
    history) holds the original selector.
    """

    __tablename__ = "annotation_anchors"
    __table_args__ = (
        CheckConstraint(
            "event IN ('created', 'recorded', 'imported', 'kept', 'moved', 'changed', 'orphaned', "
            "'accepted', 'replaced')",
            name="event",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[str] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    event: Mapped[str] = mapped_column(String(12), nullable=False)
    method: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    old_exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    old_prefix: Mapped[str | None] = mapped_column(Text, nullable=True)
    old_suffix: Mapped[str | None] = mapped_column(Text, nullable=True)
    old_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    old_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    old_text_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_prefix: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_suffix: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_text_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # the footnote before and after the step (NULL: the document's text)
    old_note: Mapped[str | None] = mapped_column(String(20), nullable=True)
    new_note: Mapped[str | None] = mapped_column(String(20), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    # set when the event is made with its annotation, so one flush inserts both in order
    annotation: Mapped[Annotation] = relationship(lazy="raise")


class RemovedDocument(Base):
    """A document taken out of the corpus; its annotations are kept and shown as belonging to a
    removed document until a file with the same id or content is added again."""

    __tablename__ = "removed_documents"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    source_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="", index=True)
    source_name: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    removed_by: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


# entity corrections (indexer.entity_rules applies them; annotations.entity_rules stores them)
RULE_ACTIONS = ("retype", "rename", "merge", "split", "hide")


class EntityRuleRow(Base):
    """One entity correction, with who made it and when; undoing it marks it deleted (kept)."""

    __tablename__ = "entity_rules"
    __table_args__ = (CheckConstraint("action IN ('retype', 'rename', 'merge', 'split', 'hide')", name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    label: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: the folded name (case and accents ignored), as rules match it
    name_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    new_label: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    new_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    surface: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    author: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    deleted: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
