"""Login, logout, sign-up and sharing (read-only grants) of the multi-user server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from backstride.errors import NotFoundError, TooManyAttempts
from backstride.store import accounts
from backstride.web.csrf import check_csrf
from backstride.web.state import State, WebState
from backstride.web.templating import render
from backstride.web.viewer import SESSION_COOKIE, Who, viewer

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def _multi(state: WebState) -> None:
    if not state.multi_user:
        raise NotFoundError("this server runs in local mode: there are no accounts")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _anonymous_page(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    from backstride.web.csrf import form_token

    templates = request.app.state.templates
    base = {"who": None, "csrf": form_token(request), "banner": None, "units": "km", "multi_user": True}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _logged_in(state: WebState, account_id: int, target: str) -> Response:
    with state.engine.begin() as conn:
        token = accounts.open_session(conn, account_id)
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=state.secure_cookies,
        samesite="lax",
        path="/",
    )
    return response


@router.get("/login")
def login_page(request: Request, state: State, next: str | None = None) -> Response:
    _multi(state)
    return _anonymous_page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    _multi(state)
    client = request.client.host if request.client else "unknown"
    try:
        with state.engine.begin() as conn:
            account_id = accounts.authenticate(conn, username, password, client)
    except TooManyAttempts as exc:
        page = _anonymous_page(request, "login.html", {"next": _safe_next(next), "error": str(exc)}, 429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if account_id is None:
        error = "wrong username or password"
        return _anonymous_page(request, "login.html", {"next": _safe_next(next), "error": error}, 401)
    return _logged_in(state, account_id, next)


@router.post("/logout")
def logout(request: Request, state: State) -> Response:
    with state.engine.begin() as conn:
        accounts.close_session(conn, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login" if state.multi_user else "/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/register")
def register_page(request: Request, state: State) -> Response:
    _multi(state)
    return _anonymous_page(request, "register.html", {"error": None})


@router.post("/register")
def register(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    _multi(state)
    from backstride.errors import ValidationError

    try:
        with state.engine.begin() as conn:
            account_id = accounts.create_account(conn, username, password)
    except ValidationError as exc:
        return _anonymous_page(request, "register.html", {"error": str(exc)}, 422)
    return _logged_in(state, account_id, "/")


@router.get("/sharing")
def sharing_page(request: Request, who: Who, state: State, granted: str | None = None) -> Response:
    _multi(state)
    with state.engine.connect() as conn:
        given = accounts.grants_given(conn, who.account_id)
        received = accounts.grants_received(conn, who.account_id)
    return render(
        request,
        who,
        "sharing.html",
        {"given": given, "received": received, "roles": accounts.ROLES, "granted": granted == "1"},
    )


@router.post("/sharing/grant")
def grant(
    request: Request,
    state: State,
    grantee: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    _multi(state)
    who = viewer(request, state)
    with state.engine.begin() as conn:
        accounts.grant(conn, who.account_id, grantee, role)
    # The same answer whether or not an account has that name (see accounts.grant).
    return RedirectResponse("/sharing?granted=1", status_code=303)


@router.post("/sharing/{grant_id}/revoke")
def revoke(request: Request, grant_id: int, state: State) -> Response:
    _multi(state)
    who = viewer(request, state)
    if not 1 <= grant_id <= 2**31 - 1:
        raise NotFoundError(f"no active grant with id {grant_id}")
    with state.engine.begin() as conn:
        accounts.revoke(conn, who.account_id, grant_id)
    return RedirectResponse("/sharing", status_code=303)


@router.post("/sharing/view")
def view(
    request: Request, state: State, owner_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None
) -> Response:
    """View a runner who shared their data with you (read-only), or your own with no ``owner_id``."""
    _multi(state)
    who = viewer(request, state)
    assert who.session is not None
    with state.engine.begin() as conn:
        accounts.set_viewing(conn, who.session, owner_id)
    return RedirectResponse("/", status_code=303)
