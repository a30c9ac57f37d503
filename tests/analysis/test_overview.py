"""The pain-free overview (now vs four weeks ago, and the trend), and its cache keyed by the runner's data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from backstride.analysis.overview import COMPARE_DAYS, WINDOW_DAYS, cached_overview, pain_free_overview
from backstride.log.pain import record_pain
from backstride.lru import LRU
from tests.log.helpers import START, runs_on_days


def test_overview_windows_and_a_cache_that_follows_the_data(engine: Engine) -> None:
    ids = runs_on_days(engine, 30)
    with engine.begin() as conn:
        for i, run in enumerate(ids[:-1]):
            if i % 3 == 0:
                record_pain(conn, 1, run, onset="2km", severity=4)
            else:
                record_pain(conn, 1, run, status="none")
    now = START + timedelta(days=40)
    cache: LRU[dict[str, object]] = LRU()
    with engine.connect() as conn:
        first = cached_overview(conn, 1, cache, now)
        again = cached_overview(conn, 1, cache, now)
        fresh = pain_free_overview(conn, 1, now.replace(hour=23, minute=59, second=59, microsecond=0))
    assert again is first and first == fresh
    assert first["status"] == "ok" and first["reports"] == 29 and first["drafts"] == 0
    current, before = first["now"], first["four_weeks_ago"]
    assert isinstance(current, dict) and isinstance(before, dict)
    assert current["end"] - current["start"] == timedelta(days=WINDOW_DAYS)
    assert current["end"] - before["end"] == timedelta(days=COMPARE_DAYS)
    assert current["runs"] == 29 and before["runs"] == 13  # the runs of days 0-12 (its end: day 12, 23:59)
    with engine.begin() as conn:
        record_pain(conn, 1, ids[-1], status="none")
    with engine.connect() as conn:
        changed = cached_overview(conn, 1, cache, now)
    assert changed is not first and changed["reports"] == 30


def test_no_reports_no_numbers(engine: Engine) -> None:
    runs_on_days(engine, 3)
    with engine.connect() as conn:
        overview = cached_overview(conn, 1, LRU(), START + timedelta(days=3))
    assert overview["status"] == "no data"
