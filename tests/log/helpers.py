"""Runs built in memory and saved through the store, for the log tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from backstride.importers.model import Activity, Lap
from backstride.store.activities import save_activity
from backstride.store.schema import LOCAL_USER_ID

START = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)


def make_run(
    start: datetime = START,
    *,
    distance_m: float = 8000.0,
    speed: float = 3.2,
    laps: list[tuple[float, str]] | None = None,
    with_streams: bool = True,
    shoe: str | None = None,
    tag: str = "run",
) -> Activity:
    """A steady run at ``speed`` m/s; ``laps`` = (end distance in metres, trigger) for each lap."""
    duration = distance_m / speed
    t = np.arange(0.0, duration + 1.0, 1.0)
    d = np.minimum(t * speed, distance_m)
    lap_list: list[Lap] = []
    start_m = 0.0
    for end_m, trigger in laps or []:
        lap_list.append(Lap(start_m / speed, end_m / speed, start_m, end_m, trigger))
        start_m = end_m
    return Activity(
        source="fit",
        sport="running",
        start=start,
        distance_m=distance_m,
        elapsed_s=duration,
        moving_s=duration,
        streams={"t": t, "distance": d} if with_streams else {},
        laps=lap_list,
        file_hashes=[f"{tag}-{start.isoformat()}-{distance_m}"],
        file_names=[f"{tag}.fit"],
        shoe=shoe,
    )


def save_run(engine: Engine, activity: Activity, user_id: int = LOCAL_USER_ID) -> int:
    with engine.begin() as conn:
        return save_activity(conn, activity, user_id).activity_id


def runs_on_days(engine: Engine, days: int, **kwargs: object) -> list[int]:
    return [
        save_run(engine, make_run(START + timedelta(days=i), tag=f"d{i}", **kwargs))  # type: ignore[arg-type]
        for i in range(days)
    ]
