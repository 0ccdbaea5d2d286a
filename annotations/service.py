"""AnnotationService: validated create/read/update/delete, listing, tags and re-anchoring."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import db
from .accounts import AccountsMixin
from .anchoring import Anchorer, NoteStream, anchorer_for, note_stream_for, text_hash
from .base import AnnotationError, UserRecord, user_record
from .model import AnchorRecord, AnnotationInput, AnnotationRecord, JsonLdError, check_note, from_jsonld
from .models import EVENTS, AnchorEvent, Annotation, AnnotationTag, User, utcnow
from .removed import RemovedDocumentsMixin
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
    "AnchorRecord",
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


#: tags of anchored annotations that are shared or the viewer's own (viewer None: shared only),
#: built once: searches run it on every request
_VISIBLE_TAG_SPANS = (
    select(Annotation.doc_id, Annotation.start, Annotation.end, AnnotationTag.tag)
    .join(AnnotationTag, AnnotationTag.annotation_id == Annotation.id)
    .where(
        Annotation.status == "anchored",
        Annotation.note.is_(None),  # a note's offsets count in the note, not in the passages
        or_(Annotation.visibility == "shared", Annotation.creator_id == bindparam("viewer")),
    )
)

#: (doc_id, note, tag) of the anchored annotations on notes that a viewer may see
_VISIBLE_NOTE_TAGS = (
    select(Annotation.doc_id, Annotation.note, AnnotationTag.tag)
    .join(AnnotationTag, AnnotationTag.annotation_id == Annotation.id)
    .where(
        Annotation.status == "anchored",
        Annotation.note.is_not(None),
        or_(Annotation.visibility == "shared", Annotation.creator_id == bindparam("viewer")),
    )
    .distinct()
)


@dataclass
class ReanchorSummary:
    """What re-anchoring did (nothing is deleted):

    - kept: at the same place, same text;
    - moved_unchanged: found elsewhere with the same text (whitespace aside);
    - moved_changed: found, but the text there differs from the quote: status "review",
      for the author to accept or re-place;
    - orphaned: not found (the quote and its context are gone).
    """

    kept: int = 0
    moved_unchanged: int = 0
    moved_changed: int = 0
    orphaned: int = 0

    @property
    def moved(self) -> int:
        """Moved, with or without changes."""
        return self.moved_unchanged + self.moved_changed

    @property
    def total(self) -> int:
        """All annotations of the document."""
        return self.kept + self.moved + self.orphaned

    def to_dict(self) -> dict:
        """JSON-ready counts."""
        return {
            "kept": self.kept,
            "moved_unchanged": self.moved_unchanged,
            "moved_changed": self.moved_changed,
            "orphaned": self.orphaned,
            "total": self.total,
        }


CONFIRMING = ("created", "recorded", "imported", "accepted", "replaced")


def record(a: Annotation, previous_exact: str | None = None) -> AnnotationRecord:
    """Plain copy of an Annotation row (`previous_exact`: the quote before an unreviewed move)."""
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
        previous_exact=previous_exact,
        rival_score=a.rival_score,
        note=a.note,
    )


def _event(row: Annotation, event: str, method: str = "", score=None, actor_id=None, **new) -> AnchorEvent:
    """A history row: the annotation's selector now (old) and `new` (new_exact=... etc.)."""
    return AnchorEvent(
        annotation_id=row.id,
        event=event,
        method=method,
        score=score,
        old_exact=row.exact,
        old_prefix=row.prefix,
        old_suffix=row.suffix,
        old_start=row.start,
        old_end=row.end,
        old_text_hash=row.text_hash,
        old_note=row.note,
        actor_id=actor_id,
        created=utcnow(),
        **new,
    )


def _first_event(row: Annotation, event: str, actor_id=None) -> AnchorEvent:
    """The history's first row: the selector as it was made."""
    return AnchorEvent(
        annotation=row,
        annotation_id=row.id,
        event=event,
        method="selected" if event == "created" else "",
        new_exact=row.exact,
        new_prefix=row.prefix,
        new_suffix=row.suffix,
        new_start=row.start,
        new_end=row.end,
        new_text_hash=row.text_hash,
        new_note=row.note,
        actor_id=actor_id,
        created=row.modified,
    )


