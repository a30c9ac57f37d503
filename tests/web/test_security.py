"""A public server under attack (issue 14, items 4-10): bodies before the login, lock-outs, forwarded
addresses, non-finite JSON, caching, the API docs offline, the host check."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from backstride.errors import ValidationError
from backstride.store import accounts
from backstride.store.auth_schema import login_attempts
from backstride.web.guard import MAX_BODY_BYTES
from backstride.web.serving import allowed_hosts, uvicorn_options
from tests.web.conftest import Web, lap_run, signup

MB = 1024**2


class Body:
    """A request body streamed in 1 MB chunks that counts how much the server pulled."""

    def __init__(self, total: int, prefix: bytes = b"", suffix: bytes = b"", fill: bytes = b"a") -> None:
        self.total = total
        self.prefix = prefix
        self.suffix = suffix
        self.fill = fill
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = self.fill * MB
        if self.prefix:
            self.sent += len(self.prefix)
            yield self.prefix
        while self.sent < self.total - len(self.suffix):
            self.sent += len(chunk)
            yield chunk
        if self.suffix:
            self.sent += len(self.suffix)
            yield self.suffix


def json_notes(total: int) -> Body:
    """A well-formed JSON pain report whose notes make it ``total`` bytes long."""
    return Body(total, b'{"status": "none", "notes": "', b'"}')


def _run_id(web: Web) -> int:
    response = web.upload(lap_run())
    assert response.status_code == 200, response.text
    return int(response.json()["files"][0]["activity_id"])


# --- 4. bodies: the session first, then a bounded body ----------------------------------------


def test_a_large_json_without_a_session_is_refused_before_it_is_read(server) -> None:  # type: ignore[no-untyped-def]
    anon = server()
    streamed = json_notes(20 * MB)
    answer = anon.put("/api/runs/1/pain", content=streamed, headers={"content-type": "application/json"})
    assert answer.status_code == 401
    assert streamed.sent <= 2 * MB  # at most what was in flight, never the whole body
    # With a Content-Length the answer comes before a byte is read; a well-formed body too is a 401,
    # not a 422 from validating it.
    announced = json_notes(20 * MB)
    answer = anon.put(
        "/api/runs/1/pain",
        content=announced,
        headers={"content-type": "application/json", "content-length": str(20 * MB)},
    )
    assert answer.status_code == 401 and announced.sent <= 2 * MB
    small = anon.put("/api/runs/1/pain", json={"status": "none", "notes": "x" * 1000})
    assert small.status_code == 401


def test_an_upload_without_a_session_is_refused_before_it_is_read(server) -> None:  # type: ignore[no-untyped-def]
    anon = server()
    boundary = "b0undary"
    streamed = Body(
        30 * MB,
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.fit"\r\n\r\n'.encode(),
        f"\r\n--{boundary}--\r\n".encode(),
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    answer = anon.post("/api/imports", content=streamed, headers=headers)
    assert answer.status_code == 401 and streamed.sent <= 2 * MB
    page = server().post("/upload", content=Body(30 * MB), headers=headers)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_bodies_past_the_limit_are_413_while_streaming_or_by_length(server) -> None:  # type: ignore[no-untyped-def]
    web = server()
    signup(web, "ada")
    run_id = _run_id(web)
    streamed = json_notes(20 * MB)
    answer = web.put(
        f"/api/runs/{run_id}/pain", content=streamed, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413 and "at most 1 MB" in answer.json()["detail"]
    assert streamed.sent <= MAX_BODY_BYTES + 2 * MB
    announced = json_notes(20 * MB)
    answer = web.put(
        f"/api/runs/{run_id}/pain",
        content=announced,
        headers={"content-type": "application/json", "content-length": str(20 * MB)},
    )
    assert answer.status_code == 413 and announced.sent == 0
    form = Body(5 * MB, f"csrf_token={web.csrf('/log')}&sets=".encode())
    answer = web.post(
        "/log/lift", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 413 and form.sent <= MAX_BODY_BYTES + 2 * MB
    assert web.get(f"/api/runs/{run_id}").json()["pain"] is None  # nothing saved
    # Below the limit all is as before.
    assert web.put(f"/api/runs/{run_id}/pain", json={"status": "none", "notes": "fine"}).status_code == 200


def test_local_mode_bounds_bodies_too(local: Web) -> None:
    streamed = json_notes(5 * MB)
    answer = local.put("/api/runs/1/pain", content=streamed, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and streamed.sent <= MAX_BODY_BYTES + 2 * MB


# --- 5. nobody can lock anybody out; usernames cannot be probed ----------------------------------


def _attempt(engine: Engine, user: str, password: str, client: str, at: datetime) -> int | None:
    with engine.begin() as conn:
        return accounts.authenticate(conn, user, password, client, now=at)


def test_a_stranger_cannot_lock_the_owner_out(engine: Engine) -> None:
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        owner = accounts.create_account(conn, "dana", "correct horse battery", now=start)
    moment = start
    for i in range(12):  # the attacker waits out every delay, so each guess is checked
        assert _attempt(engine, "dana", f"guess {i}", "203.0.113.66", moment) is None
        moment += accounts.pair_delay(i + 1) + timedelta(seconds=1)
        assert _attempt(engine, "dana", "correct horse battery", "198.51.100.7", moment) == owner


def test_failures_of_one_account_from_one_address_wait_longer_each_time(engine: Engine) -> None:
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        owner = accounts.create_account(conn, "erik", "correct horse battery", now=start)
    bad = "203.0.113.66"
    for i in range(accounts.FREE_FAILURES):
        assert _attempt(engine, "erik", "nope", bad, start + timedelta(seconds=i)) is None
    last = start + timedelta(seconds=accounts.FREE_FAILURES - 1)
    waits = []
    for _ in range(4):
        with pytest.raises(accounts.TooManyAttempts) as refused:
            _attempt(engine, "erik", "correct horse battery", bad, last + timedelta(milliseconds=500))
        waits.append(refused.value.retry_after)
        last += timedelta(seconds=refused.value.retry_after)
        assert _attempt(engine, "erik", "nope", bad, last) is None
    assert waits == sorted(waits) and waits[-1] >= 4 * waits[0]  # the delay grows
    # Once the delay has passed, the right password works from there too, and clears the count.
    later = last + accounts.pair_delay(accounts.FREE_FAILURES + 4)
    assert _attempt(engine, "erik", "correct horse battery", bad, later) == owner
    assert _attempt(engine, "erik", "nope", bad, later + timedelta(seconds=1)) is None


def test_a_burst_from_one_address_is_stopped_for_that_address_only(engine: Engine) -> None:
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        owner = accounts.create_account(conn, "fay", "correct horse battery", now=start)
    for i in range(accounts.BURST_FAILURES):  # password spraying: one guess per username
        assert _attempt(engine, f"user{i}", "nope", "203.0.113.66", start + timedelta(seconds=i)) is None
    with pytest.raises(accounts.TooManyAttempts):
        _attempt(engine, "fay", "correct horse battery", "203.0.113.66", start + timedelta(seconds=20))
    assert (
        _attempt(engine, "fay", "correct horse battery", "198.51.100.7", start + timedelta(seconds=20))
        == owner
    )
    after = start + accounts.BURST_WINDOW + timedelta(seconds=1)
    assert _attempt(engine, "fay", "correct horse battery", "203.0.113.66", after) == owner


def test_the_login_page_answers_429_with_retry_after(server) -> None:  # type: ignore[no-untyped-def]
    signup(server(), "gus")
    attacker = server()
    token = attacker.csrf("/login")
    answers = [
        attacker.post("/login", data={"username": "gus", "password": "wrong!", "csrf_token": token})
        for _ in range(accounts.FREE_FAILURES + 1)
    ]
    assert [a.status_code for a in answers] == [401] * accounts.FREE_FAILURES + [429]
    assert int(answers[-1].headers["retry-after"]) >= 1 and "try again in" in answers[-1].text


def test_granting_answers_the_same_whether_the_name_exists(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob = server(), server()
    signup(alice, "alice")
    signup(bob, "bob")
    real = alice.form("/sharing/grant", {"grantee": "bob", "role": "coach"}, page="/sharing")
    ghost = alice.form("/sharing/grant", {"grantee": "nobody-here", "role": "coach"}, page="/sharing")
    assert (real.status_code, real.headers["location"]) == (ghost.status_code, ghost.headers["location"])
    listed = alice.get("/sharing").text
    assert "bob" in listed and "nobody-here" in listed
    again = alice.form("/sharing/grant", {"grantee": "nobody-here", "role": "coach"}, page="/sharing")
    twice = alice.form("/sharing/grant", {"grantee": "bob", "role": "coach"}, page="/sharing")
    assert again.status_code == twice.status_code == 422
    # A grant to a name without an account gives nothing to an account made later under that name.
    late = server()
    signup(late, "nobody-here")
    assert "alice" not in late.get("/sharing").text
    assert late.form("/sharing/view", {"owner_id": "2"}, page="/").status_code == 404


# --- 6. forwarded addresses are believed only from the proxy named ------------------------------


def test_forwarded_headers_are_ignored_unless_the_proxy_is_named(engine: Engine, tmp_path: Any) -> None:
    from tests.web.live import live_app

    clients = []
    for proxies in (None, "127.0.0.1"):
        with (
            live_app(engine, tmp_path, multi_user=True, **uvicorn_options(proxies)) as base,
            httpx.Client(base_url=base) as client,
        ):
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            client.post(
                "/login",
                data={"username": "nobody", "password": "guess", "csrf_token": token},
                headers={"x-forwarded-for": "203.0.113.9"},
            )
        with engine.begin() as conn:
            clients.append(conn.execute(select(login_attempts.c.client)).scalar_one())
            conn.execute(login_attempts.delete())
    assert clients == ["127.0.0.1", "203.0.113.9"]
    assert uvicorn_options(None) == {"proxy_headers": False, "forwarded_allow_ips": ""}


# --- 7. non-finite numbers are a 422, not a 500 -------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"severity": 1e400}',
        '{"severity": NaN}',
        '{"severity": -Infinity}',
        '{"onset": Infinity}',
        '{"notes": NaN}',
        '{"from_lap": NaN}',
        '{"locations": [1e999]}',
    ],
)
def test_non_finite_numbers_in_the_pain_json_are_422(local: Web, raw: str) -> None:
    run_id = _run_id(local)
    answer = local.put(f"/api/runs/{run_id}/pain", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"] and json.loads(json.dumps(body)) == body
    assert local.get(f"/api/runs/{run_id}").json()["pain"] is None


# --- 8. nothing private is cacheable --------------------------------------------------------------


def test_every_response_with_runner_data_says_no_store(local: Web) -> None:
    run_id = _run_id(local)
    local.put(f"/api/runs/{run_id}/pain", json={"onset": "1km", "severity": 3})
    for path in (
        "/",
        "/runs",
        f"/runs/{run_id}",
        f"/runs/{run_id}/log",
        "/api/runs",
        f"/api/runs/{run_id}",
        "/api/me",
        "/analysis/report",
        "/settings",
        "/runs/99999",
    ):
        assert local.get(path).headers.get("cache-control") == "no-store", path
    export = local.form("/settings/export", {})
    assert export.status_code == 200 and export.headers["cache-control"] == "no-store"
    assert "no-store" not in local.get("/static/style.css").headers.get("cache-control", "")


# --- 9. the API docs work offline, under the CSP ---------------------------------------------------


def test_api_docs_are_served_from_the_package_under_the_csp(local: Web) -> None:
    page = local.get("/api/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text and "<script>" not in page.text
    for asset in (
        "/api/docs/assets/swagger-ui-bundle.js",
        "/api/docs/assets/swagger-ui.css",
        "/static/api-docs.js",
    ):
        answer = local.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 100, asset
    assert local.get("/api/docs/assets/index.html").status_code == 404


# --- 10. a multi-user server answers only to its host names ---------------------------------------


def test_multi_user_mode_checks_the_host(engine: Engine, tmp_path: Any, portal: Any) -> None:
    from backstride.config import Settings
    from backstride.web.app import create_app

    settings = Settings(db_url=str(engine.url), data_dir=tmp_path)
    default = Web(
        portal, create_app(settings, multi_user=True, engine=engine, secret=b"s"), "http://evil.test"
    )
    named = Web(
        portal,
        create_app(settings, multi_user=True, engine=engine, secret=b"s", allowed_hosts=["runs.example.org"]),
        "https://runs.example.org",
    )
    try:
        assert default.get("/login").status_code == 400
        assert named.get("/login").status_code == 200
        assert named.get("/login", headers={"host": "evil.test"}).status_code == 400
    finally:
        default.close()
        named.close()
    assert allowed_hosts("127.0.0.1", None, True) == ["127.0.0.1", "localhost", "::1", "[::1]"]
    assert allowed_hosts("0.0.0.0", "runs.example.org, www.runs.example.org", True) == [
        "runs.example.org",
        "www.runs.example.org",
    ]
    with pytest.raises(ValidationError, match="--allowed-hosts"):
        allowed_hosts("0.0.0.0", None, True)


def test_serve_wires_hosts_and_forwarded_headers(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from backstride.cli import app

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: calls.append((web, kw)))
    db = str(tmp_path / "serve.sqlite")
    runner = CliRunner()
    refused = runner.invoke(app, ["--db", db, "serve", "--multi-user", "--host", "0.0.0.0"])
    assert refused.exit_code != 0 and "--allowed-hosts" in refused.output and not calls
    public = ["--multi-user", "--host", "0.0.0.0", "--allowed-hosts", "runs.example.org"]
    done = runner.invoke(app, ["--db", db, "serve", *public, "--forwarded-allow-ips", "10.0.0.2"])
    assert done.exit_code == 0, done.output
    web, options = calls[-1]
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == "10.0.0.2"
    assert runner.invoke(app, ["--db", db, "serve"]).exit_code == 0
    local, plain = calls[-1]
    assert plain["proxy_headers"] is False
    assert _hosts(web) == ["runs.example.org"] and _hosts(local) == ["127.0.0.1", "localhost", "::1", "[::1]"]


def _hosts(web: Any) -> list[str]:
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    found = [m for m in web.user_middleware if m.cls is TrustedHostMiddleware]
    assert len(found) == 1
    return list(found[0].kwargs["allowed_hosts"])
