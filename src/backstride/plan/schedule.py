"""A weekly schedule of runs that progresses from the runner's own data to the goal distance.

The rules, each stated in the plan (:attr:`Schedule.rules`):

1. **Start** from the safer of the runner's median pain-free distance and the longest run of the past
   30 days (the *base*). The long run steps past it; the easy runs stay under the median pain-free
   distance, so most running stays pain-free while the long run edges the distance out.
2. **Spike rule**: no planned run is more than 10% longer than the longest run of the 30 days before it
   (Frandsen 2025, running injuries in general), counting the runner's own runs and the planned ones.
3. **Growth**: the long run grows by the same factor each week, at most 10%, so that it reaches the
   goal in the last week before the goal date. When there is time to spare, every fourth week holds
   (a consolidation week), and the growth never drops below 5% a week (the goal is then reached early
   and held). Without a goal date it grows 10% a week with a hold every fourth week. When the date is
   too soon, the schedule says so and keeps to the rule, reaching the goal on the earliest date the
   rule allows.
4. **Weekly distance** rises at most 30% on the week before (Nielsen 2014).
5. **Back-off**: after a painful week (a run with pain at 6/10 or more, or one the runner had to stop)
   the next week repeats instead of stepping up; after two painful weeks in a row it steps back one
   week. The schedule applies this itself from the pain reports of the last two weeks.

A goal the runner already reaches pain-free (in at least half of the last 10 reported runs, or a
median pain-free distance beyond it) gets no progression: the schedule says so
(``status="goal_met"``).

Distances are metres, rounded down to 0.01 of the runner's unit (so what is shown is never more than
what the rules allow); weeks start on Mondays; days are calendar days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from backstride.plan.history import BACK_OFF_SEVERITY, RecentRun, already_reached, painful_weeks
from backstride.plan.profile import SPIKE_LIMIT, SPIKE_WINDOW_DAYS, WEEKLY_JUMP
from backstride.units import METRES_PER_MILE, floor_distance, format_distance

#: Where to start when there is no run in the past 30 days and no median (one mile).
DEFAULT_START_M = METRES_PER_MILE
#: Easy runs: this share of the long run, and at most this share of the median pain-free distance.
EASY_SHARE = 0.65
EASY_UNDER_MEDIAN = 0.9
#: The long run's weekly growth when the goal date leaves time to spare never drops below this.
MIN_GROWTH = 0.05
#: Every this many weeks, a consolidation week holds the long run (when time allows).
HOLD_EVERY = 4
#: The most weeks a schedule shows.
MAX_WEEKS = 52
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Run days (0 = Monday) by runs per week; the last one is the long run.
RUN_DAYS = {2: (2, 5), 3: (1, 3, 5), 4: (0, 2, 4, 6), 5: (0, 1, 3, 4, 6)}

WeekKind = Literal["start", "step", "hold", "back", "goal"]
#: What each kind of week means, in words.
WEEK_KINDS: dict[str, str] = {
    "start": "starting week: no step up yet",
    "step": "step up",
    "hold": "hold: repeat the distances",
    "back": "step back after two painful weeks",
    "goal": "at the goal: keep it",
}


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
    kind: WeekKind = "step"

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
            "kind": self.kind,
            "kind_words": WEEK_KINDS[self.kind],
            "long_run_m": self.long_run_m,
            "total_m": self.total_m,
            "runs": [r.as_dict() for r in self.runs],
            "sessions": [s.as_dict() for s in self.sessions],
        }


@dataclass(frozen=True)
class Schedule:
    weeks: list[Week]
    start_reference_m: float | None  # the longest run of the 30 days before the first planned week
    goal_distance_m: float
    reaches_goal_on: date | None
    notes: list[str] = field(default_factory=list)
    status: Literal["progress", "goal_met"] = "progress"
    goal_date: date | None = None
    base_m: float | None = None
    earliest_goal_date: date | None = None
    on_time: bool | None = None  # None without a goal date
    weekly_growth: float | None = None
    rules: list[str] = field(default_factory=list)
    message: str = ""
    unit: str = "km"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "rule": "no run more than 10% longer than the longest run of the past 30 days; "
            "weekly distance up at most 30%",
            "rules": list(self.rules),
            "longest_recent_run_m": self.start_reference_m,
            "base_m": self.base_m,
            "goal_distance_m": self.goal_distance_m,
            "goal_date": None if self.goal_date is None else self.goal_date.isoformat(),
            "reaches_goal_on": None if self.reaches_goal_on is None else self.reaches_goal_on.isoformat(),
            "earliest_goal_date": None
            if self.earliest_goal_date is None
            else self.earliest_goal_date.isoformat(),
            "on_time": self.on_time,
            "weekly_growth": self.weekly_growth,
            "weeks": [w.as_dict() for w in self.weeks],
            "notes": list(self.notes),
        }


def _sessions(
    week_start: date, run_days: Sequence[int], specs: Sequence[SessionSpec]
) -> list[PlannedSession]:
    """Exercise sessions on the days without a run, keeping one full rest day: each session goes to the
    free day with the fewest minutes so far, never twice the same remedy on one day."""
    free = [d for d in range(7) if d not in run_days]
    days = free[:-1] if len(free) > 1 else free  # keep one full rest day
    if not days:
        return []
    minutes = dict.fromkeys(days, 0)
    chosen: dict[int, list[SessionSpec]] = {d: [] for d in days}
    for spec in sorted(specs, key=lambda s: -s.minutes):
        for _ in range(min(spec.per_week, len(days))):
            options = [d for d in days if spec not in chosen[d]]
            day = min(options, key=lambda d: (minutes[d], d))
            chosen[day].append(spec)
            minutes[day] += spec.minutes
    return [
        PlannedSession(
            week_start + timedelta(days=d),
            tuple(s.remedy for s in chosen[d]),
            minutes[d],
        )
        for d in days
        if chosen[d]
    ]


def _steps(base: float, goal: float, growth: float) -> int:
    """Steps of ``growth`` from ``base`` until the goal is reached."""
    if base >= goal:
        return 0
    return max(0, math.ceil(math.log(goal / base) / math.log1p(growth) - 1e-9))


@dataclass(frozen=True)
class _Shape:
    """The schedule before distances: the long run's exponent of growth in each week, and its kind."""

    exponents: list[int]
    kinds: list[WeekKind]
    growth: float


