"""A weekly schedule of runs toward the goal distance, kept within the single-run spike rule, plus
exercise sessions.

The long run grows by at most 10% a week, so no run is more than 10% longer than the longest run of the
past 30 days (Frandsen 2025); easy runs are about 60% of the long run (and no longer than the current
pain-free median when one is known); weekly distance never rises more than 30% on the week before
(Nielsen 2014). Distances are metres, rounded to 100 m; weeks start on Mondays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from backstride.plan.inputs import SPIKE_LIMIT, SPIKE_WINDOW_DAYS, WEEKLY_JUMP, RecentRun

DEFAULT_START_M = 1609.344  # one mile, when there is no run in the past 30 days
MIN_RUN_M = 800.0
EASY_SHARE = 0.6
MAX_WEEKS = 12
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Run days (0 = Monday) by runs per week; the last one is the long run.
RUN_DAYS = {2: (2, 5), 3: (1, 3, 5), 4: (0, 2, 4, 6), 5: (0, 1, 3, 4, 6)}


@dataclass(frozen=True)
class SessionSpec:
    remedy: str
    name: str
    minutes: int
    per_week: int


@dataclass(frozen=True)
class PlannedRun:
    day: date
    distance_m: float
    kind: str  # "easy" | "long"

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "weekday": WEEKDAYS[self.day.weekday()],
            "distance_m": self.distance_m,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class PlannedSession:
    day: date
    remedies: tuple[str, ...]
    minutes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "weekday": WEEKDAYS[self.day.weekday()],
            "remedies": list(self.remedies),
            "minutes": self.minutes,
        }


@dataclass(frozen=True)
class Week:
    number: int
    start: date
    runs: list[PlannedRun]
    sessions: list[PlannedSession]

    @property
    def long_run_m(self) -> float:
        return max((r.distance_m for r in self.runs), default=0.0)

    @property
    def total_m(self) -> float:
        return sum(r.distance_m for r in self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.number,
            "start": self.start.isoformat(),
            "long_run_m": self.long_run_m,
            "total_m": self.total_m,
            "runs": [r.as_dict() for r in self.runs],
            "sessions": [s.as_dict() for s in self.sessions],
        }


@dataclass(frozen=True)
class Schedule:
    weeks: list[Week]
    start_reference_m: float | None
    goal_distance_m: float
    reaches_goal_on: date | None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": "no run more than 10% longer than the longest run of the past 30 days; "
            "weekly distance up at most 30%",
            "longest_recent_run_m": self.start_reference_m,
            "goal_distance_m": self.goal_distance_m,
            "reaches_goal_on": None if self.reaches_goal_on is None else self.reaches_goal_on.isoformat(),
            "weeks": [w.as_dict() for w in self.weeks],
            "notes": list(self.notes),
        }


def _round(metres: float) -> float:
    """Down to the nearest 100 m (never up: rounding must not break the spike rule)."""
    return max(100.0, math.floor(metres / 100.0) * 100.0)


def _sessions(
    week_start: date, run_days: Sequence[int], specs: Sequence[SessionSpec]
) -> list[PlannedSession]:
    free = [d for d in range(7) if d not in run_days]
    days = free[:-1] if len(free) > 1 else free  # keep one full rest day
    if not days:
        return []
    remaining = {s.remedy: s.per_week for s in specs}
    out: list[PlannedSession] = []
    for d in days:
        chosen = [s for s in specs if remaining[s.remedy] > 0]
        if not chosen:
            break
        for s in chosen:
            remaining[s.remedy] -= 1
        out.append(
            PlannedSession(
                week_start + timedelta(days=d),
                tuple(s.remedy for s in chosen),
                sum(s.minutes for s in chosen),
            )
        )
    return out


def build_schedule(
    recent: Sequence[RecentRun],
    goal_m: float,
    today: date,
    *,
    goal_date: date | None = None,
    pain_free_median_m: float | None = None,
    runs_per_week: int = 3,
    sessions: Sequence[SessionSpec] = (),
) -> Schedule:
    """Weeks from next Monday until one week after the long run reaches ``goal_m`` (at most 12)."""
    runs_per_week = min(max(runs_per_week, 2), 5)
    first_monday = today + timedelta(days=7 - today.weekday())
    run_days = RUN_DAYS[runs_per_week]
    # The reference is the longest run still inside the 30-day window on week 1's long-run day.
    first_day = first_monday + timedelta(days=run_days[-1])
    window = [r for r in recent if 0 < (first_day - r.day).days <= SPIKE_WINDOW_DAYS and r.day <= today]
    notes: list[str] = []
    longest = max((r.distance_m for r in window), default=None)
    if longest is None:
        first_long = min(goal_m, pain_free_median_m or DEFAULT_START_M)
        notes.append("No runs in the past 30 days: the schedule starts short and grows 10% a week.")
        previous_long = first_long / (1 + SPIKE_LIMIT)
    else:
        previous_long = longest
    last_week_total = sum(r.distance_m for r in recent if 0 <= (today - r.day).days < 7)
    weeks: list[Week] = []
    reaches: date | None = None
    previous_total = last_week_total
    for number in range(1, MAX_WEEKS + 1):
        long_m = min(goal_m, _round(previous_long * (1 + SPIKE_LIMIT)))
        if long_m < previous_long and previous_long <= goal_m:
            long_m = _round(previous_long)
        easy_m = EASY_SHARE * long_m
        if pain_free_median_m:
            easy_m = min(easy_m, pain_free_median_m)
        easy_m = min(long_m, _round(max(MIN_RUN_M, easy_m)))
        if longest is None and number == 1:
            # Nothing in the window: the first easy run becomes the reference for the first long run.
            long_m = min(long_m, _round(easy_m * (1 + SPIKE_LIMIT)))
        n_easy = runs_per_week - 1
        if previous_total > 0 and long_m + n_easy * easy_m > previous_total * (1 + WEEKLY_JUMP):
            room = previous_total * (1 + WEEKLY_JUMP) - long_m
            easy_m = min(easy_m, _round(max(MIN_RUN_M, room / n_easy)))
            n_easy = min(n_easy, max(1, int(room // easy_m))) if room > 0 else 1
        start = first_monday + timedelta(weeks=number - 1)
        days = run_days[-(n_easy + 1) :]
        runs = [PlannedRun(start + timedelta(days=d), easy_m, "easy") for d in days[:-1]]
        runs.append(PlannedRun(start + timedelta(days=days[-1]), long_m, "long"))
        weeks.append(Week(number, start, runs, _sessions(start, days, sessions)))
        previous_long, previous_total = long_m, sum(r.distance_m for r in runs)
        if long_m >= goal_m and reaches is None:
            reaches = runs[-1].day
        elif reaches is not None:
            break
    if reaches is None:
        notes.append(
            f"The goal is more than {MAX_WEEKS} weeks away at 10% a week; the schedule shows the first "
            f"{MAX_WEEKS} weeks."
        )
    if goal_date is not None and (reaches is None or reaches > goal_date):
        notes.append(
            f"The goal date {goal_date.isoformat()} is earlier than the spike rule allows; keeping to the "
            "rule matters more than the date."
        )
    return Schedule(weeks, longest, goal_m, reaches, notes)


def spike_violations(runs: Sequence[tuple[date, float]]) -> list[tuple[date, float, float]]:
    """Runs more than 10% longer than the longest of the 30 days before them (with nothing before them
    in the window, any run passes): ``(day, distance, longest before)``."""
    ordered = sorted(runs)
    out: list[tuple[date, float, float]] = []
    for day, metres in ordered:
        before = [m for d, m in ordered if 0 < (day - d).days <= SPIKE_WINDOW_DAYS]
        if before and metres > max(before) * (1 + SPIKE_LIMIT) + 1e-6:
            out.append((day, metres, max(before)))
    return out
