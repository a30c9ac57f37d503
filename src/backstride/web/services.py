"""Queries the pages need that the library does not offer (yet): move them down when others need them.

- :func:`runs_page` (:func:`runs_rows` and :func:`runs_count`): one page of runs, newest first, with
  filters and each run's pain status in one query (``list_activities`` has no limit and no pain join).
- :func:`data_version` / :func:`version_and_runs`: what the cached overview and dashboard depend on,
  read in one query.
- :func:`pain_free_overview`: the pain-free distance over the last :data:`WINDOW_DAYS` days, the same
  for the window that ended :data:`COMPARE_DAYS` days ago, and the rolling trend, from
  :func:`backstride.analysis.survival.pain_free_distance` / :func:`backstride.analysis.trend.
  rolling_pain_free` on the confirmed reports of :func:`backstride.log.pain.pain_reports` (unconfirmed
  lap-button drafts stay out, as in the analysis; fewer than 10 runs give no numbers: the minimum-data
  rule). Cached per runner until their runs or reports change.
- :func:`red_flag_banner`: the open red flag of :mod:`backstride.plan.screens`, if any.
- :func:`pain_free_offers`: with ``lap_is_pain`` on, the runs of a page with no report and no lap
  press, to offer as "pain-free?" (one tap records a pain-free report).
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select

from backstride.store import log_schema as ls
from backstride.store.activities import activity_columns
from backstride.store.schema import activities, laps, shoes

logger = logging.getLogger(__name__)

WINDOW_DAYS = 56
COMPARE_DAYS = 28
TREND_STEP_DAYS = 7
PAIN_FILTERS = ("pain", "none", "unknown", "draft")
_CACHE_SIZE = 256


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


def pain_free_offers(conn: Connection, rows: list[dict[str, Any]]) -> frozenset[int]:
    """Ids of the runs in ``rows`` (``runs_rows``) without a report and without a manual lap press
    (the final lap never counts: stopping the watch closes it), in one query."""
    unknown = [int(r["id"]) for r in rows if r.get("pain_status") is None]
    if not unknown:
        return frozenset()
    found = conn.execute(
        select(laps.c.activity_id, laps.c.trigger)
        .where(laps.c.activity_id.in_(unknown))
        .order_by(laps.c.activity_id, laps.c.idx)
    ).all()
    triggers: dict[int, list[str]] = {}
    for row in found:
        triggers.setdefault(int(row.activity_id), []).append(str(row.trigger))
    pressed = {run for run, seq in triggers.items() if "manual" in seq[:-1]}
    return frozenset(run for run in unknown if run not in pressed)


def runs_page(
    conn: Connection, user_id: int, filters: RunFilter, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """:func:`runs_rows` and :func:`runs_count`: one page of runs and the total."""
    return runs_rows(conn, user_id, filters, limit, offset), runs_count(conn, user_id, filters)


def _version_query(user_id: int) -> Any:
    pr = ls.pain_reports
    running = func.coalesce(func.sum(case((activities.c.sport == "running", 1), else_=0)), 0)
    return select(
        func.count(),
        func.max(activities.c.id),
        func.sum(activities.c.distance_m),
        select(func.count()).where(pr.c.user_id == user_id).scalar_subquery(),
        select(func.max(pr.c.id)).where(pr.c.user_id == user_id).scalar_subquery(),
        running,
    ).where(activities.c.user_id == user_id)


def data_version(conn: Connection, user_id: int) -> tuple[Any, ...]:
    """Changes whenever a run or a pain report of the runner is added, replaced or removed, and when
    a re-import changes a run's distance (the sum of distances). One query."""
    return tuple(conn.execute(_version_query(user_id)).one())[:5]


def version_and_runs(conn: Connection, user_id: int) -> tuple[tuple[Any, ...], int]:
    """:func:`data_version` and the number of runs (sport running), in one query."""
    row = tuple(conn.execute(_version_query(user_id)).one())
    return row[:5], int(row[5])


def _window(frame: Any, end: datetime) -> dict[str, Any]:
    from backstride.analysis.survival import pain_free_distance

    start = end - timedelta(days=WINDOW_DAYS)
    chosen = frame[(frame["start"] >= start) & (frame["start"] < end)]
    result = pain_free_distance(chosen, n_boot=100, seed=0)
    low, high = result.ci_m
    return {
        "start": start,
        "end": end,
        "runs": result.runs,
        "events": result.events,
        "enough": result.enough,
        "beyond": result.beyond,
        "longest_m": result.longest_m,
        "median_m": result.median_m,
        "ci_low_m": low,
        "ci_high_m": high,
        "method": result.method,
    }


