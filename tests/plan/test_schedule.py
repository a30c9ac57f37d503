"""The weekly schedule keeps the single-run spike rule and the weekly limit, and reaches the goal."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backstride.plan.inputs import RecentRun
from backstride.plan.schedule import SessionSpec, build_schedule, spike_violations

TODAY = date(2026, 3, 4)  # a Wednesday
MILE = 1609.344


def runs(*pairs: tuple[int, float]) -> list[RecentRun]:
    return [RecentRun(TODAY - timedelta(days=d), m) for d, m in pairs]


def planned(schedule: object) -> list[tuple[date, float]]:
    return [(r.day, r.distance_m) for w in schedule.weeks for r in w.runs]  # type: ignore[attr-defined]


def test_spike_violations_checker() -> None:
    d = date(2026, 1, 1)
    assert spike_violations([(d, 5000), (d + timedelta(days=7), 5500)]) == []
    assert spike_violations([(d, 5000), (d + timedelta(days=7), 5600)]) == [
        (d + timedelta(days=7), 5600, 5000)
    ]
    assert spike_violations([(d, 5000), (d + timedelta(days=31), 9000)]) == []  # outside the window


def test_progresses_to_goal_within_the_rule() -> None:
    recent = runs((2, 3000), (5, 3500), (9, 4000), (12, 3000), (16, 3000))
    s = build_schedule(recent, 5 * MILE, TODAY, sessions=[SessionSpec("core_motor_control", "core", 15, 3)])
    history = [(r.day, r.distance_m) for r in recent]
    assert [v for v in spike_violations(history + planned(s)) if v[0] > TODAY] == []
    longs = [w.long_run_m for w in s.weeks]
    assert longs == sorted(longs) and longs[-1] == 5 * MILE
    assert s.reaches_goal_on is not None
    assert s.weeks[0].start == date(2026, 3, 9) and s.weeks[0].start.weekday() == 0
    assert all(len(w.sessions) == 3 for w in s.weeks)
    assert all(r.day.weekday() not in {x.day.weekday() for x in w.sessions} for w in s.weeks for r in w.runs)


def test_weekly_distance_rises_at_most_30_percent() -> None:
    recent = runs((1, 2000), (3, 2000), (6, 5000), (20, 5000))
    s = build_schedule(recent, 10000, TODAY)
    totals = [6000.0 + 3000.0] + [w.total_m for w in s.weeks]  # last 7 days: days 0-6
    for before, after in itertools.pairwise(totals):
        assert after <= before * 1.3 + 1e-6


def test_no_recent_runs_starts_short() -> None:
    s = build_schedule([], 3 * MILE, TODAY)
    assert s.weeks[0].long_run_m <= MILE
    assert any("No runs in the past 30 days" in n for n in s.notes)
    assert spike_violations(planned(s)) == []


def test_goal_date_too_soon_is_said_not_forced() -> None:
    s = build_schedule(runs((3, 2000)), 10000, TODAY, goal_date=TODAY + timedelta(days=14))
    assert any("earlier than the spike rule allows" in n for n in s.notes)
    assert spike_violations([(TODAY - timedelta(days=3), 2000.0), *planned(s)]) == []


def test_goal_already_reached_holds_it() -> None:
    s = build_schedule(runs((3, 6000)), 5000, TODAY)
    assert [w.long_run_m for w in s.weeks] == [5000, 5000]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    history=st.lists(
        st.tuples(st.integers(0, 45), st.floats(500, 25000, allow_nan=False)), min_size=0, max_size=20
    ),
    goal=st.floats(1000, 42195, allow_nan=False),
    per_week=st.integers(2, 5),
    median=st.one_of(st.none(), st.floats(300, 10000, allow_nan=False)),
)
def test_no_planned_run_breaks_the_spike_rule(
    history: list[tuple[int, float]], goal: float, per_week: int, median: float | None
) -> None:
    recent = runs(*history)
    s = build_schedule(recent, goal, TODAY, runs_per_week=per_week, pain_free_median_m=median)
    past = [(r.day, r.distance_m) for r in recent]
    # Only planned runs are judged: the past is what it is.
    bad = [v for v in spike_violations(past + planned(s)) if v[0] > TODAY]
    assert bad == []
    assert all(w.long_run_m <= goal + 1e-6 for w in s.weeks)
