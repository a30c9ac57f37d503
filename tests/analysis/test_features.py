"""The feature table on a small store built by hand; each column against a hand computation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import Engine

from backstride.analysis.features import FEATURE_COLUMNS, feature_table
from backstride.importers.model import Activity, Lap
from backstride.log.body import record_weight
from backstride.log.lifting import add_session
from backstride.log.pain import record_pain
from backstride.log.routines import log_routine
from backstride.log.run_tags import set_context
from backstride.store.activities import save_activity

UID = 1


def _run(start: datetime, metres: float, grade: float) -> Activity:
    """A run at 2.5 m/s with a constant grade (altitude falls when grade < 0), 1 Hz."""
    n = int(metres / 2.5) + 1
    d = np.minimum(np.arange(n) * 2.5, metres)
    streams = {"t": np.arange(n, dtype=float), "distance": d, "altitude": 100 + grade * d}
    return Activity(
        source="fit",
        sport="running",
        start=start,
        distance_m=metres,
        moving_s=float(n - 1),
        elapsed_s=float(n - 1),
        streams=streams,
        laps=[Lap(0.0, float(n - 1), 0.0, metres, "session_end")],
    )


@pytest.fixture
def store(sqlite_engine: Engine) -> Engine:
    with sqlite_engine.begin() as conn:
        ids = [
            save_activity(conn, _run(datetime(2024, 3, 1, 7, tzinfo=UTC), 3000.0, 0.0), UID).activity_id,
            save_activity(conn, _run(datetime(2024, 3, 4, 7, tzinfo=UTC), 4500.0, -0.05), UID).activity_id,
            save_activity(conn, _run(datetime(2024, 3, 20, 7, tzinfo=UTC), 2000.0, 0.02), UID).activity_id,
        ]
        add_session(conn, UID, started_at=datetime(2024, 3, 2, 18), sets=["Deadlift (Barbell): 3x5@100kg"])
        add_session(
            conn,
            UID,
            started_at=datetime(2024, 3, 3, 9),
            effort="max-effort",
            sets=["Box Squat (Barbell): 2x2@150kg", "Floor Press (Barbell): 1x10@50kg"],
        )
        for day in (26, 27, 29):
            log_routine(conn, UID, "glute bridge", done_at=datetime(2024, 2, day, 19))
        log_routine(conn, UID, "dynamic warm-up", done_at=datetime(2024, 3, 20, 6, 30))
        record_weight(conn, UID, 100.0, day=date(2024, 2, 28))
        record_weight(conn, UID, 98.0, day=date(2024, 3, 18))
        set_context(conn, UID, ids[1], headphones=True, surface="trail")
        record_pain(conn, UID, ids[0], status="none")
        record_pain(conn, UID, ids[1], onset="1.5km", severity=4)
    return sqlite_engine


def test_columns_against_hand_computation(store: Engine) -> None:
    t = feature_table(store, UID)
    assert list(t.columns) == list(FEATURE_COLUMNS)
    a, b, c = (t.iloc[i] for i in range(3))
    assert (
        a["distance_m"] == 3000.0 and a["duration_s"] == 1200.0 and a["pace_s_per_km"] == pytest.approx(400.0)
    )
    # terrain: flat, 5% down all the way, 2% up
    assert a["descent_share"] == 0.0 and a["steepest_descent_200m"] == pytest.approx(0.0, abs=1e-9)
    assert b["descent_share"] == pytest.approx(1.0) and b["steepest_descent_200m"] == pytest.approx(0.05)
    assert c["descent_share"] == 0.0
    # lifting: deadlift 3x5x100 = 1500 kg on 2 Mar 18:00 (37 h before run b); box squat 2x2x150 = 600 kg
    # on 3 Mar 09:00 (22 h before b), max effort; floor press is not back-loading
    assert a["me_lower_48h"] == 0.0  # lifting is logged, so no session before = 0, not unknown
    assert a["back_tonnage_72h"] == 0.0 and np.isnan(a["days_since_max_effort_lower"])
    assert (
        b["back_tonnage_24h"] == 600.0 and b["back_tonnage_48h"] == 2100.0 and b["back_tonnage_72h"] == 2100.0
    )
    assert b["lifting_tonnage_7d"] == 2600.0 and b["me_lower_48h"] == 1.0
    assert b["days_since_max_effort_lower"] == pytest.approx(22 / 24)
    assert c["me_lower_48h"] == 0.0 and c["days_since_max_effort_lower"] == pytest.approx(17 - 2 / 24)
    # routines: glute on 26, 27, 29 Feb (2024 is a leap year); before 1 Mar: 23-29 Feb; before 4 Mar:
    # 26 Feb-3 Mar; before 20 Mar: 13-19 Mar
    assert a["glute_days_7d"] == 3.0 and b["glute_days_7d"] == 3.0 and c["glute_days_7d"] == 0.0
    assert a["warmup_before"] == 0.0 and c["warmup_before"] == 1.0 and c["warm_up_days_7d"] == 0.0
    # running load
    assert (
        np.isnan(a["spike"])
        and np.isnan(a["longest_30d_m"])
        and b["spike"] == pytest.approx(0.5)
        and c["spike"] == pytest.approx(2000 / 4500 - 1)
    )
    assert b["days_since_prev_run"] == pytest.approx(3.0) and b["runs_28d"] == 1.0 and c["runs_28d"] == 2.0
    assert c["weeks"] == pytest.approx(19 / 7)
    assert np.isnan(b["weekly_distance_change"])  # nothing the week before that
    assert c["distance_7d_m"] == 0.0
    # body weight: nearest entry (28 Feb for 1 and 4 Mar? 4 Mar is 5 days from 28 Feb, 14 from 18 Mar)
    assert a["weight_kg"] == 100.0 and b["weight_kg"] == 100.0 and c["weight_kg"] == 98.0
    # context and pain: unknown kept apart from pain-free
    assert b["headphones"] == 1.0 and b["surface"] == "trail" and np.isnan(a["headphones"])
    assert [a["pain_status"], b["pain_status"], c["pain_status"]] == ["none", "pain", "unknown"]
    assert b["onset_m"] == 1500.0 and b["onset_low_m"] == 1500.0 and b["onset_high_m"] == 1500.0
    assert np.isnan(a["onset_m"]) and np.isnan(c["onset_m"])


def test_empty_store_gives_empty_table(sqlite_engine: Engine) -> None:
    t = feature_table(sqlite_engine, UID)
    assert t.empty and list(t.columns) == list(FEATURE_COLUMNS)
