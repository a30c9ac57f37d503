"""Pain reports through the library: onset forms, the lap button, validation, the CSV import."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from backstride.errors import NotFoundError, ValidationError
from backstride.log.pain import get_pain, onset_from_first_lap_hook, pain_reports, record_pain
from backstride.log.pain_csv import import_pain_csv
from backstride.store import log_schema as ls
from backstride.store.prefs import set_pref
from backstride.units import METRES_PER_MILE
from tests.log.helpers import make_run, runs_on_days, save_run

DATA = Path(__file__).with_name("data")
SPEED = 3.2  # m/s, the helper's steady pace
LAPS = [(1609.344, "distance"), (2500.0, "manual"), (3218.688, "manual"), (8000.0, "session_end")]


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ls.pain_reports)).scalar_one())


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        ("1.2mi", 1.2 * METRES_PER_MILE),
        ("2km", 2000.0),
        ("800m", 800.0),
        ("14:30", 870 * SPEED),  # elapsed time on a run with a distance stream: exact
        ("lap 2", 1609.344),  # the START of lap 2
        ("lap 4", 3218.688),
    ],
)
def test_onset_forms_become_metres(engine: Engine, onset: str, expected: float) -> None:
    run_id = save_run(engine, make_run(laps=LAPS))
    with engine.begin() as conn:
        report = record_pain(conn, 1, run_id, onset=onset, severity=6)
    assert report["onset_m"] == pytest.approx(expected, abs=1e-6)
    assert report["onset_low_m"] == report["onset_high_m"] == report["onset_m"]


def test_from_lap_is_the_end_of_the_lap_the_first_manual_press_closed(engine: Engine) -> None:
    run_id = save_run(engine, make_run(laps=LAPS))
    with engine.begin() as conn:
        report = record_pain(conn, 1, run_id, from_lap=True, severity=4)
    # lap 1 ended by auto-lap at 1 mile; the first manual press closed lap 2 at 2500 m.
    assert report["onset_m"] == 2500.0
    assert report["onset_input"] == "first manual lap"


def test_a_final_lap_marked_manual_is_not_a_press(engine: Engine) -> None:
    run_id = save_run(engine, make_run(laps=[(1609.344, "distance"), (8000.0, "manual")]))
    with engine.begin() as conn, pytest.raises(ValidationError, match="no manual lap press"):
        record_pain(conn, 1, run_id, from_lap=True, severity=4)


def test_time_onset_without_stream_is_an_interval_within_the_lap(engine: Engine) -> None:
    run_id = save_run(engine, make_run(laps=LAPS, with_streams=False))
    with engine.begin() as conn:
        report = record_pain(conn, 1, run_id, onset="10:00", severity=5)
    # 600 s at 3.2 m/s = 1920 m, inside lap 2 (1609.344 m - 2500 m): interpolated, bounded by the lap.
    assert report["onset_m"] == pytest.approx(1920.0)
    assert (report["onset_low_m"], report["onset_high_m"]) == (1609.344, 2500.0)


def test_time_onset_with_totals_only_uses_average_pace(engine: Engine) -> None:
    run_id = save_run(engine, make_run(with_streams=False))
    with engine.begin() as conn:
        report = record_pain(conn, 1, run_id, onset="10:00", severity=5)
    assert report["onset_m"] == pytest.approx(1920.0)
    assert (report["onset_low_m"], report["onset_high_m"]) == (0.0, 8000.0)


def test_unknown_onset_is_interval_censored_over_the_run(engine: Engine) -> None:
    run_id = save_run(engine, make_run())
    with engine.begin() as conn:
        report = record_pain(conn, 1, run_id, onset="unknown", severity=5)
    assert report["onset_m"] is None
    assert (report["onset_low_m"], report["onset_high_m"]) == (0.0, 8000.0)


@pytest.mark.parametrize(
    ("onset", "low", "high"),
    [
        ("during lap 2", 1609.344, 2500.0),
        ("between 1mi and 2km", 1609.344, 2000.0),
        ("between 5:00 and 10:00", 300 * SPEED, 600 * SPEED),
    ],
)
def test_onset_known_only_within_an_interval(engine: Engine, onset: str, low: float, high: float) -> None:
    run_id = save_run(engine, make_run(laps=LAPS))
    with engine.begin() as conn:
        report = record_pain(conn, 1, run_id, onset=onset, severity=5)
    assert report["onset_m"] is None
    assert report["onset_low_m"] == pytest.approx(low)
    assert report["onset_high_m"] == pytest.approx(high)
    with engine.connect() as conn:
        frame = pain_reports(conn, 1)
    assert math.isnan(frame.loc[0, "onset_m"])


@pytest.mark.parametrize("onset", ["during lap 9", "between 2km and 1km", "between 1km and 20km"])
def test_bad_intervals_are_refused(engine: Engine, onset: str) -> None:
    run_id = save_run(engine, make_run(laps=LAPS))
    with engine.begin() as conn, pytest.raises(ValidationError):
        record_pain(conn, 1, run_id, onset=onset, severity=5)


def test_full_report_round_trips(engine: Engine) -> None:
    run_id = save_run(engine, make_run(laps=LAPS))
    with engine.begin() as conn:
        record_pain(
            conn,
            1,
            run_id,
            onset="1mi",
            severity=7,
            locations=["lower-back-left", "upper glute right"],
            qualities="pump, dull ache",
            stages=["cramp@1.9mi", "pump@1mi", "stopped=lap 4"],
            lasted_after="12min",
            notes="downhill finish",
        )
    with engine.connect() as conn:
        report = get_pain(conn, 1, run_id)
    assert report is not None
    assert report["locations"] == ["lower-back-left", "upper-glute-right"]
    assert report["qualities"] == ["pump", "dull-ache"]
    assert report["stages"] == [
        {"stage": "pump", "distance_m": pytest.approx(METRES_PER_MILE)},
        {"stage": "cramp", "distance_m": pytest.approx(1.9 * METRES_PER_MILE)},
        {"stage": "stopped", "distance_m": 3218.688},
    ]
    assert report["lasted_after_s"] == 720.0
    assert (report["source"], report["confirmed"], report["status"]) == ("manual", True, "pain")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"onset": "1mi", "severity": 11}, "severity"),
        ({"onset": "6mi", "severity": 3}, "past the end of the run"),
        ({"onset": "45:00", "severity": 3}, "past the end of the run"),  # the run lasts 41:40
        ({"onset": "lap 9", "severity": 3}, "this run has 4 laps"),
        ({"onset": "1mi", "severity": 3, "locations": "knee"}, "unknown location 'knee'"),
        ({"onset": "1mi", "severity": 3, "stages": ["limp@1mi"]}, "unknown stage"),
        # Issue 15: stages out of order are refused.
        ({"onset": "1.4mi", "severity": 3, "stages": ["pump@1mi"]}, r"pump at 1.00 mi comes before the pain"),
        (
            {"onset": "1mi", "severity": 3, "stages": ["stopped@2mi", "cramp@2.1mi"]},
            "cramp at 2.10 mi comes after stopped at 2.00 mi",
        ),
        (
            {"onset": "between 1mi and 1.5mi", "severity": 3, "stages": ["cramp@0.9mi"]},
            "cramp at 0.90 mi comes before the pain started",
        ),
        ({"status": "none", "onset": "1mi"}, "pain-free run"),
        ({"onset": "1mi", "severity": 3, "lasted_after": "-5min"}, "not a length of time"),
    ],
)
def test_invalid_reports_are_refused_and_keep_the_old_one(
    engine: Engine, kwargs: dict[str, object], message: str
) -> None:
    run_id = save_run(engine, make_run(laps=LAPS))
    with engine.begin() as conn:
        record_pain(conn, 1, run_id, onset="2km", severity=2)
    with pytest.raises(ValidationError, match=message), engine.begin() as conn:
        record_pain(conn, 1, run_id, **kwargs)  # type: ignore[arg-type]
    with engine.connect() as conn:
        kept = get_pain(conn, 1, run_id)
    assert kept is not None and kept["onset_m"] == 2000.0 and kept["severity"] == 2


def test_unknown_run(engine: Engine) -> None:
    save_run(engine, make_run())
    with engine.begin() as conn, pytest.raises(NotFoundError, match="no run with id 99"):
        record_pain(conn, 1, 99, onset="1mi", severity=3)
    with engine.begin() as conn, pytest.raises(NotFoundError, match="no run on 2024-01-01"):
        record_pain(conn, 1, "2024-01-01", onset="1mi", severity=3)


def test_unknown_none_and_pain_are_told_apart(engine: Engine) -> None:
    ids = runs_on_days(engine, 3)
    with engine.begin() as conn:
        record_pain(conn, 1, ids[0], status="none")
        record_pain(conn, 1, ids[1], onset="2km", severity=4)
        frame = pain_reports(conn, 1)
    assert list(frame["activity_id"]) == ids[:2]  # the third run has no report: unknown, absent
    assert list(frame["status"]) == ["none", "pain"]
    assert list(frame["severity"]) == [0, 4]
    assert math.isnan(frame["onset_m"].iloc[0]) and frame["onset_m"].iloc[1] == 2000.0


def test_lap_hook_makes_a_draft_only_when_the_setting_is_on(engine: Engine) -> None:
    first = make_run(laps=LAPS, tag="a")
    run_a = save_run(engine, first)
    with engine.begin() as conn:
        onset_from_first_lap_hook(conn, run_a, first)
    assert _count(engine) == 0
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    with engine.begin() as conn:
        onset_from_first_lap_hook(conn, run_a, first)
    with engine.connect() as conn:
        draft = get_pain(conn, 1, run_a)
    assert draft is not None
    assert (draft["onset_m"], draft["source"], draft["confirmed"], draft["severity"]) == (
        2500.0,
        "lap",
        False,
        None,
    )
    no_manual = make_run(laps=[(1609.344, "distance"), (8000.0, "session_end")], tag="b")
    run_b = save_run(engine, no_manual)
    with engine.begin() as conn:
        onset_from_first_lap_hook(conn, run_b, no_manual)
    assert _count(engine) == 1


def test_pain_csv_import(engine: Engine) -> None:
    ids = runs_on_days(engine, 4)
    with engine.begin() as conn:
        result = import_pain_csv(conn, 1, DATA / "pain_sheet.csv")
    assert result.saved == [(2, ids[0]), (3, ids[1]), (4, ids[2])]
    assert result.unmatched == [(5, "2025-04-01T07:00:00Z")]
    with engine.connect() as conn:
        first, second, third = (get_pain(conn, 1, i) for i in ids[:3])
        assert get_pain(conn, 1, ids[3]) is None
    assert first is not None and second is not None and third is not None
    assert first["onset_m"] == pytest.approx(1.2 * METRES_PER_MILE)
    assert first["locations"] == ["lower-back", "upper-glute-left"]
    assert first["qualities"] == ["pump", "dull-ache"]
    assert (first["source"], first["notes"]) == ("csv", "hilly loop")
    assert second["status"] == "none"
    assert third["onset_m"] == pytest.approx(870 * SPEED)


def test_pain_csv_with_bad_rows_saves_nothing(engine: Engine) -> None:
    runs_on_days(engine, 4)
    with pytest.raises(ValidationError) as caught, engine.begin() as conn:
        import_pain_csv(conn, 1, DATA / "pain_sheet_bad.csv")
    message = str(caught.value)
    for expected in (
        "row 2: severity",
        "row 3: '9mi'",
        "row 4: start 'yesterday-ish'",
        "row 5: has pain details but no onset",
        "row 6: locations: unknown location 'knee'",
    ):
        assert expected in message
    assert _count(engine) == 0
