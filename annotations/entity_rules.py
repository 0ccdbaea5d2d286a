"""The entity correction rules of a corpus: stored with author and time, undone by marking.

Entities are known here by label and name only (what a rule matches and what it makes of
it); what a rule means, and whether it may join the others, is decided by the caller
(``indexer.entity_rules`` through the web app), passed in as ``check``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .base import AnnotationError, ServiceBase
from .models import RULE_ACTIONS, EntityRuleRow, utcnow

FIELDS = ("action", "label", "name", "new_label", "new_name", "surface")


def name_key(name: str) -> str:
    """A name as rules match it: accents stripped, case folded, whitespace collapsed (the
    annotation store imports nothing of ours: this is corpus.clean.fold, cut to the column's
    200 characters; tests/test_stored_keys.py checks that they agree)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())[:200]


@dataclass(frozen=True)
class RuleRecord:
    """A stored rule as plain data."""

    id: int
    action: str
    label: str
    name: str
    new_label: str
    new_name: str
    surface: str
    author: str
    created: datetime
    deleted: datetime | None = None
    deleted_by: str | None = None

    def fields(self) -> dict[str, str]:
        """The rule itself (no id, author or time)."""
        return {name: getattr(self, name) for name in FIELDS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (times in ISO 8601, UTC)."""
        data: dict[str, Any] = {"id": self.id, **{k: v for k, v in self.fields().items() if v}, "author": self.author}
        data["created"] = self.created.isoformat(timespec="seconds")
        if self.deleted is not None:
            data["deleted"] = self.deleted.isoformat(timespec="seconds")
            data["deleted_by"] = self.deleted_by
        return data


def _record(row: EntityRuleRow) -> RuleRecord:
    return RuleRecord(
        id=row.id,
        action=row.action,
        label=row.label,
        name=row.name,
        new_label=row.new_label,
        new_name=row.new_name,
        surface=row.surface,
        author=row.author,
        created=row.created,
        deleted=row.deleted,
        deleted_by=row.deleted_by,
    )


#: ``check(active_rules, new_fields) -> message or None``: why the new rule may not join
Check = Callable[[list[RuleRecord], Mapping[str, str]], "str | None"]


#: (rules ever added, rules undone): EntityRuleStore.version
_VERSION = select(func.count(), func.count(EntityRuleRow.deleted)).select_from(EntityRuleRow)


class EntityRuleStore(ServiceBase):
    """Adds, lists and undoes entity rules; every write returns after its commit."""

    def _active(self, session: Session) -> list[RuleRecord]:
        rows = session.scalars(select(EntityRuleRow).where(EntityRuleRow.deleted.is_(None)).order_by(EntityRuleRow.id))
        return [_record(r) for r in rows]

    def active(self) -> list[RuleRecord]:
        """The rules in force, oldest first."""
        return self._read(self._active)

    def history(self) -> list[RuleRecord]:
        """Every rule ever made, undone ones included, oldest first."""
        return self._read(lambda s: [_record(r) for r in s.scalars(select(EntityRuleRow).order_by(EntityRuleRow.id))])

    def get(self, rule_id: int) -> RuleRecord | None:
        """One rule (undone or not), or None."""

        def read(session: Session) -> RuleRecord | None:
            row = session.get(EntityRuleRow, rule_id)
            return _record(row) if row is not None else None

        return self._read(read)

    def version(self) -> tuple[int, int]:
        """Changes whenever a rule is added or undone (rows are never removed or edited)."""

        def read(session: Session) -> tuple[int, int]:  # one query: every search asks
            total, undone = session.execute(_VERSION).one()
            return int(total or 0), int(undone or 0)

        return self._read(read)

    def add(self, fields: Mapping[str, str], author: str, check: Check | None = None) -> RuleRecord:
        """Store one rule (fields already cleaned); ``check`` may refuse it (409)."""
        return self.add_many([fields], author, check)[0]

    def add_many(self, items: Iterable[Mapping[str, str]], author: str, check: Check | None = None) -> list[RuleRecord]:
        """Store several rules in one commit (all or none); ``check`` sees each in turn."""
        wanted = [dict(item) for item in items]
        for item in wanted:
            if item.get("action") not in RULE_ACTIONS:
                raise AnnotationError(400, f"action must be one of {', '.join(RULE_ACTIONS)}")

        def write(session: Session) -> list[RuleRecord]:
            active = self._active(session)
            made = []
            for item in wanted:
                if check is not None:
                    message = check(active, item)
                    if message:
                        raise AnnotationError(409, message)
                row = EntityRuleRow(
                    action=item["action"],
                    label=item["label"],
                    name=item["name"],
                    name_key=name_key(item["name"]),
                    new_label=item.get("new_label", ""),
                    new_name=item.get("new_name", ""),
                    surface=item.get("surface", ""),
                    author=(author or "")[:64],
                    created=utcnow(),
                )
                session.add(row)
                session.flush()
                record = _record(row)
                made.append(record)
                active.append(record)
            return made

        return self._write(write)

    def delete(self, rule_id: int, author: str) -> RuleRecord:
        """Undo a rule (it stays in the history, marked deleted); 404 if there is none in force."""

        def write(session: Session) -> RuleRecord:
            row = session.get(EntityRuleRow, rule_id)
            if row is None or row.deleted is not None:
                raise AnnotationError(404, f"there is no entity rule {rule_id} in force")
            row.deleted = utcnow()
            row.deleted_by = (author or "")[:64]
            session.flush()
            return _record(row)

        return self._write(write)
