"""ORM tables: users, API tokens, annotations and their tags."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .db import Base

VISIBILITIES = ("private", "shared")
STATUSES = ("anchored", "orphaned")


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
        CheckConstraint("status IN ('anchored', 'orphaned')", name="status"),
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
