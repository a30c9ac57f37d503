"""Connecting a runner's Strava account: the OAuth 2 authorisation-code flow, token refresh, revoking.

The runner uses their own Strava API application (https://www.strava.com/settings/api: client id and
secret, "Authorization Callback Domain" ``localhost``), as self-hosted Strava tools do; a server can
also be given one application for all its runners (the settings' ``strava_client_id`` and
``strava_client_secret``: ``BACKSTRIDE_STRAVA_CLIENT_ID`` and ``BACKSTRIDE_STRAVA_CLIENT_SECRET``).
Every call to Strava goes to ``base`` (the settings' ``strava_url``; Strava itself by default).

- :func:`connect_loopback` (``backstride strava connect``): listens on ``127.0.0.1`` (a free port, or
  the one given), sends the runner's browser to Strava's authorisation page with a redirect to
  ``http://127.0.0.1:PORT/strava/callback`` and a random ``state``, takes the code from the redirect,
  exchanges it for tokens and stores them.
- :func:`begin` / :func:`finish` are the two halves for the web settings page (the redirect comes back
  to the server's own callback route).
- :func:`client_for` gives a client with a fresh access token (refreshed, and stored, when it expires
  within the hour); :func:`disconnect` revokes the access at Strava and deletes the tokens.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import Engine

from backstride.config import Settings
from backstride.errors import NotAuthorised, StravaError, ValidationError
from backstride.store import strava as links
from backstride.sync.strava_api import DEFAULT_BASE, StravaClient

SCOPE = "read,activity:read_all"
#: Refresh the access token when it expires within this long (Strava hands out 6-hour tokens).
REFRESH_BEFORE = timedelta(hours=1)
CALLBACK_PATH = "/strava/callback"


def app_credentials(
    client_id: str | None = None, client_secret: str | None = None, settings: Settings | None = None
) -> tuple[str, str] | None:
    """The API application: what was given, else the server's (``settings``), else None."""
    cid = client_id or (settings.strava_client_id if settings is not None else None)
    secret = client_secret or (settings.strava_client_secret if settings is not None else None)
    if not cid or not secret:
        return None
    cid = cid.strip()
    if not cid.isdigit() or len(cid) > 20:
        raise ValidationError("the Strava client id is a number (see https://www.strava.com/settings/api)")
    if len(secret.strip()) < 8 or len(secret) > 200:
        raise ValidationError(
            "the Strava client secret looks wrong (see https://www.strava.com/settings/api)"
        )
    return cid, secret.strip()


def _check_scope(scope: str | None) -> None:
    granted = set((scope or "").replace(" ", "").split(","))
    if not granted & {"activity:read", "activity:read_all"}:
        raise ValidationError(
            "Strava was not allowed to share your activities (the 'View data about your activities' box "
            "was unticked): connect again and leave it ticked"
        )


def begin(
    engine: Engine,
    account_id: int,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    *,
    base: str = DEFAULT_BASE,
) -> str:
    """Start an authorisation; returns the URL of Strava's authorisation page to send the runner to."""
    state = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        links.start_authorisation(conn, account_id, client_id, client_secret, state, redirect_uri)
    return StravaClient(client_id, client_secret, base=base).authorize_url(redirect_uri, state, SCOPE)


def finish(
    engine: Engine,
    account_id: int,
    params: dict[str, str],
    transport: Any = None,
    *,
    base: str = DEFAULT_BASE,
) -> links.StravaLink:
    """Complete an authorisation from the redirect's query (``state``, ``code``, ``scope`` or ``error``)."""
    state = params.get("state", "")
    with engine.connect() as conn:
        pending = links.pending_for_state(conn, account_id, state) if state else None
    if pending is None:
        raise ValidationError("this Strava authorisation is unknown or already used: start connecting again")
    if params.get("error"):
        with engine.begin() as conn:
            links.delete_link(conn, account_id)
        raise ValidationError(f"Strava did not authorise backstride ({params['error'][:80]})")
    _check_scope(params.get("scope"))
    code = params.get("code")
    if not code:
        raise ValidationError("Strava's answer carries no authorisation code")
    client = StravaClient(pending.client_id, pending.client_secret, base=base, transport=transport)
    try:
        tokens = client.exchange_code(code)
    finally:
        client.close()
    with engine.begin() as conn:
        links.save_tokens(
            conn,
            account_id,
            tokens.access_token,
            tokens.refresh_token,
            tokens.expires_at,
            tokens.athlete_id,
            params.get("scope"),
        )
        found = links.get_link(conn, account_id)
    assert found is not None
    return found