def _shape(
    first: int, weeks: int, holds: int, growth: float, reach: int, first_kind: WeekKind = "step"
) -> _Shape:
    """``weeks`` weeks from exponent ``first`` (a week of ``first_kind``): a step a week, except
    ``holds`` of the fourth weeks, and goal weeks once the exponent ``reach`` (the goal) is reached."""
    exponents: list[int] = []
    kinds: list[WeekKind] = []
    e, held = first, 0
    for w in range(1, weeks + 1):
        kind: WeekKind = "step"
        if w == 1:
            kind = first_kind
        elif e >= reach:
            kind = "goal"
        elif held < holds and w % HOLD_EVERY == 0:
            kind, held = "hold", held + 1
        else:
            e += 1
        exponents.append(e)
        kinds.append(kind)
    return _Shape(exponents, kinds, growth)


@dataclass(frozen=True)
class _Context:
    today: date
    history: list[RecentRun]
    first_monday: date
    run_days: tuple[int, ...]
    base: float
    goal_m: float
    goal_date: date | None
    easy_cap: float | None
    unit: str
    sessions: Sequence[SessionSpec]

    def long_run_day(self, week_start: date) -> date:
        day = week_start + timedelta(days=self.run_days[-1])
        if self.goal_date is not None and week_start <= self.goal_date < day:
            return self.goal_date  # the last week: the long run on the goal date
        return day


