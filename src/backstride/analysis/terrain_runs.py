"""The terrain model on one runner's reported runs, with onsets known only to a lap imputed from the
terrain model itself (see :func:`terrain_of_runs`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from backstride.analysis.imputation import N_IMPUTATIONS, impute_onsets
from backstride.analysis.terrain import (
    DEFAULT_TERMS,
    TerrainResult,
    analyze_terrain,
    segment_runs,
    term_values,
)

#: Rounds of model-based imputation after the first model (each refits the terrain model on the
#: previous round's completed data sets; a data-augmentation scheme).
MODEL_ROUNDS = 2


def _model_draws(
    segs: pd.DataFrame,
    low: np.ndarray,
    high: np.ndarray,
    model: dict[str, Any],
    rng: np.random.Generator,
) -> np.ndarray:
    """One onset per run inside ``[low, high]`` from the fitted piecewise-exponential model, given the
    runs' segments as if pain-free (``segs``): the segment by its chance of holding the first onset in
    the interval, the point inside it from the truncated exponential. The coefficients are drawn from
    their approximate posterior (proper imputation)."""
    n_runs = low.size
    coef = rng.multivariate_normal(model["coef"], model["cov"])
    edges = np.asarray(model["edges"], float)
    by_name = {t.name: t for t in DEFAULT_TERMS}
    run = segs["run"].to_numpy()
    a = np.maximum(segs["start_m"].to_numpy(float), low[run])
    b = np.minimum(segs["end_m"].to_numpy(float), high[run])
    length = np.maximum(b - a, 0.0)
    mid = (segs["start_m"] + segs["end_m"]).to_numpy(float) / 2
    eta = coef[np.searchsorted(edges, mid, side="right")]
    for i, name in enumerate(model["terms"]):
        eta = eta + coef[edges.size + 1 + i] * np.nan_to_num(term_values(segs, by_name[name]))
    rate = np.exp(np.minimum(eta, 5.0))
    step = rate * length
    cum = np.cumsum(step)
    first = np.searchsorted(run, np.arange(n_runs), side="left")
    last = np.searchsorted(run, np.arange(n_runs), side="right")
    start_cum = np.concatenate(([0.0], cum))
    before = cum - step - start_cum[first[run]]
    weight = np.exp(-before) * -np.expm1(-step)
    # the segment: inverse CDF of the weights within each run (one uniform per run)
    wcum = np.cumsum(weight)
    wstart = np.concatenate(([0.0], wcum))
    total = wstart[last] - wstart[first]
    u = wstart[first] + rng.random(n_runs) * total
    j = np.clip(np.searchsorted(wcum, u, side="right"), first, np.maximum(last - 1, first))
    lam = rate[np.minimum(j, rate.size - 1)] if rate.size else np.ones(n_runs)
    span = length[np.minimum(j, length.size - 1)] if length.size else np.zeros(n_runs)
    inside = -np.log1p(-rng.random(n_runs) * -np.expm1(-lam * span)) / lam
    drawn = (a[np.minimum(j, a.size - 1)] if a.size else low) + np.minimum(inside, span)
    uniform = low + rng.random(n_runs) * (high - low)
    return np.where((last > first) & (total > 0), drawn, uniform)


def terrain_of_runs(
    runs: pd.DataFrame,
    streams: Mapping[int, Mapping[str, np.ndarray]],
    imputations: int = N_IMPUTATIONS,
    seed: int = 0,
) -> TerrainResult | None:
    """The terrain model on the reported runs that have a distance stream (``runs``: the analysis
    frame with ``activity_id``).

    Onsets known only to an interval are imputed from the terrain model itself, so that an onset in a
    lap is more likely placed on the ground where onsets are more likely (draws from the Turnbull
    curve alone know nothing of terrain and would pull a terrain effect towards none): a first model
    from the runs whose onset is known (or, when they are too few, from completed data sets drawn
    from the Turnbull curve), then :data:`MODEL_ROUNDS` rounds that each refit it on the previous
    round's completed data sets.
    The runs with a known onset or none are segmented once."""
    from backstride.analysis.survival import survival_columns

    ids = runs["activity_id"].astype(int).to_numpy()
    has = np.array(["distance" in streams.get(int(i), {}) for i in ids], dtype=bool)
    if not has.any():
        return None
    chosen = runs[has]
    left, right = survival_columns(chosen)
    imputed = impute_onsets(left, right, imputations, seed)
    ids = ids[has]
    fixed = ~imputed.interval
    onset = np.where(np.isfinite(right), left, np.nan)

    def onsets(values: np.ndarray) -> list[float | None]:
        return [None if math.isnan(v) else float(v) for v in values]

    base = segment_runs([streams[int(i)] for i in ids[fixed]], onsets(onset[fixed]))
    if imputed.m == 1:
        return analyze_terrain(base, terms=DEFAULT_TERMS)
    moving = [streams[int(i)] for i in ids[~fixed]]
    k = len(moving)
    offset = int(fixed.sum())

    def completed(draws: list[np.ndarray]) -> list[pd.DataFrame]:
        """All completed data sets' moving runs segmented in one call, then split per data set."""
        drawn = segment_runs(moving * len(draws), onsets(np.concatenate(draws)))
        which = drawn["run"].to_numpy() // k
        drawn["run"] = drawn["run"] % k + offset
        return [pd.concat([base, drawn[which == m]], ignore_index=True) for m in range(len(draws))]

    # a first model: from the runs whose onset is known (or that were pain-free) when they allow one,
    # else from completed data sets drawn from the Turnbull curve
    result = analyze_terrain(base)
    if result.model is None:
        result = analyze_terrain(completed([exits[~fixed] for exits in imputed.exits]))
    rng = np.random.default_rng(seed + 1)
    low, high = left[~fixed], right[~fixed]
    whole = segment_runs(moving, [None] * k)
    for _ in range(MODEL_ROUNDS):
        if result.model is None:
            return result
        model = result.model
        result = analyze_terrain(
            completed([_model_draws(whole, low, high, model, rng) for _ in range(imputed.m)])
        )
    result.notes.insert(
        0,
        f"{int(imputed.interval.sum())} onsets known only to a lap are placed by {imputed.m} draws "
        "from the terrain model fitted on your runs, not dropped",
    )
    return result
