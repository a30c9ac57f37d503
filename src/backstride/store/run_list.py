"""One page of a runner's runs, newest first, filtered, each with its pain status, in one query.

:func:`runs_page` (:func:`runs_rows` and :func:`runs_count`) serves the web's runs list, dashboard and
``GET /api/runs``; :func:`backstride.store.activities.list_activities` has no limit and no pain join.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from backstride.store import log_schema as ls
from backstride.store.activities import activity_columns
from backstride.store.schema import activities, shoes

PAIN_FILTERS = ("pain", "none", "unknown", "draft")


@dataclass(frozen=True)
class RunFilter:
    """Filters of the runs list. Distances in metres; ``pain`` is one of :data:`PAIN_FILTERS`."""

    since: datetime | None = None
    until: datetime | None = None
    pain: str | None = None
    min_m: float | None = None
    max_m: float | None = None
    text: str | None = None


def _runs_where(user_id: int, filters: RunFilter) -> list[Any]:
    pr = ls.pain_reports
    where = [activities.c.user_id == user_id, activities.c.sport == "running"]
    if filters.since is not None:
        where.append(activities.c.start_utc >= filters.since)
    if filters.until is not None:
        where.append(activities.c.start_utc < filters.until)
    if filters.min_m is not None:
        where.append(activities.c.distance_m >= filters.min_m)
    if filters.max_m is not None:
        where.append(activities.c.distance_m <= filters.max_m)
    if filters.text:
        where.append(func.lower(func.coalesce(activities.c.name, "")).contains(filters.text.lower()))
    if filters.pain == "unknown":
        where.append(pr.c.id.is_(None))
    elif filters.pain == "draft":
        where.append(pr.c.confirmed.is_(False))
    elif filters.pain in ("pain", "none"):
        where.append(pr.c.status == filters.pain)
    return where


def _runs_source() -> Any:
    pr = ls.pain_reports
    return activities.outerjoin(shoes, activities.c.shoe_id == shoes.c.id).outerjoin(
        pr, pr.c.activity_id == activities.c.id
    )


def runs_count(conn: Connection, user_id: int, filters: RunFilter) -> int:
    """How many runs match ``filters``."""
    # Neither join can repeat a run (a run has one shoe and at most one report): without a pain
    # filter the count needs the activities table only.
    counted = _runs_source() if filters.pain is not None else activities
    where = _runs_where(user_id, filters)
    return int(conn.execute(select(func.count()).select_from(counted).where(*where)).scalar_one())


def runs_rows(
    conn: Connection, user_id: int, filters: RunFilter, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Runs newest first with ``pain_status``, ``onset_m``, ``severity``, ``confirmed``."""
    pr = ls.pain_reports
    newest_first = (activities.c.start_utc.desc(), activities.c.id.desc())
    columns = select(
        *activity_columns(),
        pr.c.status.label("pain_status"),
        pr.c.onset_m,
        pr.c.severity,
        pr.c.confirmed,
    )
    where = _runs_where(user_id, filters)
    if filters.pain is None:
        # The page's runs first, from the activities index alone, then their shoes and reports:
        # PostgreSQL otherwise joins every run of the runner before it keeps the newest few.
        page = select(activities.c.id).where(*where).order_by(*newest_first).limit(limit).offset(offset)
        chosen = page.subquery()
        statement = columns.select_from(_runs_source().join(chosen, chosen.c.id == activities.c.id)).order_by(
            *newest_first
        )
    else:
        statement = (
            columns.select_from(_runs_source())
            .where(*where)
            .order_by(*newest_first)
            .limit(limit)
            .offset(offset)
        )
    rows = conn.execute(statement)
    out = []
    for row in rows:
        item = dict(row._mapping)
        start = item["start_utc"]
        item["start_utc"] = start if start.tzinfo else start.replace(tzinfo=UTC)
        out.append(item)
    return out


def runs_page(
    conn: Connection, user_id: int, filters: RunFilter, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """:func:`runs_rows` and :func:`runs_count`: one page of runs and the total."""
    return runs_rows(conn, user_id, filters, limit, offset), runs_count(conn, user_id, filters)
