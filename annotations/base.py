"""Shared service plumbing: errors, plain user records, sessions and retried writes."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .models import User

T = TypeVar("T")
WRITE_ATTEMPTS = 10
TRANSIENT = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "deadlock detected",
    "could not serialize",
)


DISK_FULL = "the disk holding the data is full, so the change was not saved: free some space and try again"


class AnnotationError(Exception):
    """A request the service refuses; `status` is the HTTP-like code, `message` is for people."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class UserRecord:
    """A user as plain data (never carries the password hash)."""

    id: int
    name: str
    created: datetime
    #: reader, editor or admin (see annotations.accounts.ROLES)
    role: str = "reader"


def user_record(row: User) -> UserRecord:
    """Plain copy of a User row."""
    return UserRecord(id=row.id, name=row.name, created=row.created, role=row.role or "reader")


def is_transient(exc: OperationalError) -> bool:
    """True for lock/busy/serialization errors that a retry can cure."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(t in text for t in TRANSIENT)


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's 'database or disk is full' and for OSError ENOSPC / EDQUOT."""
    import errno

    for err in (exc, getattr(exc, "orig", None), exc.__cause__):
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if err is not None and "database or disk is full" in str(err).lower():
            return True
    return False


class ServiceBase:
    """Holds the session factory; `_read` and `_write` run one unit of work each."""

    def __init__(self, sessions: sessionmaker[Session] | Callable[[], Session]):
        self._sessions = sessions

    def _read(self, fn: Callable[[Session], T]) -> T:
        with self._sessions() as session:
            return fn(session)

    def _write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` and commit; retried on 'database is locked'; returns only after commit."""
        delay = 0.02
        for attempt in range(WRITE_ATTEMPTS):
            with self._sessions() as session:
                try:
                    result = fn(session)
                    session.commit()
                    return result
                except OperationalError as exc:
                    session.rollback()
                    if is_disk_full(exc):
                        raise AnnotationError(507, DISK_FULL) from exc
                    if not is_transient(exc) or attempt == WRITE_ATTEMPTS - 1:
                        raise AnnotationError(503, "the annotation store is busy; try again") from exc
                except BaseException:
                    session.rollback()
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
        raise AnnotationError(503, "the annotation store is busy; try again")

    @staticmethod
    def _user_row(session: Session, user) -> User:
        """The User row for a UserRecord, a name or an id; 401 when missing."""
        if user is None:
            raise AnnotationError(401, "you must be logged in")
        if isinstance(user, UserRecord):
            row = session.get(User, user.id)
        elif isinstance(user, int):
            row = session.get(User, user)
        else:
            row = session.scalar(select(User).where(User.name == str(user)))
        if row is None:
            raise AnnotationError(401, "unknown user")
        return row
