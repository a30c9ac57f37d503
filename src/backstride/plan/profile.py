"""What the plan engine reads: :class:`PlanInputs`, built from the store where possible.

Findings arrive as plain :class:`Finding` objects so the engine can be tested on constructed profiles
(:mod:`backstride.plan.from_analysis` makes them from the runner's analysis). Spikes and weekly jumps
are found directly from the runs (:func:`load_findings`).
Distances are metres; dates are calendar dates in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, select

from backstride.errors import ValidationError
from backstride.plan import screens as screen_store
from backstride.plan import selftests
from backstride.plan.history import RecentRun, load_recent_runs
from backstride.plan.knowledge import FINDING_KINDS, knowledge_base
from backstride.plan.redflags import ScreenResult
from backstride.plan.selftests import TestFlag
from backstride.store.plan_schema import plan_goals

Strength = Literal["strong", "moderate", "weak"]

#: The single-run spike rule: no run more than this fraction longer than the longest of the past 30 days.
SPIKE_LIMIT = 0.10
SPIKE_WINDOW_DAYS = 30
#: Weekly distance up more than this fraction on the previous week counts as a jump (Nielsen 2014).
WEEKLY_JUMP = 0.30
#: q-values (Benjamini-Hochberg) at or below these make a finding moderate or strong evidence.
FINDING_Q = 0.05
STRONG_Q = 0.01


@dataclass(frozen=True)
class Finding:
    """One analysis finding: ``kind`` from :data:`FINDING_KINDS`, how strongly the data show it, and a
    sentence (an association, with its uncertainty) that the plan quotes as the reason."""

    kind: str
    strength: Strength
    detail: str
    value: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FINDING_KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}; known: {', '.join(FINDING_KINDS)}")
        if self.strength not in ("strong", "moderate", "weak"):
            raise ValueError(f"finding strength must be strong, moderate or weak, not {self.strength!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "strength": self.strength, "detail": self.detail, "value": self.value}


@dataclass(frozen=True)
class PlanInputs:
    """Everything the engine needs. ``tried_routines`` are remedy ids the runner already does."""

    screen: ScreenResult | None
    self_test_flags: list[TestFlag] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    goal_distance_m: float | None = None
    goal_date: date | None = None
    tried_routines: frozenset[str] = frozenset()
    recent_runs: list[RecentRun] = field(default_factory=list)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    pain_free_median_m: float | None = None


def classify_strength(ci_low: float | None, ci_high: float | None, q_value: float | None) -> Strength:
    """How strongly the runner's own data show a finding, after the correction for testing many
    factors at once (``q_value``: Benjamini-Hochberg): strong when q <= 0.01 and the interval excludes
    1; moderate when q <= 0.05; weak otherwise. A raw interval that excludes 1 without surviving the
    correction is weak: with five or six factors tested, one such interval in four runners is chance."""
    excludes_one = ci_low is not None and ci_high is not None and (ci_low > 1.0 or ci_high < 1.0)
    if q_value is not None and q_value <= STRONG_Q and excludes_one:
        return "strong"
    if q_value is not None and q_value <= FINDING_Q:
        return "moderate"
    return "weak"


def load_findings(runs: Sequence[RecentRun], today: date) -> list[Finding]:
    """Spikes in the last 30 days and a weekly jump in the last complete week, from the runs alone."""
    out: list[Finding] = []
    ordered = sorted(runs, key=lambda r: r.day)
    for i, run in enumerate(ordered):
        if (today - run.day).days > SPIKE_WINDOW_DAYS:
            continue
        before = [r.distance_m for r in ordered[:i] if 0 < (run.day - r.day).days <= SPIKE_WINDOW_DAYS]
        if before and run.distance_m > max(before) * (1 + SPIKE_LIMIT):
            pct = run.distance_m / max(before) - 1
            out.append(
                Finding(
                    "spike",
                    "moderate",
                    f"the run on {run.day.isoformat()} was {pct:.0%} longer than your longest of the "
                    "30 days before it",
                    pct,
                )
            )
    last = sum(r.distance_m for r in ordered if 0 < (today - r.day).days <= 7)
    prev = sum(r.distance_m for r in ordered if 7 < (today - r.day).days <= 14)
    if prev > 0 and last > prev * (1 + WEEKLY_JUMP):
        out.append(
            Finding(
                "weekly_jump",
                "weak",
                f"last week's distance was {last / prev - 1:.0%} above the week before",
                last / prev - 1,
            )
        )
    return out


def remedies_for_routines(names: Iterable[str]) -> frozenset[str]:
    """Remedy ids whose ``routines`` list matches any routine name or category (case-insensitive)."""
    wanted = {n.strip().lower() for n in names}
    return frozenset(
        r.id for r in knowledge_base().remedies.remedies if wanted & {x.lower() for x in r.routines}
    )


def tried_routine_names(conn: Connection, user_id: int, since: date) -> list[str]:
    """Names and categories of routines logged since ``since``."""
    from backstride.store import log_schema as ls

    rows = conn.execute(
        select(ls.routines.c.name, ls.routines.c.category)
        .select_from(ls.routine_log.join(ls.routines, ls.routine_log.c.routine_id == ls.routines.c.id))
        .where(
            ls.routine_log.c.user_id == user_id,
            ls.routine_log.c.done_at >= datetime.combine(since, datetime.min.time()),
        )
        .distinct()
    )
    return [v for row in rows for v in (row.name, row.category)]


def get_goal(conn: Connection, user_id: int) -> tuple[float | None, date | None]:
    row = conn.execute(select(plan_goals).where(plan_goals.c.user_id == user_id)).first()
    return (None, None) if row is None else (float(row.distance_m), row.target_date)


def set_goal(
    conn: Connection, user_id: int, distance_m: float, target_date: date | None, today: date | None = None
) -> None:
    """Store the goal: run ``distance_m`` metres pain-free, optionally by ``target_date`` (not in the
    past: ``today`` defaults to the UTC date)."""
    if not distance_m > 0:
        raise ValidationError("the goal distance must be more than zero")
    day = today or datetime.now(UTC).date()
    if target_date is not None and target_date < day:
        raise ValidationError(f"the goal date {target_date.isoformat()} is in the past: give a later date")
    conn.execute(plan_goals.delete().where(plan_goals.c.user_id == user_id))
    conn.execute(
        plan_goals.insert().values(
            user_id=user_id, distance_m=distance_m, target_date=target_date, updated_at=datetime.now(UTC)
        )
    )


def recent_runs(conn: Connection, user_id: int, today: date, days: int = 60) -> list[RecentRun]:
    """Runs of the ``days`` days up to ``today`` with their confirmed pain reports
    (:func:`backstride.plan.history.load_recent_runs`)."""
    return load_recent_runs(conn, user_id, today, days)


def build_inputs(
    conn: Connection,
    user_id: int,
    *,
    findings: Iterable[Finding] = (),
    today: date | None = None,
    pain_free_median_m: float | None = None,
) -> PlanInputs:
    """Inputs from the store: open screen, latest self-test flags, goal, runs of the past 60 days,
    routines logged in the past 60 days; plus ``findings`` from the analysis and the load findings."""
    day = today or datetime.now(UTC).date()
    runs = recent_runs(conn, user_id, day)
    screen = screen_store.open_flags(conn, user_id) or screen_store.latest_screen(conn, user_id)
    goal_m, goal_day = get_goal(conn, user_id)
    given = list(findings)
    seen = {f.kind for f in given}
    extra = [f for f in load_findings(runs, day) if f.kind not in seen]
    return PlanInputs(
        screen=screen,
        self_test_flags=selftests.current_flags(conn, user_id),
        findings=given + extra,
        goal_distance_m=goal_m,
        goal_date=goal_day,
        tried_routines=remedies_for_routines(tried_routine_names(conn, user_id, day - timedelta(days=60))),
        recent_runs=runs,
        today=day,
        pain_free_median_m=pain_free_median_m,
    )
