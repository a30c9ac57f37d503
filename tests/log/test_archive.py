"""Export, restore and delete: a Hypothesis round trip on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from backstride.errors import ValidationError
from backstride.ingest.files import import_paths
from backstride.log.archive import delete_all, export, restore, user_tables
from backstride.log.body import record_weight
from backstride.log.checkin import record_checkin
from backstride.log.lifting import SetIn, add_session
from backstride.log.pain import record_pain
from backstride.log.routines import log_routine
from backstride.log.run_tags import set_context
from backstride.log.shoes import add_shoe
from backstride.runview import run_detail
from backstride.store.prefs import set_pref
from tests.log.helpers import make_run, save_run

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
MOMENTS = st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2025, 6, 1), timezones=st.just(UTC))
DAYS = st.dates(min_value=date(2016, 1, 1), max_value=date(2025, 6, 1))


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    runs = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "start": MOMENTS,
                    "distance_m": st.floats(1000, 30000),
                    "speed": st.floats(2.0, 5.0),
                    "streams": st.booleans(),
                    "shoe": st.one_of(st.none(), st.sampled_from(["A", "B b"])),
                    "pain": st.one_of(st.none(), st.just("none"), st.floats(0.0, 1.0)),
                    "severity": st.integers(0, 10),
                    "surface": st.one_of(st.none(), st.sampled_from(["road", "trail"])),
                    "notes": TEXT,
                }
            ),
            max_size=3,
            unique_by=lambda r: r["start"].replace(second=0, microsecond=0),
        )
    )
    sets = st.builds(
        SetIn,
        exercise=st.sampled_from(["Deadlift (Barbell)", "Plank", "Box Squat (Barbell)", "Mystery lift"]),
        set_type=st.sampled_from(["normal", "warmup", "drop"]),
        weight_kg=st.one_of(st.none(), st.floats(0, 300)),
        reps=st.one_of(st.none(), st.integers(0, 20)),
        rpe=st.one_of(st.none(), st.floats(5, 10)),
        notes=st.one_of(st.none(), TEXT),
    )
    return {
        "runs": runs,
        "sessions": draw(st.lists(st.tuples(MOMENTS, st.lists(sets, min_size=1, max_size=4)), max_size=2)),
        "weights": draw(st.dictionaries(DAYS, st.floats(40, 150), max_size=3)),
        "routines": draw(st.lists(st.tuples(MOMENTS, st.booleans()), max_size=2)),
        "pegs": draw(
            st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)), max_size=2)
        ),
        "units": draw(st.sampled_from([None, "km"])),
    }


def _fill(engine: Engine, history: dict[str, Any]) -> None:
    for i, run in enumerate(history["runs"]):
        activity = make_run(
            run["start"],
            distance_m=run["distance_m"],
            speed=run["speed"],
            laps=[(run["distance_m"] / 2, "manual"), (run["distance_m"], "session_end")],
            with_streams=run["streams"],
            shoe=run["shoe"],
            tag=f"h{i}",
        )
        activity.streams["heart_rate"] = np.full(len(activity.streams.get("t", [])), np.nan)
        if not run["streams"]:
            activity.streams = {}
        run_id = save_run(engine, activity)
        with engine.begin() as conn:
            if run["pain"] == "none":
                record_pain(conn, 1, run_id, status="none", notes=run["notes"])
            elif run["pain"] is not None:
                at = f"{run['pain'] * run['distance_m']:.3f}m"
                record_pain(
                    conn,
                    1,
                    run_id,
                    onset=at,
                    severity=run["severity"],
                    locations="lower-back",
                    stages=[f"cramp@{at}"],
                    notes=run["notes"] or None,
                )
            if run["surface"]:
                set_context(conn, 1, run_id, surface=run["surface"], sleep_h=7.25, loads=["ruck"])
    with engine.begin() as conn:
        for start, sets in history["sessions"]:
            add_session(conn, 1, started_at=start.replace(tzinfo=None), sets=sets, effort="max-effort")
        for day, kg in history["weights"].items():
            record_weight(conn, 1, kg, day)
        for moment, before in history["routines"]:
            log_routine(conn, 1, "side plank", done_at=moment.replace(tzinfo=None), before_run=before)
        for pain, enjoyment, activity in history["pegs"]:
            record_checkin(conn, 1, pain=pain, enjoyment=enjoyment, activity=activity)
        add_shoe(conn, 1, "By hand", brand="X", started_on=date(2020, 1, 1))
        if history["units"]:
            set_pref(conn, 1, "units", history["units"])


def _tables(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return {name: json.loads((folder / t["json"]).read_text()) for name, t in manifest["tables"].items()}


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in user_tables())


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_export_restore_round_trip(engine: Engine, other_engine: Engine, history: dict[str, Any]) -> None:
    delete_all(engine, 1)
    delete_all(other_engine, 1)
    _fill(engine, history)
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "a", Path(tmp) / "b"
        export(engine, first, 1, streams=True)
        summary = restore(other_engine, first, 1)
        export(other_engine, second, 1, streams=True)
        assert _tables(first) == _tables(second)
        assert summary.total == _rows(engine) == _rows(other_engine)
        with engine.connect() as a, other_engine.connect() as b:
            for run in _tables(first)["activities"]:
                assert run_detail(a, 1, run["id"]) == run_detail(b, 1, run["id"])
        with pytest.raises(ValidationError, match="restore needs an empty database"):
            restore(other_engine, first, 1)
    # Ids continue after the restored ones (PostgreSQL sequences were moved on).
    save_run(other_engine, make_run(datetime(2025, 7, 1, tzinfo=UTC), tag="after"))


def test_import_dir_restores_and_streams_are_optional(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    run_id = save_run(engine, make_run(laps=[(2000.0, "manual"), (8000.0, "session_end")]))
    with engine.begin() as conn:
        record_pain(conn, 1, run_id, from_lap=True, severity=5)
    lean = export(engine, tmp_path / "lean", 1, streams=False)
    full = export(engine, tmp_path / "full", 1)  # streams are exported by default
    assert "streams" not in _tables(tmp_path / "lean") and "second-by-second" in lean["missing"]
    assert len(_tables(tmp_path / "full")["streams"]) == 1 and full["missing"] is None
    readable = (tmp_path / "full" / "streams" / f"{run_id}.csv").read_text().splitlines()
    assert readable[0] == "distance,t" and readable[2] == "3.2,1.0"
    summary = import_paths(other_engine, [str(tmp_path / "full")], user_id=1)
    assert summary.counts["imported"] == 1 and "restored a backstride export" in summary.outcomes[0].reason
    with other_engine.connect() as conn:
        restored = run_detail(conn, 1, run_id)
    assert restored["pain"]["onset_m"] == 2000.0
    with pytest.raises(ValidationError, match="not an empty folder"):
        export(engine, tmp_path / "full", 1)


def test_delete_all(engine: Engine) -> None:
    _fill(
        engine,
        {
            "runs": [
                {
                    "start": datetime(2025, 1, 1, tzinfo=UTC),
                    "distance_m": 5000.0,
                    "speed": 3.0,
                    "streams": True,
                    "shoe": "A",
                    "pain": 0.5,
                    "severity": 3,
                    "surface": "road",
                    "notes": "",
                }
            ],
            "sessions": [(datetime(2025, 1, 2), [SetIn(exercise="Deadlift", reps=5, weight_kg=100)])],
            "weights": {date(2025, 1, 1): 80.0},
            "routines": [(datetime(2025, 1, 1, 6), True)],
            "pegs": [(3, 3, 3)],
            "units": "km",
        },
    )
    assert _rows(engine) > 10
    summary = delete_all(engine, 1)
    assert summary.total > 10 and _rows(engine) == 0
    assert summary.rows["pain_stages"] == 1 and summary.rows["laps"] == 2
    assert summary.rows["activities"] == 1 and summary.rows["settings"] == 1


def test_export_is_one_user_only(engine: Engine, tmp_path: Path) -> None:
    from backstride.store.schema import users

    with engine.begin() as conn:
        conn.execute(users.insert().values(id=2, username="other", created_at=datetime.now(UTC)))
    save_run(engine, make_run(tag="mine"))
    save_run(engine, make_run(datetime(2025, 3, 2, tzinfo=UTC) + timedelta(hours=1), tag="theirs"), user_id=2)
    with engine.begin() as conn:
        record_weight(conn, 2, 70.0, date(2025, 1, 1))
    tables = _tables_after_export(engine, tmp_path)
    assert len(tables["activities"]) == 1 and tables["body_weights"] == []
    assert len(tables["laps"]) == 0 and len(tables["activity_files"]) == 1


def _tables_after_export(engine: Engine, tmp_path: Path) -> dict[str, Any]:
    export(engine, tmp_path / "one", 1)
    return _tables(tmp_path / "one")
