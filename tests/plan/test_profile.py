"""Plan inputs: findings, spikes from runs, and building the inputs from the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from backstride.errors import ValidationError
from backstride.log.routines import log_routine
from backstride.plan import redflags, screens, selftests
from backstride.plan.engine import build_plan
from backstride.plan.profile import (
    Finding,
    RecentRun,
    build_inputs,
    classify_strength,
    get_goal,
    load_findings,
    remedies_for_routines,
    set_goal,
)
from tests.log.helpers import make_run, save_run

TODAY = date(2025, 3, 20)


@pytest.mark.parametrize(
    ("lo", "hi", "q", "expected"),
    [
        (1.3, 2.5, 0.01, "strong"),
        (1.3, 2.5, 0.04, "moderate"),
        (1.3, 2.5, 0.10, "weak"),  # the raw interval excludes 1 but the finding fails the correction
        (0.8, 2.5, 0.10, "weak"),
        (0.8, 2.5, 0.5, "weak"),
    ],
)
def test_classify_strength(lo: float, hi: float, q: float, expected: str) -> None:
    assert classify_strength(lo, hi, q) == expected


def test_unknown_finding_kinds_and_strengths_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown finding kind"):
        Finding("moon_phase", "strong", "x")
    with pytest.raises(ValueError, match="strong, moderate or weak"):
        Finding("spike", "certain", "x")  # type: ignore[arg-type]


def test_load_findings_spike_and_weekly_jump() -> None:
    runs = [
        RecentRun(TODAY - timedelta(days=20), 5000),
        RecentRun(TODAY - timedelta(days=10), 4000),
        RecentRun(TODAY - timedelta(days=3), 5500),  # exactly 10% over 5000: allowed
        RecentRun(TODAY - timedelta(days=1), 6200),  # 12.7% over 5500: a spike
    ]
    found = load_findings(runs, TODAY)
    spikes = [f for f in found if f.kind == "spike"]
    assert len(spikes) == 1 and spikes[0].value == pytest.approx(6200 / 5500 - 1)
    jumps = [f for f in found if f.kind == "weekly_jump"]
    assert len(jumps) == 1 and jumps[0].value == pytest.approx(11700 / 4000 - 1)


def test_remedies_for_routines_uses_the_starter_names() -> None:
    assert remedies_for_routines(["Bird dog", "foam roll glutes"]) == {"core_motor_control", "foam_rolling"}
    assert remedies_for_routines(["juggling"]) == frozenset()


def test_goal_round_trip(engine: Engine) -> None:
    with engine.begin() as conn:
        assert get_goal(conn, 1) == (None, None)
        set_goal(conn, 1, 4828.0, date(2025, 6, 1), today=date(2025, 5, 1))
        assert get_goal(conn, 1) == (4828.0, date(2025, 6, 1))
        set_goal(conn, 1, 5000.0, None)
        assert get_goal(conn, 1) == (5000.0, None)
        with pytest.raises(ValidationError):
            set_goal(conn, 1, 0.0, None)
        # Issue 13 item 2: a goal date in the past is refused, and nothing is stored.
        with pytest.raises(ValidationError, match="2025-04-30 is in the past"):
            set_goal(conn, 1, 4828.0, date(2025, 4, 30), today=date(2025, 5, 1))
        assert get_goal(conn, 1) == (5000.0, None)


def test_build_inputs_from_the_store(engine: Engine) -> None:
    base = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC).replace(hour=7)
    for days, metres in [(25, 4000.0), (12, 4000.0), (2, 5200.0)]:
        save_run(
            engine,
            make_run(base - timedelta(days=days), distance_m=metres, tag=f"r{days}", with_streams=False),
        )
    with engine.begin() as conn:
        screens.record_screen(conn, 1, redflags.evaluate({}), "screen", base - timedelta(days=1))
        selftests.record_test(conn, 1, "glute_med", {"squat_left": 1.0}, taken_at=base - timedelta(days=5))
        log_routine(conn, 1, "bird dog", done_at=(base - timedelta(days=3)).replace(tzinfo=None))
        set_goal(conn, 1, 8000.0, None)
        inputs = build_inputs(
            conn,
            1,
            today=TODAY,
            findings=[Finding("descent_effect", "moderate", "descents: RR 1.4 (1.1-1.8)")],
        )
    assert [r.distance_m for r in inputs.recent_runs] == [4000.0, 4000.0, 5200.0]
    assert {f.kind for f in inputs.findings} == {"descent_effect", "spike"}  # 5200 is 30% over 4000
    assert [f.id for f in inputs.self_test_flags] == ["glute_med_weak_screen"]
    assert inputs.tried_routines == {"core_motor_control"}
    assert inputs.goal_distance_m == 8000.0
    assert inputs.screen is not None and inputs.screen.urgency == "none"
    plan = build_plan(inputs)
    assert plan.status == "ok"
    ids = [i.remedy for i in plan.items]
    assert {"spike_rule", "glute_hip_strengthening", "downhill_technique", "core_motor_control"} <= set(ids)
    assert plan.schedule is not None and plan.schedule.start_reference_m == 5200.0
    assert plan.schedule.weeks[0].long_run_m <= 5200.0 * 1.1
