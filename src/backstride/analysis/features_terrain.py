"""Streams in bulk, and the terrain columns of the feature table computed from them.

:func:`load_streams_bulk` reads every stored stream of a user in one query and decodes only the
columns asked for (the codec stores each column as one contiguous block, so a column is a slice of the
decompressed blob). :func:`terrain_columns` works on all runs at once: each run's altitude is sampled
on a grid of :data:`STEP_M` (50 m) along its distance axis (one concatenated array for all runs,
``np.interp`` on a key that keeps runs apart), and every grade is a difference on that grid.

Columns (one row per run; NaN when the run has no usable distance and altitude):

* ``descent_share``: fraction of the run's distance on 50 m steps whose grade is below
  :data:`DESCENT_GRADE` (-3%);
* ``steepest_descent_200m``: the steepest descent over any 200 m of the run, as a positive grade
  (fraction: 0.05 = 5% down over 200 m); NaN for runs shorter than 200 m.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import Connection, select

from backstride.store.codec import CODEC
from backstride.store.schema import activities, streams

FloatArray = NDArray[np.float64]
Streams = dict[str, FloatArray]

STEP_M = 50.0
DESCENT_GRADE = -0.03
SUSTAINED_M = 200.0
#: The stream columns the analysis needs (terrain features and the in-run terrain model's terms).
ANALYSIS_COLUMNS = ("distance", "altitude", "cadence")
#: The analysis keeps every n-th sample (plus the last): about 8-10 m apart at running pace on 1 Hz
#: recordings, far finer than the 50 m grade steps and 100 m terrain segments built from them.
DECIMATE = 3
_FLOAT64 = {"t", "distance", "lat", "lon"}
_BIG = 1.0e7  # metres between runs on the concatenated axis (no run is 10,000 km)


def decode_columns(codec: int, header: str, data: bytes, wanted: Sequence[str], every: int = 1) -> Streams:
    """Decode only ``wanted`` columns of one stored stream blob (see :mod:`backstride.store.codec`),
    keeping every ``every``-th sample and the last. Columns are stored one after another, so only the
    prefix of the blob up to the last wanted column is decompressed."""
    if codec != CODEC:
        raise ValueError(f"unknown stream codec {codec}")
    meta = json.loads(header)
    n = int(meta["n"])
    spans = []
    offset = 0
    for name in meta["columns"]:
        dtype = np.dtype("<f8" if name in _FLOAT64 else "<f4")
        spans.append((name, dtype, offset))
        offset += n * dtype.itemsize
    needed = max((o + n * d.itemsize for name, d, o in spans if name in wanted), default=0)
    raw = zlib.decompressobj().decompress(data, needed) if needed else b""
    keep = np.unique(np.append(np.arange(0, n, every), n - 1)) if n else np.empty(0, np.intp)
    out: Streams = {}
    for name, dtype, start in spans:
        if name in wanted:
            out[name] = np.frombuffer(raw, dtype=dtype, count=n, offset=start)[keep].astype(np.float64)
    return out


def load_streams_bulk(
    conn: Connection, user_id: int, wanted: Sequence[str] = ANALYSIS_COLUMNS, every: int = DECIMATE
) -> dict[int, Streams]:
    """Every stored stream of ``user_id``'s runs, by activity id (only the ``wanted`` columns, every
    ``every``-th sample and the last)."""
    rows = conn.execute(
        select(streams.c.activity_id, streams.c.codec, streams.c.columns, streams.c.data)
        .join(activities, activities.c.id == streams.c.activity_id)
        .where(activities.c.user_id == user_id, activities.c.sport == "running")
    )
    return {int(r[0]): decode_columns(int(r[1]), str(r[2]), bytes(r[3]), wanted, every) for r in rows}


def _concat(runs: Sequence[Mapping[str, Any]], name: str) -> tuple[FloatArray, NDArray[np.intp]]:
    parts = [np.asarray(s.get(name, np.full(len(s.get("distance", ())), np.nan)), float) for s in runs]
    lens = np.array([p.size for p in parts], dtype=np.intp)
    values = np.concatenate(parts) if parts else np.empty(0)
    return values, np.repeat(np.arange(len(runs)), lens)


def terrain_columns(runs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``descent_share`` and ``steepest_descent_200m`` for each run's streams (see module doc)."""
    n_runs = len(runs)
    out = pd.DataFrame(
        {"descent_share": np.full(n_runs, np.nan), "steepest_descent_200m": np.full(n_runs, np.nan)}
    )
    if n_runs == 0:
        return out
    dist, run = _concat(runs, "distance")
    alt, _ = _concat(runs, "altitude")
    ok = np.isfinite(dist) & np.isfinite(alt)
    dist, alt, run = dist[ok], alt[ok], run[ok]
    if dist.size == 0:
        return out
    key = np.maximum.accumulate(dist + run * _BIG)  # monotone within each run, runs far apart
    d = key - run * _BIG
    first_idx = np.searchsorted(run, np.arange(n_runs), side="left")
    last_idx = np.searchsorted(run, np.arange(n_runs), side="right") - 1
    has = last_idx > first_idx
    start = np.where(has, d[np.minimum(first_idx, d.size - 1)], 0.0)
    end = np.where(has, d[np.maximum(last_idx, 0)], 0.0)
    n_steps = np.where(has, np.floor((end - start) / STEP_M).astype(np.intp), 0)
    n_steps = np.maximum(n_steps, 0)
    grid_run = np.repeat(np.arange(n_runs), n_steps + np.where(n_steps > 0, 1, 0))
    offsets = np.concatenate(([0], np.cumsum(n_steps + np.where(n_steps > 0, 1, 0))[:-1]))
    k = np.arange(grid_run.size) - offsets[grid_run]
    grid_key = start[grid_run] + k * STEP_M + grid_run * _BIG
    grid_alt = np.interp(grid_key, key, alt)
    # steps: consecutive grid points of the same run
    same = grid_run[1:] == grid_run[:-1]
    drop = (grid_alt[1:] - grid_alt[:-1])[same] / STEP_M
    step_run = grid_run[1:][same]
    down = np.bincount(step_run, weights=(drop < DESCENT_GRADE).astype(float), minlength=n_runs)
    total = np.bincount(step_run, minlength=n_runs).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["descent_share"] = np.where(total > 0, down / np.maximum(total, 1), np.nan)
    lag = round(SUSTAINED_M / STEP_M)
    if grid_run.size > lag:
        same_lag = grid_run[lag:] == grid_run[:-lag]
        fall = ((grid_alt[:-lag] - grid_alt[lag:]) / SUSTAINED_M)[same_lag]
        fall_run = grid_run[lag:][same_lag]
        steepest = np.full(n_runs, -np.inf)
        np.maximum.at(steepest, fall_run, fall)
        out["steepest_descent_200m"] = np.where(np.isfinite(steepest), np.maximum(steepest, 0.0), np.nan)
    return out
