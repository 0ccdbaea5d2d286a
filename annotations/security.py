"""Password hashing (Argon2id from argon2-cffi) and API token digests.

New hashes are Argon2id with argon2-cffi's default parameters (RFC 9106's low-memory
profile). Hashes made by older Glossa versions (salted scrypt, ``scrypt$n$r$p$salt$digest``)
still verify; :func:`needs_rehash` says when a stored hash should be replaced, which
``authenticate`` does on the next successful sign-in.

:func:`verify_dummy` does the work of one verification against a fixed hash, so that a
sign-in with an unknown name (or an account without a usable password) costs what a wrong
password costs and response times do not tell which names exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

UNUSABLE = "!"
TOKEN_PREFIX = "glossa_"
SCRYPT_MAXMEM = 64 * 1024 * 1024

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """A self-describing salted Argon2id hash ($argon2id$v=19$m=...,t=...,p=...$salt$digest)."""
    return _hasher.hash(password)


def _verify_scrypt(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def is_usable(stored: str) -> bool:
    """False for the hash of an account no password opens (imported users)."""
    return bool(stored) and not stored.startswith(UNUSABLE)


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the stored hash (Argon2id, or an older scrypt hash)."""
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(stored, password)
    return False


def needs_rehash(stored: str) -> bool:
    """True when a (verified) stored hash is of an older scheme or weaker parameters."""
    if not stored.startswith("$argon2"):
        return is_usable(stored)
    try:
        return _hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_dummy(password: str) -> None:
    """One verification against a fixed hash: the cost of a wrong password, for unknown names."""
    verify_password(_dummy_hash(), password if isinstance(password, str) else "")


def unusable_password() -> str:
    """A hash no password matches (for users restored from an import)."""
    return UNUSABLE + secrets.token_hex(8)


def new_token() -> str:
    """A fresh random API token (shown to the user once)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
