"""The per-run feature table: one row per run, everything the analysis knows about it.

:func:`feature_table` builds it from the store for one user, vectorised with pandas and numpy (the
streams are read in one query and only the columns the analysis needs are decoded). Every column is
also described in ``docs/features.md``; units are SI unless the name says otherwise. NaN means "not
known", never zero.

Identity and time
    ``activity_id``; ``start_utc`` (tz-aware UTC); ``start_local`` (naive wall-clock: UTC plus the
    offset the device recorded, or UTC when it recorded none; lifting and routines are compared with
    this); ``date`` (local calendar day).
Run
    ``distance_m`` (m); ``duration_s`` (moving time, else elapsed, s); ``pace_s_per_km`` (s/km);
    ``elevation_gain_m``, ``elevation_loss_m`` (m); ``descent_share`` (fraction of the distance on
    50 m steps steeper than -3%); ``steepest_descent_200m`` (steepest descent over any 200 m, positive
    grade fraction); ``avg_hr``, ``max_hr`` (bpm); ``avg_cadence`` (steps/min);
    ``avg_vertical_oscillation_mm``, ``avg_stance_time_ms``, ``avg_step_length_mm``, ``avg_power_w``
    (running dynamics); ``has_streams`` (bool).
Shoe and context
    ``shoe`` (name or None); ``shoe_distance_m`` (the shoe's distance before this run, m, NaN without
    a shoe); ``surface`` (tag or None); ``loads`` (comma-separated footwear or load tags, "" when the
    context names none, None without context); ``headphones`` (0/1, NaN unknown); ``sleep_h`` (h).
Body
    ``weight_kg``: the body-weight entry nearest the run's day within :data:`WEIGHT_WINDOW_DAYS`.
Lifting (NaN for every run when no lifting was ever logged)
    ``back_tonnage_24h``, ``back_tonnage_48h``, ``back_tonnage_72h``: kg x reps of working sets of
    high back-loading exercises in sessions started in the 24/48/72 h before the run;
    ``lifting_tonnage_7d``: all working tonnage of the previous 7 days (kg); ``days_since_max_effort_lower``
    (days since the start of the last max-effort lower session, NaN when none before);
    ``me_lower_48h`` (0/1: such a session in the previous 48 h).
Routines (NaN for every run when no routine was ever logged)
    ``<category>_days_7d`` for stretch, core, glute, back_extensor, foam_roll, yoga_pilates, mobility and
    warm_up: days with that category among the 7 calendar days before the run's day (0-7);
    ``warmup_before`` (0/1: a warm-up linked to the run or logged up to 2 h before it).
Running load
    ``longest_30d_m``: the longest run of the 30 calendar days before (m; NaN after a lay-off: no run
    in those days); ``spike``: distance / ``longest_30d_m`` - 1 (NaN after a lay-off; describes the
    finished run, see :data:`MODEL_FACTORS` for the model's factor);
    ``weekly_distance_change``: distance of the 7 days before / the 7 days before those - 1 (NaN when
    the earlier week is empty); ``distance_7d_m``; ``days_since_prev_run`` (days); ``runs_28d`` (runs on
    the 28 days before the run's day); ``weeks`` (weeks since the first run's day).
Pain (from :func:`backstride.log.pain.pain_reports`)
    ``pain_status``: ``pain``, ``none`` (reported pain-free) or ``unknown`` (no report: kept apart,
    never counted as pain-free); ``onset_m`` (exact onset, m; NaN when only an interval is known);
    ``onset_low_m``/``onset_high_m`` (the interval the onset lies in; equal to ``onset_m`` when exact;
    the high end is capped at the run's distance); ``severity`` (0-10); ``pain_source``;
    ``pain_confirmed`` (a lap-button draft not yet confirmed is False: the headline pain-free distance
    leaves it out and shows it as a sensitivity line).

Model factors (:data:`MODEL_FACTORS`) are columns defined exactly as :mod:`backstride.simulate.runner`
defines its covariates, so a simulated runner's truth can be recovered after the trip through files.
The ``spike`` factor is "past 110% of the longest run of the previous 30 days" at each distance inside
the run (counting-process form, :mod:`backstride.analysis.counting`), never the run's final length.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from backstride.analysis.factors import Factor
from backstride.analysis.features_load import (
    lifting_columns,
    lifting_sessions,
    routine_columns,
    running_load,
)
from backstride.analysis.features_terrain import Streams, load_streams_bulk, terrain_columns
from backstride.log.body import body_weights
from backstride.log.lifting import session_sets
from backstride.log.pain import pain_reports
from backstride.log.routines import routine_log
from backstride.log.run_tags import run_context
from backstride.store.activities import SUMMARY_MEASURES, list_activities

#: A body-weight entry further than this from the run's day is not used (days).
WEIGHT_WINDOW_DAYS = 60
#: The single-run spike: more than this fraction past the longest run of the previous 30 days
#: (Frandsen, BJSM 2025; the plan's spike rule uses the same 10%).
SPIKE_MARGIN = 0.10

#: The factors of the Cox models (the simulator's covariates, with their meaning in plain words).
MODEL_FACTORS: tuple[Factor, ...] = (
    Factor(
        "me_lower_48h",
        "within 48 h of a max-effort lower-body session",
        "binary",
        1.0,
        "max-effort lower day",
    ),
    Factor(
        "glute_days_7d",
        "with each extra day of glute work in the previous 7 days",
        "continuous",
        1.0,
        "glute work",
    ),
    Factor(
        "spike",
        f"past {1 + SPIKE_MARGIN:.0%} of the longest run of the previous 30 days",
        "past",
        1.0,
        "single-run spike",
        column="longest_30d_m",
        margin=SPIKE_MARGIN,
    ),
    Factor("weeks", "with each 4 weeks of training", "continuous", 4.0, "weeks of training"),
    Factor("headphones", "with headphones", "binary", 1.0, "headphones"),
    Factor(
        "back_tonnage_48h",
        "with each extra 1,000 kg of back-loading lifting in the previous 48 h",
        "continuous",
        1000.0,
        "back-loading lifting in the previous 48 h",
        adjusted=False,  # it largely measures the max-effort days: offered on its own
    ),
)

#: Stored summary columns whose feature-table name adds the unit.
_SUMMARY = {
    "avg_vertical_oscillation": "avg_vertical_oscillation_mm",
    "avg_stance_time": "avg_stance_time_ms",
    "avg_step_length": "avg_step_length_mm",
    "avg_power": "avg_power_w",
}
#: The run's summary measurements (:data:`~backstride.store.activities.SUMMARY_MEASURES`) as numbers.
_NUMERIC = tuple(_SUMMARY.get(name, name) for name in SUMMARY_MEASURES)


def _runs_frame(conn: Connection, user_id: int) -> pd.DataFrame:
    rows = list_activities(conn, user_id, sport="running")
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.rename(columns={"id": "activity_id", **_SUMMARY})
    frame["start_utc"] = pd.to_datetime(frame["start_utc"], utc=True)
    offset = pd.to_timedelta(frame["utc_offset_s"].astype("float64").fillna(0.0), unit="s")
    frame["start_local"] = (frame["start_utc"] + offset).dt.tz_localize(None)
    frame["date"] = frame["start_local"].dt.date
    for col in _NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["duration_s"] = frame["moving_s"].where(frame["moving_s"] > 0, frame["elapsed_s"])
    frame["pace_s_per_km"] = frame["duration_s"] / (frame["distance_m"] / 1000.0)
    return frame.sort_values(["start_utc", "activity_id"]).reset_index(drop=True)


def _shoe_distance(frame: pd.DataFrame) -> pd.Series:
    dist = frame["distance_m"].fillna(0.0)
    before = dist.groupby(frame["shoe"].fillna("")).cumsum() - dist
    return before.where(frame["shoe"].notna())


def _weights(frame: pd.DataFrame, weights: pd.DataFrame) -> pd.Series:
    if weights.empty:
        return pd.Series(np.nan, index=frame.index)
    left = pd.DataFrame({"day": pd.to_datetime(frame["date"]), "order": frame.index}).sort_values("day")
    right = pd.DataFrame({"day": pd.to_datetime(weights["date"]), "weight_kg": weights["weight_kg"]})
    merged = pd.merge_asof(
        left,
        right.sort_values("day"),
        on="day",
        direction="nearest",
        tolerance=pd.Timedelta(days=WEIGHT_WINDOW_DAYS),
    )
    return merged.set_index("order")["weight_kg"].reindex(frame.index)


def _context(frame: pd.DataFrame, context: pd.DataFrame) -> pd.DataFrame:
    ctx = context.set_index("activity_id") if not context.empty else pd.DataFrame()
    ids = frame["activity_id"]
    out = pd.DataFrame(index=frame.index)
    if ctx.empty:
        out["surface"] = None
        out["loads"] = None
        out["headphones"] = np.nan
        out["sleep_h"] = np.nan
        return out
    joined = ctx.reindex(ids.to_numpy())
    out["surface"] = joined["surface"].to_numpy()
    out["loads"] = [",".join(v) if isinstance(v, list) else None for v in joined["loads"]]
    out["headphones"] = pd.to_numeric(
        joined["headphones"].map({True: 1.0, False: 0.0}), errors="coerce"
    ).to_numpy()
    out["sleep_h"] = joined["sleep_h"].to_numpy(float)
    return out


def _pain(frame: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    rep = reports.set_index("activity_id").reindex(frame["activity_id"].to_numpy())
    dist = frame["distance_m"].to_numpy(float)
    status = rep["status"].fillna("unknown").to_numpy(object)
    low = rep["onset_low_m"].to_numpy(float)
    high = np.minimum(rep["onset_high_m"].to_numpy(float), dist)
    onset = rep["onset_m"].to_numpy(float)
    exact = np.isfinite(onset) & (~np.isfinite(low) | ~np.isfinite(high) | (high - low <= 1e-6))
    is_pain = status == "pain"
    onset = np.where(is_pain & exact, np.minimum(onset, dist), np.nan)
    low = np.where(is_pain, np.where(exact, onset, low), np.nan)
    high = np.where(is_pain, np.where(exact, onset, high), np.nan)
    # a pain report with neither an onset nor bounds: somewhere in the run
    nothing = is_pain & ~np.isfinite(onset) & ~(np.isfinite(low) & np.isfinite(high))
    low = np.where(nothing, 0.0, low)
    high = np.where(nothing, dist, high)
    return pd.DataFrame(
        {
            "pain_status": status,
            "onset_m": onset,
            "onset_low_m": low,
            "onset_high_m": high,
            "severity": rep["severity"].astype("float64").to_numpy(),
            "pain_source": rep["source"].to_numpy(object),
            "pain_confirmed": rep["confirmed"].to_numpy(object),
        },
        index=frame.index,
    )


def feature_table(
    conn_or_engine: Connection | Engine, user_id: int, streams_out: dict[int, Streams] | None = None
) -> pd.DataFrame:
    """The feature table of ``user_id``'s runs, oldest first (columns: see the module docstring).

    ``streams_out``, when given, receives the decoded analysis streams by activity id (the terrain
    model reuses them instead of reading them twice).
    """
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return feature_table(conn, user_id, streams_out)
    conn = conn_or_engine
    frame = _runs_frame(conn, user_id)
    if frame.empty:
        return pd.DataFrame(columns=list(FEATURE_COLUMNS))
    streams = load_streams_bulk(conn, user_id)
    if streams_out is not None:
        streams_out.update(streams)
    ids = frame["activity_id"].to_numpy(np.int64)
    run_streams = [streams.get(int(i), {}) for i in ids]
    frame["has_streams"] = [bool(s) and "distance" in s for s in run_streams]
    terrain = terrain_columns(run_streams)
    load = running_load(frame["start_local"], frame["distance_m"].to_numpy(float))
    lifting = lifting_columns(frame["start_local"], lifting_sessions(session_sets(conn, user_id)))
    routines = routine_columns(frame["start_local"], ids, routine_log(conn, user_id))
    frame["shoe_distance_m"] = _shoe_distance(frame)
    frame["weight_kg"] = _weights(frame, body_weights(conn, user_id))
    parts = [frame, terrain, _context(frame, run_context(conn, user_id)), lifting, routines, load]
    parts.append(_pain(frame, pain_reports(conn, user_id)))
    table = pd.concat([p.reset_index(drop=True) for p in parts], axis=1)
    return table[list(FEATURE_COLUMNS)]


FEATURE_COLUMNS: tuple[str, ...] = (
    "activity_id",
    "start_utc",
    "start_local",
    "date",
    "distance_m",
    "duration_s",
    "pace_s_per_km",
    "elevation_gain_m",
    "elevation_loss_m",
    "descent_share",
    "steepest_descent_200m",
    "avg_hr",
    "max_hr",
    "avg_cadence",
    "avg_vertical_oscillation_mm",
    "avg_stance_time_ms",
    "avg_step_length_mm",
    "avg_power_w",
    "has_streams",
    "shoe",
    "shoe_distance_m",
    "surface",
    "loads",
    "headphones",
    "sleep_h",
    "weight_kg",
    "back_tonnage_24h",
    "back_tonnage_48h",
    "back_tonnage_72h",
    "lifting_tonnage_7d",
    "days_since_max_effort_lower",
    "me_lower_48h",
    "stretch_days_7d",
    "core_days_7d",
    "glute_days_7d",
    "back_extensor_days_7d",
    "foam_roll_days_7d",
    "yoga_pilates_days_7d",
    "mobility_days_7d",
    "warm_up_days_7d",
    "warmup_before",
    "spike",
    "longest_30d_m",
    "weekly_distance_change",
    "distance_7d_m",
    "days_since_prev_run",
    "runs_28d",
    "weeks",
    "pain_status",
    "onset_m",
    "onset_low_m",
    "onset_high_m",
    "severity",
    "pain_source",
    "pain_confirmed",
)


def reported_runs(table: pd.DataFrame, drafts: bool = False) -> pd.DataFrame:
    """The runs with a pain report (pain or none): what the survival analysis may use, in the frame
    shape :mod:`backstride.analysis.survival` expects (``start`` = the local start). A lap-button draft
    not yet confirmed is left out unless ``drafts`` (the headline counts confirmed reports only)."""
    keep = table["pain_status"] != "unknown"
    if not drafts:
        keep &= table["pain_confirmed"].astype(object) != False  # noqa: E712
    runs = table[keep].copy()
    runs = runs[runs["distance_m"].notna() & (runs["distance_m"] > 0)]
    runs["start"] = runs["start_local"]
    return runs.reset_index(drop=True)
