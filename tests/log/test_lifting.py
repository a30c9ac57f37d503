"""Lifting: Strong and Hevy CSV variants, hand entry, the catalogue, and the per-day derived load."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from backstride.errors import ValidationError
from backstride.log.catalogue import classify
from backstride.log.lifting import add_session, daily_lifting, parse_sets, session_sets, tag_session
from backstride.log.lifting_csv import import_lifting_csv, read_lifting_csv
from backstride.store import log_schema as ls
from backstride.units import KG_PER_LB

DATA = Path(__file__).with_name("data")


def _sessions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ls.lift_sessions)).scalar_one())


def _text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_strong_semicolon_format() -> None:
    fmt, sessions = read_lifting_csv(_text("strong_semicolon.csv"))
    assert fmt == "strong-semicolon"
    assert [s.name for s in sessions] == ["Lower ME", "Upper"]
    lower, upper = sessions
    assert lower.started_at == datetime(2019, 1, 11, 12, 31, 54)
    assert lower.duration_s == 3720.0  # "1h 2m"
    assert [s.set_type for s in lower.sets[:4]] == ["warmup", "normal", "normal", "normal"]
    assert (lower.sets[3].weight_kg, lower.sets[3].reps, lower.sets[3].rpe) == (150.0, 3, 9.5)
    row, drop = upper.sets[0], upper.sets[1]
    assert row.weight_kg == pytest.approx(135 * KG_PER_LB)  # Weight Unit lbs
    assert drop.set_type == "drop"
    assert upper.sets[2].duration_s == 60.0 and upper.sets[2].weight_kg is None
    assert upper.sets[3].distance_m == pytest.approx(40.0)  # 0.04 km


def test_strong_comma_format_needs_the_unit_and_reads_narrow_no_break_space() -> None:
    with pytest.raises(ValidationError, match="--unit kg or --unit lb"):
        read_lifting_csv(_text("strong_comma.csv"))
    assert "\u202fPM" in _text("strong_comma.csv")
    fmt, sessions = read_lifting_csv(_text("strong_comma.csv"), "lb")
    assert fmt == "strong-comma"
    evening, box = sessions
    assert evening.started_at == datetime(2024, 5, 2, 18, 14, 3)
    assert box.started_at == datetime(2024, 5, 4, 7, 2, 41)
    assert (evening.duration_s, box.duration_s) == (3900.0, 2700.0)
    assert [s.set_type for s in evening.sets[:4]] == ["warmup", "normal", "normal", "drop"]
    assert evening.sets[1].weight_kg == pytest.approx(225 * KG_PER_LB)
    assert evening.sets[4].notes == "slow, controlled"
    _, in_kg = read_lifting_csv(_text("strong_comma.csv"), "kg")
    assert in_kg[0].sets[1].weight_kg == 225.0


def test_hevy_kg_and_lbs() -> None:
    fmt, sessions = read_lifting_csv(_text("hevy_kg.csv"))
    assert fmt == "hevy"
    lower, upper = sessions
    assert (lower.started_at, lower.duration_s) == (datetime(2025, 7, 26, 7, 6), 55 * 60.0)
    assert [s.set_type for s in lower.sets[:5]] == ["warmup", "normal", "failure", "normal", "drop"]
    assert lower.sets[6].distance_m == pytest.approx(1500.0)
    assert upper.notes == "pull day"
    fmt, (heavy,) = read_lifting_csv(_text("hevy_lbs.csv"))
    assert heavy.sets[0].weight_kg == pytest.approx(315 * KG_PER_LB)
    assert heavy.sets[2].distance_m == pytest.approx(0.05 * 1609.344)


@pytest.mark.parametrize(
    ("name", "unit", "expected"),
    [
        (
            "strong_comma_bad.csv",
            "kg",
            ["row 3: weight kg", "row 4: reps 'five'", "row 5: set order 'X'", "row 6: 13 fields"],
        ),
        ("hevy_bad.csv", None, ["row 3: not a date", "row 4: set_type 'superset'", "row 5: rpe"]),
        ("hevy_future.csv", None, ["is in the future"]),
    ],
)
def test_bad_rows_reject_the_whole_file(
    engine: Engine, name: str, unit: str | None, expected: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught, engine.begin() as conn:
        import_lifting_csv(conn, 1, DATA / name, unit)
    for part in expected:
        assert part in str(caught.value)
    assert "nothing was saved" in str(caught.value)
    assert _sessions(engine) == 0


def test_not_a_lifting_export_names_the_expected_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("when,what\n2025-01-01,squat\n")
    with pytest.raises(ValidationError, match="expected one of\nStrong \\(older\\)"):
        read_lifting_csv(path.read_text())


def test_reimport_adds_only_new_sessions(engine: Engine) -> None:
    with engine.begin() as conn:
        first = import_lifting_csv(conn, 1, DATA / "hevy_kg.csv")
    with engine.begin() as conn:
        again = import_lifting_csv(conn, 1, DATA / "hevy_kg.csv")
    assert (first.sessions, first.sets, first.duplicates) == (2, 10, 0)
    assert (again.sessions, again.duplicates) == (0, 2)
    assert first.unknown_exercises == ["Cossack Squat"]
    assert _sessions(engine) == 2


def test_daily_lifting_from_strong(engine: Engine) -> None:
    with engine.begin() as conn:
        import_lifting_csv(conn, 1, DATA / "strong_semicolon.csv")
        daily = daily_lifting(conn, 1).set_index("date")
    day = daily.loc[date(2019, 1, 11)]
    # Working sets only: deadlift 2 x 140 x 5 + 150 x 3, RDL 2 x 100 x 8 (all "high"); bench 3 x 80 x 5.
    assert day["back_tonnage_kg"] == 2 * 140 * 5 + 150 * 3 + 2 * 100 * 8
    assert day["total_tonnage_kg"] == 2 * 140 * 5 + 150 * 3 + 2 * 100 * 8 + 3 * 80 * 5
    assert day["lower_sets"] == 5
    assert bool(day["max_effort_lower"])  # 150 kg x 3 at RPE 9.5
    upper = daily.loc[date(2019, 1, 13)]
    # Bent-over row (high, 135 lb x 10 and a 95 lb x 12 drop set); farmer's walk is "high" with no reps.
    assert upper["back_tonnage_kg"] == pytest.approx((135 * 10 + 95 * 12) * KG_PER_LB)
    assert upper["lower_sets"] == 1  # farmer's walk counts as full-body (leg-driven)
    assert not bool(upper["max_effort_lower"])


def test_max_effort_tag_and_hand_entry(engine: Engine) -> None:
    with engine.begin() as conn:
        session = add_session(
            conn,
            1,
            started_at=datetime(2025, 2, 1, 9, 0),
            sets=["Box Squat (Barbell): 3x2@100kg rpe 7", "Reverse Hyper: 2x15@40", "Lat Pulldown: 10@120lb"],
        )
        before = daily_lifting(conn, 1).iloc[0]
        tag_session(conn, 1, session, "max-effort")
        after = daily_lifting(conn, 1).iloc[0]
        sets = session_sets(conn, 1)
    assert before["back_tonnage_kg"] == 3 * 2 * 100 + 2 * 15 * 40
    assert before["lower_sets"] == 5 and before["sessions"] == 1
    assert not bool(before["max_effort_lower"]) and bool(after["max_effort_lower"])
    assert sets["weight_kg"].iloc[-1] == pytest.approx(120 * KG_PER_LB)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Deadlift: 5@-100kg", "greater than or equal to 0"),
        ("Deadlift 5x5", "not a set"),
        ("Deadlift: 5@100kg rpe 12", "rpe"),
    ],
)
def test_bad_hand_sets(spec: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_sets(spec)


def test_future_session_is_refused(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="in the future"), engine.begin() as conn:
        add_session(conn, 1, started_at=datetime(2099, 1, 1), sets=["Deadlift: 5@100kg"])
    assert _sessions(engine) == 0


@pytest.mark.parametrize(
    ("title", "loading", "region"),
    [
        ("Deadlift (Barbell)", "high", "lower"),
        ("Romanian Deadlift (Barbell)", "high", "lower"),
        ("Good Morning (Barbell)", "high", "lower"),
        ("Squat (Barbell)", "high", "lower"),
        ("Bent Over Row (Barbell)", "high", "upper"),
        ("Box Squat (Barbell)", "high", "lower"),
        ("Reverse Hyperextension", "high", "lower"),
        ("Glute Ham Raise", "low", "lower"),
        ("Bench Press (Barbell)", "none", "upper"),
        ("deadlift  (barbell)", "high", "lower"),  # case and spacing do not matter
        ("Deadlift (Chains)", "high", "lower"),  # unlisted equipment falls back to the bare name
    ],
)
def test_catalogue(title: str, loading: str, region: str) -> None:
    found = classify(title)
    assert found is not None and (found.back_loading, found.region) == (loading, region)


def test_catalogue_unknown() -> None:
    assert classify("Cossack Squat") is None


def _days(engine: Engine) -> dict[date, bool]:
    with engine.connect() as conn:
        daily = daily_lifting(conn, 1)
    return dict(zip(daily["date"], daily["max_effort_lower"], strict=True))


def test_max_effort_by_title_as_lifters_name_their_days(engine: Engine) -> None:
    """Most lifters log no RPE and tag nothing: a workout titled as a max-effort day counts."""
    with engine.begin() as conn:
        for day, name in enumerate(["Max Effort Lower", "ME Lower", "ME Upper", "Lower B", "max-effort"]):
            sets = ["Bench Press (Barbell): 3x3@100kg"] if "Upper" in name else ["Leg Press: 3x10@150kg"]
            add_session(conn, 1, started_at=datetime(2025, 2, 1 + day, 18), sets=sets, name=name)
    marks = list(_days(engine).values())
    assert marks == [True, True, False, False, True]  # "max-effort" alone: its lower-body sets count


def test_max_effort_by_the_lifters_own_one_rep_max(engine: Engine) -> None:
    """A lower-body set at 90% or more of the lift's best estimated one-rep max (Epley) counts, once the
    lift has a history; speed work and dynamic-effort days never do."""
    plan = [
        ("Squat", ["Squat (Barbell): 5@140kg"]),  # e1RM 163: the first session has no history
        ("Squat", ["Squat (Barbell): 3x5@120kg"]),  # 120 < 0.9 x 163
        ("Squat", ["Squat (Barbell): 1@150kg"]),  # 150 >= 0.9 x 163 = 147
        ("Speed squats", ["Squat (Barbell): 8x2@150kg"]),  # titled speed work
        ("Squat", ["Speed Squat (Barbell): 8x2@150kg"]),  # a speed exercise
        ("DE Lower", ["Squat (Barbell): 8x2@150kg"]),  # dynamic effort
    ]
    with engine.begin() as conn:
        for day, (name, sets) in enumerate(plan):
            add_session(conn, 1, started_at=datetime(2025, 3, 1 + day, 18), sets=sets, name=name)
    assert list(_days(engine).values()) == [False, False, True, False, False, False]


def test_lifting_with_no_max_effort_session_has_no_days_since(engine: Engine) -> None:
    """Issue 12, fault 0: logged lifting with no max-effort session ended in an IndexError."""
    import pandas as pd

    from backstride.analysis.features_load import lifting_columns, lifting_sessions

    with engine.begin() as conn:
        add_session(conn, 1, started_at=datetime(2025, 2, 1, 18), sets=["Deadlift (Barbell): 3x5@100kg"])
        sessions = lifting_sessions(session_sets(conn, 1))
    runs = pd.Series(pd.to_datetime(["2025-02-02 07:00", "2025-02-10 07:00"]))
    cols = lifting_columns(runs, sessions)
    assert cols["me_lower_48h"].tolist() == [0.0, 0.0]
    assert cols["days_since_max_effort_lower"].isna().all()
    assert cols["back_tonnage_48h"].tolist() == [1500.0, 0.0]
