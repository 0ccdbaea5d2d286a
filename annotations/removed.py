"""Removed documents: the half of AnnotationService that remembers which documents left the corpus.

Removing a document never deletes its annotations: they stay in the store, are listed and
exported as belonging to a removed document, and come back to life (re-anchored on the text)
when the same document is added again, by id or by content hash.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from .base import ServiceBase
from .models import Annotation, RemovedDocument


@dataclass(frozen=True)
class RemovedRecord:
    """A removed document as plain data."""

    doc_id: str
    title: str
    source_hash: str
    source_name: str
    removed_by: str
    removed_at: datetime
    annotations: int = 0

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source_name": self.source_name,
            "removed_by": self.removed_by,
            "removed_at": self.removed_at.isoformat(),
            "annotations": self.annotations,
        }


def _record(row: RemovedDocument, count: int = 0) -> RemovedRecord:
    return RemovedRecord(
        doc_id=row.doc_id,
        title=row.title or "",
        source_hash=row.source_hash or "",
        source_name=row.source_name or "",
        removed_by=row.removed_by or "",
        removed_at=row.removed_at,
        annotations=count,
    )


class RemovedDocumentsMixin(ServiceBase):
    """mark_removed, removed_documents, removed_ids, unmark_removed, annotation_count_for."""

    def mark_removed(
        self,
        doc_id: str,
        title: str = "",
        source_hash: str = "",
        source_name: str = "",
        removed_by: str = "",
        removed_at: datetime | None = None,
    ) -> RemovedRecord:
        """Remember that ``doc_id`` left the corpus (again: the newest removal wins); at
        ``removed_at`` (an aware time, from an import) or now."""

        def work(session):
            row = session.get(RemovedDocument, doc_id)
            if row is None:
                row = RemovedDocument(doc_id=doc_id)
                session.add(row)
            row.title = title[:2000]
            row.source_hash = source_hash[:64]
            row.source_name = source_name[:2000]
            row.removed_by = removed_by[:64]
            row.removed_at = removed_at if removed_at is not None else datetime.now().astimezone()
            session.flush()
            count = session.scalar(select(func.count()).select_from(Annotation).where(Annotation.doc_id == doc_id))
            return _record(row, count or 0)

        return self._write(work)

    def removed_documents(self) -> builtins.list[RemovedRecord]:
        """Every removed document, newest removal first, with its number of annotations."""

        def work(session):
            counts = dict(session.execute(select(Annotation.doc_id, func.count()).group_by(Annotation.doc_id)).all())
            rows = session.scalars(select(RemovedDocument).order_by(RemovedDocument.removed_at.desc())).all()
            return [_record(r, counts.get(r.doc_id, 0)) for r in rows]

        return self._read(work)

    def removed_ids(self) -> set[str]:
        """The ids of removed documents."""
        return set(self._read(lambda session: session.scalars(select(RemovedDocument.doc_id)).all()))

    def removed_by_hash(self, source_hash: str) -> RemovedRecord | None:
        """The newest removed document whose source had this content hash, or None."""
        if not source_hash:
            return None

        def work(session):
            row = session.scalars(
                select(RemovedDocument)
                .where(RemovedDocument.source_hash == source_hash)
                .order_by(RemovedDocument.removed_at.desc())
            ).first()
            return _record(row) if row else None

        return self._read(work)

    def unmark_removed(self, doc_ids) -> int:
        """Forget the removal of these documents (they are back); returns how many were marked."""
        ids = [d for d in doc_ids if isinstance(d, str)]
        if not ids:
            return 0

        def work(session):
            result = session.execute(delete(RemovedDocument).where(RemovedDocument.doc_id.in_(ids)))
            return result.rowcount or 0

        return self._write(work)

    def move_annotations(self, old_doc_id: str, new_doc_id: str) -> int:
        """Give the annotations of ``old_doc_id`` to ``new_doc_id`` (the same file came back under
        another id); returns how many moved. They are re-anchored on the new text afterwards."""

        def work(session):
            result = session.execute(
                update(Annotation).where(Annotation.doc_id == old_doc_id).values(doc_id=new_doc_id)
            )
            session.execute(delete(RemovedDocument).where(RemovedDocument.doc_id == old_doc_id))
            return result.rowcount or 0

        return self._write(work)