def _new_selector(row: Annotation) -> dict:
    return {
        "new_exact": row.exact,
        "new_prefix": row.prefix,
        "new_suffix": row.suffix,
        "new_start": row.start,
        "new_end": row.end,
        "new_text_hash": row.text_hash,
        "new_note": row.note,
    }


class AnnotationService(AccountsMixin, RemovedDocumentsMixin):
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
        note: str | None = None,
        notes=None,
    ) -> AnnotationRecord:
        """Validate and store a new annotation; `doc_text` is None when the document is unknown.

        On a footnote: `note` is its number and `notes` the document's notes, (number, text)
        pairs in order (`doc_text` is not used); offsets count in that note's text.
        """
        if not isinstance(doc_id, str) or not doc_id or len(doc_id) > MAX_DOC_ID:
            raise AnnotationError(400, "doc_id must be a non-empty id")
        stream, doc_text, note = _target(doc_text, note, notes)
        s, e = place_quote(doc_text, exact, start, end, prefix, suffix)
        assert doc_text is not None  # place_quote answers 404 for an unknown document
        comment, tags = clean_comment(comment), clean_tags(tags)
        visibility = clean_visibility(visibility)
        assert stream is None or note is not None  # _target gives a note stream only with its note
        selector = anchorer_for(doc_text).describe(s, e) if stream is None else stream.describe(str(note), s, e)
        digest = text_hash(doc_text)

        exact = doc_text[s:e]

        # Three plain INSERTs (the row, its tags, the first history step): the ORM's unit of
        # work cost more than the rest of an API create together. A UserRecord is taken at
        # its word (the foreign key refuses a removed user) instead of being read again.
        def work(session: Session) -> AnnotationRecord:
            if isinstance(user, UserRecord):
                owner_id, owner_name = user.id, user.name
            else:
                owner = self._user_row(session, user)
                owner_id, owner_name = owner.id, owner.name
            now = utcnow()
            rec = AnnotationRecord(
                id=str(uuid.uuid4()),
                doc_id=doc_id,
                creator=owner_name,
                creator_id=owner_id,
                visibility=visibility,
                exact=exact,
                prefix=selector.prefix,
                suffix=selector.suffix,
                start=s,
                end=e,
                comment=comment,
                tags=list(tags),
                created=now,
                modified=now,
                status="anchored",
                text_hash=digest,
                rival_score=selector.rival,
                note=note,
            )
            try:
                session.execute(_INSERT_ANNOTATION, _annotation_params(rec))
                if tags:
                    session.execute(
                        _INSERT_TAG, [{"annotation_id": rec.id, "tag": t, "position": i} for i, t in enumerate(tags)]
                    )
                session.execute(_INSERT_EVENT, _created_event_params(rec, owner_id))
            except IntegrityError as exc:
                if isinstance(user, UserRecord) and self.get_user(user.name) is None:
                    raise AnnotationError(401, "unknown user") from None
                raise exc
            return rec

        return self._write(work)

    def create_input(self, user, inp: AnnotationInput, doc_text: str | None, notes=None) -> AnnotationRecord:
        """Create from fields read by `model.from_jsonld` (`notes`: the document's notes, for
        an annotation whose target is a note)."""
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
            note=inp.note,
            notes=notes,
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

    @staticmethod
    def _records(session: Session, rows) -> list[AnnotationRecord]:
        """Records of rows; those under review carry the quote as last confirmed."""
        rows = list(rows)
        review = [r.id for r in rows if r.status == "review"]
        previous: dict[str, str | None] = {}
        if review:
            stmt = (
                select(AnchorEvent.annotation_id, AnchorEvent.new_exact)
                .where(AnchorEvent.annotation_id.in_(review), AnchorEvent.event.in_(CONFIRMING))
                .order_by(AnchorEvent.id)
            )
            for annotation_id, exact in session.execute(stmt):
                previous[annotation_id] = exact  # the last one wins
        return [record(r, previous.get(r.id)) for r in rows]

    def get(self, annotation_id: str, viewer=None) -> AnnotationRecord:
        """One annotation the viewer may see (404 otherwise)."""
        return self._read(lambda s: self._records(s, [self._visible(s, annotation_id, viewer)])[0])

    def history(self, annotation_id: str, viewer=None) -> list[AnchorRecord]:
        """Every step of the annotation's anchor, oldest first (the first is the original)."""

        def work(session: Session) -> list[AnchorRecord]:
            row = self._visible(session, annotation_id, viewer)
            return _history(session, [row.id]).get(row.id, [])

        return self._read(work)

    def histories(self, annotation_ids, viewer=None, everyone: bool = False) -> dict[str, list[AnchorRecord]]:
        """History of each of the given annotations the viewer may see (for export); with
        `everyone`, of each of them whoever may see it (administrators' exports)."""
        ids = [i for i in annotation_ids if isinstance(i, str)]

        def work(session: Session) -> dict[str, list[AnchorRecord]]:
            if everyone:
                return _history(
                    session, sorted(set(session.scalars(select(Annotation.id).where(Annotation.id.in_(ids)))))
                )
            visible = self._filtered(session, select(Annotation.id), viewer, None, None, None, None, None)
            allowed = set(session.scalars(visible.where(Annotation.id.in_(ids)))) if ids else set()
            return _history(session, sorted(allowed))

        return self._read(work)

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
            return self._records(session, [row])[0]

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

    def find(
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
            return self._records(session, session.scalars(stmt.offset(offset)).unique())

        return self._read(work)

    def all_annotations(self, doc_id: str | None = None) -> builtins.list[AnnotationRecord]:
        """Every annotation (of one document, or all), whoever wrote it, in document order: for
        the search index and administrators' exports; never shown to a user as such."""

        def work(session: Session):
            stmt = select(Annotation).order_by(Annotation.doc_id, Annotation.start, Annotation.created, Annotation.id)
            if doc_id is not None:
                stmt = stmt.where(Annotation.doc_id == doc_id)
            return [record(r) for r in session.scalars(stmt).unique()]

        return self._read(work)

    def users_with_counts(self) -> builtins.list[tuple[UserRecord, int]]:
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

    def tag_counts(self, viewer=None, doc_id: str | None = None) -> builtins.list[tuple[str, int]]:
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

    def visible_note_tags(self, viewer=None) -> builtins.list[tuple[str, str, str]]:
        """(doc_id, note, tag) of the tags on notes of the anchored annotations the viewer may
        see: ``tag:`` search finds them where the text cites the note."""

        def work(session: Session):
            rows = session.connection().execute(_VISIBLE_NOTE_TAGS, {"viewer": self._viewer_id(session, viewer)})
            return [(d, n, t) for d, n, t in rows]

        return self._read(work)

    def visible_tag_spans(self, viewer=None) -> list[tuple[str, int, int, str]]:
        """(doc_id, start, end, tag) of every tag of the anchored annotations the viewer may
        see (own + shared; anonymous: shared): what ``tag:`` search may match for them."""

        def work(session: Session):
            rows = session.connection().execute(_VISIBLE_TAG_SPANS, {"viewer": self._viewer_id(session, viewer)})
            return [(d, s, e, t) for d, s, e, t in rows]

        return self._read(work)

    def visible_tags(self, viewer=None) -> tuple[list[tuple[str, int, int, str]], builtins.list[tuple[str, str, str]]]:
        """(visible_tag_spans, visible_note_tags) of the viewer, read in one unit of work (a
        search needs both: one database session per search, not two)."""

        def work(session: Session):
            params = {"viewer": self._viewer_id(session, viewer)}
            spans = [(d, s, e, t) for d, s, e, t in session.connection().execute(_VISIBLE_TAG_SPANS, params)]
            notes = [(d, n, t) for d, n, t in session.connection().execute(_VISIBLE_NOTE_TAGS, params)]
            return spans, notes

        return self._read(work)

    def reanchor(self, doc_id: str, new_text: str, notes=None) -> ReanchorSummary:
        """Re-find every annotation of a document in its new text (and those on its notes in
        `notes`, its (number, text) pairs in order; None: leave them as they are).

        Each attempt is added to the history (old and new selector, method, score, the
        text's hash); the annotation keeps its current selector. Moves onto changed text
        get the status "review"; misses become orphaned, never deleted.
        """
        digest = text_hash(new_text)
        anchorer = Anchorer(new_text)
        stream = None if notes is None else NoteStream(notes)

        def work(session: Session) -> ReanchorSummary:
            summary = ReanchorSummary()
            rows = session.scalars(select(Annotation).where(Annotation.doc_id == doc_id)).unique()
            for row in rows:
                if row.note is not None:
                    if stream is not None:
                        event = self._reanchor_note_row(row, stream, summary)
                        if event is not None:
                            session.add(event)
                    continue
                if row.text_hash == digest and row.status != "orphaned":  # anchored to this very text
                    summary.kept += 1
                    continue
                session.add(self._reanchor_row(row, anchorer, new_text, digest, summary))
            return summary

        return self._write(work)

    @staticmethod
    def _reanchor_note_row(row: Annotation, stream: NoteStream, summary: ReanchorSummary) -> AnchorEvent | None:
        """Re-find an annotation on a note among the document's notes now (it may be renumbered)."""
        assert row.note is not None  # only rows on a note come here
        current = stream.text_of(row.note)
        if current is not None and row.text_hash == text_hash(current) and row.status != "orphaned":
            summary.kept += 1
            return None
        found = stream.find(row.exact, row.prefix, row.suffix, row.note, row.start, row.end, rival=row.rival_score)
        if found is None:
            summary.orphaned += 1
            digest = text_hash(current) if current is not None else text_hash(stream.text)
            row.status = "orphaned"
            return _event(row, "orphaned", "none", new_text_hash=digest, new_note=row.note)
        m = found.match
        same_place = (found.note, m.start, m.end) == (row.note, row.start, row.end) and row.status != "orphaned"
        selector = stream.describe(found.note, m.start, m.end)
        digest = text_hash(stream.text_of(found.note) or "")
        event = _moved(row, m, same_place, selector, digest, summary, note=found.note)
        row.note = found.note  # after the event, which records the note before as the old one
        return event

    @staticmethod
    def _reanchor_row(
        row: Annotation, anchorer: Anchorer, text: str, digest: str, summary: ReanchorSummary
    ) -> AnchorEvent:
        found = anchorer.find(row.exact, row.prefix, row.suffix, row.start, row.end, rival=row.rival_score)
        if found is None:
            summary.orphaned += 1
            event = _event(row, "orphaned", "none", new_text_hash=digest)
            row.status = "orphaned"
            return event  # new_note stays NULL: a body annotation
        same_place = (found.start, found.end) == (row.start, row.end) and row.status != "orphaned"
        return _moved(row, found, same_place, anchorer.describe(found.start, found.end), digest, summary)

    def accept_anchor(self, annotation_id: str, user) -> AnnotationRecord:
        """Accept where re-anchoring put an annotation under review (author only)."""

        def work(session: Session) -> AnnotationRecord:
            row = self._own(session, annotation_id, user)
            if row.status != "review":
                raise AnnotationError(409, f"the annotation is {row.status}, not under review")
            session.add(_event(row, "accepted", "manual", actor_id=row.creator_id, **_new_selector(row)))
            row.status, row.modified = "anchored", utcnow()
            session.flush()
            return self._records(session, [row])[0]

        return self._write(work)

    def replace_anchor(
        self, annotation_id: str, user, start: int, end: int, text: str | None, note: str | None = None, notes=None
    ) -> AnnotationRecord:
        """Re-place an annotation (an orphan, or one under review) by hand on text[start:end]
        (author only); on a note: `note` and the document's `notes` ((number, text) pairs),
        the offsets counting in that note's text. An annotation may move between the text
        and its notes."""
        stream, text, note = _target(text, note, notes)
        if text is None:
            raise AnnotationError(404, "unknown document")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            raise AnnotationError(400, f"selector {start}..{end} is outside the document text (0..{len(text)})")
        if end - start > MAX_QUOTE:
            raise AnnotationError(413, f"quote too long (max {MAX_QUOTE} characters)")
        assert stream is None or note is not None
        selector = anchorer_for(text).describe(start, end) if stream is None else stream.describe(str(note), start, end)
        digest = text_hash(text)

        def work(session: Session) -> AnnotationRecord:
            row = self._own(session, annotation_id, user)
            session.add(
                _event(
                    row,
                    "replaced",
                    "manual",
                    actor_id=row.creator_id,
                    new_exact=selector.exact,
                    new_prefix=selector.prefix,
                    new_suffix=selector.suffix,
                    new_start=start,
                    new_end=end,
                    new_text_hash=digest,
                    new_note=note,
                )
            )
            row.start, row.end, row.exact, row.note = start, end, selector.exact, note
            row.prefix, row.suffix, row.rival_score = selector.prefix, selector.suffix, selector.rival
            row.status, row.text_hash, row.modified = "anchored", digest, utcnow()
            session.flush()
            return self._records(session, [row])[0]

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
                rival_score=inp.rival_score,
                note=inp.note,
            )
            row.tag_rows = [AnnotationTag(tag=t, position=i) for i, t in enumerate(tags)]
            session.add(row)
            session.flush()  # the row first: the history refers to it
            if inp.history:
                names = {h.actor for h in inp.history if h.actor}
                ids: dict[str, int] = {}
                if names:
                    ids = {n: i for n, i in session.execute(select(User.name, User.id).where(User.name.in_(names)))}
                session.add_all(_event_row(row.id, h, ids.get(h.actor) if h.actor else None) for h in inp.history)
            else:
                session.add(_first_event(row, "imported"))
            return True

        return self._write(work)


