"""A small client of Strava's API v3 and its OAuth endpoints, with the rate limits read from every answer.

Endpoints used (Strava's published reference): ``POST /oauth/token`` (``authorization_code`` and
``refresh_token`` grants), ``POST /oauth/deauthorize``, ``GET /api/v3/athlete/activities`` (``after``,
``before``, ``page``, ``per_page``), ``GET /api/v3/activities/{id}/streams`` (``keys``,
``key_by_type=true``), ``GET /api/v3/activities/{id}/laps``, ``GET /api/v3/gear/{id}``.

Rate limits: every answer carries ``X-RateLimit-Limit`` / ``X-RateLimit-Usage`` (overall) and
``X-ReadRateLimit-Limit`` / ``X-ReadRateLimit-Usage`` (reads), each "15-minute, daily". The 15-minute
window resets at 0, 15, 30 and 45 minutes past the hour, the daily one at midnight UTC; a request over a
limit gets ``429``. :class:`RateLimits` keeps the last figures; :meth:`StravaClient.request` waits for
the next window (when allowed) or raises :class:`RateLimited` with a plain message.

Secrets (client secret, tokens) travel only in request bodies and the ``Authorization`` header; they are
never put in a URL, an error message or a log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backstride.config import STRAVA_URL
from backstride.errors import NotAuthorised, RateLimited, StravaError

#: Where Strava lives; the settings' ``strava_url`` (``BACKSTRIDE_STRAVA_URL``) points elsewhere (the
#: tests' local stub server), handed to :class:`StravaClient` as ``base``.
DEFAULT_BASE = STRAVA_URL
#: Requests left in a window below which the client stops before Strava refuses.
MARGIN = 2
TIMEOUT_S = 30.0


def _pair(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        short, daily = (int(part.strip()) for part in text.split(",")[:2])
    except ValueError:
        return None
    return short, daily


def next_window(now: datetime) -> datetime:
    """The start of the next 15-minute window (0, 15, 30, 45 past the hour, UTC)."""
    now = now.astimezone(UTC)
    floor = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return floor + timedelta(minutes=15)


def next_day(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


@dataclass
class RateLimits:
    """The last limits and usage Strava reported (None until an answer said)."""

    limit: tuple[int, int] | None = None
    usage: tuple[int, int] | None = None
    read_limit: tuple[int, int] | None = None
    read_usage: tuple[int, int] | None = None

    def update(self, headers: httpx.Headers) -> None:
        self.limit = _pair(headers.get("x-ratelimit-limit")) or self.limit
        self.usage = _pair(headers.get("x-ratelimit-usage")) or self.usage
        self.read_limit = _pair(headers.get("x-readratelimit-limit")) or self.read_limit
        self.read_usage = _pair(headers.get("x-readratelimit-usage")) or self.read_usage

    def exhausted(self, margin: int = MARGIN) -> str | None:
        """``"daily"``, ``"15-minute"`` or None: which window has (almost) no requests left."""
        pairs = [(self.limit, self.usage), (self.read_limit, self.read_usage)]
        which = None
        for limit, usage in pairs:
            if limit is None or usage is None:
                continue
            if usage[1] >= limit[1] - margin:
                return "daily"
            if usage[0] >= limit[0] - margin:
                which = "15-minute"
        return which

    def describe(self) -> str:
        parts = []
        if self.usage and self.limit:
            parts.append(
                f"{self.usage[0]}/{self.limit[0]} per 15 min, {self.usage[1]}/{self.limit[1]} per day"
            )
        if self.read_usage and self.read_limit:
            parts.append(
                f"reads {self.read_usage[0]}/{self.read_limit[0]} per 15 min, "
                f"{self.read_usage[1]}/{self.read_limit[1]} per day"
            )
        return "; ".join(parts) or "no figures yet"


@dataclass
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    athlete_id: int | None = None
    scope: str | None = None


def _tokens(data: dict[str, Any]) -> Tokens:
    try:
        athlete = data.get("athlete") or {}
        return Tokens(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_at=datetime.fromtimestamp(int(data["expires_at"]), tz=UTC),
            athlete_id=int(athlete["id"]) if athlete.get("id") is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StravaError(f"Strava's token answer lacks {exc}") from exc


def _message(response: httpx.Response) -> str:
    """Strava's error message (``message`` and the ``errors`` fields), with no token in it."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(data, dict):
        return f"HTTP {response.status_code}"
    text = str(data.get("message") or f"HTTP {response.status_code}")
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        fields = ", ".join(
            f"{e.get('resource', '?')}.{e.get('field', '?')} {e.get('code', '')}".strip()
            for e in errors
            if isinstance(e, dict)
        )
        text += f" ({fields})"
    return text[:300]


