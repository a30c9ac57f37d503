"""A local stand-in for Strava's API v3 and OAuth endpoints, on loopback, started by the tests.

It follows Strava's published reference (developers.strava.com: authentication, rate limits, the
swagger description of ``getLoggedInAthleteActivities``, ``getActivityStreams``, ``getLapsByActivityId``,
``getGearById``): the shapes of the answers (SummaryActivity, StreamSet keyed by type, Lap, token
answers with ``expires_at`` and the athlete), pagination with ``page`` / ``per_page`` and ``after`` /
``before``, ``401`` with Strava's ``Authorization Error`` body for an expired or revoked token, the
``X-RateLimit-*`` and ``X-ReadRateLimit-*`` headers on every API answer and ``429`` past the limits.

Tests set ``BACKSTRIDE_STRAVA_URL`` to :attr:`StravaStub.url`; nothing reaches strava.com.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


@dataclass
class StubActivity:
    """An activity on the stub: summary fields and 1 Hz streams along a straight line."""

    id: int
    start: datetime
    seconds: int
    speed: float = 3.0
    sport_type: str = "Run"
    manual: bool = False
    gear_id: str | None = "g100"
    lap_press_s: int | None = None  # a lap-button press (closing a lap at an odd distance)
    heart: bool = True

    def summary(self) -> dict[str, Any]:
        return {
            "resource_state": 2,
            "athlete": {"id": 0, "resource_state": 1},
            "id": self.id,
            "name": f"Morning {self.sport_type} {self.id}",
            "distance": round(self.speed * self.seconds, 1),
            "moving_time": self.seconds,
            "elapsed_time": self.seconds,
            "total_elevation_gain": 12.0,
            "type": self.sport_type if self.sport_type in ("Run", "Ride", "Walk") else "Workout",
            "sport_type": self.sport_type,
            "start_date": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_date_local": (self.start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": "(GMT+01:00) Europe/Amsterdam",
            "utc_offset": 3600.0,
            "trainer": False,
            "manual": self.manual,
            "gear_id": self.gear_id,
            "average_speed": self.speed,
            "max_speed": self.speed + 0.5,
            "average_cadence": 86.5,
            "has_heartrate": self.heart,
            "average_heartrate": 150.2 if self.heart else None,
            "max_heartrate": 171.0 if self.heart else None,
        }

    def streams(self, keys: list[str]) -> dict[str, Any]:
        t = list(range(self.seconds + 1))
        data: dict[str, list[Any]] = {
            "time": t,
            "distance": [round(self.speed * s, 1) for s in t],
            "latlng": [[round(52.0 + self.speed * s / 111_195.0, 7), 4.9] for s in t],
            "altitude": [round(10 + 5 * math.sin(s / 100), 1) for s in t],
            "cadence": [87 for _ in t],
            "velocity_smooth": [self.speed for _ in t],
            "grade_smooth": [0.0 for _ in t],
        }
        if self.heart:
            data["heartrate"] = [140 + s // 60 for s in t]
        return {
            key: {"data": data[key], "series_type": "distance", "original_size": len(t), "resolution": "high"}
            for key in keys
            if key in data
        }

    def laps(self) -> list[dict[str, Any]]:
        cuts = [s for s in range(0, self.seconds + 1) if s and int(self.speed * s) % 1000 < int(self.speed)]
        cuts = [c for c in cuts if c < self.seconds]
        if self.lap_press_s:
            cuts = sorted({*cuts, self.lap_press_s})
        edges = [0, *cuts, self.seconds]
        return [
            {
                "id": self.id * 100 + i,
                "resource_state": 2,
                "name": f"Lap {i + 1}",
                "activity": {"id": self.id},
                "elapsed_time": b - a,
                "moving_time": b - a,
                "start_date": (self.start + timedelta(seconds=a)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "distance": round(self.speed * (b - a), 1),
                "start_index": a,
                "end_index": b,
                "lap_index": i + 1,
                "split": i + 1,
            }
            for i, (a, b) in enumerate(pairwise(edges))
        ]


@dataclass
class Athlete:
    id: int
    activities: list[StubActivity] = field(default_factory=list)


@dataclass
class Token:
    athlete: int
    expires_at: int
    refresh: str


class StravaStub:
    """The stub's state and server. ``short_limit`` / ``daily_limit`` bound the read requests."""

    def __init__(
        self,
        client_id: str = "4242",
        client_secret: str = "s3cret-of-the-app-0123456789",
        token_lifetime_s: int = 6 * 3600,
        short_limit: int = 100,
        daily_limit: int = 1000,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime_s = token_lifetime_s
        self.short_limit = short_limit
        self.daily_limit = daily_limit
        self.athletes: dict[int, Athlete] = {}
        self.codes: dict[str, int] = {}  # authorisation code -> athlete
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, int] = {}
        self.short_usage = 0
        self.daily_usage = 0
        self.requests: list[str] = []  # method and path of every request (never the query or body)
        self.deauthorized: list[int] = []
        self.next_athlete_for_authorize = 0
        self.granted_scope = "read,activity:read_all"
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> StravaStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    # helpers for tests ------------------------------------------------------------------------------

    def add_athlete(self, athlete_id: int, activities: list[StubActivity]) -> None:
        self.athletes[athlete_id] = Athlete(athlete_id, activities)

    def issue_tokens(self, athlete_id: int, lifetime_s: int | None = None) -> dict[str, Any]:
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        expires = int(time.time()) + (self.token_lifetime_s if lifetime_s is None else lifetime_s)
        self.tokens[access] = Token(athlete_id, expires, refresh)
        self.refresh_tokens[refresh] = athlete_id
        return {
            "token_type": "Bearer",
            "expires_at": expires,
            "expires_in": expires - int(time.time()),
            "refresh_token": refresh,
            "access_token": access,
        }

    def expire_all(self) -> None:
        for token in self.tokens.values():
            token.expires_at = int(time.time()) - 10

    # the server -------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                stub.requests.append(f"GET {url.path}")
                if url.path == "/oauth/authorize":
                    self._authorize(query)
                elif url.path.startswith("/api/v3/"):
                    self._api(url.path[len("/api/v3") :], query)
                else:
                    self._send(404, {"message": "Record Not Found", "errors": []})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                stub.requests.append(f"POST {url.path}")
                form = self._form()
                if url.path == "/oauth/token":
                    self._token(form)
                elif url.path == "/oauth/deauthorize":
                    token = stub.tokens.pop(form.get("access_token", ""), None)
                    if token is None:
                        self._send(401, _auth_error())
                        return
                    stub.deauthorized.append(token.athlete)
                    for key in [k for k, v in stub.tokens.items() if v.athlete == token.athlete]:
                        del stub.tokens[key]
                    self._send(200, {"access_token": "revoked"})
                else:
                    self._send(404, {"message": "Record Not Found", "errors": []})

            def _authorize(self, query: dict[str, str]) -> None:
                if query.get("client_id") != stub.client_id or query.get("response_type") != "code":
                    self._send(
                        400,
                        {
                            "message": "Bad Request",
                            "errors": [{"resource": "Application", "field": "client_id", "code": "invalid"}],
                        },
                    )
                    return
                code = secrets.token_hex(10)
                stub.codes[code] = stub.next_athlete_for_authorize
                target = (
                    query["redirect_uri"]
                    + "?"
                    + urlencode({"state": query.get("state", ""), "code": code, "scope": stub.granted_scope})
                )
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _token(self, form: dict[str, str]) -> None:
                if form.get("client_id") != stub.client_id or form.get("client_secret") != stub.client_secret:
                    self._send(
                        401,
                        {
                            "message": "Bad Request",
                            "errors": [
                                {"resource": "Application", "field": "client_secret", "code": "invalid"}
                            ],
                        },
                    )
                    return
                grant = form.get("grant_type")
                if grant == "authorization_code":
                    athlete = stub.codes.pop(form.get("code", ""), None)
                    if athlete is None:
                        self._send(
                            400,
                            {
                                "message": "Bad Request",
                                "errors": [{"resource": "RequestToken", "field": "code", "code": "invalid"}],
                            },
                        )
                        return
                    body = stub.issue_tokens(athlete)
                    body["athlete"] = {
                        "id": athlete,
                        "username": None,
                        "resource_state": 2,
                        "firstname": "Anna",
                        "lastname": "Runner",
                    }
                    self._send(200, body)
                elif grant == "refresh_token":
                    athlete = stub.refresh_tokens.pop(form.get("refresh_token", ""), None)
                    if athlete is None:
                        self._send(
                            400,
                            {
                                "message": "Bad Request",
                                "errors": [
                                    {"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}
                                ],
                            },
                        )
                        return
                    self._send(200, stub.issue_tokens(athlete))
                else:
                    self._send(400, {"message": "Bad Request", "errors": []})

            def _limits(self) -> dict[str, str]:
                return {
                    "X-RateLimit-Limit": f"{stub.short_limit * 2},{stub.daily_limit * 2}",
                    "X-RateLimit-Usage": f"{stub.short_usage},{stub.daily_usage}",
                    "X-ReadRateLimit-Limit": f"{stub.short_limit},{stub.daily_limit}",
                    "X-ReadRateLimit-Usage": f"{stub.short_usage},{stub.daily_usage}",
                }

            def _api(self, path: str, query: dict[str, str]) -> None:
                with stub._lock:
                    stub.short_usage += 1
                    stub.daily_usage += 1
                    over = stub.short_usage > stub.short_limit or stub.daily_usage > stub.daily_limit
                if over:
                    self._send(
                        429,
                        {
                            "message": "Rate Limit Exceeded",
                            "errors": [
                                {"resource": "Application", "field": "rate limit", "code": "exceeded"}
                            ],
                        },
                        self._limits(),
                    )
                    return
                auth = self.headers.get("Authorization", "")
                token = stub.tokens.get(auth.removeprefix("Bearer ").strip())
                if token is None or token.expires_at < time.time():
                    self._send(401, _auth_error(), self._limits())
                    return
                athlete = stub.athletes.get(token.athlete, Athlete(token.athlete))
                found = self._route(path, query, athlete)
                if found is None:
                    self._send(
                        404,
                        {
                            "message": "Record Not Found",
                            "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}],
                        },
                        self._limits(),
                    )
                else:
                    self._send(200, found, self._limits())

            def _route(self, path: str, query: dict[str, str], athlete: Athlete) -> Any:
                if path == "/athlete/activities":
                    page, per_page = int(query.get("page", 1)), int(query.get("per_page", 30))
                    after = int(query["after"]) if "after" in query else None
                    before = int(query["before"]) if "before" in query else None
                    chosen = [
                        a
                        for a in athlete.activities
                        if (after is None or a.start.timestamp() > after)
                        and (before is None or a.start.timestamp() < before)
                    ]
                    # Strava lists newest first, or oldest first when only 'after' is given
                    chosen.sort(key=lambda a: a.start, reverse=after is None)
                    out = []
                    for a in chosen[(page - 1) * per_page : page * per_page]:
                        item = a.summary()
                        item["athlete"]["id"] = athlete.id
                        out.append(item)
                    return out
                parts = path.strip("/").split("/")
                if len(parts) == 2 and parts[0] == "gear":
                    return {
                        "id": parts[1],
                        "primary": True,
                        "name": "Pegasus 40",
                        "resource_state": 2,
                        "distance": 412000.0,
                    }
                if len(parts) == 3 and parts[0] == "activities":
                    activity = next((a for a in athlete.activities if str(a.id) == parts[1]), None)
                    if activity is None:
                        return None
                    if parts[2] == "streams":
                        if query.get("key_by_type") != "true":
                            return None
                        return activity.streams(query.get("keys", "").split(","))
                    if parts[2] == "laps":
                        return activity.laps()
                return None

        return Handler


def _auth_error() -> dict[str, Any]:
    return {
        "message": "Authorization Error",
        "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
    }


def runs(count: int, start: datetime | None = None, first_id: int = 9000) -> list[StubActivity]:
    base = start or datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
    return [StubActivity(first_id + i, base + timedelta(days=i), 900 + 60 * i) for i in range(count)]