def _moved(row: Annotation, found, same_place: bool, selector, digest: str, summary: ReanchorSummary, note=None):
    """Record where re-anchoring put ``row`` (a match ``found`` described by ``selector``):
    kept, moved unchanged, or moved onto changed text (to review); the history event."""
    if found.changed:
        summary.moved_changed += 1
        kind, status = "changed", "review"
    elif same_place:
        summary.kept += 1
        kind, status = "kept", row.status
    else:
        summary.moved_unchanged += 1
        kind, status = "moved", "review" if row.status == "review" else "anchored"
    extra = {"new_note": note} if note is not None else {}
    event = _event(
        row,
        kind,
        found.method,
        found.score,
        new_exact=selector.exact,
        new_prefix=selector.prefix,
        new_suffix=selector.suffix,
        new_start=found.start,
        new_end=found.end,
        new_text_hash=digest,
        **extra,
    )
    row.start, row.end, row.exact = found.start, found.end, selector.exact
    row.prefix, row.suffix, row.rival_score = selector.prefix, selector.suffix, selector.rival
    row.status, row.text_hash = status, digest
    return event


# Core inserts of the mapped tables (a mapped class's __table__ is typed as a FromClause).
_INSERT_ANNOTATION = cast(Table, Annotation.__table__).insert()
_INSERT_TAG = cast(Table, AnnotationTag.__table__).insert()
_INSERT_EVENT = cast(Table, AnchorEvent.__table__).insert()


