"""The pooled report: pain-free distance by profile group, remedies across runners, runners like you.

:func:`pool_report` returns the JSON of ``backstride pool report --json`` (stable names)::

    {"runners": N,
     "groups": [{"field": "sex", "value": "female", "runners": n, "runs": m,
                 "median_m": ..., "median_ci_m": [lo, hi], "pain_free_at_m": {...}, "bin_m": 250,
                 "ci_method": "runner jackknife",
                 "runner_weighted": {"median_m": ..., "median_ci_m": [...], "pain_free_at_m": {...}},
                 "suppressed": false}
                or {"field": ..., "value": ..., "runners": n, "suppressed": true}, ...],
     "remedies": [{"remedy": ..., "runners": n, "experiments": m, "units": "runners",
                   "effect": ratio, "effect_ci": [...], "ci_method": "HKSJ", "tau": ...,
                   "tau_ci": [...], "prediction_new_runner": [...], "scale": ..., "suppressed": false}
                  or {"remedy": ..., "runners": n, "suppressed": true}, ...]}

A group's ``median_ci_m`` and ``pain_free_at_m`` intervals come from the runners (leave-one-runner-out
jackknife, :func:`backstride.pool.lifetable.pooled_life_table`); ``runner_weighted`` is the same
curve with every runner counted once. A remedy's ``runners`` are the units of its meta-analysis (a
runner's finished experiments combined), ``experiments`` the finished experiments behind them.
No pooled figure comes from fewer than :data:`~backstride.pool.lifetable.MIN_RUNNERS` runners.
The section "Runners like you" of a runner's own report is :mod:`backstride.report.runners_like_you`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backstride.pool.lifetable import MIN_RUNNERS, LifeTable, pooled_life_table
from backstride.pool.meta import meta_analyses, remedy_entries
from backstride.pool.queries import (
    PoolTables,
    current_profiles,
    open_pool,
    runner_cells,
    runner_counts,
)
from backstride.pool.schema import PROFILE_FIELDS
from backstride.pool.store import Pool

#: Distance bins of the life tables (metres) and the last (open) bin: 250 m up to 50 km.
BIN_M = 250
MAX_BIN = 200


def _runner_profiles(t: PoolTables, bin_m: int, max_bin: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts per runner and bin (sorted by runner, then bin, so both backends give the same
    numbers) and each runner's profile bands, in runner order."""
    cells = t.execute(runner_cells(t, bin_m, max_bin)).sort_values(["bundle", "bin"], kind="stable")
    profiles = t.execute(current_profiles(t)).set_index("bundle")
    ids = np.unique(cells["bundle"].to_numpy(np.int64))
    return cells.reset_index(drop=True), profiles.reindex(ids)


def _curve(table: LifeTable) -> dict[str, Any]:
    out = table.to_dict()
    return {k: out[k] for k in ("median_m", "median_ci_m", "pain_free_at_m")}


def _groups(
    cells: pd.DataFrame, profiles: pd.DataFrame, field: str, bin_m: int, max_bin: int
) -> list[dict[str, Any]]:
    """The life tables of every value of ``field`` (``all``: one group)."""
    bundle = cells["bundle"].to_numpy(np.int64)
    runner = np.cumsum(np.concatenate(([0], bundle[1:] != bundle[:-1]))) if bundle.size else bundle
    bins = cells["bin"].to_numpy(np.int64)
    events = cells["events"].to_numpy(float)
    exits = cells["exits"].to_numpy(float)
    values = np.full(len(profiles), "all", dtype=object) if field == "all" else profiles[field].to_numpy()
    codes, labels = pd.factorize(values, sort=True)
    row_codes = codes[runner]
    runs_of = np.bincount(runner, weights=exits, minlength=len(profiles)) if bundle.size else exits
    out = []
    for k, value in enumerate(labels):
        n_runners = int(np.sum(codes == k))
        entry: dict[str, Any] = {"field": field, "value": value, "runners": n_runners}
        if n_runners < MIN_RUNNERS:
            out.append({**entry, "suppressed": True})
            continue
        rows = row_codes == k
        args = (bundle[rows], bins[rows], events[rows], exits[rows], bin_m, max_bin + 1)
        by_runs = pooled_life_table(*args)
        by_runners = pooled_life_table(*args, weighting="runners")
        out.append(
            {
                **entry,
                "runs": int(runs_of[codes == k].sum()),
                **by_runs.to_dict(),
                "ci_method": by_runs.interval,
                "runner_weighted": _curve(by_runners),
                "suppressed": False,
            }
        )
    return out


def pool_report(
    t: PoolTables,
    fields: tuple[str, ...] = ("all", *PROFILE_FIELDS),
    bin_m: int = BIN_M,
    max_bin: int = MAX_BIN,
) -> dict[str, Any]:
    """The pooled figures (see the module docstring) of the bound pool ``t``."""
    cells, profiles = _runner_profiles(t, bin_m, max_bin)
    groups: list[dict[str, Any]] = []
    for f in fields:
        groups.extend(_groups(cells, profiles, f, bin_m, max_bin))
    runners = next((g["runners"] for g in groups if g["field"] == "all"), None)
    if runners is None:
        runners = int(t.execute(runner_counts(t, ["lifts"]))["runners"].sum())
    return {"runners": int(runners), "groups": groups, "remedies": remedy_entries(meta_analyses(t))}


def report_for(pool_dir: str | Path, backend: str = "duckdb", spark: Any = None) -> dict[str, Any]:
    """:func:`pool_report` of the pool folder (an empty pool reports no runners)."""
    if Pool(pool_dir).is_empty():
        return {"runners": 0, "groups": [], "remedies": []}
    return pool_report(open_pool(pool_dir, backend, spark))


__all__ = ["BIN_M", "MAX_BIN", "pool_report", "report_for"]