@dataclass
class StravaClient:
    """Calls to Strava for one application; ``access_token`` set for API calls.

    ``wait``: on a reached 15-minute limit, sleep until the next window (``on_wait(message, until)``
    is told first) instead of raising :class:`RateLimited`. The daily limit always raises.
    """

    client_id: str
    client_secret: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    base: str = DEFAULT_BASE
    wait: bool = True
    on_wait: Callable[[str, datetime], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    transport: httpx.BaseTransport | None = None
    limits: RateLimits = field(default_factory=RateLimits)
    _http: httpx.Client | None = field(default=None, repr=False)

    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=TIMEOUT_S, transport=self.transport, follow_redirects=False)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # OAuth -------------------------------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, scope: str = "read,activity:read_all") -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": "auto",
            "scope": scope,
            "state": state,
        }
        return str(httpx.URL(f"{self.base}/oauth/authorize", params=params))

    def _token_call(self, form: dict[str, str]) -> Tokens:
        try:
            response = self.http().post(f"{self.base}/oauth/token", data=form)
        except httpx.HTTPError as exc:
            raise StravaError(f"cannot reach Strava ({type(exc).__name__})") from exc
        if response.status_code in (400, 401):
            raise NotAuthorised(f"Strava refused the authorisation: {_message(response)}")
        if response.status_code != 200:
            raise StravaError(f"Strava's token endpoint answered {_message(response)}")
        return _tokens(response.json())

    def exchange_code(self, code: str) -> Tokens:
        return self._token_call(
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "code": code,
                "grant_type": "authorization_code",
            }
        )

    def refresh(self, refresh_token: str) -> Tokens:
        return self._token_call(
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
        )

    def deauthorize(self) -> None:
        """Revoke this application's access to the athlete (all its tokens)."""
        if not self.access_token:
            return
        try:
            response = self.http().post(
                f"{self.base}/oauth/deauthorize", data={"access_token": self.access_token}
            )
        except httpx.HTTPError as exc:
            raise StravaError(f"cannot reach Strava ({type(exc).__name__})") from exc
        if response.status_code == 401:
            return  # already revoked or expired: nothing left to revoke
        if response.status_code != 200:
            raise StravaError(f"Strava did not revoke the access: {_message(response)}")

    # API ---------------------------------------------------------------------------------------------

    def _before_request(self) -> None:
        which = self.limits.exhausted()
        if which is not None:
            self._limit_reached(which)

    def _limit_reached(self, which: str) -> None:
        now = self.now()
        if which == "daily":
            until = next_day(now)
            raise RateLimited(
                f"Strava's daily request limit is used up ({self.limits.describe()}); it resets at "
                f"{until:%H:%M} UTC: run the sync again then, it resumes where it stopped",
                until,
            )
        until = next_window(now)
        if not self.wait:
            raise RateLimited(
                f"Strava's 15-minute request limit is used up ({self.limits.describe()}); it resets at "
                f"{until:%H:%M} UTC: run the sync again then, it resumes where it stopped",
                until,
            )
        if self.on_wait is not None:
            self.on_wait(
                f"Strava's 15-minute request limit is used up; waiting until {until:%H:%M} UTC", until
            )
        self.sleep(max(0.0, (until - now).total_seconds()) + 1.0)
        self.limits.usage = self.limits.read_usage = None  # a new window

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/api/v3{path}`` as JSON, respecting the rate limits (one retry after a 429 wait)."""
        if not self.access_token:
            raise NotAuthorised("not connected to Strava")
        for attempt in range(2):
            self._before_request()
            try:
                response = self.http().get(
                    f"{self.base}/api/v3{path}",
                    params=params,
                    headers={"Authorization": f"Bearer {self.access_token}"},
                )
            except httpx.HTTPError as exc:
                raise StravaError(f"cannot reach Strava ({type(exc).__name__})") from exc
            self.limits.update(response.headers)
            if response.status_code == 429:
                which = self.limits.exhausted(margin=0) or "15-minute"
                if attempt == 0:
                    self._limit_reached(which)
                    continue
                raise RateLimited(
                    f"Strava keeps refusing: too many requests ({self.limits.describe()})",
                    next_window(self.now()),
                )
            if response.status_code == 401:
                raise NotAuthorised(f"Strava refused the access token: {_message(response)}")
            if response.status_code == 404:
                raise StravaError(f"Strava has no {path} ({_message(response)})")
            if response.status_code != 200:
                raise StravaError(f"Strava answered {path} with {_message(response)}")
            return response.json()
        raise AssertionError("unreachable")


__all__ = [
    "DEFAULT_BASE",
    "NotAuthorised",
    "RateLimited",
    "RateLimits",
    "StravaClient",
    "StravaError",
    "Tokens",
    "next_day",
    "next_window",
]