class _Callback(BaseHTTPRequestHandler):
    result: dict[str, str] | None = None
    done: threading.Event

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != CALLBACK_PATH:
            self.send_error(404)
            return
        type(self).result = {k: v[0] for k, v in parse_qs(url.query).items() if v}
        ok = "code" in type(self).result and "error" not in type(self).result  # type: ignore[operator]
        body = (
            "<!doctype html><meta charset=utf-8><title>backstride</title><p>"
            + (
                "Strava is connected. You can close this tab and go back to the terminal."
                if ok
                else "Strava did not authorise backstride. You can close this tab."
            )
            + "</p>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        type(self).done.set()

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never log it
        return


def connect_loopback(
    engine: Engine,
    account_id: int,
    client_id: str,
    client_secret: str,
    *,
    port: int = 0,
    open_url: Callable[[str], Any] | None = None,
    show_url: Callable[[str], None] | None = None,
    timeout_s: float = 300.0,
    base: str = DEFAULT_BASE,
) -> links.StravaLink:
    """The whole flow from a terminal (see the module's docstring); blocks until Strava redirects back."""
    handler: Any = type("Callback", (_Callback,), {"result": None, "done": threading.Event()})
    try:
        server = HTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise ValidationError(
            f"cannot listen on 127.0.0.1:{port} for Strava's redirect ({exc.strerror})"
        ) from exc
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}{CALLBACK_PATH}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        url = begin(engine, account_id, client_id, client_secret, redirect_uri, base=base)
        if show_url is not None:
            show_url(url)
        if open_url is not None:
            open_url(url)
        if not handler.done.wait(timeout_s):
            raise ValidationError(
                f"no answer from Strava within {timeout_s:.0f} s: run 'backstride strava connect' again"
            )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return finish(engine, account_id, handler.result or {}, base=base)


def client_for(engine: Engine, account_id: int, **options: Any) -> StravaClient:
    """A client with a valid access token for the account (refreshed and stored when due)."""
    with engine.connect() as conn:
        link = links.get_link(conn, account_id)
    if link is None or not link.connected:
        raise ValidationError("Strava is not connected: run 'backstride strava connect' (or use Settings)")
    client = StravaClient(link.client_id, link.client_secret, access_token=link.access_token, **options)
    now = client.now()
    if link.expires_at is None or link.expires_at - now < REFRESH_BEFORE:
        refresh(engine, client, link)
    return client


def refresh(engine: Engine, client: StravaClient, link: links.StravaLink) -> None:
    """Swap the refresh token for a new access token (Strava may also hand out a new refresh token)."""
    assert link.refresh_token is not None
    try:
        tokens = client.refresh(link.refresh_token)
    except NotAuthorised as exc:
        raise ValidationError(
            "Strava no longer accepts backstride's authorisation (revoked on strava.com?): run "
            "'backstride strava connect' again"
        ) from exc
    with engine.begin() as conn:
        links.save_tokens(conn, link.account_id, tokens.access_token, tokens.refresh_token, tokens.expires_at)
    link.access_token, link.refresh_token, link.expires_at = (
        tokens.access_token,
        tokens.refresh_token,
        tokens.expires_at,
    )
    client.access_token = tokens.access_token


def disconnect(engine: Engine, account_id: int, **options: Any) -> bool:
    """Revoke the access at Strava (when it answers) and delete the stored tokens. False if not linked."""
    with engine.connect() as conn:
        link = links.get_link(conn, account_id)
    if link is None:
        return False
    problem: StravaError | ValidationError | None = None
    if link.connected:
        client = StravaClient(link.client_id, link.client_secret, access_token=link.access_token, **options)
        try:
            if link.expires_at is not None and link.expires_at <= client.now():
                refresh(engine, client, link)
            client.deauthorize()
        except (StravaError, ValidationError) as exc:
            problem = exc
        finally:
            client.close()
    with engine.begin() as conn:
        links.delete_link(conn, account_id)
    if problem is not None:
        raise StravaError(
            f"the tokens are deleted here, but Strava could not be told ({problem}); remove backstride at "
            "https://www.strava.com/settings/apps"
        ) from problem
    return True


__all__ = [
    "app_credentials",
    "begin",
    "client_for",
    "connect_loopback",
    "disconnect",
    "finish",
    "refresh",
]
