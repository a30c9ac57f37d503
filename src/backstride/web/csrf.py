"""CSRF: the app secret, the tokens and the checks of unsafe requests.

Every browser gets a random nonce cookie; forms and HTMX requests echo ``HMAC-SHA256(secret, nonce)``.
A foreign site can neither read the nonce nor compute the HMAC. Unsafe API calls from a browser must
come from this site. (Passwords and session tokens: :mod:`backstride.store.credentials`.)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request

from backstride.config import Settings
from backstride.errors import Forbidden
from backstride.web.state import web_state

NONCE_COOKIE = "bs_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def load_secret(settings: Settings) -> bytes:
    """The app secret: the settings' ``web_secret`` (``BACKSTRIDE_WEB_SECRET``), else a file in the
    data folder (made once, 0600)."""
    if settings.web_secret:
        return settings.web_secret.encode("utf-8")
    path = Path(settings.data_dir) / "web-secret"
    if path.is_file():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode("ascii")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value)
    return value


def csrf_token(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, nonce: str | None, given: str | None) -> bool:
    if not nonce or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce), given)


def nonce(request: Request) -> str:
    """The browser's CSRF nonce (set by the middleware in :mod:`backstride.web.app`)."""
    value: str = request.state.nonce
    return value


def form_token(request: Request) -> str:
    state = web_state(request)
    return csrf_token(state.secret, nonce(request))


def _same_origin(request: Request) -> bool:
    """False for a browser request from another site (Sec-Fetch-Site or Origin say so)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1] == request.headers.get("host", "")


async def check_csrf(request: Request) -> None:
    """Unsafe methods on pages need the form field (or header) token of this browser's nonce."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    state = web_state(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not csrf_ok(state.secret, request.cookies.get(NONCE_COOKIE), given):
        raise Forbidden("the form has expired or did not come from this site: reload the page and try again")


async def check_origin(request: Request) -> None:
    """Unsafe API calls from a browser must come from this site (scripts send no Origin)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not _same_origin(request):
        raise Forbidden("cross-site request refused")
