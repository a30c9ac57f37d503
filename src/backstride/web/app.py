"""The app factory. ``create_app(settings)`` builds a FastAPI app; nothing happens at import time.

Local mode (default): one runner (user 1), no login, answering only to loopback host names.
``multi_user=True``: accounts, session cookies (``Secure`` unless ``secure_cookies=False``), read-only
grants. Both modes check a CSRF token on every form and the origin of unsafe API calls.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response

from backstride.config import Settings
from backstride.web.context import NONCE_COOKIE, WebState, load_secret

STATIC = Path(__file__).with_name("static")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(
    settings: Settings,
    multi_user: bool = False,
    *,
    engine: Engine | None = None,
    secure_cookies: bool | None = None,
    allowed_hosts: Sequence[str] | None = None,
    secret: bytes | None = None,
) -> FastAPI:
    """A new app on the database of ``settings`` (migrated to the newest schema when opened here).

    ``allowed_hosts``: Host header values accepted (default: loopback names in local mode, any in
    multi-user mode, where a proxy in front decides). ``secret``: the CSRF key (default
    :func:`backstride.web.context.load_secret`).
    """
    from backstride.store.engine import open_store
    from backstride.web import api, auth, errors, pages_data, pages_log, pages_runs
    from backstride.web.templating import make_templates

    app = FastAPI(
        title="backstride",
        version="1",
        summary="Runs, pain reports and pain-free distance of one runner (or many, on a server).",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.web = WebState(
        settings=settings,
        engine=engine if engine is not None else open_store(settings.db_url),
        multi_user=multi_user,
        secret=secret if secret is not None else load_secret(settings),
        secure_cookies=multi_user if secure_cookies is None else secure_cookies,
    )
    app.state.templates = make_templates()
    hosts = list(allowed_hosts) if allowed_hosts is not None else None
    if hosts is None and not multi_user:
        hosts = list(LOOPBACK_HOSTS)
    if hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    @app.middleware("http")
    async def nonce_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.cookies.get(NONCE_COOKIE)
        fresh = given is None or not (16 <= len(given) <= 64)
        request.state.nonce = secrets.token_urlsafe(24) if fresh else given
        response = await call_next(request)
        if fresh:
            response.set_cookie(
                NONCE_COOKIE,
                request.state.nonce,
                httponly=True,
                samesite="strict",
                secure=app.state.web.secure_cookies,
                path="/",
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(api.router)
    app.include_router(pages_runs.router)
    app.include_router(pages_log.router)
    app.include_router(pages_data.router)
    app.include_router(auth.router)
    return app
