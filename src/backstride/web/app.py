"""The app factory. ``create_app(settings)`` builds a FastAPI app; nothing happens at import time.

Local mode (default): one runner (user 1), no login. ``multi_user=True``: accounts, session cookies
(``Secure`` unless ``secure_cookies=False``), read-only grants. Both modes answer only to the host
names allowed (loopback names unless told otherwise), check a CSRF token on every form and the origin
of unsafe API calls, bound request bodies (:mod:`backstride.web.guard`) and send the security and
no-store headers (:mod:`backstride.web.middleware`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.trustedhost import TrustedHostMiddleware

from backstride.config import Settings
from backstride.web.csrf import NONCE_COOKIE, load_secret
from backstride.web.guard import RequestGuard
from backstride.web.middleware import NonceAndHeaders
from backstride.web.state import WebState
from backstride.web.viewer import SESSION_COOKIE

STATIC = Path(__file__).with_name("static")
#: Worker threads per process running requests at once. The work is mostly Python (one core at a
#: time, the GIL): 20 threads taking turns every few milliseconds halve the throughput of
#: ``GET /api/runs`` against one thread at a time, so requests queue instead.
#: Measured (wrk, 20 clients, 2,000 runs): 1 thread 127 req/s, 2: 104, 4: 85, 8: 72, 40 (anyio's
#: default): 48. Two, so one slow page (the analysis) does not stop the others; imports and exports
#: run in threads of their own (:func:`backstride.web.state.run_slow`).
DEFAULT_THREADS = 2
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(
    settings: Settings,
    multi_user: bool = False,
    *,
    engine: Engine | None = None,
    secure_cookies: bool | None = None,
    allowed_hosts: Sequence[str] | None = None,
    secret: bytes | None = None,
    threads: int = DEFAULT_THREADS,
) -> FastAPI:
    """A new app on the database of ``settings`` (migrated to the newest schema when opened here).

    ``allowed_hosts``: Host header values accepted (default: the loopback names; ``["*"]`` accepts
    any, which only makes sense behind a proxy that checks the host itself). ``secret``: the CSRF key (default
    :func:`backstride.web.csrf.load_secret`). ``threads``: at most this many requests run their
    (synchronous) work at once in worker threads while the server runs; the others wait their turn.
    """
    from backstride.store.engine import open_store
    from backstride.web import (
        api,
        apidocs,
        auth,
        errors,
        pages_data,
        pages_experiment_new,
        pages_experiments,
        pages_log,
        pages_plan,
        pages_runs,
        pages_strava,
    )
    from backstride.web.templating import make_templates

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="backstride",
        version="1",
        summary="Runs, pain reports and pain-free distance of one runner (or many, on a server).",
        docs_url=None,  # served from the package by backstride.web.apidocs, under the pages' CSP
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
    hosts = list(allowed_hosts) if allowed_hosts is not None else list(LOOPBACK_HOSTS)
    app.add_middleware(RequestGuard, session_cookie=SESSION_COOKIE)  # inside the host check
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    app.add_middleware(
        NonceAndHeaders, cookie_name=NONCE_COOKIE, secure=app.state.web.secure_cookies
    )  # added last: the outermost, so refusals of the host check get the headers too
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.include_router(apidocs.router)
    app.include_router(api.router)
    app.include_router(pages_runs.router)
    app.include_router(pages_log.router)
    app.include_router(pages_data.router)
    app.include_router(pages_plan.router)
    app.include_router(pages_strava.router)
    app.include_router(pages_experiment_new.router)  # before /experiments/{id}
    app.include_router(pages_experiments.router)
    app.include_router(auth.router)
    return app
