"""Strava sync against the local stub of Strava's API (``strava_stub.py``): nothing reaches strava.com."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner

from backstride.cli import app
from backstride.importers.fit.writer import write_fit
from backstride.importers.model import Activity
from backstride.ingest.files import import_paths
from backstride.log.archive import export
from backstride.log.pain import get_pain, onset_from_first_lap_hook
from backstride.store.activities import list_activities, load_laps, load_streams
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID, users
from backstride.store.strava import get_link, save_tokens, start_authorisation
from backstride.sync.strava import sync
from backstride.sync.strava_api import RateLimited, RateLimits, StravaClient, next_day, next_window
from backstride.sync.strava_auth import connect_loopback, disconnect
from tests.sync.strava_stub import StravaStub, StubActivity, runs

CLIENT_ID = "4242"
SECRET = "s3cret-of-the-app-0123456789"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StravaStub]:
    """The stub of Strava: library calls are given its address (``base``), the CLI reads it from
    ``BACKSTRIDE_STRAVA_URL`` into its settings."""
    with StravaStub(CLIENT_ID, SECRET) as server:
        monkeypatch.setenv("BACKSTRIDE_STRAVA_URL", server.url)
        yield server


def _follow(url: str) -> None:
    """What the runner's browser does: open Strava's page, which redirects to the loopback address."""
    threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True).start()


def _connect(engine: Engine, stub: StravaStub, athlete: int, account: int = LOCAL_USER_ID) -> None:
    stub.next_athlete_for_authorize = athlete
    link = connect_loopback(engine, account, CLIENT_ID, SECRET, open_url=_follow, timeout_s=20, base=stub.url)
    assert link.connected and link.athlete_id == athlete


def test_connect_sync_resync_disconnect(engine: Engine, stub: StravaStub) -> None:
    stub.add_athlete(
        77,
        [
            *runs(3),
            StubActivity(9100, datetime(2025, 5, 2, 17, 0, tzinfo=UTC), 1800, speed=7.0, sport_type="Ride"),
            StubActivity(9101, datetime(2025, 5, 3, 17, 0, tzinfo=UTC), 1800, manual=True),
        ],
    )
    _connect(engine, stub, 77)
    with engine.connect() as conn:
        link = get_link(conn, LOCAL_USER_ID)
    assert link is not None and link.scope == "read,activity:read_all"
    assert SECRET not in repr(link) and str(link.access_token) not in repr(link)

    result = sync(engine, LOCAL_USER_ID, page_size=2, base=stub.url)  # three pages of two
    assert result.stopped is None
    assert result.summary.counts == {"imported": 3, "merged": 0, "duplicate": 0, "skipped": 2, "failed": 0}
    reasons = sorted(o.reason for o in result.summary.outcomes if o.status == "skipped")
    assert "cycling, not a run" in reasons[0] and "entered by hand" in reasons[1]
    with engine.connect() as conn:
        rows = list_activities(conn, LOCAL_USER_ID)
        streams = load_streams(conn, rows[0]["id"])
        laps = load_laps(conn, rows[0]["id"])
    assert [r["name"] for r in rows] == ["Morning Run 9000", "Morning Run 9001", "Morning Run 9002"]
    assert rows[0]["shoe"] == "Pegasus 40"
    assert rows[0]["distance_m"] == pytest.approx(2700.0)
    assert rows[0]["avg_cadence"] == pytest.approx(173.0)  # Strava's 86.5 strides -> steps
    assert float(streams["cadence"][10]) == 174.0
    assert streams["heart_rate"][0] == 140.0 and "lat" in streams
    assert [lap.trigger for lap in laps] == ["distance", "distance", "session_end"]
    listed_before = stub.requests.count("GET /api/v3/athlete/activities")
    streams_before = sum(1 for r in stub.requests if r.endswith("/streams"))

    again = sync(engine, LOCAL_USER_ID, base=stub.url)
    assert again.summary.counts["imported"] == 0
    assert again.listed <= 1  # resumes after the newest activity synced
    assert stub.requests.count("GET /api/v3/athlete/activities") == listed_before + 1
    assert sum(1 for r in stub.requests if r.endswith("/streams")) == streams_before

    everything = sync(engine, LOCAL_USER_ID, since=datetime(2025, 1, 1, tzinfo=UTC), base=stub.url)
    assert everything.summary.counts["duplicate"] == 3  # stored runs cost no request
    assert sum(1 for r in stub.requests if r.endswith("/streams")) == 3

    assert disconnect(engine, LOCAL_USER_ID, base=stub.url)
    assert stub.deauthorized == [77]
    with engine.connect() as conn:
        assert get_link(conn, LOCAL_USER_ID) is None
    with pytest.raises(Exception, match="not connected"):
        sync(engine, LOCAL_USER_ID, base=stub.url)


def test_expired_token_is_refreshed_and_stored(sqlite_engine: Engine, stub: StravaStub) -> None:
    stub.add_athlete(5, runs(2))
    _connect(sqlite_engine, stub, 5)
    with sqlite_engine.connect() as conn:
        before = get_link(conn, LOCAL_USER_ID)
    stub.expire_all()  # Strava now answers 401 to the stored (not yet "expired" here) token
    result = sync(sqlite_engine, LOCAL_USER_ID, base=stub.url)
    assert result.summary.counts["imported"] == 2
    with sqlite_engine.connect() as conn:
        after = get_link(conn, LOCAL_USER_ID)
    assert before is not None and after is not None
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token
    # and one that is about to expire is refreshed before the first request
    with sqlite_engine.begin() as conn:
        save_tokens(
            conn,
            LOCAL_USER_ID,
            str(after.access_token),
            str(after.refresh_token),
            datetime.now(UTC) + timedelta(minutes=5),
        )
    count = stub.requests.count("POST /oauth/token")
    sync(sqlite_engine, LOCAL_USER_ID, base=stub.url)
    assert stub.requests.count("POST /oauth/token") == count + 1


def test_rate_limit_stops_and_the_next_sync_resumes(sqlite_engine: Engine, stub: StravaStub) -> None:
    stub.add_athlete(8, runs(6))
    stub.short_limit = 9  # the list, then 3 requests per run (streams, laps, gear once): stops in run 3
    _connect(sqlite_engine, stub, 8)
    first = sync(sqlite_engine, LOCAL_USER_ID, wait=False, base=stub.url)
    assert first.stopped is not None and "15-minute request limit" in first.stopped
    imported = first.summary.counts["imported"]
    assert 1 <= imported < 6
    with sqlite_engine.connect() as conn:
        link = get_link(conn, LOCAL_USER_ID)
    assert link is not None and link.synced_until is not None
    stub.short_usage = 0  # a new window
    stub.short_limit = 100
    second = sync(sqlite_engine, LOCAL_USER_ID, wait=False, base=stub.url)
    assert second.stopped is None
    assert second.summary.counts["imported"] == 6 - imported
    with sqlite_engine.connect() as conn:
        assert len(list_activities(conn, LOCAL_USER_ID)) == 6


def test_waiting_for_the_next_window(sqlite_engine: Engine, stub: StravaStub) -> None:
    stub.add_athlete(9, runs(2))
    stub.short_limit = 3
    _connect(sqlite_engine, stub, 9)
    waits: list[str] = []

    def sleep(seconds: float) -> None:
        assert 0 < seconds <= 15 * 60 + 1
        stub.short_usage = 0  # time passes: the stub's window resets

    result = sync(
        sqlite_engine,
        LOCAL_USER_ID,
        on_wait=lambda message, until: waits.append(message),
        sleep=sleep,
        base=stub.url,
    )
    assert result.stopped is None and result.summary.counts["imported"] == 2
    assert waits and "waiting until" in waits[0]


def test_daily_limit_stops(sqlite_engine: Engine, stub: StravaStub) -> None:
    stub.add_athlete(3, runs(3))
    stub.daily_limit = 4
    _connect(sqlite_engine, stub, 3)
    result = sync(sqlite_engine, LOCAL_USER_ID, base=stub.url)
    assert result.stopped is not None and "daily request limit" in result.stopped


def test_a_fit_copy_and_the_strava_copy_merge(
    sqlite_engine: Engine, stub: StravaStub, tmp_path: Path
) -> None:
    run = StubActivity(9500, datetime(2025, 6, 1, 6, 0, tzinfo=UTC), 1200, lap_press_s=500)
    stub.add_athlete(11, [run])
    raw = run.streams(["time", "distance", "heartrate"])
    fit = Activity(
        source="fit",
        sport="running",
        start=run.start,
        streams={
            "t": [float(x) for x in raw["time"]["data"]],  # type: ignore[dict-item]
            "distance": [float(x) for x in raw["distance"]["data"]],  # type: ignore[dict-item]
        },
    )
    import numpy as np

    fit.streams = {k: np.asarray(v, dtype=float) for k, v in fit.streams.items()}
    path = tmp_path / "watch.fit"
    path.write_bytes(write_fit(fit))
    assert import_paths(sqlite_engine, [str(path)]).counts["imported"] == 1
    _connect(sqlite_engine, stub, 11)
    result = sync(sqlite_engine, LOCAL_USER_ID, base=stub.url)
    assert result.summary.counts["merged"] == 1
    with sqlite_engine.connect() as conn:
        (row,) = list_activities(conn, LOCAL_USER_ID)
    assert row["name"] == "Morning Run 9500" and row["shoe"] == "Pegasus 40"


def test_lap_press_on_strava_becomes_a_draft_onset(sqlite_engine: Engine, stub: StravaStub) -> None:
    stub.add_athlete(12, [StubActivity(9600, datetime(2025, 6, 2, 6, 0, tzinfo=UTC), 1500, lap_press_s=450)])
    with sqlite_engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true")
    _connect(sqlite_engine, stub, 12)
    result = sync(sqlite_engine, LOCAL_USER_ID, on_saved=onset_from_first_lap_hook, base=stub.url)
    (outcome,) = result.summary.outcomes
    with sqlite_engine.connect() as conn:
        report = get_pain(conn, LOCAL_USER_ID, int(outcome.activity_id or 0))
    assert report is not None and not report["confirmed"]
    assert report["onset_m"] == pytest.approx(1350.0)  # 450 s at 3 m/s


def test_each_runner_syncs_their_own_account(sqlite_engine: Engine, stub: StravaStub) -> None:
    with sqlite_engine.begin() as conn:
        conn.execute(insert(users).values(id=2, username="ben", created_at=datetime.now(UTC)))
    stub.add_athlete(21, runs(2, first_id=100))
    stub.add_athlete(22, runs(3, first_id=200))
    _connect(sqlite_engine, stub, 21, account=LOCAL_USER_ID)
    _connect(sqlite_engine, stub, 22, account=2)
    assert sync(sqlite_engine, 2, base=stub.url).summary.counts["imported"] == 3
    assert sync(sqlite_engine, LOCAL_USER_ID, base=stub.url).summary.counts["imported"] == 2
    with sqlite_engine.connect() as conn:
        ben = [r["name"] for r in list_activities(conn, 2)]
        mine = [r["name"] for r in list_activities(conn, LOCAL_USER_ID)]
    assert all(n.endswith(("200", "201", "202")) for n in ben)
    assert all(n.endswith(("100", "101")) for n in mine)


def test_secrets_stay_out_of_exports_and_output(
    sqlite_engine: Engine, stub: StravaStub, tmp_path: Path
) -> None:
    stub.add_athlete(31, runs(1))
    _connect(sqlite_engine, stub, 31)
    sync(sqlite_engine, LOCAL_USER_ID, base=stub.url)
    with sqlite_engine.connect() as conn:
        link = get_link(conn, LOCAL_USER_ID)
    assert link is not None
    export(sqlite_engine, tmp_path / "out", LOCAL_USER_ID, streams=True)
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*") if p.is_file())
    for secret in (SECRET, str(link.access_token), str(link.refresh_token)):
        assert secret not in text


def test_cli_connect_status_sync_disconnect(
    tmp_path: Path, stub: StravaStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "cli.sqlite")
    stub.add_athlete(41, runs(2))
    stub.next_athlete_for_authorize = 41
    monkeypatch.setenv("BACKSTRIDE_STRAVA_CLIENT_SECRET", SECRET)
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        _follow(url)
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "strava", "connect", "--client-id", CLIENT_ID])
    assert result.exit_code == 0, result.output
    assert "connected to Strava athlete 41" in result.output
    assert opened and opened[0].startswith(stub.url + "/oauth/authorize?")
    assert SECRET not in result.output and SECRET not in opened[0]
    status = runner.invoke(app, ["--db", db, "strava", "status", "--json"])
    data = json.loads(status.stdout)
    assert data["connected"] is True and data["athlete_id"] == 41 and "access_token" not in status.stdout
    synced = runner.invoke(app, ["--db", db, "strava", "sync", "--json"])
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout)["counts"]["imported"] == 2
    lines = runner.invoke(app, ["--db", db, "strava", "sync", "--since", "2025-01-01"])
    assert "duplicate 2" in lines.output
    bad = runner.invoke(app, ["--db", db, "strava", "sync", "--since", "yesterday"])
    assert bad.exit_code == 1 and "--since must be a date" in bad.output
    gone = runner.invoke(app, ["--db", db, "strava", "disconnect"])
    assert gone.exit_code == 0 and "revoked" in gone.output


def test_cli_sync_prints_one_line_per_new_run_with_the_quick_log(
    tmp_path: Path, stub: StravaStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backstride.store.engine import open_store

    db = str(tmp_path / "cli.sqlite")
    engine = open_store("sqlite:///" + db)
    stub.add_athlete(51, runs(2))
    _connect(engine, stub, 51)
    engine.dispose()
    monkeypatch.setattr("rich.console.Console.is_terminal", property(lambda self: True))
    result = CliRunner().invoke(app, ["--db", db, "strava", "sync"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "log the pain" in line]
    assert len(lines) == 2 and "/runs/1/log" in lines[0] and "backstride pain 2" in lines[1]


def test_rate_limit_headers() -> None:
    limits = RateLimits()
    limits.update(
        httpx.Headers(
            {
                "X-RateLimit-Limit": "200,2000",
                "X-RateLimit-Usage": "12,340",
                "X-ReadRateLimit-Limit": "100,1000",
                "X-ReadRateLimit-Usage": "98,500",
            }
        )
    )
    assert limits.exhausted() == "15-minute"
    limits.update(httpx.Headers({"X-ReadRateLimit-Usage": "10,999"}))
    assert limits.exhausted() == "daily"
    limits.update(httpx.Headers({"X-ReadRateLimit-Usage": "10,20"}))
    assert limits.exhausted() is None
    assert next_window(datetime(2025, 1, 1, 10, 44, 59, tzinfo=UTC)) == datetime(
        2025, 1, 1, 10, 45, tzinfo=UTC
    )
    assert next_window(datetime(2025, 1, 1, 10, 45, tzinfo=UTC)) == datetime(2025, 1, 1, 11, 0, tzinfo=UTC)
    assert next_day(datetime(2025, 1, 1, 23, 59, tzinfo=UTC)) == datetime(2025, 1, 2, tzinfo=UTC)


def test_429_without_waiting_raises(stub: StravaStub) -> None:
    stub.add_athlete(1, runs(1))
    tokens = stub.issue_tokens(1)
    stub.short_limit = 0
    client = StravaClient(CLIENT_ID, SECRET, access_token=tokens["access_token"], wait=False, base=stub.url)
    assert SECRET not in repr(client) and tokens["access_token"] not in repr(client)
    try:
        with pytest.raises(RateLimited, match="15-minute"):
            client.get("/athlete/activities")
    finally:
        client.close()


def test_denied_authorisation_is_a_clean_error(sqlite_engine: Engine, stub: StravaStub) -> None:
    stub.granted_scope = "read"  # the runner unticked "View data about your activities"
    stub.next_athlete_for_authorize = 1
    with pytest.raises(Exception, match="not allowed to share your activities"):
        connect_loopback(
            sqlite_engine, LOCAL_USER_ID, CLIENT_ID, SECRET, open_url=_follow, timeout_s=20, base=stub.url
        )
    with sqlite_engine.begin() as conn:
        start_authorisation(conn, LOCAL_USER_ID, CLIENT_ID, SECRET, "abc", "http://127.0.0.1/x")
        assert conn.execute(select(users.c.id)).first() is not None
