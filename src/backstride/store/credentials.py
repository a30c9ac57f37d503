"""Passwords (Argon2id) and session tokens of the multi-user server's accounts. No state.

- Passwords are hashed with Argon2id (``argon2-cffi`` defaults: 64 MiB, 3 passes, 4 lanes); a hash made
  with older parameters is re-hashed at the next successful login (:func:`needs_rehash`).
- A session cookie holds a random 256-bit token; the database keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
#: Hashed when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = _HASHER.hash("backstride-not-a-password")

MIN_PASSWORD = 10
MAX_PASSWORD = 200


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored``; an account without a password never matches."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def new_token() -> str:
    """A random URL-safe token of 256 bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
