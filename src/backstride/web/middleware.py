"""The browser nonce and the security headers, as plain ASGI middleware.

Every response gets ``X-Content-Type-Options``, ``Referrer-Policy`` and the Content-Security-Policy,
and every response but the shipped static files gets ``Cache-Control: no-store`` (pages, the API and
downloads carry a runner's data: no browser or proxy cache may keep them), unless the route set them.
A browser without a valid nonce cookie gets a fresh random one (``HttpOnly``, ``SameSite=Strict``,
``Secure`` when the app asks for it); the nonce is in ``request.state.nonce`` for the CSRF token
(:func:`backstride.web.csrf.form_token`).

Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs each request
in an extra task with memory streams, which costs a noticeable part of a fast page.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
NONCE_MIN, NONCE_MAX = 16, 64
_FIXED = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
_CSP = (b"content-security-policy", CSP.encode("latin-1"))
_NO_STORE = (b"cache-control", b"no-store")
#: Paths of files shipped with the package (no runner data): cacheable.
CACHEABLE_PREFIXES = ("/static/", "/api/docs/assets/", "/favicon.ico")


def nonce_cookie_header(name: str, value: str, secure: bool) -> bytes:
    """The ``Set-Cookie`` value of a fresh nonce: whole session, ``HttpOnly``, ``SameSite=Strict``."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    cookie[name]["path"] = "/"
    cookie[name]["httponly"] = True
    cookie[name]["samesite"] = "strict"
    if secure:
        cookie[name]["secure"] = True
    return cookie.output(header="").strip().encode("latin-1")


class NonceAndHeaders:
    """ASGI middleware: the nonce of the browser (made when missing) and the security headers."""

    def __init__(self, app: ASGIApp, cookie_name: str, secure: bool) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for key, value in scope["headers"]:
            if key == b"cookie":  # parsed as Request.cookies parses them (the last one wins)
                given = cookie_parser(value.decode("latin-1")).get(self.cookie_name, given)
        fresh = given is None or not (NONCE_MIN <= len(given) <= NONCE_MAX)
        nonce = secrets.token_urlsafe(24) if fresh else str(given)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["nonce"] = nonce
        no_store = not str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {key.lower() for key, _ in headers}
                if fresh:
                    headers.append((b"set-cookie", nonce_cookie_header(self.cookie_name, nonce, self.secure)))
                for key, value in _FIXED:
                    if key not in present:
                        headers.append((key, value))
                if _CSP[0] not in present:
                    headers.append(_CSP)
                if no_store and _NO_STORE[0] not in present:
                    headers.append(_NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
