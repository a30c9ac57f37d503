"""Settings > Strava in the browser: connect through Strava's redirect, sync, disconnect (local stub)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import Engine

from backstride.config import Settings
from backstride.store.strava import get_link
from tests.sync.strava_stub import StravaStub, runs
from tests.web.conftest import Web, signup

CLIENT_ID = "4242"
SECRET = "s3cret-of-the-app-0123456789"


@pytest.fixture
def stub() -> Iterator[StravaStub]:
    with StravaStub(CLIENT_ID, SECRET) as server:
        yield server


@pytest.fixture
def server_app() -> bool:
    """Whether the server has a Strava application of its own (a test parametrises it to True)."""
    return False


@pytest.fixture
def web_settings(engine: Engine, tmp_path: Path, stub: StravaStub, server_app: bool) -> Settings:
    """The apps' settings: Strava is the stub; the server's own application when ``server_app``."""
    return Settings(
        db_url=str(engine.url),
        data_dir=tmp_path,
        strava_url=stub.url,
        strava_client_id=CLIENT_ID if server_app else None,
        strava_client_secret=SECRET if server_app else None,
    )


def _connect(web: Web, stub: StravaStub, athlete: int, data: dict[str, Any]) -> None:
    stub.next_athlete_for_authorize = athlete
    sent = web.form("/settings/strava/connect", data, page="/settings/strava")
    assert sent.status_code == 303, sent.text
    to_strava = sent.headers["location"]
    assert to_strava.startswith(stub.url + "/oauth/authorize?")
    query = parse_qs(urlparse(to_strava).query)
    assert query["redirect_uri"][0].endswith("/settings/strava/callback") and SECRET not in to_strava
    back = httpx.get(to_strava, follow_redirects=False)  # Strava's page, after the runner says yes
    assert back.status_code == 302
    callback = urlparse(back.headers["location"])
    done = web.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 303 and done.headers["location"] == "/settings/strava?connected=1"


def test_connect_sync_and_disconnect_from_settings(local: Web, stub: StravaStub) -> None:
    stub.add_athlete(61, runs(2))
    settings = local.get("/settings").text
    assert 'hx-get="/settings/strava/panel"' in settings
    panel = local.get("/settings/strava/panel").text
    assert 'name="client_secret"' in panel
    assert local.form("/settings/strava/connect", {}, page="/settings/strava").status_code == 422
    _connect(local, stub, 61, {"client_id": CLIENT_ID, "client_secret": SECRET})
    page = local.get("/settings/strava?connected=1").text
    assert "Connected to Strava athlete 61" in page and SECRET not in page
    synced = local.form("/settings/strava/sync", {}, page="/settings/strava")
    assert synced.status_code == 200, synced.text
    assert "imported 2" in synced.text
    logs = re.findall(r'href="(/runs/\d+/log)"', synced.text)
    assert len(logs) == 2  # each new run links to its quick pain log
    assert local.get(logs[0]).status_code == 200
    assert local.form("/settings/strava/disconnect", {}, page="/settings/strava").status_code == 303
    assert stub.deauthorized == [61]
    assert 'name="client_id"' in local.get("/settings/strava").text


def test_a_forged_callback_is_refused(local: Web, stub: StravaStub) -> None:
    response = local.get("/settings/strava/callback?state=made-up&code=abc&scope=read,activity:read_all")
    assert response.status_code == 422
    assert "unknown or already used" in response.text


@pytest.mark.parametrize("server_app", [True])
def test_each_runner_connects_and_syncs_their_own(server: Callable[[], Web], stub: StravaStub) -> None:
    stub.add_athlete(71, runs(1, first_id=700))
    stub.add_athlete(72, runs(3, first_id=800))
    anna, ben = server(), server()
    signup(anna, "anna")
    signup(ben, "ben")
    assert 'name="client_secret"' not in anna.get("/settings/strava").text  # the server's application
    _connect(anna, stub, 71, {})
    _connect(ben, stub, 72, {})
    assert "imported 3" in ben.form("/settings/strava/sync", {}, page="/settings/strava").text
    assert "imported 1" in anna.form("/settings/strava/sync", {}, page="/settings/strava").text
    assert anna.get("/api/runs").json()["total"] == 1
    assert ben.get("/api/runs").json()["total"] == 3
    engine = anna.app.state.web.engine
    with engine.connect() as conn:
        ids = {get_link(conn, uid).athlete_id for uid in (2, 3)}  # type: ignore[union-attr]
    assert ids == {71, 72}


def test_upload_an_apple_health_export(local: Web) -> None:
    export = Path(__file__).parents[1] / "importers" / "data" / "apple_health_export.zip"
    response = local.post(
        "/upload",
        data={"csrf_token": local.csrf("/upload")},
        files=[("files", (export.name, export.read_bytes()))],
    )
    assert response.status_code == 200, response.text
    assert "imported 5" in response.text and "skipped 2" in response.text
    assert "body weight: 4 new days" in response.text
    assert len(re.findall(r'href="/runs/\d+/log"', response.text)) == 5
