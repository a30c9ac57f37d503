"""The pain-free overview: the pain-free distance over the last :data:`WINDOW_DAYS` days, the same for
the window that ended :data:`COMPARE_DAYS` days ago, and the rolling trend.

From :func:`backstride.analysis.survival.pain_free_distance` / :func:`backstride.analysis.trend.
rolling_pain_free` on the confirmed reports of :func:`backstride.log.pain.pain_reports` (unconfirmed
lap-button drafts stay out, as in the analysis; fewer than 10 runs give no numbers: the minimum-data
rule). :func:`cached_overview` keeps it per runner until their runs or reports change
(:func:`backstride.store.data_version.data_version`) or the day does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from backstride.analysis.survival import pain_free_distance
from backstride.analysis.trend import rolling_pain_free
from backstride.log.pain import pain_reports
from backstride.lru import LRU
from backstride.store.data_version import data_version, overview_key

WINDOW_DAYS = 56
COMPARE_DAYS = 28
TREND_STEP_DAYS = 7


def _window(frame: Any, end: datetime) -> dict[str, Any]:
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


def pain_free_overview(conn: Connection, user_id: int, now: datetime) -> dict[str, Any]:
    """Pain-free distance in the window that ends at ``now`` vs the one that ended :data:`COMPARE_DAYS`
    days before, and the trend (metres); ``status`` says if it could be computed (``ok``, ``no
    data``). Medians are ``None`` when not reached."""
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


def cached_overview(
    conn: Connection, user_id: int, cache: LRU[dict[str, Any]], now: datetime | None = None
) -> dict[str, Any]:
    """:func:`pain_free_overview` of the runner's day, kept in ``cache`` while their data is unchanged."""
    moment = now or datetime.now(UTC)
    key = overview_key(user_id, data_version(conn, user_id), moment)
    end_of_day = moment.replace(hour=23, minute=59, second=59, microsecond=0)
    return cache.get_or_make(key, lambda: pain_free_overview(conn, user_id, end_of_day))
