"""Queries for experiments: their rows, adherence days, and the runs and check-ins they analyse.

Every query is scoped by ``user_id``. Local days of runs are their UTC start shifted by the run's
``utc_offset_s`` (UTC when the file gave no offset).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, delete, insert, select, update

from backstride.errors import NotFoundError, ValidationError
from backstride.experiments.design import Period, build_schedule
from backstride.store.experiments_schema import experiment_days, experiments
from backstride.store.schema import activities

STATUSES = ("running", "stopped")


@dataclass(frozen=True)
class Experiment:
    """One stored experiment; :attr:`schedule` rebuilds its periods."""

    id: int
    user_id: int
    title: str
    remedy: str
    outcome: str
    start_date: date
    pairs: int
    period_days: int
    washout_days: int
    seed: int
    sequence: str
    status: str
    created_at: datetime

    @property
    def schedule(self) -> list[Period]:
        return build_schedule(self.start_date, self.sequence, self.period_days, self.washout_days)

    @property
    def end_date(self) -> date:
        """Last day of the last period."""
        return self.start_date + timedelta(days=self.pairs * 2 * self.period_days - 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "remedy": self.remedy,
            "outcome": self.outcome,
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
            "pairs": self.pairs,
            "period_days": self.period_days,
            "washout_days": self.washout_days,
            "seed": self.seed,
            "sequence": self.sequence,
            "status": self.status,
            "schedule": [p.to_dict() for p in self.schedule],
        }


def insert_experiment(
    conn: Connection,
    user_id: int,
    *,
    title: str,
    remedy: str,
    outcome: str,
    start_date: date,
    pairs: int,
    period_days: int,
    washout_days: int,
    seed: int,
    sequence: str,
) -> int:
    """Store a new experiment (status ``running``); returns its id."""
    result = conn.execute(
        insert(experiments).values(
            user_id=user_id,
            title=title,
            remedy=remedy,
            outcome=outcome,
            start_date=start_date,
            pairs=pairs,
            period_days=period_days,
            washout_days=washout_days,
            seed=seed,
            sequence=sequence,
            status="running",
            created_at=datetime.now(UTC),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _row(r: Any) -> Experiment:
    return Experiment(**{name: getattr(r, name) for name in Experiment.__dataclass_fields__})


def get_experiment(conn: Connection, user_id: int, experiment_id: int) -> Experiment:
    row = conn.execute(
        select(experiments).where(experiments.c.user_id == user_id, experiments.c.id == experiment_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no experiment with id {experiment_id}")
    return _row(row)


def list_experiments(conn: Connection, user_id: int) -> list[Experiment]:
    rows = conn.execute(
        select(experiments)
        .where(experiments.c.user_id == user_id)
        .order_by(experiments.c.start_date, experiments.c.id)
    ).all()
    return [_row(r) for r in rows]


def set_status(conn: Connection, user_id: int, experiment_id: int, status: str) -> None:
    if status not in STATUSES:
        raise ValidationError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    get_experiment(conn, user_id, experiment_id)
    conn.execute(
        update(experiments)
        .where(experiments.c.user_id == user_id, experiments.c.id == experiment_id)
        .values(status=status)
    )


def set_day(
    conn: Connection, user_id: int, experiment_id: int, day: date, followed: bool, notes: str | None = None
) -> None:
    """Record whether ``day`` followed its assigned condition (replacing an earlier entry)."""
    conn.execute(
        delete(experiment_days).where(
            experiment_days.c.experiment_id == experiment_id, experiment_days.c.day == day
        )
    )
    conn.execute(
        insert(experiment_days).values(
            experiment_id=experiment_id, user_id=user_id, day=day, followed=followed, notes=notes
        )
    )


def logged_days(conn: Connection, user_id: int, experiment_id: int) -> dict[date, bool]:
    """Days the runner logged, with whether each followed its condition (unlogged days followed it)."""
    rows = conn.execute(
        select(experiment_days.c.day, experiment_days.c.followed).where(
            experiment_days.c.user_id == user_id, experiment_days.c.experiment_id == experiment_id
        )
    ).all()
    return {r.day: bool(r.followed) for r in rows}


def runs_between(conn: Connection, user_id: int, first: date, last: date) -> pd.DataFrame:
    """Runs whose local day lies in [first, last], with their pain report where there is one.

    Columns: ``activity_id``, ``day`` (local date), ``distance_m``, ``status`` (``pain``, ``none`` or
    None for no report), ``onset_m``, ``onset_low_m``, ``onset_high_m`` (metres), ``severity`` (0-10).
    """
    from backstride.log.pain import pain_reports  # the log package owns pain reports

    lo = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=1)
    hi = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=2)
    rows = conn.execute(
        select(activities.c.id, activities.c.start_utc, activities.c.utc_offset_s, activities.c.distance_m)
        .where(
            and_(
                activities.c.user_id == user_id,
                activities.c.sport == "running",
                activities.c.start_utc >= lo,
                activities.c.start_utc < hi,
            )
        )
        .order_by(activities.c.start_utc, activities.c.id)
    ).all()
    records = []
    for r in rows:
        start = r.start_utc if r.start_utc.tzinfo else r.start_utc.replace(tzinfo=UTC)
        day = (start + timedelta(seconds=r.utc_offset_s or 0)).date()
        if first <= day <= last:
            records.append({"activity_id": int(r.id), "day": day, "distance_m": r.distance_m})
    frame = pd.DataFrame.from_records(records, columns=["activity_id", "day", "distance_m"])
    pain = pain_reports(conn, user_id)[
        ["activity_id", "status", "onset_m", "onset_low_m", "onset_high_m", "severity"]
    ]
    out = frame.merge(pain, on="activity_id", how="left")
    out["status"] = out["status"].astype(object).where(out["status"].notna(), None)
    for column in ("distance_m", "onset_m", "onset_low_m", "onset_high_m", "severity"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out


def checkins_between(conn: Connection, user_id: int, first: date, last: date) -> pd.DataFrame:
    """Weekly check-ins taken on a (UTC) day in [first, last]: ``day`` and ``peg_score`` (0-10)."""
    from backstride.log.checkin import checkins

    frame = checkins(conn, user_id)
    if frame.empty:
        return pd.DataFrame({"day": [], "peg_score": []})
    days = pd.to_datetime(frame["taken_at"], utc=True).dt.date
    keep = (days >= first) & (days <= last)
    return pd.DataFrame(
        {"day": days[keep].to_list(), "peg_score": frame.loc[keep, "peg_score"].astype(float)}
    )


__all__ = [
    "Experiment",
    "checkins_between",
    "get_experiment",
    "insert_experiment",
    "list_experiments",
    "logged_days",
    "runs_between",
    "set_day",
    "set_status",
]
