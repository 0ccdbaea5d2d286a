"""AnnotationService: validated create/read/update/delete, listing, tags and re-anchoring."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from . import db
from .accounts import AccountsMixin
from .anchoring import Anchorer, anchorer_for, text_hash
from .base import AnnotationError, UserRecord, user_record
from .model import AnchorRecord, AnnotationInput, AnnotationRecord, JsonLdError, from_jsonld
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
        or_(Annotation.visibility == "shared", Annotation.creator_id == bindparam("viewer")),
    )
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
    ) -> AnnotationRecord:
        """Validate and store a new annotation; `doc_text` is None when the document is unknown."""
        if not isinstance(doc_id, str) or not doc_id or len(doc_id) > MAX_DOC_ID:
            raise AnnotationError(400, "doc_id must be a non-empty id")
        s, e = place_quote(doc_text, exact, start, end, prefix, suffix)
        comment, tags = clean_comment(comment), clean_tags(tags)
        visibility = clean_visibility(visibility)
        selector = anchorer_for(doc_text).describe(s, e)
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
                prefix=selector.prefix,
                suffix=selector.suffix,
                start=s,
                end=e,
                comment=comment,
                created=now,
                modified=now,
                status="anchored",
                text_hash=digest,
                rival_score=selector.rival,
            )
            row.tag_rows = [AnnotationTag(tag=t, position=i) for i, t in enumerate(tags)]
            session.add(row)
            session.add(_first_event(row, "created", owner.id))
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

    @staticmethod
    def _records(session: Session, rows) -> list[AnnotationRecord]:
        """Records of rows; those under review carry the quote as last confirmed."""
        rows = list(rows)
        review = [r.id for r in rows if r.status == "review"]
        previous: dict[str, str] = {}
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

    def visible_tag_spans(self, viewer=None) -> list[tuple[str, int, int, str]]:
        """(doc_id, start, end, tag) of every tag of the anchored annotations the viewer may
        see (own + shared; anonymous: shared): what ``tag:`` search may match for them."""

        def work(session: Session):
            rows = session.connection().execute(_VISIBLE_TAG_SPANS, {"viewer": self._viewer_id(session, viewer)})
            return [(d, s, e, t) for d, s, e, t in rows]

        return self._read(work)

    def reanchor(self, doc_id: str, new_text: str) -> ReanchorSummary:
        """Re-find every annotation of a document in its new text.

        Each attempt is added to the history (old and new selector, method, score, the
        text's hash); the annotation keeps its current selector. Moves onto changed text
        get the status "review"; misses become orphaned, never deleted.
        """
        digest = text_hash(new_text)
        anchorer = Anchorer(new_text)

        def work(session: Session) -> ReanchorSummary:
            summary = ReanchorSummary()
            rows = session.scalars(select(Annotation).where(Annotation.doc_id == doc_id)).unique()
            for row in rows:
                if row.text_hash == digest and row.status != "orphaned":  # anchored to this very text
                    summary.kept += 1
                    continue
                session.add(self._reanchor_row(row, anchorer, new_text, digest, summary))
            return summary

        return self._write(work)

    @staticmethod
    def _reanchor_row(
        row: Annotation, anchorer: Anchorer, text: str, digest: str, summary: ReanchorSummary
    ) -> AnchorEvent:
        found = anchorer.find(row.exact, row.prefix, row.suffix, row.start, row.end, rival=row.rival_score)
        if found is None:
            summary.orphaned += 1
            event = _event(row, "orphaned", "none", new_text_hash=digest)
            row.status = "orphaned"
            return event
        same_place = (found.start, found.end) == (row.start, row.end) and row.status != "orphaned"
        if found.changed:
            summary.moved_changed += 1
            kind, status = "changed", "review"
        elif same_place:
            summary.kept += 1
            kind, status = "kept", row.status
        else:
            summary.moved_unchanged += 1
            kind, status = "moved", "review" if row.status == "review" else "anchored"
        selector = anchorer.describe(found.start, found.end)
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
        )
        row.start, row.end, row.exact = found.start, found.end, selector.exact
        row.prefix, row.suffix, row.rival_score = selector.prefix, selector.suffix, selector.rival
        row.status, row.text_hash = status, digest
        return event

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

    def replace_anchor(self, annotation_id: str, user, start: int, end: int, text: str) -> AnnotationRecord:
        """Re-place an annotation (an orphan, or one under review) by hand on text[start:end] (author only)."""
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            raise AnnotationError(400, f"selector {start}..{end} is outside the document text (0..{len(text)})")
        if end - start > MAX_QUOTE:
            raise AnnotationError(413, f"quote too long (max {MAX_QUOTE} characters)")
        selector = anchorer_for(text).describe(start, end)
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
                )
            )
            row.start, row.end, row.exact = start, end, selector.exact
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
            )
            row.tag_rows = [AnnotationTag(tag=t, position=i) for i, t in enumerate(tags)]
            session.add(row)
            session.flush()  # the row first: the history refers to it
            if inp.history:
                names = {h.actor for h in inp.history if h.actor}
                found = session.execute(select(User.name, User.id).where(User.name.in_(names))) if names else []
                ids = {n: i for n, i in found}
                session.add_all(_event_row(row.id, h, ids.get(h.actor)) for h in inp.history)
            else:
                session.add(_first_event(row, "imported"))
            return True

        return self._write(work)


def _selector(exact, prefix, suffix, start, end) -> dict | None:
    if exact is None:
        return None
    return {"exact": exact, "prefix": prefix or "", "suffix": suffix or "", "start": start, "end": end}


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
                old=_selector(ev.old_exact, ev.old_prefix, ev.old_suffix, ev.old_start, ev.old_end),
                new=_selector(ev.new_exact, ev.new_prefix, ev.new_suffix, ev.new_start, ev.new_end),
                old_text_hash=ev.old_text_hash,
                new_text_hash=ev.new_text_hash,
                actor=names.get(ev.actor_id),
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
        actor_id=actor_id,
        created=h.at or utcnow(),
    )
