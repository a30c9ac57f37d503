"""Who is asking and whose data they see: the per-request :class:`Viewer` and its dependencies.

A request has a :class:`Viewer`: the account that asks (``account_id``) and whose data it sees
(``user_id``). In local mode both are user 1 and there is no login. In multi-user mode the session
cookie names the account; a clinician or coach may view a runner who granted them access, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from backstride.errors import Forbidden, LoginRequired
from backstride.store import accounts
from backstride.store.prefs import get_pref, get_prefs
from backstride.store.schema import LOCAL_USER_ID
from backstride.web.state import State, WebState

SESSION_COOKIE = "bs_session"


@dataclass(frozen=True)
class Viewer:
    account_id: int
    user_id: int
    username: str
    read_only: bool = False
    session: accounts.SessionInfo | None = None
    owner_name: str | None = None


def session_viewer(state: WebState, token: str | None) -> Viewer | None:
    """The viewer of a session cookie token (multi-user mode), or ``None`` without a live session."""
    with state.engine.begin() as conn:
        session = accounts.find_session(conn, token)
        if session is None:
            return None
        found = Viewer(session.account_id, session.account_id, session.username, session=session)
        if session.viewing_id is not None:
            if accounts.has_grant(conn, session.viewing_id, session.account_id):
                owner = accounts.username_of(conn, session.viewing_id)
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
    found = get_prefs(conn, who.user_id, ("units", "lap_is_pain"))
    return state.settings.units or found["units"], found["lap_is_pain"] == "true"


def units_for(state: WebState, who: Viewer, conn: Connection | None = None) -> str:
    """Display unit: the server's --units/BACKSTRIDE_UNITS, else the runner's setting (read on
    ``conn`` when given, else on a connection of its own)."""
    if state.settings.units:
        return state.settings.units
    if conn is not None:
        return get_pref(conn, who.user_id, "units")
    with state.engine.connect() as own:
        return get_pref(own, who.user_id, "units")
