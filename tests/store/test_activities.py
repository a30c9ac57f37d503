"""Saving and loading activities: streams, laps, de-duplication, shoes and run references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine

from backstride.errors import NotFoundError, ValidationError
from backstride.importers.derive import fill_derived
from backstride.importers.model import Activity, Lap
from backstride.store.activities import (
    list_activities,
    load_laps,
    load_streams,
    resolve_run,
    save_activity,
    stored_streams,
)
from backstride.store.codec import decode_streams, encode_streams
from backstride.store.prefs import get_prefs, set_pref

START = datetime(2025, 3, 3, 6, 45, 12, tzinfo=UTC)


def make_run(seed: int = 0, start: datetime = START, hr: bool = True, n: int = 1800) -> Activity:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    speed = 2.9 + 0.2 * rng.standard_normal(n)
    streams = {
        "t": t,
        "distance": np.cumsum(np.clip(speed, 0.5, None)),
        "altitude": 50 + 10 * np.sin(t / 200.0),
        "lat": 52.0 + t * 1e-5,
        "lon": 4.0 + t * 1e-5,
        "cadence": 170 + rng.integers(-4, 5, n).astype(float),
    }
    if hr:
        streams["heart_rate"] = 140 + rng.integers(-5, 6, n).astype(float)
    laps = [
        Lap(0.0, 600.0, 0.0, float(streams["distance"][600]), "manual"),
        Lap(
            600.0,
            float(n - 1),
            float(streams["distance"][600]),
            float(streams["distance"][-1]),
            "session_end",
        ),
    ]
    activity = Activity(
        source="fit",
        sport="running",
        start=start,
        streams=streams,
        laps=laps,
        file_hashes=[f"hash-{seed}-{hr}"],
        file_names=[f"run{seed}.fit"],
    )
    return fill_derived(activity)


def test_streams_round_trip_exactly_enough(engine: Engine) -> None:
    run = make_run()
    with engine.begin() as conn:
        saved = save_activity(conn, run, 1)
    assert saved.status == "imported"
    with engine.connect() as conn:
        streams = load_streams(conn, saved.activity_id)
        laps = load_laps(conn, saved.activity_id)
    assert set(streams) == set(run.streams)
    np.testing.assert_array_equal(streams["t"], run.streams["t"])
    np.testing.assert_array_equal(streams["lat"], run.streams["lat"])
    np.testing.assert_allclose(streams["altitude"], run.streams["altitude"], rtol=1e-6)
    assert [lap.trigger for lap in laps] == ["manual", "session_end"]
    assert laps[0].end_m == pytest.approx(run.laps[0].end_m)


def test_stored_streams_are_the_encoded_bytes_of_the_run(engine: Engine) -> None:
    run = make_run()
    with engine.begin() as conn:
        saved = save_activity(conn, run, 1)
    with engine.connect() as conn:
        row = stored_streams(conn, saved.activity_id)
        assert stored_streams(conn, saved.activity_id + 1) is None
    assert row is not None
    decoded = decode_streams(row.codec, row.columns, row.data)
    np.testing.assert_array_equal(decoded["t"], run.streams["t"])


def test_preferences_read_by_name_in_one_query(engine: Engine) -> None:
    with engine.begin() as conn:
        set_pref(conn, 1, "units", "km")
    with engine.connect() as conn:
        every = get_prefs(conn, 1)
        two = get_prefs(conn, 1, ("lap_is_pain", "units"))
    assert two == {"units": "km", "lap_is_pain": every["lap_is_pain"]}
    assert list(two) == [name for name in every if name in two]


def test_same_file_twice_is_a_duplicate(engine: Engine) -> None:
    with engine.begin() as conn:
        first = save_activity(conn, make_run(), 1)
    with engine.begin() as conn:
        again = save_activity(conn, make_run(), 1)
    assert again.status == "duplicate"
    assert again.activity_id == first.activity_id


def test_two_copies_of_one_run_merge_keeping_the_richer(engine: Engine) -> None:
    poor = make_run(seed=1, hr=False)
    poor.name = "Morning Run"
    poor.shoe = "Pegasus 40"
    rich = make_run(seed=1, hr=True, start=START + timedelta(seconds=3))
    with engine.begin() as conn:
        first = save_activity(conn, poor, 1)
    with engine.begin() as conn:
        second = save_activity(conn, rich, 1)
    assert second.status == "merged"
    assert second.activity_id == first.activity_id
    with engine.connect() as conn:
        rows = list_activities(conn, 1)
        streams = load_streams(conn, first.activity_id)
    assert len(rows) == 1
    assert rows[0]["name"] == "Morning Run"
    assert rows[0]["shoe"] == "Pegasus 40"
    assert rows[0]["avg_hr"] is not None
    assert "heart_rate" in streams


def test_different_runs_stay_apart_and_resolve(engine: Engine) -> None:
    with engine.begin() as conn:
        a = save_activity(conn, make_run(seed=2), 1)
        b = save_activity(conn, make_run(seed=3, start=START + timedelta(days=1)), 1)
    with engine.connect() as conn:
        assert resolve_run(conn, 1, "last")["id"] == b.activity_id
        assert resolve_run(conn, 1, str(a.activity_id))["id"] == a.activity_id
        assert resolve_run(conn, 1, "2025-03-03")["id"] == a.activity_id
        with pytest.raises(NotFoundError):
            resolve_run(conn, 1, "2024-01-01")
        with pytest.raises(NotFoundError):
            resolve_run(conn, 1, "9999")
        with pytest.raises(ValidationError):
            resolve_run(conn, 1, "yesterday-ish")


def test_other_users_runs_are_invisible(engine: Engine) -> None:
    from backstride.store.schema import users

    with engine.begin() as conn:
        conn.execute(users.insert().values(id=2, username="other", created_at=START))
        theirs = save_activity(conn, make_run(seed=4), 2)
    with engine.connect() as conn:
        assert list_activities(conn, 1) == []
        with pytest.raises(NotFoundError):
            resolve_run(conn, 1, str(theirs.activity_id))


def test_codec_rejects_ragged_columns() -> None:
    with pytest.raises(ValueError):
        encode_streams({"t": np.zeros(3), "distance": np.zeros(4)})
    codec, header, blob = encode_streams(
        {"t": np.arange(5.0), "heart_rate": np.array([1, 2, np.nan, 4, 5.0])}
    )
    out = decode_streams(codec, header, blob)
    assert np.isnan(out["heart_rate"][2])
    np.testing.assert_array_equal(out["t"], np.arange(5.0))
