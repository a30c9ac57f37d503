"""CSRF tokens. No state: the callers keep the secret.

Every browser gets a random nonce cookie; forms and HTMX requests echo ``HMAC-SHA256(secret, nonce)``.
A foreign site can neither read the nonce nor compute the HMAC. (Passwords and session tokens:
:mod:`backstride.store.credentials`.)
"""

from __future__ import annotations

import hashlib
import hmac


def csrf_token(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, nonce: str | None, given: str | None) -> bool:
    if not nonce or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce), given)
