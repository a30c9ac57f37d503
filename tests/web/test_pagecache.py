"""The dashboard is rendered again whenever what it shows changes, wherever the change was made, and
a page kept for reuse never carries another browser's CSRF token nor another runner's data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from sqlalchemy import Engine, update

from backstride.config import Settings
from backstride.log.pain import record_pain
from backstride.store.schema import LOCAL_USER_ID, activities
from backstride.web.app import create_app
from tests.web.conftest import Web, lap_run, signup


@pytest.fixture
def app(sqlite_engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(db_url=str(sqlite_engine.url), data_dir=tmp_path)
    return create_app(settings, engine=sqlite_engine, secret=b"test-secret")


@pytest.fixture
def browsers(app, portal: BlockingPortal) -> Iterator[tuple[Web, Web]]:  # type: ignore[no-untyped-def]
    one, two = Web(portal, app, "http://127.0.0.1"), Web(portal, app, "http://127.0.0.1")
    yield one, two
    one.close()
    two.close()


def _token(html: str) -> str:
    found = re.search(r'data-csrf="([0-9a-f]+)"', html)
    assert found
    return found.group(1)


def test_dashboard_follows_changes_made_outside_the_app(browsers: tuple[Web, Web]) -> None:
    web, _ = browsers
    run_id = int(web.upload(lap_run()).json()["files"][0]["activity_id"])
    before = web.get("/").text
    assert before == web.get("/").text.replace(_token(before), _token(before))
    engine = web.app.state.web.engine
    with engine.begin() as conn:  # as the CLI or another worker would
        conn.execute(update(activities).where(activities.c.id == run_id).values(name="Renamed elsewhere"))
    renamed = web.get("/").text
    assert "Renamed elsewhere" in renamed and "Renamed elsewhere" not in before
    with engine.begin() as conn:
        record_pain(conn, LOCAL_USER_ID, run_id, onset="1.5km", severity=3)
    logged = web.get("/").text
    assert "3/10" in logged and "3/10" not in renamed
    with engine.begin() as conn:
        record_pain(conn, LOCAL_USER_ID, run_id, status="none")
    assert "pain-free" in web.get("/").text


def test_each_browser_gets_its_own_token_from_a_kept_page(browsers: tuple[Web, Web]) -> None:
    one, two = browsers
    first, second = one.get("/"), two.get("/")
    assert first.status_code == second.status_code == 200
    token_one, token_two = _token(first.text), _token(second.text)
    assert token_one != token_two
    assert first.text.replace(token_one, "") == second.text.replace(token_two, "")
    assert "csrf-" not in first.text  # the placeholder never leaves the server
    saved = one.post("/settings", data={"units": "km", "csrf_token": token_one}, follow_redirects=False)
    assert saved.status_code == 303
    refused = one.post("/settings", data={"units": "mi", "csrf_token": token_two})
    assert refused.status_code == 403


def test_units_change_renders_the_dashboard_again(browsers: tuple[Web, Web]) -> None:
    web, _ = browsers
    web.upload(lap_run())
    page = web.get("/").text
    token = _token(page)
    assert "2.06 mi" in page and "3.32 km" not in page  # the run of 3,322.95 m
    web.post("/settings", data={"units": "km", "csrf_token": token})
    page = web.get("/").text
    assert "3.32 km" in page and "2.06 mi" not in page


def test_a_kept_dashboard_is_never_shown_to_another_runner(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob = server(), server()
    signup(alice, "alice")
    signup(bob, "bob")
    alice.upload(lap_run())
    with alice.app.state.web.engine.begin() as conn:
        conn.execute(update(activities).values(name="Alice secret loop"))
    assert "Alice secret loop" in alice.get("/").text
    page = bob.get("/").text
    assert "Alice secret loop" not in page and "No runs here yet" in page
    assert "Signed in as bob" in page


def test_run_chart_follows_the_report_the_unit_and_the_streams(browsers: tuple[Web, Web]) -> None:
    from backstride.store.activities import load_streams
    from backstride.store.codec import encode_streams
    from backstride.store.schema import streams

    web, _ = browsers
    run_id = int(web.upload(lap_run()).json()["files"][0]["activity_id"])
    page = f"/runs/{run_id}"
    assert 'data-testid="onset-marker"' not in web.get(page).text
    engine = web.app.state.web.engine
    with engine.begin() as conn:  # logged elsewhere (the CLI)
        record_pain(conn, LOCAL_USER_ID, run_id, onset="1.2km", severity=4)
    marked = web.get(page).text
    assert 'data-testid="onset-marker"' in marked and "pain 0.75 mi" in marked
    web.post("/settings", data={"units": "km", "csrf_token": _token(marked)})
    assert "pain 1.20 km" in web.get(page).text
    with engine.begin() as conn:  # a richer copy replaced the streams: half the distance
        data = load_streams(conn, run_id)
        data["distance"] = data["distance"] / 2
        codec, header, blob = encode_streams(data)
        conn.execute(
            update(streams)
            .where(streams.c.activity_id == run_id)
            .values(codec=codec, columns=header, data=blob)
        )
    assert re.findall(r'data-x="([0-9.]+)"', web.get(page).text) != re.findall(r'data-x="([0-9.]+)"', marked)
