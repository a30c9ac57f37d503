"""Settings > Strava: connect the runner's own Strava account, sync new runs, disconnect.

Each route works on the signed-in runner's own link only (``Writer``: a clinician viewing a runner can
neither connect nor sync for them). The authorisation goes to Strava and comes back to
``/settings/strava/callback`` with a ``state`` tied to the account that started it. The API
application is the server's (the settings' ``strava_client_id`` / ``strava_client_secret``) when set,
else the one the runner types in; the secret and the tokens are never shown back. Strava is reached at
the settings' ``strava_url``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from backstride.errors import ValidationError
from backstride.web.csrf import check_csrf
from backstride.web.state import State, run_slow
from backstride.web.templating import render
from backstride.web.viewer import Writer

logger = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def _view(state: Any, user_id: int) -> dict[str, Any]:
    from backstride.store.strava import get_link
    from backstride.sync.strava_auth import app_credentials

    with state.engine.connect() as conn:
        link = get_link(conn, user_id)
    try:
        server_app = app_credentials(settings=state.settings) is not None
    except ValidationError as exc:
        logger.warning("the server's Strava application is not usable: %s", exc, exc_info=exc)
        server_app = False
    return {"link": link if link is not None and link.connected else None, "server_app": server_app}


@router.get("/settings/strava")
def strava_page(request: Request, who: Writer, state: State) -> Response:
    context = _view(state, who.user_id)
    context.update(result=None, connected=request.query_params.get("connected") == "1")
    return render(request, who, "strava.html", context)


@router.get("/settings/strava/panel")
def strava_panel(request: Request, who: Writer, state: State) -> Response:
    """The Strava card of the settings page (loaded into it as a fragment)."""
    context = _view(state, who.user_id)
    context.update(result=None, connected=False)
    return render(request, who, "_strava_panel.html", context)


@router.post("/settings/strava/connect")
def strava_connect(
    request: Request,
    who: Writer,
    state: State,
    client_id: Annotated[str | None, Form(max_length=20)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """Send the runner to Strava's authorisation page."""
    from backstride.sync.strava_auth import app_credentials, begin

    credentials = app_credentials(client_id or None, client_secret or None, state.settings)
    if credentials is None:
        raise ValidationError("give your Strava API application's client id and secret")
    redirect_uri = str(request.url_for("strava_callback"))
    url = begin(state.engine, who.user_id, *credentials, redirect_uri, base=state.settings.strava_url)
    return RedirectResponse(url, status_code=303)


@router.get("/settings/strava/callback", name="strava_callback")
def strava_callback(request: Request, who: Writer, state: State) -> Response:
    """Strava sends the runner back here with ``state`` and ``code`` (or ``error``)."""
    from backstride.sync.strava_auth import finish

    params = {k: v[:500] for k, v in request.query_params.items() if k in ("state", "code", "scope", "error")}
    finish(state.engine, who.user_id, params, base=state.settings.strava_url)
    return RedirectResponse("/settings/strava?connected=1", status_code=303)


def _sync(state: Any, user_id: int) -> dict[str, Any]:
    from backstride.log.pain import onset_from_first_lap_hook
    from backstride.sync.strava import sync

    result = sync(
        state.engine, user_id, wait=False, on_saved=onset_from_first_lap_hook, base=state.settings.strava_url
    )
    state.pool_reports.clear()
    state.overviews.clear()
    return result.as_dict()


@router.post("/settings/strava/sync")
async def strava_sync(request: Request, who: Writer, state: State) -> Response:
    """Fetch new runs now; the result lists each with a link to its quick pain log."""
    result = await run_slow(state, _sync, state, who.user_id)
    context = _view(state, who.user_id)
    context.update(result=result, summary=result, connected=False)
    status = 422 if result["counts"]["failed"] else 200
    return render(request, who, "strava.html", context, status=status)


@router.post("/settings/strava/disconnect")
def strava_disconnect(who: Writer, state: State) -> Response:
    from backstride.sync.strava_auth import disconnect

    disconnect(state.engine, who.user_id, base=state.settings.strava_url)
    return RedirectResponse("/settings/strava", status_code=303)
