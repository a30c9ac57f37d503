"""Errors to HTTP: the library's errors become a clear 4xx (JSON under /api, a page elsewhere)."""

from __future__ import annotations

import logging
import math
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from backstride.errors import (
    BackstrideError,
    BadFileError,
    Forbidden,
    LoginRequired,
    NotFoundError,
    TooManyAttempts,
)
from backstride.web.templating import render
from backstride.web.viewer import viewer

logger = logging.getLogger(__name__)


def status_of(exc: BackstrideError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, LoginRequired):
        return 401
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, TooManyAttempts):
        return 429
    if isinstance(exc, BadFileError):
        return 400
    return 422


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _page(request: Request, status: int, message: str) -> Response:
    try:
        who = viewer(request, request.app.state.web)
    except BackstrideError:
        who = None
    if who is None:
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request,
            "error.html",
            {"who": None, "message": message, "status": status, "csrf": "", "banner": None, "units": "km"},
            status_code=status,
        )
    return render(request, who, "error.html", {"message": message, "status": status}, status=status)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(BackstrideError)
    async def backstride_error(request: Request, exc: BackstrideError) -> Response:
        status = status_of(exc)
        logger.debug("%s %s: %s %s", request.method, request.url.path, status, exc, exc_info=exc)
        if isinstance(exc, LoginRequired) and not is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return _page(request, status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where or 'request'}: {err.get('msg')}")
        message = "; ".join(parts) or "bad request"
        if is_api(request):
            return JSONResponse({"detail": message, "errors": _plain(exc.errors())}, status_code=422)
        return _page(request, 422, message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if is_api(request) or exc.status_code < 400:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return _page(request, exc.status_code, str(exc.detail))


#: The longest echo of a refused input value in an error answer (characters).
ECHO_LIMIT = 200


def _safe(value: object, depth: int = 0) -> object:
    """``value`` as JSON can carry it: non-finite numbers (``1e400``, ``NaN``, ``Infinity``, which
    Python's JSON reader accepts) and anything else unusual become short strings."""
    if value is None or isinstance(value, bool | int | str):
        return value[:ECHO_LIMIT] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth < 3 and isinstance(value, list | tuple):
        return [_safe(v, depth + 1) for v in list(value)[:20]]
    if depth < 3 and isinstance(value, dict):
        return {str(k)[:ECHO_LIMIT]: _safe(v, depth + 1) for k, v in list(value.items())[:20]}
    return str(value)[:ECHO_LIMIT]


def _plain(errors: object) -> object:
    """Pydantic error dicts with only JSON-safe values (``ctx`` may hold exceptions, ``input`` may be
    a non-finite number or something large)."""
    if isinstance(errors, list):
        return [{k: _safe(v) for k, v in e.items() if k != "ctx"} for e in errors if isinstance(e, dict)]
    return []