def _weeks(ctx: _Context, shape: _Shape, extend: bool) -> tuple[list[Week], date | None]:
    """Distances for each week of ``shape``, within the spike rule and the weekly limit; with ``extend``,
    further steps until the goal is reached (the limits can hold a week back)."""
    unit = ctx.unit
    planned: list[tuple[date, float]] = [(r.day, r.distance_m) for r in ctx.history]
    previous_total = sum(r.distance_m for r in ctx.history if 0 <= (ctx.today - r.day).days < 7)
    weeks: list[Week] = []
    reaches: date | None = None
    previous_easy: float | None = None
    exponents, kinds = list(shape.exponents), list(shape.kinds)
    index = 0
    while index < len(exponents) and index < MAX_WEEKS:
        exponent, kind = exponents[index], kinds[index]
        start = ctx.first_monday + timedelta(weeks=index)
        long_day = ctx.long_run_day(start)
        target = ctx.base * (1 + shape.growth) ** exponent
        long_m = ctx.goal_m if target >= ctx.goal_m * (1 - 1e-9) else floor_distance(target, unit)
        if kind in ("hold", "goal") and weeks:
            long_m = min(long_m, weeks[-1].long_run_m)  # a hold repeats the week before
        if previous_total > 0:
            long_m = min(long_m, floor_distance(previous_total * (1 + WEEKLY_JUMP), unit))
        days = [start + timedelta(days=d) for d in ctx.run_days[:-1]]
        days = [d for d in days if (long_day - d).days >= 2]  # a day between an easy and the long run
        if kind == "start":
            easy = long_m  # nothing to build on yet: a flat first week
        elif kind in ("hold", "goal") and previous_easy is not None:
            easy = previous_easy
        else:
            easy = EASY_SHARE * long_m
            if ctx.easy_cap is not None:
                easy = min(easy, ctx.easy_cap)
        easy = min(floor_distance(easy, unit), long_m)
        if previous_total > 0:
            room = previous_total * (1 + WEEKLY_JUMP) - long_m
            while days and (room <= 0 or floor_distance(room / len(days), unit) < 0.5 * easy):
                days = days[1:]  # drop the earliest easy run rather than make them all tiny
            if days:
                easy = min(easy, floor_distance(room / len(days), unit))
        # Every run, in day order, within the spike rule of the 30 days before it (the week's own
        # earlier runs included: with nothing else in the window they are the reference).
        runs: list[PlannedRun] = []
        wanted = [(d, easy, "easy") for d in days if easy > 0] + [(long_day, long_m, "long")]
        for day, metres, what in wanted:
            window = [m for d, m in planned if 0 < (day - d).days <= SPIKE_WINDOW_DAYS]
            window += [r.distance_m for r in runs if (day - r.day).days > 0]
            if window:
                metres = min(metres, floor_distance(max(window) * (1 + SPIKE_LIMIT), unit))
            runs.append(PlannedRun(day, metres, what))
        long_m = runs[-1].distance_m
        on_days = [r.day.weekday() for r in runs]
        sessions = [
            s for s in _sessions(start, on_days, ctx.sessions) if s.day <= long_day or not ctx.goal_date
        ]
        weeks.append(Week(index + 1, start, runs, sessions, kind))
        planned += [(r.day, r.distance_m) for r in runs]
        previous_total = sum(r.distance_m for r in runs)
        previous_easy = easy
        if reaches is None and long_m >= ctx.goal_m - 1e-6:
            reaches = long_day
        index += 1
        if extend and reaches is None and index == len(exponents):
            exponents.append(exponents[-1] + 1)
            kinds.append("step")
    return weeks, reaches


@dataclass(frozen=True)
class _Choice:
    shape: _Shape
    fastest: _Shape
    on_time: bool | None  # None without a (usable) goal date
    earliest: date


