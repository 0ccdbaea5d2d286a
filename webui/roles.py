"""Roles: reader < editor < admin (a minimal stand-in until the roles work lands; the lead
reconciles it with the full one).

In the single-user demo everyone may do everything. In ``accounts`` mode the user's role
must be at least the one asked for; a user record without a ``role`` attribute (accounts
made before roles existed) counts as an editor here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort

from .auth import auth_mode, current_user

ROLES = ("reader", "editor", "admin")
F = TypeVar("F", bound=Callable[..., Any])


def has_role(role: str, user: Any = None) -> bool:
    """True when the current user (or ``user``) may act as ``role``."""
    if auth_mode() != "accounts":
        return True
    user = user if user is not None else current_user()
    if user is None:
        return False
    held = getattr(user, "role", "editor") or "reader"
    return held in ROLES and ROLES.index(held) >= ROLES.index(role)


def check_role(role: str) -> None:
    """Abort with 403 unless the current user has ``role`` (401 when nobody is signed in)."""
    if has_role(role):
        return
    if current_user() is None:
        abort(401, description="Sign in to do this.")
    abort(403, description=f"This needs the {role} role.")


def require_role(role: str) -> Callable[[F], F]:
    """Decorator form of :func:`check_role` for a view."""

    def wrap(view: F) -> F:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            check_role(role)
            return view(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap
