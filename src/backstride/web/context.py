"""Per-app state and the per-request dependencies: who is asking, whose data, CSRF and origin checks.

A request has a :class:`Viewer`: the account that asks (``account_id``) and whose data it sees
(``user_id``). In local mode both are user 1 and there is no login. In multi-user mode the session
cookie names the account; a clinician or coach may view a runner who granted them access, read-only.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, select
from starlette.concurrency import run_in_threadpool

from backstride.config import Settings
from backstride.errors import Forbidden, LoginRequired
from backstride.store.prefs import PREFERENCES, get_pref
from backstride.store.schema import LOCAL_USER_ID, settings, users
from backstride.web import accounts
from backstride.web.pagecache import LRU, PageCache
from backstride.web.security import csrf_ok, csrf_token

SESSION_COOKIE = "bs_session"
NONCE_COOKIE = "bs_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
T = TypeVar("T")


@dataclass
class WebState:
    """What the app keeps between requests (one per :func:`backstride.web.app.create_app`)."""

    settings: Settings
    engine: Engine
    multi_user: bool
    secret: bytes
    secure_cookies: bool
    cache: dict[Any, Any] = field(default_factory=dict)
    pages: PageCache = field(default_factory=PageCache)
    charts: LRU[Any] = field(default_factory=LRU)
    slow_limiter: Any = None


@dataclass(frozen=True)
class Viewer:
    account_id: int
    user_id: int
    username: str
    read_only: bool = False
    session: accounts.SessionInfo | None = None
    owner_name: str | None = None


#: Long jobs (imports, exports) at once per process, in threads of their own (see :func:`run_slow`).
SLOW_THREADS = 2


async def run_slow(state: WebState, func: Callable[..., T], *args: Any) -> T:
    """Run a long job (an import, an export) in a worker thread outside the app's small pool of
    request threads (:data:`backstride.web.app.DEFAULT_THREADS`), so it never holds up the pages."""
    if state.slow_limiter is None:
        state.slow_limiter = anyio.CapacityLimiter(SLOW_THREADS)
    return await anyio.to_thread.run_sync(func, *args, limiter=state.slow_limiter)


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


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def _state_dependency(request: Request) -> WebState:
    """:func:`web_state` as a coroutine: FastAPI runs a plain function dependency in a worker
    thread, a costly hop for a lookup."""
    return web_state(request)


State = Annotated[WebState, Depends(_state_dependency)]


def session_viewer(state: WebState, token: str | None) -> Viewer | None:
    """The viewer of a session cookie token (multi-user mode), or ``None`` without a live session."""
    with state.engine.begin() as conn:
        session = accounts.find_session(conn, token)
        if session is None:
            return None
        found = Viewer(session.account_id, session.account_id, session.username, session=session)
        if session.viewing_id is not None:
            if accounts.has_grant(conn, session.viewing_id, session.account_id):
                owner = conn.execute(
                    select(users.c.username).where(users.c.id == session.viewing_id)
                ).scalar_one()
                found = Viewer(
                    session.account_id,
                    session.viewing_id,
                    session.username,
                    read_only=True,
                    session=session,
                    owner_name=str(owner),
                )
            else:
                accounts.set_viewing(conn, session, None)
    return found


def viewer(request: Request, state: State) -> Viewer:
    """Who asks and whose data they see; raises :class:`LoginRequired` without a session.
    (:class:`backstride.web.guard.RequestGuard` may have found it already, before reading a body.)"""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    found = (
        session_viewer(state, request.cookies.get(SESSION_COOKIE))
        if state.multi_user
        else Viewer(LOCAL_USER_ID, LOCAL_USER_ID, "local")
    )
    if found is None:
        raise LoginRequired("log in first")
    request.state.viewer = found
    return found


async def _viewer_dependency(request: Request, state: State) -> Viewer:
    """:func:`viewer`; only a multi-user lookup (database) goes to a worker thread."""
    if not state.multi_user or isinstance(getattr(request.state, "viewer", None), Viewer):
        return viewer(request, state)
    return await run_in_threadpool(viewer, request, state)


Who = Annotated[Viewer, Depends(_viewer_dependency)]


async def writer(who: Who) -> Viewer:
    """The viewer, who must be looking at their own data to change it."""
    if who.read_only:
        raise Forbidden("read-only access: only the runner can change their data")
    return who


Writer = Annotated[Viewer, Depends(writer)]


def display_prefs(state: WebState, who: Viewer, conn: Connection) -> tuple[str, bool]:
    """The display unit (as :func:`units_for`) and the ``lap_is_pain`` setting, in one query."""
    rows = conn.execute(
        select(settings.c.key, settings.c.value).where(
            settings.c.user_id == who.user_id, settings.c.key.in_(("units", "lap_is_pain"))
        )
    ).all()
    found = {str(r.key): str(r.value) for r in rows}
    unit = state.settings.units or found.get("units", PREFERENCES["units"].default)
    return unit, found.get("lap_is_pain", PREFERENCES["lap_is_pain"].default) == "true"


def units_for(state: WebState, who: Viewer, conn: Connection | None = None) -> str:
    """Display unit: the server's --units/BACKSTRIDE_UNITS, else the runner's setting (read on
    ``conn`` when given, else on a connection of its own)."""
    if state.settings.units:
        return state.settings.units
    if conn is not None:
        return get_pref(conn, who.user_id, "units")
    with state.engine.connect() as own:
        return get_pref(own, who.user_id, "units")


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