def _annotation_params(rec: AnnotationRecord) -> dict:
    """The `annotations` row of a new annotation (column names)."""
    return {
        "id": rec.id,
        "doc_id": rec.doc_id,
        "creator_id": rec.creator_id,
        "visibility": rec.visibility,
        "exact": rec.exact,
        "prefix": rec.prefix,
        "suffix": rec.suffix,
        "start_offset": rec.start,
        "end_offset": rec.end,
        "comment": rec.comment,
        "created": rec.created,
        "modified": rec.modified,
        "status": rec.status,
        "text_hash": rec.text_hash,
        "rival_score": rec.rival_score,
        "note": rec.note,
    }


def _created_event_params(rec: AnnotationRecord, actor_id: int) -> dict:
    """The first history row of a new annotation: the selector as it was made."""
    return {
        "annotation_id": rec.id,
        "event": "created",
        "method": "selected",
        "new_exact": rec.exact,
        "new_prefix": rec.prefix,
        "new_suffix": rec.suffix,
        "new_start": rec.start,
        "new_end": rec.end,
        "new_text_hash": rec.text_hash,
        "new_note": rec.note,
        "actor_id": actor_id,
        "created": rec.modified,
    }


def _target(doc_text: str | None, note, notes) -> tuple[NoteStream | None, str | None, str | None]:
    """(the notes' stream or None, the text an annotation's offsets count in, the note checked)."""
    if note is None:
        return None, doc_text, None
    try:
        note = check_note(note)
    except JsonLdError as exc:
        raise AnnotationError(400, exc.message) from None
    if notes is None:
        raise AnnotationError(404, "unknown document")
    stream = note_stream_for(notes)
    text = stream.text_of(note)
    if text is None:
        raise AnnotationError(404, f"the document has no note {note!r}")
    return stream, text, note


