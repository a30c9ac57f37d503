"""Runners of the field generator (:mod:`backstride.simulate.field`) written into a store: runs with
their laps (auto laps, a manual press where the runner pressed lap), the lap-button hook, and each
report as the runner logged it."""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from backstride.importers.model import Activity, Lap
from backstride.log.pain import confirm_pain, onset_from_first_lap_hook, record_pain
from backstride.store.activities import save_activity
from backstride.store.prefs import set_pref

SPEED = 3.0  # m/s


def field_activity(row: pd.Series, lap_m: float) -> Activity:
    """One run at a steady pace, 1 Hz, auto laps every ``lap_m`` and a manual lap at ``lap_press_m``."""
    total = float(row["distance_m"])
    t = np.arange(0.0, total / SPEED + 1.0)
    d = np.minimum(t * SPEED, total)
    cuts = [(float(m), "distance") for m in np.arange(lap_m, total, lap_m)]
    press = float(row["lap_press_m"])
    if np.isfinite(press) and 0 < press < total:
        cuts.append((press, "manual"))
    cuts.sort()
    laps, start = [], 0.0
    for metres, trigger in cuts:
        laps.append(Lap(start / SPEED, metres / SPEED, start, metres, trigger))
        start = metres
    laps.append(Lap(start / SPEED, total / SPEED, start, total, "session_end"))
    when = pd.Timestamp(row["start"]).to_pydatetime().replace(tzinfo=UTC)
    return Activity(
        source="fit",
        sport="running",
        start=when,
        distance_m=total,
        moving_s=total / SPEED,
        elapsed_s=total / SPEED,
        streams={"t": t, "distance": d},
        laps=laps,
        file_hashes=[f"field-{row['runner']}-{row['day']}"],
        file_names=["field.fit"],
    )


def save_field_runner(engine: Engine, runs: pd.DataFrame, lap_m: float, user_id: int = 1) -> dict[int, int]:
    """Save one runner's runs (``lap_is_pain`` on, drafts from the hook) and log the reports of
    column ``report``; returns run row index -> activity id."""
    with engine.begin() as conn:
        set_pref(conn, user_id, "lap_is_pain", "true")
    ids: dict[int, int] = {}
    for i, row in runs.iterrows():
        activity = field_activity(row, lap_m)
        with engine.begin() as conn:  # the run and its lap-button draft in one transaction, as an import
            aid = save_activity(conn, activity, user_id).activity_id
            onset_from_first_lap_hook(conn, aid, activity)
        ids[int(i)] = aid
        kind = row["report"]
        with engine.begin() as conn:
            if kind == "none":
                record_pain(conn, user_id, aid, status="none")
            elif kind == "lap":
                confirm_pain(conn, user_id, aid)
            elif kind == "typed":
                record_pain(conn, user_id, aid, onset=f"{row['onset_m']:.1f}m", severity=4)
            elif kind == "interval":
                low, high = row["onset_low_m"], row["onset_high_m"]
                record_pain(conn, user_id, aid, onset=f"between {low:.1f}m and {high:.1f}m", severity=4)
            elif kind == "unknown_onset":
                record_pain(conn, user_id, aid, onset="unknown", severity=4)
    return ids
