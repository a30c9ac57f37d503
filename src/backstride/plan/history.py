"""The runner's recent runs as the plan reads them: distance, and what the pain report says.

A run's pain report is confirmed ``pain`` or ``none``, or missing (``pain is None``: unknown, not
pain-free; unconfirmed lap-button drafts count as missing). Distances are metres; days are calendar
days in UTC.

Two questions the schedule asks of them:

- :func:`reached_pain_free`: in how many of the last runs with a report did the runner cover a distance
  pain-free (a pain-free run at least that long, or an onset at or beyond it)?
- :func:`painful_weeks`: were the last one or two weeks painful by the back-off rule (a run with pain
  above 5/10, or one the runner had to stop)?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, select

#: A run with peak pain at or above this (0-10), or one the runner had to stop, makes a painful week.
BACK_OFF_SEVERITY = 6
#: Runs with a report looked at for "you already reach it pain-free".
LAST_RUNS = 10
#: A distance covered pain-free in at least this share of those runs counts as already reached.
REACHED_SHARE = 0.5
#: Fewest reported runs for that judgement.
MIN_REPORTED = 3


@dataclass(frozen=True)
class RecentRun:
    """One run: ``pain`` True (pain reported), False (pain-free) or None (no confirmed report)."""

    day: date
    distance_m: float
    pain: bool | None = None
    onset_m: float | None = None  # the exact onset, or the lower bound when known only to an interval
    severity: int | None = None
    stopped: bool = False

    @property
    def hard(self) -> bool:
        """Painful by the back-off rule: pain at or above :data:`BACK_OFF_SEVERITY`, or stopped by it."""
        if not self.pain:
            return False
        return self.stopped or (self.severity is not None and self.severity >= BACK_OFF_SEVERITY)

    def pain_free_to(self, metres: float) -> bool | None:
        """Whether the run covered ``metres`` without pain (None: no report)."""
        if self.pain is None:
            return None
        covered = self.onset_m if self.pain else self.distance_m
        return covered is not None and covered >= metres - 0.5


def load_recent_runs(conn: Connection, user_id: int, today: date, days: int = 60) -> list[RecentRun]:
    """Runs of the ``days`` days up to ``today``, oldest first, with their confirmed pain reports."""
    from backstride.store import log_schema as ls
    from backstride.store.schema import activities

    since = datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    pr = ls.pain_reports
    rows = conn.execute(
        select(
            activities.c.start_utc,
            activities.c.distance_m,
            pr.c.id.label("report_id"),
            pr.c.status,
            pr.c.onset_m,
            pr.c.onset_low_m,
            pr.c.severity,
            pr.c.confirmed,
        )
        .select_from(activities.outerjoin(pr, pr.c.activity_id == activities.c.id))
        .where(
            activities.c.user_id == user_id,
            activities.c.sport == "running",
            activities.c.start_utc >= since,
            activities.c.start_utc < until,
        )
        .order_by(activities.c.start_utc, activities.c.id)
    ).all()
    report_ids = [r.report_id for r in rows if r.report_id is not None and r.confirmed]
    stopped: set[int] = set()
    if report_ids:
        found = conn.execute(
            select(ls.pain_stages.c.report_id).where(
                ls.pain_stages.c.report_id.in_(report_ids), ls.pain_stages.c.stage == "stopped"
            )
        )
        stopped = {int(i) for (i,) in found}
    out: list[RecentRun] = []
    for r in rows:
        if not r.distance_m:
            continue
        start = r.start_utc if r.start_utc.tzinfo else r.start_utc.replace(tzinfo=UTC)
        reported = r.report_id is not None and bool(r.confirmed)
        pain = None if not reported else r.status == "pain"
        onset = r.onset_m if r.onset_m is not None else r.onset_low_m
        out.append(
            RecentRun(
                start.astimezone(UTC).date(),
                float(r.distance_m),
                pain,
                None if onset is None or not pain else float(onset),
                None if not reported or r.severity is None else int(r.severity),
                bool(pain) and int(r.report_id) in stopped,
            )
        )
    return out


def reached_pain_free(runs: Sequence[RecentRun], metres: float, last: int = LAST_RUNS) -> tuple[int, int]:
    """(runs that covered ``metres`` pain-free, runs with a report) among the last ``last`` reported."""
    reported = [r for r in sorted(runs, key=lambda r: r.day) if r.pain is not None][-last:]
    return sum(1 for r in reported if r.pain_free_to(metres)), len(reported)


def already_reached(runs: Sequence[RecentRun], metres: float) -> tuple[int, int] | None:
    """``(k, n)`` when the runner already covers ``metres`` pain-free in at least half of their last
    reported runs (with at least :data:`MIN_REPORTED` of them), else ``None``."""
    k, n = reached_pain_free(runs, metres)
    if n >= MIN_REPORTED and k >= REACHED_SHARE * n:
        return k, n
    return None


def painful_weeks(runs: Sequence[RecentRun], today: date) -> int:
    """How many of the last two 7-day blocks before and including ``today`` were painful in a row
    (0, 1 or 2), counting from the most recent."""
    count = 0
    for block in range(2):
        end = today - timedelta(days=7 * block)
        inside = [r for r in runs if 0 <= (end - r.day).days < 7]
        if not any(r.hard for r in inside):
            break
        count += 1
    return count
