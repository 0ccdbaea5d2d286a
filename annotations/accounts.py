"""Users and API tokens: the account half of AnnotationService."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .base import AnnotationError, ServiceBase, UserRecord, user_record
from .models import ApiToken, User
from .security import hash_password, new_token, token_digest, unusable_password, verify_password

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024


def check_user_name(name) -> str:
    """A valid user name, or AnnotationError(400)."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise AnnotationError(400, "user name must be 1-64 letters, digits, '.', '_' or '-'")
    return name


class AccountsMixin(ServiceBase):
    """add_user, authenticate, get_user, create_token, user_for_token."""

    def add_user(self, name: str, password: str) -> UserRecord:
        """Create a user with a salted password hash; 409 if the name is taken."""
        check_user_name(name)
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AnnotationError(400, f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        try:
            return self._insert_user(name, hash_password(password))
        except IntegrityError:
            raise AnnotationError(409, f"user {name!r} already exists") from None

    def ensure_user(self, name: str) -> UserRecord:
        """The named user, created with an unusable password if missing (used by imports)."""
        check_user_name(name)
        found = self.get_user(name)
        if found:
            return found
        try:
            return self._insert_user(name, unusable_password())
        except IntegrityError:  # created meanwhile by another writer
            return self.get_user(name)

    def _insert_user(self, name: str, password_hash: str) -> UserRecord:
        """Insert one user row and commit; the unique name raises IntegrityError when taken."""

        def work(session):
            row = User(name=name, password_hash=password_hash)
            session.add(row)
            session.flush()
            return user_record(row)

        return self._write(work)

    def get_user(self, name: str) -> UserRecord | None:
        """The user with this name, or None."""

        def work(session):
            row = session.scalar(select(User).where(User.name == name))
            return user_record(row) if row else None

        return self._read(work)

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password."""
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AnnotationError(400, f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        hashed = hash_password(password)

        def work(session):
            self._user_row(session, name).password_hash = hashed

        self._write(work)

    def authenticate(self, name: str, password: str) -> UserRecord | None:
        """The user when name and password match, else None."""

        def work(session):
            return session.scalar(select(User).where(User.name == name))

        row = self._read(work) if isinstance(name, str) else None
        if row is None or not isinstance(password, str):
            verify_password(hash_password("timing"), "x")  # comparable time for unknown names
            return None
        return user_record(row) if verify_password(row.password_hash, password) else None

    def check_password(self, name: str, password: str) -> bool:
        """True when name and password match."""
        return self.authenticate(name, password) is not None

    def create_token(self, user, label: str = "") -> str:
        """A new API token for the user; the plaintext is returned once and never stored."""
        token = new_token()

        def work(session):
            row = self._user_row(session, user)
            session.add(ApiToken(user_id=row.id, token_hash=token_digest(token), label=label[:100]))

        self._write(work)
        return token

    def user_for_token(self, token: str) -> UserRecord | None:
        """The owner of an API token, or None for an unknown token."""
        if not isinstance(token, str) or not token:
            return None

        def work(session):
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
            return user_record(row.user) if row else None

        return self._read(work)

    def revoke_tokens(self, user) -> int:
        """Delete every API token of the user; returns how many."""

        def work(session):
            rows = session.scalars(select(ApiToken).where(ApiToken.user_id == self._user_row(session, user).id)).all()
            for r in rows:
                session.delete(r)
            return len(rows)

        return self._write(work)
