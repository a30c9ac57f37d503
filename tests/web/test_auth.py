"""Multi-user server: accounts, sessions, rate-limited login, per-user scoping, read-only grants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backstride.store import accounts
from backstride.store.schema import users
from backstride.web.viewer import SESSION_COOKIE
from tests.web.conftest import lap_run, signup


def test_pages_need_a_login_and_the_api_says_401(server) -> None:  # type: ignore[no-untyped-def]
    anon = server()
    page = anon.get("/runs")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"
    assert anon.get("/api/runs").status_code == 401
    assert anon.get("/login").status_code == 200


def test_signup_stores_an_argon2_hash_and_sets_a_secure_cookie(server) -> None:  # type: ignore[no-untyped-def]
    web = server()
    response = web.post(
        "/register",
        data={"username": "Ada", "password": "correct horse battery", "csrf_token": web.csrf("/register")},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower()
    with web.app.state.web.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.username == "ada")).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert web.get("/api/me").json()["username"] == "ada"
    assert web.get("/").status_code == 200
    web.form("/logout", {}, page="/")
    assert web.get("/api/me").status_code == 401


def test_signup_validation(server) -> None:  # type: ignore[no-untyped-def]
    web = server()
    token = web.csrf("/register")
    assert (
        web.post(
            "/register", data={"username": "x", "password": "long enough pw", "csrf_token": token}
        ).status_code
        == 422
    )
    assert (
        web.post("/register", data={"username": "bob", "password": "short", "csrf_token": token}).status_code
        == 422
    )
    signup(web, "bob")
    other = server()
    taken = other.post(
        "/register",
        data={"username": "BOB", "password": "another long one", "csrf_token": other.csrf("/register")},
    )
    assert taken.status_code == 422 and "taken" in taken.text


def _login(web, username: str, password: str):  # type: ignore[no-untyped-def]
    return web.post(
        "/login",
        data={"username": username, "password": password, "next": "/runs", "csrf_token": web.csrf("/login")},
    )


def test_login_is_rate_limited(server) -> None:  # type: ignore[no-untyped-def]
    signup(server(), "carol")
    web = server()
    ok = _login(web, "carol", "correct horse battery")
    assert ok.status_code == 303 and ok.headers["location"] == "/runs"
    attacker = server()
    for _ in range(accounts.FREE_FAILURES):
        assert _login(attacker, "carol", "wrong password!").status_code == 401
    blocked = _login(attacker, "carol", "correct horse battery")
    assert blocked.status_code == 429  # even the right password, until the delay has passed
    assert "too many" in blocked.text.lower()


def test_rate_limit_delay_passes(engine) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        accounts.create_account(conn, "dave", "correct horse battery", now=start)
    for i in range(accounts.FREE_FAILURES):
        with engine.begin() as conn:
            assert (
                accounts.authenticate(conn, "dave", "nope", "10.0.0.1", now=start + timedelta(seconds=i))
                is None
            )
    with pytest.raises(accounts.TooManyAttempts), engine.begin() as conn:
        accounts.authenticate(
            conn, "dave", "correct horse battery", "10.0.0.1", now=start + timedelta(seconds=3)
        )
    later = start + accounts.WINDOW + timedelta(minutes=1)
    with engine.begin() as conn:
        found = accounts.authenticate(conn, "dave", "correct horse battery", "10.0.0.1", now=later)
    assert found is not None and found > 1


def test_expired_sessions_are_refused(engine) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with engine.begin() as conn:
        account = accounts.create_account(conn, "erin", "correct horse battery", now=start)
        token = accounts.open_session(conn, account, now=start)
        assert accounts.find_session(conn, token, now=start + timedelta(days=1)) is not None
        assert accounts.find_session(conn, token, now=start + accounts.SESSION_LIFETIME) is None
        assert accounts.find_session(conn, "forged", now=start) is None


def _two_runners(server):  # type: ignore[no-untyped-def]
    alice, bob = server(), server()
    signup(alice, "alice")
    signup(bob, "bob")
    run_id = int(alice.upload(lap_run()).json()["files"][0]["activity_id"])
    return alice, bob, run_id


def test_nobody_reads_or_changes_another_runners_data(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob, run_id = _two_runners(server)
    assert alice.get(f"/api/runs/{run_id}").status_code == 200
    assert bob.get("/api/runs").json()["total"] == 0
    assert bob.get(f"/api/runs/{run_id}").status_code == 404
    assert bob.put(f"/api/runs/{run_id}/pain", json={"status": "none"}).status_code == 404
    assert bob.delete(f"/api/runs/{run_id}/pain").status_code == 404
    assert bob.get(f"/runs/{run_id}").status_code == 404
    assert bob.get(f"/runs/{run_id}/log").status_code == 404
    assert bob.form(f"/runs/{run_id}/log", {"pain": "none"}, page="/").status_code == 404
    assert bob.form(f"/runs/{run_id}/context", {"surface": "road"}, page="/").status_code == 404
    assert alice.get(f"/api/runs/{run_id}").json()["pain"] is None
    # The same file uploaded by bob is his own copy, not a duplicate of alice's.
    bobs = bob.upload(lap_run()).json()
    assert bobs["counts"]["imported"] == 1 and bobs["files"][0]["activity_id"] != run_id


def test_a_grant_gives_read_only_access_until_revoked(server) -> None:  # type: ignore[no-untyped-def]
    alice, coach, run_id = _two_runners(server)
    alice.put(f"/api/runs/{run_id}/pain", json={"onset": "1km", "severity": 4})
    assert coach.form("/sharing/view", {"owner_id": "2"}, page="/").status_code == 404  # no grant yet
    assert (
        alice.form("/sharing/grant", {"grantee": "bob", "role": "coach"}, page="/sharing").status_code == 303
    )
    with alice.app.state.web.engine.connect() as conn:
        alice_id = conn.execute(select(users.c.id).where(users.c.username == "alice")).scalar_one()
        grant_id = accounts.grants_given(conn, alice_id)[0]["id"]
    assert "alice" in coach.get("/sharing").text
    assert coach.form("/sharing/view", {"owner_id": str(alice_id)}, page="/").status_code == 303
    assert coach.get("/api/me").json() == {
        "account_id": coach.get("/api/me").json()["account_id"],
        "username": "bob",
        "user_id": alice_id,
        "read_only": True,
    }
    assert coach.get(f"/api/runs/{run_id}").json()["pain"]["severity"] == 4
    assert 'data-testid="onset-marker"' in coach.get(f"/runs/{run_id}").text
    assert coach.put(f"/api/runs/{run_id}/pain", json={"status": "none"}).status_code == 403
    assert coach.form(f"/runs/{run_id}/log", {"pain": "none"}, page="/").status_code == 403
    assert coach.form("/settings/delete", {"confirm": "delete"}, page="/").status_code == 403
    assert coach.upload(lap_run()).status_code == 403
    assert alice.get(f"/api/runs/{run_id}").json()["pain"]["severity"] == 4
    # Only the owner can revoke; then the coach is back to their own (empty) data.
    assert coach.form(f"/sharing/{grant_id}/revoke", {}, page="/sharing").status_code == 404
    assert alice.form(f"/sharing/{grant_id}/revoke", {}, page="/sharing").status_code == 303
    assert coach.get(f"/api/runs/{run_id}").status_code == 404
    assert coach.get("/api/me").json()["read_only"] is False


def test_forms_need_csrf_in_multi_user_mode_too(server) -> None:  # type: ignore[no-untyped-def]
    web = server()
    signup(web, "frank")
    assert web.post("/sharing/grant", data={"grantee": "x", "role": "coach"}).status_code == 403
    assert (
        web.post("/login", data={"username": "frank", "password": "correct horse battery"}).status_code == 403
    )