def _selector(exact, prefix, suffix, start, end, note=None) -> dict | None:
    if exact is None:
        return None
    out = {"exact": exact, "prefix": prefix or "", "suffix": suffix or "", "start": start, "end": end}
    if note is not None:
        out["note"] = note
    return out


def _history(session: Session, ids: list[str]) -> dict[str, list[AnchorRecord]]:
    """annotation id -> its history records, oldest first."""
    out: dict[str, list[AnchorRecord]] = {}
    if not ids:
        return out
    stmt = select(AnchorEvent).where(AnchorEvent.annotation_id.in_(ids)).order_by(AnchorEvent.id)
    events = list(session.scalars(stmt))
    actors = {ev.actor_id for ev in events if ev.actor_id is not None}
    names = {i: n for i, n in session.execute(select(User.id, User.name).where(User.id.in_(actors)))} if actors else {}
    for ev in events:
        out.setdefault(ev.annotation_id, []).append(
            AnchorRecord(
                event=ev.event,
                method=ev.method,
                score=ev.score,
                old=_selector(ev.old_exact, ev.old_prefix, ev.old_suffix, ev.old_start, ev.old_end, ev.old_note),
                new=_selector(ev.new_exact, ev.new_prefix, ev.new_suffix, ev.new_start, ev.new_end, ev.new_note),
                old_text_hash=ev.old_text_hash,
                new_text_hash=ev.new_text_hash,
                actor=names.get(ev.actor_id) if ev.actor_id is not None else None,
                at=ev.created,
            )
        )
    return out


def _event_row(annotation_id: str, h: AnchorRecord, actor_id: int | None) -> AnchorEvent:
    """An imported history record as a row."""
    if h.event not in EVENTS:
        raise AnnotationError(400, f"unknown history event {h.event!r}")
    old, new = h.old or {}, h.new or {}
    return AnchorEvent(
        annotation_id=annotation_id,
        event=h.event,
        method=h.method or "",
        score=h.score,
        old_exact=old.get("exact"),
        old_prefix=old.get("prefix"),
        old_suffix=old.get("suffix"),
        old_start=old.get("start"),
        old_end=old.get("end"),
        old_text_hash=h.old_text_hash,
        new_exact=new.get("exact"),
        new_prefix=new.get("prefix"),
        new_suffix=new.get("suffix"),
        new_start=new.get("start"),
        new_end=new.get("end"),
        new_text_hash=h.new_text_hash,
        old_note=old.get("note"),
        new_note=new.get("note"),
        actor_id=actor_id,
        created=h.at or utcnow(),
    )
