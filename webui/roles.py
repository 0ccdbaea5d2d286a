"""Roles: what a signed-in person may do, checked on the server for every write route.

In ``accounts`` mode each user has one role (``users.role``), each including the one before:

* ``reader``: search, read, annotate (their own annotations);
* ``editor``: also upload and remove documents, correct entities;
* ``admin``: also manage users.

In ``single`` mode (the demo) the local user, and any API token, can do everything.

Routes use :func:`require_role` (a decorator) or :func:`check_role` (inside a view); a
refusal is a 403, answered as JSON under ``/api`` and as a page elsewhere (the app's error
handlers). Templates get ``can(role)`` to hide what the role cannot do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import abort, g

from annotations.accounts import DEFAULT_ROLE, ROLES, check_role_name

__all__ = ["DEFAULT_ROLE", "ROLES", "can", "check_role", "check_role_name", "require_role", "role_of"]

F = TypeVar("F", bound=Callable)

#: what a role adds, for messages
ROLE_POWERS = {
    "reader": "search, read and annotate",
    "editor": "also upload and remove documents and correct entities",
    "admin": "also manage users",
}


def _rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def _single_mode() -> bool:
    from .auth import auth_mode

    return auth_mode() == "single"


def role_of(user=None) -> str | None:
    """The role of ``user`` (default: this request's user); None when nobody is signed in.

    In single mode everyone acts as the local user, who may do everything (``admin``).
    """
    if user is None:
        user = g.get("user")
        if user is None:
            return "admin" if _single_mode() else None
    if _single_mode():
        return "admin"
    role = getattr(user, "role", None) or DEFAULT_ROLE
    return role if role in ROLES else DEFAULT_ROLE


def can(role: str, user=None) -> bool:
    """True when ``user`` (default: this request's user) has ``role`` or a higher one."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    have = role_of(user)
    return have is not None and _rank(have) >= _rank(role)


def check_role(role: str) -> None:
    """Abort with 401 (nobody signed in) or 403 (role too low) unless this request may act as ``role``."""
    if can(role):
        return
    if role_of() is None:
        abort(401, description="Sign in (or send an API token) to do this.")
    have = role_of()
    abort(
        403,
        description=f"This needs the {role} role ({ROLE_POWERS[role]}); your account has the {have} role. "
        "Ask an administrator (`glossa user role NAME ROLE`).",
    )


def require_role(role: str) -> Callable[[F], F]:
    """Decorator for a view: only users with ``role`` (or higher) get past it (else 401/403)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            check_role(role)
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def init_app(app) -> None:
    """Give templates ``can(role)`` and ``current_role``."""

    @app.context_processor
    def _roles_context() -> dict:
        return {"can": can, "current_role": role_of}