def _overview(conn: Connection, user_id: int, now: datetime) -> dict[str, Any]:
    from backstride.analysis.trend import rolling_pain_free
    from backstride.log.pain import pain_reports

    frame = pain_reports(conn, user_id).rename(columns={"start_utc": "start"})
    drafts = int((~frame["confirmed"].astype(bool)).sum()) if not frame.empty else 0
    frame = frame[frame["confirmed"].astype(bool)] if not frame.empty else frame
    if frame.empty:
        return {"status": "no data", "reason": "no pain reports yet: log pain (or none) after your runs"}
    current = _window(frame, now)
    before = _window(frame, now - timedelta(days=COMPARE_DAYS))
    trend = [
        {
            "end": w.end.replace(tzinfo=UTC),
            "runs": w.runs,
            "median_m": w.median_m,
            "beyond": w.beyond,
            "longest_m": w.longest_m,
        }
        for w in rolling_pain_free(frame, window_days=WINDOW_DAYS, step_days=TREND_STEP_DAYS)
    ]
    change = None
    if current["median_m"] is not None and before["median_m"] is not None:
        change = current["median_m"] - before["median_m"]
    return {
        "status": "ok",
        "reports": len(frame),
        "drafts": drafts,
        "now": current,
        "four_weeks_ago": before,
        "change_m": change,
        "trend": trend[-26:],
    }


def overview_key(user_id: int, version: tuple[Any, ...], now: datetime | None = None) -> tuple[Any, ...]:
    """What :func:`pain_free_overview` depends on: the runner, the day and their :func:`data_version`."""
    moment = now or datetime.now(UTC)
    return ("overview", user_id, moment.date(), version)


def pain_free_overview(
    engine: Engine,
    user_id: int,
    cache: dict[Any, Any],
    now: datetime | None = None,
    conn: Connection | None = None,
) -> dict[str, Any]:
    """Pain-free distance now vs 4 weeks ago and the trend (metres); ``status`` says if it could be
    computed (``ok`` or ``no data``). Medians are ``None`` when not reached.
    Read on ``conn`` when given, else on a connection of its own."""
    if conn is None:
        with engine.connect() as own:
            return pain_free_overview(engine, user_id, cache, now, own)
    moment = now or datetime.now(UTC)
    key = overview_key(user_id, data_version(conn, user_id), moment)
    store: OrderedDict[Any, Any] = cache.setdefault("lru", OrderedDict())
    found: dict[str, Any] | None = store.get(key)
    if found is not None:
        return found
    result = _overview(conn, user_id, moment.replace(hour=23, minute=59, second=59, microsecond=0))
    store[key] = result
    while len(store) > _CACHE_SIZE:
        try:
            store.popitem(last=False)
        except KeyError:  # another thread emptied it meanwhile
            break
    return result


def red_flag_banner(engine: Engine, user_id: int, conn: Connection | None = None) -> dict[str, str] | None:
    """``{"urgency", "text"}`` of the open red flag that matters most, or ``None`` (read on ``conn``
    when given, else on a connection of its own)."""
    from backstride.plan.screens import banner, open_flags

    if conn is not None:
        result = open_flags(conn, user_id)
    else:
        with engine.connect() as own:
            result = open_flags(own, user_id)
    text = banner(result)
    if result is None or not text:
        return None
    return {"urgency": str(result.urgency), "text": text}


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


#: The default target of "chance of running X pain-free", per display unit (as ``backstride analyze``).
DEFAULT_TARGETS = {"mi": 3 * 1609.344, "km": 5000.0}


@dataclass
class AnalysisView:
    """What the analysis page and ``GET /api/analysis`` show: the findings of
    :func:`backstride.analysis.findings.analyze_user` (``None`` with a ``reason`` when they could not
    be computed) and the dashboard's :func:`pain_free_overview`."""

    findings: Any | None
    overview: dict[str, Any]
    reason: str | None = None

    @property
    def status(self) -> str:
        if self.findings is None:
            return "not available"
        return "ok" if self.findings.enough_data else "not enough data"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "findings": None if self.findings is None else self.findings.to_dict(),
            "overview": self.overview,
        }


def analysis_view(
    engine: Engine, user_id: int, cache: dict[Any, Any], unit: str, target_m: float | None = None
) -> AnalysisView:
    """Findings are computed afresh on each call (they read every log table); the overview is cached."""
    from backstride.analysis.findings import analyze_user
    from backstride.errors import BackstrideError

    overview = pain_free_overview(engine, user_id, cache)
    target = DEFAULT_TARGETS.get(unit, DEFAULT_TARGETS["km"]) if target_m is None else target_m
    try:
        return AnalysisView(analyze_user(engine, user_id, target), overview)
    except BackstrideError as exc:
        logger.info("no findings for runner %s: %s", user_id, exc, exc_info=exc)
        return AnalysisView(None, overview, str(exc))
