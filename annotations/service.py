"""AnnotationService: validated create/read/update/delete, listing, tags and re-anchoring."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from . import db
from .accounts import AccountsMixin
from .anchoring import anchor, context_of, text_hash
from .base import AnnotationError, UserRecord, user_record
from .model import AnnotationInput, AnnotationRecord, JsonLdError, from_jsonld
from .models import Annotation, AnnotationTag, User, utcnow
from .validation import (
    MAX_COMMENT,
    MAX_DOC_ID,
    MAX_QUOTE,
    MAX_TAG_LEN,
    MAX_TAGS,
    TAG_RE,
    clean_comment,
    clean_tags,
    clean_visibility,
    place_quote,
)

# The checks live in annotations.validation; they are re-exported here for callers.
__all__ = [
    "AnnotationService",
    "AnnotationError",
    "ReanchorSummary",
    "UserRecord",
    "record",
    "MAX_COMMENT",
    "MAX_DOC_ID",
    "MAX_QUOTE",
    "MAX_TAGS",
    "MAX_TAG_LEN",
    "TAG_RE",
    "clean_comment",
    "clean_tags",
    "clean_visibility",
    "place_quote",
]


@dataclass
class ReanchorSummary:
    """What re-anchoring did: kept in place, moved, orphaned (nothing is deleted)."""

    kept: int = 0
    moved: int = 0
    orphaned: int = 0

    @property
    def total(self) -> int:
        """All annotations of the document."""
        return self.kept + self.moved + self.orphaned

    def to_dict(self) -> dict:
        """JSON-ready counts."""
        return {"kept": self.kept, "moved": self.moved, "orphaned": self.orphaned, "total": self.total}


def record(a: Annotation) -> AnnotationRecord:
    """Plain copy of an Annotation row."""
    return AnnotationRecord(
        id=a.id,
        doc_id=a.doc_id,
        creator=a.creator.name,
        creator_id=a.creator_id,
        visibility=a.visibility,
        exact=a.exact,
        prefix=a.prefix,
        suffix=a.suffix,
        start=a.start,
        end=a.end,
        comment=a.comment,
        tags=a.tags,
        created=a.created,
        modified=a.modified,
        status=a.status,
        text_hash=a.text_hash,
    )


class AnnotationService(AccountsMixin):
    """The annotation store; give it a session factory (see annotations.db)."""

    @classmethod
    def from_url(cls, url: str, migrate: bool = True) -> AnnotationService:
        """A service on its own engine, after running migrations to head."""
        if migrate:
            db.upgrade(url)
        return cls(db.make_session_factory(db.make_engine(url)))

    def create(
        self,
        user,
        doc_id: str,
        doc_text: str | None,
        exact: str,
        start: int | None = None,
        end: int | None = None,
        prefix: str = "",
        suffix: str = "",
        comment: str = "",
        tags=(),
        visibility: str = "private",
    ) -> AnnotationRecord:
        """Validate and store a new annotation; `doc_text` is None when the document is unknown."""
        if not isinstance(doc_id, str) or not doc_id or len(doc_id) > MAX_DOC_ID:
            raise AnnotationError(400, "doc_id must be a non-empty id")
        s, e = place_quote(doc_text, exact, start, end, prefix, suffix)
        comment, tags = clean_comment(comment), clean_tags(tags)
        visibility = clean_visibility(visibility)
        pre, post = context_of(doc_text, s, e)
        digest = text_hash(doc_text)

        def work(session: Session) -> AnnotationRecord:
            owner = self._user_row(session, user)
            now = utcnow()
            row = Annotation(
                id=str(uuid.uuid4()),
                doc_id=doc_id,
                creator=owner,
                visibility=visibility,
                exact=doc_text[s:e],
                prefix=pre,
                suffix=post,
                start=s,
                end=e,
                comment=comment,
                created=now,
                modified=now,
                status="anchored",
                text_hash=digest,
            )
            row.tag_rows = [AnnotationTag(tag=t, position=i) for i, t in enumerate(tags)]
            session.add(row)
            session.flush()
            return record(row)

        return self._write(work)

    def create_input(self, user, inp: AnnotationInput, doc_text: str | None) -> AnnotationRecord:
        """Create from fields read by `model.from_jsonld`."""
        return self.create(
            user,
            inp.doc_id,
            doc_text,
            inp.exact,
            inp.start,
            inp.end,
            inp.prefix,
            inp.suffix,
            inp.comment,
            inp.tags,
            inp.visibility or "private",
        )

    def create_jsonld(self, user, data, doc_text_for: Callable[[str], str | None]) -> AnnotationRecord:
        """Create from a posted W3C annotation; `doc_text_for(doc_id)` gives the text or None."""
        try:
            inp = from_jsonld(data)
        except JsonLdError as exc:
            raise AnnotationError(400, str(exc)) from None
        return self.create_input(user, inp, doc_text_for(inp.doc_id))

    def _visible(self, session: Session, annotation_id, viewer) -> Annotation:
        row = session.get(Annotation, annotation_id) if isinstance(annotation_id, str) else None
        if row is None:
            raise AnnotationError(404, "no such annotation")
        if row.visibility != "shared":
            viewer_id = self._viewer_id(session, viewer)
            if viewer_id != row.creator_id:
                raise AnnotationError(404, "no such annotation")
        return row

    def _viewer_id(self, session: Session, viewer) -> int | None:
        if viewer is None:
            return None
        if isinstance(viewer, UserRecord):
            return viewer.id
        try:
            return self._user_row(session, viewer).id
        except AnnotationError:
            return None

    def _own(self, session: Session, annotation_id, user) -> Annotation:
        row = self._visible(session, annotation_id, user)
        if row.creator_id != self._user_row(session, user).id:
            raise AnnotationError(403, "only the author may change this annotation")
        return row

    def get(self, annotation_id: str, viewer=None) -> AnnotationRecord:
        """One annotation the viewer may see (404 otherwise)."""
        return self._read(lambda s: record(self._visible(s, annotation_id, viewer)))

    def update(
        self, annotation_id: str, user, comment: str | None = None, tags=None, visibility: str | None = None
    ) -> AnnotationRecord:
        """Change comment, tags or visibility (author only); None leaves a field as is."""
        comment = None if comment is None else clean_comment(comment)
        tags = None if tags is None else clean_tags(tags)
        visibility = None if visibility is None else clean_visibility(visibility)

        def work(session: Session) -> AnnotationRecord:
            row = self._own(session, annotation_id, user)
            if comment is not None:
                row.comment = comment
            if visibility is not None:
                row.visibility = visibility
            if tags is not None:
                row.tag_rows.clear()
                session.flush()
                row.tag_rows.extend(AnnotationTag(tag=t, position=i) for i, t in enumerate(tags))
            row.modified = utcnow()
            session.flush()
            return record(row)

        return self._write(work)

    def delete(self, annotation_id: str, user) -> None:
        """Delete an annotation (author only)."""
        self._write(lambda s: s.delete(self._own(s, annotation_id, user)))

    def _filtered(self, session: Session, stmt, viewer, doc_id, tag, author, q, status):
        viewer_id = self._viewer_id(session, viewer)
        if viewer_id is None:
            stmt = stmt.where(Annotation.visibility == "shared")
        else:
            stmt = stmt.where(or_(Annotation.visibility == "shared", Annotation.creator_id == viewer_id))
        if doc_id is not None:
            stmt = stmt.where(Annotation.doc_id == doc_id)
        if status is not None:
            stmt = stmt.where(Annotation.status == status)
        if author is not None:
            stmt = stmt.where(Annotation.creator_id.in_(select(User.id).where(User.name == author)))
        if tag is not None:
            stmt = stmt.where(Annotation.id.in_(select(AnnotationTag.annotation_id).where(AnnotationTag.tag == tag)))
        if q:
            needle = q.lower()
            stmt = stmt.where(
                or_(
                    func.lower(Annotation.exact).contains(needle, autoescape=True),
                    func.lower(Annotation.comment).contains(needle, autoescape=True),
                )
            )
        return stmt

    def list(
        self,
        viewer=None,
        doc_id: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        q: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AnnotationRecord]:
        """Annotations the viewer may see (own + shared; anonymous: shared), in document order."""

        def work(session: Session):
            stmt = self._filtered(session, select(Annotation), viewer, doc_id, tag, author, q, status)
            stmt = stmt.order_by(Annotation.doc_id, Annotation.start, Annotation.created, Annotation.id)
            if limit is not None:
                stmt = stmt.limit(limit)
            return [record(r) for r in session.scalars(stmt.offset(offset)).unique()]

        return self._read(work)

    def all_annotations(self, doc_id: str | None = None) -> list[AnnotationRecord]:
        """Every annotation (of one document, or all), whoever wrote it, in document order: for
        the search index and administrators' exports; never shown to a user as such."""

        def work(session: Session):
            stmt = select(Annotation).order_by(Annotation.doc_id, Annotation.start, Annotation.created, Annotation.id)
            if doc_id is not None:
                stmt = stmt.where(Annotation.doc_id == doc_id)
            return [record(r) for r in session.scalars(stmt).unique()]

        return self._read(work)

    def users_with_counts(self) -> list[tuple[UserRecord, int]]:
        """Every user, by name, with the number of annotations each wrote."""

        def work(session: Session):
            counts = dict(
                session.execute(select(Annotation.creator_id, func.count()).group_by(Annotation.creator_id)).all()
            )
            users = session.scalars(select(User).order_by(User.name)).all()
            return [(user_record(u), counts.get(u.id, 0)) for u in users]

        return self._read(work)

    def count(
        self,
        viewer=None,
        doc_id: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        q: str | None = None,
        status: str | None = None,
    ) -> int:
        """How many annotations `list` would return without limit."""

        def work(session: Session):
            stmt = select(func.count()).select_from(Annotation)
            return session.scalar(self._filtered(session, stmt, viewer, doc_id, tag, author, q, status))

        return self._read(work)

    def tag_counts(self, viewer=None, doc_id: str | None = None) -> list[tuple[str, int]]:
        """(tag, count) over the annotations the viewer may see, most used first."""

        def work(session: Session):
            visible = self._filtered(session, select(Annotation.id), viewer, doc_id, None, None, None, None)
            stmt = (
                select(AnnotationTag.tag, func.count())
                .where(AnnotationTag.annotation_id.in_(visible))
                .group_by(AnnotationTag.tag)
                .order_by(func.count().desc(), AnnotationTag.tag)
            )
            return [(t, n) for t, n in session.execute(stmt)]

        return self._read(work)

    def reanchor(self, doc_id: str, new_text: str) -> ReanchorSummary:
        """Re-find every annotation of a document in its new text; misses become orphaned, never deleted."""
        digest = text_hash(new_text)

        def work(session: Session) -> ReanchorSummary:
            summary = ReanchorSummary()
            rows = session.scalars(select(Annotation).where(Annotation.doc_id == doc_id)).unique()
            for row in rows:
                found = anchor(new_text, row.exact, row.prefix, row.suffix, row.start, row.end)
                if found is None:
                    row.status = "orphaned"
                    summary.orphaned += 1
                    continue
                if found == (row.start, row.end) and row.status == "anchored":
                    summary.kept += 1
                else:
                    summary.moved += 1
                row.start, row.end = found
                row.exact = new_text[found[0] : found[1]]
                row.prefix, row.suffix = context_of(new_text, *found)
                row.status, row.text_hash = "anchored", digest
            return summary

        return self._write(work)

    def replace_anchor(self, annotation_id: str, user, start: int, end: int, text: str) -> AnnotationRecord:
        """Re-place an annotation (e.g. an orphan) by hand on text[start:end] (author only)."""
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            raise AnnotationError(400, f"selector {start}..{end} is outside the document text (0..{len(text)})")
        if end - start > MAX_QUOTE:
            raise AnnotationError(413, f"quote too long (max {MAX_QUOTE} characters)")

        def work(session: Session) -> AnnotationRecord:
            row = self._own(session, annotation_id, user)
            row.start, row.end, row.exact = start, end, text[start:end]
            row.prefix, row.suffix = context_of(text, start, end)
            row.status, row.text_hash, row.modified = "anchored", text_hash(text), utcnow()
            session.flush()
            return record(row)

        return self._write(work)

    def restore(self, inp: AnnotationInput) -> bool:
        """Insert an imported annotation as it was (id, creator, dates); False if the id exists."""
        if not inp.id or not inp.creator:
            raise AnnotationError(400, "an imported annotation needs an id and a creator")
        comment, tags = clean_comment(inp.comment), clean_tags(inp.tags)
        start = inp.start if inp.start is not None else 0
        end = inp.end if inp.end is not None else start + len(inp.exact)
        owner = self.ensure_user(inp.creator)

        def work(session: Session) -> bool:
            if session.get(Annotation, inp.id) is not None:
                return False
            now = utcnow()
            row = Annotation(
                id=inp.id,
                doc_id=inp.doc_id,
                creator_id=owner.id,
                visibility=inp.visibility or "private",
                exact=inp.exact,
                prefix=inp.prefix,
                suffix=inp.suffix,
                start=start,
                end=end,
                comment=comment,
                created=inp.created or now,
                modified=inp.modified or inp.created or now,
                status=inp.status or "anchored",
                text_hash=inp.text_hash or "",
            )
            row.tag_rows = [AnnotationTag(tag=t, position=i) for i, t in enumerate(tags)]
            session.add(row)
            return True

        return self._write(work)
