"""Routines, body weight, shoes, run context and the weekly check-in, through the library."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from backstride.errors import NotFoundError, ValidationError
from backstride.log.body import body_weights, record_weight
from backstride.log.checkin import checkins, record_checkin
from backstride.log.routines import add_routine, list_routines, log_routine, routine_log, starter_routines
from backstride.log.run_tags import get_context, run_context, set_context
from backstride.log.shoes import add_shoe, list_shoes, retire_shoe, set_run_shoe
from backstride.store import log_schema as ls
from backstride.units import KG_PER_LB
from tests.log.helpers import START, make_run, runs_on_days, save_run


def test_routines_starter_and_own(engine: Engine) -> None:
    run_id = save_run(engine, make_run())
    categories = {r.category for r in starter_routines()}
    assert categories == {
        "stretch",
        "core",
        "glute",
        "back-extensor",
        "foam-roll",
        "yoga-pilates",
        "mobility",
        "warm-up",
    }
    with engine.begin() as conn:
        log_routine(
            conn, 1, "McGill Curl-up", done_at=datetime(2025, 3, 1, 6, 40), before_run=True, run=run_id
        )
        add_routine(conn, 1, "Couch stretch", "Stretch", "knee against the wall")
        log_routine(conn, 1, "couch stretch", done_at=datetime(2025, 3, 2, 20, 0), duration_s=300)
        frame = routine_log(conn, 1)
        listed = {r["name"]: r for r in list_routines(conn, 1)}
    assert list(frame["routine"]) == ["mcgill curl-up", "couch stretch"]
    assert list(frame["category"]) == ["core", "stretch"]
    assert list(frame["before_run"]) == [True, None]
    assert frame["activity_id"].iloc[0] == run_id
    assert frame["date"].iloc[1] == date(2025, 3, 2)
    assert listed["couch stretch"]["times"] == 1 and not listed["couch stretch"]["builtin"]
    assert listed["mcgill curl-up"]["builtin"] and listed["side plank"]["times"] == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: log_routine(c, 1, "no such routine"), "no routine called"),
        (lambda c: add_routine(c, 1, "x", "dance"), "category"),
        (lambda c: log_routine(c, 1, "side plank", done_at=datetime(2099, 1, 1)), "in the future"),
        (lambda c: log_routine(c, 1, "side plank", run=42), "no run with id 42"),
    ],
)
def test_routine_validation(engine: Engine, call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message), engine.begin() as conn:
        call(conn)  # type: ignore[operator]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ls.routines)).scalar_one() == 0


def test_body_weight(engine: Engine) -> None:
    with engine.begin() as conn:
        record_weight(conn, 1, "82.5kg", date(2025, 3, 1))
        record_weight(conn, 1, "180lb", date(2025, 3, 2))
        record_weight(conn, 1, 81.0, date(2025, 3, 1))  # the same day again replaces it
        frame = body_weights(conn, 1)
    assert list(frame["date"]) == [date(2025, 3, 1), date(2025, 3, 2)]
    assert list(frame["weight_kg"]) == [81.0, pytest.approx(180 * KG_PER_LB)]


@pytest.mark.parametrize(
    ("weight", "day", "message"),
    [
        ("-80kg", None, "not a body weight"),
        ("0", None, "give the unit"),
        ("eighty", None, "not a weight"),
        ("80kg", date.today() + timedelta(days=5), "in the future"),
    ],
)
def test_body_weight_validation(engine: Engine, weight: str, day: date | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message), engine.begin() as conn:
        record_weight(conn, 1, weight, day)
    with engine.connect() as conn:
        assert body_weights(conn, 1).empty


def test_shoes_mileage_from_import_and_by_hand(engine: Engine) -> None:
    save_run(engine, make_run(START, shoe="Pegasus 40", tag="a"))
    save_run(engine, make_run(START + timedelta(days=1), distance_m=5000.0, shoe="Pegasus 40", tag="b"))
    other = save_run(engine, make_run(START + timedelta(days=2), distance_m=10000.0, tag="c"))
    with engine.begin() as conn:
        add_shoe(conn, 1, "Speedgoat", brand="Hoka", started_on=date(2025, 2, 1))
        set_run_shoe(conn, 1, other, "Speedgoat")
        add_shoe(conn, 1, "Pegasus 40", brand="Nike", started_on=date(2025, 1, 1))
        retire_shoe(conn, 1, "Pegasus 40", date(2025, 3, 5))
        shoes = {s["name"]: s for s in list_shoes(conn, 1)}
    assert shoes["Pegasus 40"]["distance_m"] == 13000.0 and shoes["Pegasus 40"]["runs"] == 2
    assert shoes["Pegasus 40"]["retired_on"] == date(2025, 3, 5) and shoes["Pegasus 40"]["brand"] == "Nike"
    assert shoes["Speedgoat"]["distance_m"] == 10000.0
    assert shoes["Speedgoat"]["started_on"] == date(2025, 2, 1)


def test_shoe_validation(engine: Engine) -> None:
    run_id = save_run(engine, make_run())
    with engine.begin() as conn:
        add_shoe(conn, 1, "Old", started_on=date(2024, 1, 1), retired_on=date(2024, 6, 1))
    with pytest.raises(ValidationError, match="retired before it was first worn"), engine.begin() as conn:
        add_shoe(conn, 1, "Odd", started_on=date(2024, 6, 1), retired_on=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="retired on 2024-06-01"), engine.begin() as conn:
        set_run_shoe(conn, 1, run_id, "Old")
    with pytest.raises(NotFoundError, match="no shoe called"), engine.begin() as conn:
        retire_shoe(conn, 1, "Nope")
    with engine.connect() as conn:
        assert [s["name"] for s in list_shoes(conn, 1)] == ["Old"]


def test_run_context_merges_fields(engine: Engine) -> None:
    first, second = runs_on_days(engine, 2)
    with engine.begin() as conn:
        set_context(conn, 1, first, surface="Trail", loads=["vest"], headphones=False)
        set_context(conn, 1, first, sleep_h=6.5, ate="banana")
        set_context(conn, 1, second, surface="treadmill", loads="ruck, boots-and-utilities")
        frame = run_context(conn, 1)
        one = get_context(conn, 1, first)
    assert one == {
        "surface": "trail",
        "loads": ["weighted-vest"],
        "headphones": False,
        "sleep_h": 6.5,
        "drank": None,
        "ate": "banana",
        "notes": None,
    }
    assert list(frame["activity_id"]) == [first, second]
    assert frame["loads"].iloc[1] == ["ruck", "boots-and-utilities"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"surface": "sand"}, "surface"),
        ({"loads": "skates"}, "unknown footwear or load"),
        ({"sleep_h": 30}, "sleep"),
    ],
)
def test_run_context_validation(engine: Engine, kwargs: dict[str, object], message: str) -> None:
    run_id = save_run(engine, make_run())
    with pytest.raises(ValidationError, match=message), engine.begin() as conn:
        set_context(conn, 1, run_id, **kwargs)  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert run_context(conn, 1).empty


def test_checkin_peg(engine: Engine) -> None:
    with engine.begin() as conn:
        result = record_checkin(conn, 1, pain=4, enjoyment=3, activity=5)
        frame = checkins(conn, 1)
    assert result.peg_score == 4.0 and result.screen is None
    assert list(frame["peg_score"]) == [4.0] and frame["screen_urgency"].iloc[0] is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pain": 11, "enjoyment": 3, "activity": 5},
        {"pain": 3, "enjoyment": -1, "activity": 5},
        {"pain": 3, "enjoyment": 3, "activity": 5, "taken_at": datetime(2099, 1, 1)},
    ],
)
def test_checkin_validation(engine: Engine, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError), engine.begin() as conn:
        record_checkin(conn, 1, **kwargs)  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert checkins(conn, 1).empty


@pytest.mark.parametrize(
    ("yes", "urgency"),
    [
        ([], "none"),
        (["night_pain"], "urgent"),
        (["saddle_numbness"], "emergency"),
        (["fever", "bladder"], "emergency"),
        (["below_knee", "age_onset"], "urgent"),
    ],
)
def test_checkin_red_flag_urgency(engine: Engine, yes: list[str], urgency: str) -> None:
    from backstride.plan.redflags import QUESTIONS
    from backstride.plan.screens import latest_screen

    answers = {q.id: q.id in yes for q in QUESTIONS}
    with engine.begin() as conn:
        result = record_checkin(conn, 1, pain=6, enjoyment=5, activity=6, red_flags=answers)
        stored = latest_screen(conn, 1)
        frame = checkins(conn, 1)
    assert result.urgency == urgency
    assert sorted(result.screen.flags) == sorted(yes)
    assert frame["screen_urgency"].iloc[0] == urgency
    assert stored is not None and stored.urgency == urgency


def test_checkin_red_flags_must_all_be_answered(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="left unanswered"), engine.begin() as conn:
        record_checkin(conn, 1, pain=1, enjoyment=1, activity=1, red_flags={"bladder": False})
    with pytest.raises(ValidationError, match="unknown red-flag"), engine.begin() as conn:
        record_checkin(conn, 1, pain=1, enjoyment=1, activity=1, red_flags={"headache": True})
    with engine.connect() as conn:
        assert checkins(conn, 1).empty
