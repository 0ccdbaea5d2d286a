"""Users and API tokens: the account half of AnnotationService."""

from __future__ import annotations

import logging
import re

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from .base import AnnotationError, ServiceBase, UserRecord, user_record
from .models import ApiToken, User
from .security import (
    hash_password,
    is_usable,
    needs_rehash,
    new_token,
    token_digest,
    unusable_password,
    verify_dummy,
    verify_password,
)

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
#: the roles, each including the ones before it: reader (search, read, annotate), editor (also
#: upload, remove documents, correct entities), admin (also manage users)
ROLES = ("reader", "editor", "admin")
DEFAULT_ROLE = "reader"


def check_role_name(role) -> str:
    """A valid role name, or AnnotationError(400)."""
    if not isinstance(role, str) or role.strip().lower() not in ROLES:
        raise AnnotationError(400, f"role must be one of {', '.join(ROLES)}")
    return role.strip().lower()


# Read on every request (who is asking): plain column rows, built once, not ORM objects.
_USER_COLUMNS = (User.id, User.name, User.created, User.session_version, User.role)
_USER_BY_NAME = select(*_USER_COLUMNS).where(User.name == bindparam("name"))
_USER_BY_TOKEN = (
    select(*_USER_COLUMNS).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("digest"))
)


def _record(row) -> UserRecord:
    """A UserRecord from a row of _USER_COLUMNS (a user without a role reads as a reader)."""
    return UserRecord(id=row.id, name=row.name, created=row.created, role=row.role or DEFAULT_ROLE)


def check_user_name(name) -> str:
    """A valid user name, or AnnotationError(400)."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise AnnotationError(400, "user name must be 1-64 letters, digits, '.', '_' or '-'")
    return name


class AccountsMixin(ServiceBase):
    """add_user, set_role, authenticate, set_password, sessions, get_user, create_token, user_for_token,
    revoke_tokens."""

    def add_user(self, name: str, password: str, role: str | None = None) -> UserRecord:
        """Create a user with a salted password hash; 409 if the name is taken.

        Without ``role``, the first account anyone can sign in to becomes ``admin`` (users with
        no usable password, such as the demo's ``local`` user or imported authors, do not
        count); every later one becomes ``reader``.
        """
        check_user_name(name)
        chosen = check_role_name(role) if role is not None else None
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AnnotationError(400, f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        try:
            return self._insert_user(name, hash_password(password), chosen, first_is_admin=chosen is None)
        except IntegrityError:
            raise AnnotationError(409, f"user {name!r} already exists") from None

    def set_role(self, name: str, role: str) -> UserRecord:
        """Give the named user ``role``; 404 for an unknown name. Sessions stay valid: the role
        is read from the database on every request, so the change applies at the next one."""
        chosen = check_role_name(role)

        def work(session):
            row = session.scalar(select(User).where(User.name == name)) if isinstance(name, str) else None
            if row is None:
                raise AnnotationError(404, f"no user {name!r}")
            row.role = chosen
            session.flush()
            return user_record(row)

        return self._write(work)

    def ensure_user(self, name: str) -> UserRecord:
        """The named user, created with an unusable password if missing (used by imports)."""
        check_user_name(name)
        found = self.get_user(name)
        if found:
            return found
        try:
            return self._insert_user(name, unusable_password())
        except IntegrityError:  # created meanwhile by another writer
            found = self.get_user(name)
            if found is None:  # and removed again: the conflict stands
                raise
            return found

    def _insert_user(
        self, name: str, password_hash: str, role: str | None = None, first_is_admin: bool = False
    ) -> UserRecord:
        """Insert one user row and commit; the unique name raises IntegrityError when taken.

        ``first_is_admin``: the role is ``admin`` when no user with a usable password exists yet
        (decided in the same transaction as the insert)."""

        def work(session):
            chosen = role or DEFAULT_ROLE
            if first_is_admin:
                hashes = session.scalars(select(User.password_hash)).all()
                if not any(is_usable(h) for h in hashes):
                    chosen = "admin"
            row = User(name=name, password_hash=password_hash, role=chosen)
            session.add(row)
            session.flush()
            return user_record(row)

        return self._write(work)

    def get_user(self, name: str) -> UserRecord | None:
        """The user with this name, or None."""

        def work(session):
            row = session.execute(_USER_BY_NAME, {"name": name}).first()
            return _record(row) if row else None

        return self._read(work)

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password; every session of the user ends (see session_version)."""
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AnnotationError(400, f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        hashed = hash_password(password)

        def work(session):
            row = self._user_row(session, name)
            row.password_hash = hashed
            row.session_version = (row.session_version or 0) + 1

        self._write(work)

    def authenticate(self, name: str, password: str) -> UserRecord | None:
        """The user when name and password match, else None.

        An unknown name, or an account no password opens, costs one verification against a
        dummy hash, as a wrong password does: timing does not tell which names exist. A hash of
        an older scheme is replaced after a successful check (best-effort: a failed write,
        e.g. on a full disk, does not refuse the sign-in).
        """

        def work(session):
            return session.scalar(select(User).where(User.name == name))

        row = self._read(work) if isinstance(name, str) and len(name) <= 64 else None
        if row is None or not is_usable(row.password_hash) or not isinstance(password, str):
            verify_dummy(password)
            return None
        if not verify_password(row.password_hash, password):
            return None
        if needs_rehash(row.password_hash):
            self._rehash(row.id, row.password_hash, password)
        return user_record(row)

    def _rehash(self, user_id: int, old_hash: str, password: str) -> None:
        hashed = hash_password(password)

        def work(session):
            # only if nobody changed the password meanwhile
            session.execute(
                update(User).where(User.id == user_id, User.password_hash == old_hash).values(password_hash=hashed)
            )

        try:
            self._write(work)
        except Exception:  # noqa: BLE001 - the old hash still works; try again next sign-in
            log.warning("could not store the upgraded password hash of user %s", user_id, exc_info=True)

    def check_password(self, name: str, password: str) -> bool:
        """True when name and password match."""
        return self.authenticate(name, password) is not None

    def session_version(self, user) -> int:
        """The user's session version: a session started under another one is over."""
        return self._read(lambda session: self._user_row(session, user).session_version or 0)

    def session_user(self, name: str, version: int) -> UserRecord | None:
        """The named user if a session started under ``version`` is still valid, else None."""

        def work(session):
            row = session.execute(_USER_BY_NAME, {"name": name}).first()
            if row is None or (row.session_version or 0) != version:
                return None
            return _record(row)

        return self._read(work)

    def end_sessions(self, user) -> None:
        """End every session of the user (sign-out everywhere)."""

        def work(session):
            row = self._user_row(session, user)
            row.session_version = (row.session_version or 0) + 1

        self._write(work)

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
            row = session.execute(_USER_BY_TOKEN, {"digest": token_digest(token)}).first()
            return _record(row) if row else None

        return self._read(work)

    def revoke_tokens(self, user, label: str | None = None) -> int:
        """Delete the API tokens of the user (only those with ``label`` if given); returns how many."""

        def work(session):
            query = select(ApiToken).where(ApiToken.user_id == self._user_row(session, user).id)
            if label is not None:
                query = query.where(ApiToken.label == label)
            rows = session.scalars(query).all()
            for r in rows:
                session.delete(r)
            return len(rows)

        return self._write(work)