def _choose(ctx: _Context, first: int, first_kind: WeekKind, goal_date: date | None) -> _Choice:
    """How fast to grow. The earliest date comes from the fastest schedule the rules allow (10% a
    week, no holds); with a goal date that allows it, the growth is spread to reach the goal in its
    last week, with a consolidation week in every four as far as the spare weeks go."""
    k_fast = _steps(ctx.base, ctx.goal_m, SPIKE_LIMIT)
    weeks_fast = 1 + max(0, k_fast - first)
    fastest = _shape(first, weeks_fast, 0, SPIKE_LIMIT, k_fast, first_kind)
    _, earliest_day = _weeks(ctx, fastest, extend=True)
    earliest = earliest_day or ctx.long_run_day(ctx.first_monday + timedelta(weeks=weeks_fast - 1))
    if goal_date is None or goal_date < ctx.first_monday:
        holds = 0
        if goal_date is None:  # time allows a consolidation week in every four
            while (weeks_fast + holds - 1) // HOLD_EVERY > holds:
                holds += 1
        shape = _shape(first, weeks_fast + holds, holds, SPIKE_LIMIT, k_fast, first_kind)
        return _Choice(shape, fastest, None, earliest)
    if earliest > goal_date:
        return _Choice(fastest, fastest, False, earliest)
    available = (goal_date - ctx.first_monday).days // 7 + 1
    slack = max(0, available - weeks_fast)
    holds = min(slack, (available - 1) // HOLD_EVERY)
    step_weeks = first + available - 1 - holds
    growth = SPIKE_LIMIT
    if step_weeks > 0 and ctx.base < ctx.goal_m:
        growth = math.expm1(math.log(ctx.goal_m / ctx.base) / step_weeks)
    growth = min(max(growth, MIN_GROWTH), SPIKE_LIMIT)
    reach = _steps(ctx.base, ctx.goal_m, growth)
    weeks = available
    if growth <= MIN_GROWTH + 1e-9:  # time to spare: stop one week after reaching the goal
        weeks = min(available, 2 + max(0, reach - first) + holds)
    return _Choice(_shape(first, weeks, holds, growth, reach, first_kind), fastest, True, earliest)


def build_schedule(
    recent: Sequence[RecentRun],
    goal_m: float,
    today: date,
    *,
    goal_date: date | None = None,
    pain_free_median_m: float | None = None,
    runs_per_week: int = 3,
    sessions: Sequence[SessionSpec] = (),
    unit: str = "km",
) -> Schedule:
    """The schedule from next Monday toward ``goal_m`` (see the module docstring for the rules)."""

    def fmt(metres: float) -> str:
        return format_distance(metres, unit)

    runs_per_week = min(max(runs_per_week, 2), 5)
    run_days = RUN_DAYS[runs_per_week]
    first_monday = today + timedelta(days=7 - today.weekday())
    first_long_day = first_monday + timedelta(days=run_days[-1])
    history = [r for r in recent if r.day <= today]
    window = [r.distance_m for r in history if 0 < (first_long_day - r.day).days <= SPIKE_WINDOW_DAYS]
    reference = max(window, default=None)
    median = pain_free_median_m if pain_free_median_m and pain_free_median_m > 0 else None

    met = already_reached(history, goal_m)
    if met is not None or (median is not None and median >= goal_m):
        if met is not None:
            message = (
                f"You already run {fmt(goal_m)} pain-free in {met[0]} of your last {met[1]} runs with a "
                "pain report: the goal is met. Set a longer goal for a progression."
            )
        else:
            message = (
                f"Your median pain-free distance ({fmt(median or 0.0)}) is already beyond the goal of "
                f"{fmt(goal_m)}: the goal is met. Set a longer goal for a progression."
            )
        return Schedule(
            [], reference, goal_m, None, [], "goal_met", goal_date, median, message=message, unit=unit
        )

    notes: list[str] = []
    if reference is None:
        base = min(median or DEFAULT_START_M, DEFAULT_START_M, goal_m)
        base_from = "no run in the past 30 days: a short start"
        notes.append(
            f"No runs in the past 30 days: the first week stays at {fmt(floor_distance(base, unit))} "
            "before the long run grows."
        )
    else:
        base = min(m for m in (median, reference, goal_m) if m is not None)
        base_from = (
            "your median pain-free distance"
            if median is not None and median <= reference
            else "your longest run of the past 30 days"
        )
    # Back-off from the last two weeks' pain reports.
    first_kind: WeekKind = "start" if reference is None else "step"
    first = 0 if reference is None else 1
    painful = painful_weeks(history, today)
    if painful == 1:
        first, first_kind = 0, "hold"
        notes.append(
            f"Last week was painful (pain at {BACK_OFF_SEVERITY}/10 or more, or a run you had to stop): "
            "the first week repeats instead of stepping up."
        )
    elif painful == 2:
        first, first_kind = -1, "back"
        notes.append(
            "The last two weeks were painful: the schedule steps back one week before building again."
        )

    ctx = _Context(
        today,
        history,
        first_monday,
        run_days,
        base,
        goal_m,
        goal_date if goal_date is not None and goal_date >= first_monday else None,
        EASY_UNDER_MEDIAN * median if median is not None else None,
        unit,
        sessions,
    )
    choice = _choose(ctx, first, first_kind, goal_date)
    shape, on_time, earliest = choice.shape, choice.on_time, choice.earliest
    weeks, reaches = _weeks(ctx, shape, extend=not on_time)
    if on_time and (reaches is None or (goal_date is not None and reaches > goal_date)):
        # The limits held a week back after all: the fastest schedule, and the date it reaches.
        on_time, shape = False, choice.fastest
        weeks, reaches = _weeks(ctx, shape, extend=True)
        earliest = reaches or earliest
    if goal_date is not None and goal_date < today:
        notes.append(
            f"The goal date {goal_date.isoformat()} has passed: set a new one. The schedule shows the "
            f"earliest date instead ({earliest.isoformat()})."
        )
    elif goal_date is not None and goal_date < first_monday:
        notes.append(
            f"The goal date {goal_date.isoformat()} comes before the schedule can start "
            f"({first_monday.isoformat()}): the earliest date is {earliest.isoformat()}."
        )
    elif on_time is False and goal_date is not None:
        notes.append(
            f"{fmt(goal_m)} by {goal_date.isoformat()} is sooner than the spike rule allows from "
            f"{fmt(base)}: the earliest date is {earliest.isoformat()}. The schedule keeps to the rule "
            "rather than the date."
        )
    if reaches is None and weeks:
        notes.append(
            f"The goal is more than {MAX_WEEKS} weeks away at this rate; the schedule shows the first "
            f"{len(weeks)} weeks."
        )
    if on_time and reaches is not None and goal_date is not None and reaches < weeks[-1].runs[-1].day:
        notes.append(
            f"There is time to spare: the long run reaches the goal on {reaches.isoformat()}; keep it "
            f"there until {goal_date.isoformat()}."
        )

    holds_used = any(k == "hold" for k in shape.kinds[1:])
    rules = [
        f"Start: from {fmt(base)} ({base_from}); the long run steps up from there and the easy runs stay "
        + (f"under your median pain-free distance ({fmt(median)})." if median is not None else "shorter."),
        "No run more than 10% longer than your longest run of the previous 30 days.",
        f"The long run grows about {shape.growth:.0%} a week (at most 10%)"
        + (", with every fourth week held to consolidate." if holds_used else "."),
        "Weekly distance rises at most 30% on the week before.",
        f"After a painful week (a run with pain at {BACK_OFF_SEVERITY}/10 or more, or one you had to "
        "stop), repeat that week instead of stepping up; after two painful weeks in a row, go back a "
        "week. The plan does this itself from your pain reports.",
    ]
    if reaches is not None and (on_time or goal_date is None):
        message = f"Reaches {fmt(goal_m)} on {reaches.isoformat()}" + (
            f", by the goal date {goal_date.isoformat()}." if goal_date is not None else "."
        )
    elif goal_date is not None:
        message = (
            f"Cannot reach {fmt(goal_m)} by {goal_date.isoformat()} within the spike rule; the earliest date "
            f"is {earliest.isoformat()}."
        )
    else:
        message = f"The goal of {fmt(goal_m)} is more than {MAX_WEEKS} weeks away at 10% a week."
    return Schedule(
        weeks,
        reference,
        goal_m,
        reaches,
        notes,
        "progress",
        goal_date,
        base,
        earliest,
        on_time,
        shape.growth,
        rules,
        message,
        unit,
    )
