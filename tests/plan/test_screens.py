"""Stored screens: open flags, resolution rules, the banner (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, insert

from backstride.plan import redflags, screens
from backstride.plan.engine import build_plan
from backstride.plan.profile import build_inputs
from backstride.store.schema import users

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _plan_status(conn: Connection, user: int) -> str:
    """What the plan engine makes of the stored screens, the way the plan reads them."""
    return build_plan(build_inputs(conn, user, today=T0.date() + timedelta(days=10))).status


def _record(engine: Engine, answers: dict[str, bool], days: int, user: int = 1) -> None:
    with engine.begin() as conn:
        screens.record_screen(conn, user, redflags.evaluate(answers), "screen", T0 + timedelta(days=days))


def test_no_screen_means_nothing_open(engine: Engine) -> None:
    with engine.connect() as conn:
        assert screens.open_flags(conn, 1) is None
        assert screens.latest_screen(conn, 1) is None
        assert _plan_status(conn, 1) == "needs_screen"
    assert screens.banner(None) == ""


def test_round_trip_keeps_answers_and_time(engine: Engine) -> None:
    _record(engine, {"fever": True}, 0)
    with engine.connect() as conn:
        found = screens.latest_screen(conn, 1)
    assert found is not None
    assert found.urgency == "urgent" and found.flags == ("fever",)
    assert found.answers["fever"] is True and found.answers["bladder"] is False
    assert found.taken_at == T0


def test_emergency_stays_open_until_assessed(engine: Engine) -> None:
    _record(engine, {"bowel": True}, 0)
    _record(engine, {}, 1)  # a later all-no screen does not clear an emergency
    with engine.connect() as conn:
        result = screens.open_flags(conn, 1)
        assert result is not None and result.urgency == "emergency"
        assert _plan_status(conn, 1) == "withheld"
    text = screens.banner(result)
    assert text.startswith("RED FLAG (emergency)") and "bowel" in text and "--assessed" in text
    with engine.begin() as conn:
        assert screens.confirm_assessed(conn, 1) == 1
    with engine.connect() as conn:
        assert screens.open_flags(conn, 1) is None
        assert _plan_status(conn, 1) == "ok"
        assert screens.screen_history(conn, 1)[1].assessed_at is not None


def test_urgent_is_cleared_by_a_later_clean_screen(engine: Engine) -> None:
    _record(engine, {"night_pain": True}, 0)
    with engine.connect() as conn:
        result = screens.open_flags(conn, 1)
        assert result is not None and result.urgency == "urgent"
        assert _plan_status(conn, 1) == "ok"
    assert screens.banner(result).startswith("RED FLAG (urgent)")
    _record(engine, {}, 7)
    with engine.connect() as conn:
        assert screens.open_flags(conn, 1) is None


def test_open_emergency_outranks_a_newer_urgent(engine: Engine) -> None:
    _record(engine, {"dark_urine": True}, 0)
    _record(engine, {"fever": True}, 2)
    with engine.connect() as conn:
        result = screens.open_flags(conn, 1)
    assert result is not None and result.flags == ("dark_urine",)


def test_screens_are_scoped_to_their_user(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users).values(id=2, username="other", created_at=T0))
    _record(engine, {"bladder": True}, 0, user=2)
    with engine.connect() as conn:
        assert screens.open_flags(conn, 1) is None
        assert (_plan_status(conn, 1), _plan_status(conn, 2)) == ("needs_screen", "withheld")
    with engine.begin() as conn:
        assert screens.confirm_assessed(conn, 1) == 0
    with engine.connect() as conn:
        assert _plan_status(conn, 2) == "withheld"
