"""Runs with known pain onsets, saved through the store and the log's API."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from backstride.importers.model import Activity
from backstride.log.pain import record_pain
from backstride.store.activities import save_activity
from backstride.store.schema import LOCAL_USER_ID


def save_run(engine: Engine, day: date, distance_m: float, tag: str = "r") -> int:
    start = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
    activity = Activity(
        source="fit",
        sport="running",
        start=start,
        distance_m=distance_m,
        elapsed_s=distance_m / 3.0,
        moving_s=distance_m / 3.0,
        file_hashes=[f"{tag}-{day.isoformat()}-{distance_m:.3f}"],
        file_names=[f"{tag}.fit"],
    )
    with engine.begin() as conn:
        return save_activity(conn, activity, LOCAL_USER_ID).activity_id


def run_with_onset(
    engine: Engine, day: date, distance_m: float, onset_m: float | None, severity: int = 4
) -> int:
    """A run and its pain report: pain at ``onset_m`` if it falls inside the run, else pain-free."""
    activity_id = save_run(engine, day, distance_m)
    with engine.begin() as conn:
        if onset_m is not None and onset_m < distance_m:
            record_pain(conn, LOCAL_USER_ID, activity_id, onset=f"{onset_m:.0f}m", severity=severity)
        else:
            record_pain(conn, LOCAL_USER_ID, activity_id, status="none")
    return activity_id


def history(engine: Engine, rng: np.random.Generator, first: date, runs: int, sigma: float = 0.3) -> None:
    """Past runs every other day: onset log-normal around 5 km, runs around 8 km."""
    for i in range(runs):
        dist = 8000.0 * math.exp(0.2 * rng.normal())
        run_with_onset(engine, first + timedelta(days=2 * i), dist, 5000.0 * math.exp(sigma * rng.normal()))


def follow_schedule(
    engine: Engine,
    rng: np.random.Generator,
    schedule: list[dict[str, str]],
    ratio: float,
    run_days: tuple[int, ...] = (0, 2, 4, 5, 6),
    sigma: float = 0.3,
) -> None:
    """Runs on ``run_days`` of every period; the onset is ``ratio`` times longer in B periods."""
    for period in schedule:
        start = date.fromisoformat(period["start"])
        factor = ratio if period["condition"] == "B" else 1.0
        for k in run_days:
            dist = 8000.0 * math.exp(0.2 * rng.normal())
            onset = 5000.0 * factor * math.exp(sigma * rng.normal())
            run_with_onset(engine, start + timedelta(days=k), dist, onset)
