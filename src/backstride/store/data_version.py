"""What a runner's cached pages and overviews depend on, read in one query: it changes whenever a run or
a pain report is added, replaced or removed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select

from backstride.store import log_schema as ls
from backstride.store.schema import activities


def _version_query() -> Any:
    """The query, built once (every page of the web app runs it): the runner is its ``user_id``
    parameter."""
    pr = ls.pain_reports
    user_id: Any = bindparam("user_id")
    running = func.coalesce(func.sum(case((activities.c.sport == "running", 1), else_=0)), 0)
    return select(
        func.count(),
        func.max(activities.c.id),
        func.sum(activities.c.distance_m),
        select(func.count()).where(pr.c.user_id == user_id).scalar_subquery(),
        select(func.max(pr.c.id)).where(pr.c.user_id == user_id).scalar_subquery(),
        running,
    ).where(activities.c.user_id == user_id)


_VERSION = _version_query()


def data_version(conn: Connection, user_id: int) -> tuple[Any, ...]:
    """Changes whenever a run or a pain report of the runner is added, replaced or removed, and when
    a re-import changes a run's distance (the sum of distances). One query."""
    return tuple(conn.execute(_VERSION, {"user_id": user_id}).one())[:5]


def version_and_runs(conn: Connection, user_id: int) -> tuple[tuple[Any, ...], int]:
    """:func:`data_version` and the number of runs (sport running), in one query."""
    row = tuple(conn.execute(_VERSION, {"user_id": user_id}).one())
    return row[:5], int(row[5])


def overview_key(user_id: int, version: tuple[Any, ...], now: datetime | None = None) -> tuple[Any, ...]:
    """What the pain-free overview (:mod:`backstride.analysis.overview`) and the dashboard depend on:
    the runner, the day and their :func:`data_version`."""
    moment = now or datetime.now(UTC)
    return ("overview", user_id, moment.date(), version)
