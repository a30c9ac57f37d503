"""What a request may send before the app reads it: a live session first, then a bounded body.

:class:`RequestGuard` is plain ASGI middleware in front of the routes:

- **Login before body** (multi-user mode): a request that carries a body (or uses an unsafe method)
  on anything but the login, sign-up, static and API-docs paths must have a live session; without
  one it is answered at once (``401`` under ``/api``, a redirect to the login page elsewhere) and
  not a byte of its body is read. The viewer found is handed to the routes
  (``request.state.viewer``), so the session is looked up once.
- **Bounded bodies**: at most :data:`MAX_BODY_BYTES` (JSON, forms), or :data:`MAX_UPLOAD_BYTES` on
  the two upload routes (streamed to disk there). A larger ``Content-Length`` is answered ``413``
  before reading; a body without a length (chunked) is counted while it streams and refused with
  ``413`` once it passes the limit, so nothing larger is ever buffered.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Largest body of a JSON call or a form (a pain report, a lifting session): far more than any needs.
MAX_BODY_BYTES = 1024**2
#: Largest upload request (a whole Strava export fits), streamed to disk by the upload routes.
MAX_UPLOAD_BYTES = 4 * 1024**3
#: Routes that take uploads (POST).
UPLOAD_PATHS = ("/api/imports", "/upload")
#: Paths open without a session in multi-user mode.
PUBLIC_PATHS = ("/login", "/register", "/favicon.ico", "/openapi.json")
PUBLIC_PREFIXES = ("/static/", "/api/docs")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def body_limit(method: str, path: str) -> int:
    """The largest body accepted for ``method path``, in bytes."""
    return MAX_UPLOAD_BYTES if method == "POST" and path in UPLOAD_PATHS else MAX_BODY_BYTES


def _megabytes(limit: int) -> str:
    return f"{limit // 1024**3} GB" if limit >= 1024**3 else f"{limit // 1024**2} MB"


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the request is too large: at most {_megabytes(limit)}")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class RequestGuard:
    """ASGI middleware: the session check before any body is read, and the body limits."""

    def __init__(self, app: ASGIApp, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        path = str(scope.get("path", ""))
        length: int | None = None
        chunked = False
        cookies = None
        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await PlainTextResponse("bad Content-Length", status_code=400)(scope, receive, send)
                    return
            elif key == b"transfer-encoding":
                chunked = True
            elif key == b"cookie":
                cookies = value.decode("latin-1")
        has_body = chunked or (length is not None and length > 0)
        state = scope["app"].state.web
        if state.multi_user and (has_body or method not in SAFE_METHODS) and not is_public(path):
            token = cookie_parser(cookies).get(self.session_cookie) if cookies else None
            from backstride.web.viewer import session_viewer

            found = await anyio.to_thread.run_sync(session_viewer, state, token)
            if found is None:
                await _login_required(scope, path, method)(scope, receive, send)
                return
            scope.setdefault("state", {})["viewer"] = found
        limit = body_limit(method, path)
        if length is not None and length > limit:
            error = too_large(limit)
            await _refusal(path, 413, str(error.detail))(scope, receive, send)
            return
        await self.app(scope, _counted(receive, limit), send)


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (``413``) a body once more than ``limit`` bytes came in."""
    seen = 0

    async def counting() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return counting


def _refusal(path: str, status: int, detail: str) -> Response:
    if path.startswith("/api/") or path == "/api":
        return JSONResponse({"detail": detail}, status_code=status)
    return PlainTextResponse(detail, status_code=status)


def _login_required(scope: Scope, path: str, method: str) -> Response:
    if path.startswith("/api/") or path == "/api":
        return JSONResponse({"detail": "log in first"}, status_code=401)
    if method in SAFE_METHODS:
        from urllib.parse import quote

        query = scope.get("query_string", b"").decode("latin-1")
        return RedirectResponse(f"/login?next={quote(path + ('?' + query if query else ''))}", 303)
    return RedirectResponse("/login", 303)


__all__ = ["MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "RequestGuard", "body_limit"]
