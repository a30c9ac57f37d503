"""Runs as counting-process rows for the Cox models: factors that change inside a run, and the
completed data sets of :mod:`backstride.analysis.imputation`.

Most factors are fixed for a whole run (a max-effort day in the previous 48 h). One is not: whether
the runner is *past* a distance that depends on the run's history, such as 110% of the longest run of
the previous 30 days. Coding that from the run's final length would use information from after the
onset (a run is cut short because it hurts, so painful runs look short and "long runs delay the
pain"). Here such a factor is 0 up to the threshold and 1 beyond it: a run that goes past it is two
rows, ``(0, threshold]`` with the factor off and ``(threshold, exit]`` with it on, and only the
second can hold the onset. A run with no threshold (no run in the previous 30 days: a lay-off) is
not "no spike" but missing; it keeps the factor at 0 and gets an indicator of its own
(``<name>_none``), so it neither counts as a safe run nor is thrown away.

:func:`fit_imputed` fits one model on every completed data set at once and pools the coefficients by
Rubin's rules and the proportional-hazards tests by the D2 rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from backstride.analysis.cox import CoxBatch, fit_cox_batch
from backstride.analysis.imputation import Imputed, Pooled, combine_chi2, rubin

FloatArray = NDArray[np.float64]


@dataclass
class Column:
    """One covariate of a model: ``values`` per run, or, when ``threshold`` is set, a 0/1 factor that
    switches on past ``threshold`` metres inside the run (``values`` is then ignored)."""

    name: str
    values: FloatArray | None = None
    threshold: FloatArray | None = None


@dataclass
class Design:
    """Row arrays for :func:`backstride.analysis.cox.fit_cox_batch`, one model per completed data set."""

    stop: FloatArray
    entry: FloatArray
    event: FloatArray
    x: FloatArray
    keep: NDArray[np.bool_]
    names: list[str]


def build_design(imputed: Imputed, columns: list[Column], runs: NDArray[np.bool_]) -> Design:
    """Rows of the runs selected by ``runs`` (bool mask) for the given columns (at most one with a
    threshold), in every completed data set."""
    exits = imputed.exits[:, runs]
    events = imputed.events[runs]
    m, n = exits.shape
    fixed = [c for c in columns if c.threshold is None]
    moving = [c for c in columns if c.threshold is not None]
    if len(moving) > 1:
        raise ValueError("at most one factor may change inside a run")
    base = np.column_stack([np.asarray(c.values, float)[runs] for c in fixed]) if fixed else np.empty((n, 0))
    names = [c.name for c in fixed] + [c.name for c in moving]
    if not moving:
        k = base.shape[1]
        return Design(
            stop=exits,
            entry=np.full((m, n), np.nan),
            event=np.repeat(events[None, :].astype(float), m, axis=0),
            x=np.repeat(base[None, :, :], m, axis=0).reshape(m, n, k),
            keep=np.ones((m, n), bool),
            names=names,
        )
    threshold = np.asarray(moving[0].threshold, float)[runs]
    split = np.isfinite(threshold)[None, :] & (threshold[None, :] < exits) & (threshold[None, :] > 0)
    extra = int(split.sum(axis=1).max())
    width = n + extra
    k = base.shape[1] + 1
    stop = np.zeros((m, width))
    entry = np.full((m, width), np.nan)
    event = np.zeros((m, width))
    x = np.zeros((m, width, k))
    keep = np.zeros((m, width), bool)
    thr = np.broadcast_to(threshold, (m, n))
    stop[:, :n] = np.where(split, thr, exits)
    event[:, :n] = np.where(split, 0.0, events[None, :].astype(float))
    x[:, :n, :-1] = base[None, :, :]
    keep[:, :n] = True
    for j in range(m):
        idx = np.nonzero(split[j])[0]
        cols = slice(n, n + idx.size)
        stop[j, cols] = exits[j, idx]
        entry[j, cols] = threshold[idx]
        event[j, cols] = events[idx]
        x[j, cols, :-1] = base[idx]
        x[j, cols, -1] = 1.0
        keep[j, cols] = True
    return Design(stop, entry, event, x, keep, names)


@dataclass
class PooledFit:
    """A model pooled over the completed data sets: per covariate, Rubin's estimate (log hazard ratio
    per unit), and the D2-pooled proportional-hazards p-value. ``error`` when any data set failed."""

    names: list[str]
    coef: list[Pooled]
    ph_p_value: FloatArray
    n_runs: int
    n_events: int
    error: str | None = None


def _stack(designs: list[Design]) -> Design:
    """Designs with the same covariates' count side by side on the model axis (rows padded)."""
    width = max(d.stop.shape[1] for d in designs)

    def pad(a: np.ndarray, fill: float | bool) -> np.ndarray:
        extra = width - a.shape[1]
        if extra == 0:
            return a
        shape = (a.shape[0], extra, *a.shape[2:])
        return np.concatenate((a, np.full(shape, fill, dtype=a.dtype)), axis=1)

    return Design(
        stop=np.concatenate([pad(d.stop, 0.0) for d in designs]),
        entry=np.concatenate([pad(d.entry, np.nan) for d in designs]),
        event=np.concatenate([pad(d.event, 0.0) for d in designs]),
        x=np.concatenate([pad(d.x, 0.0) for d in designs]),
        keep=np.concatenate([pad(d.keep, False) for d in designs]),
        names=designs[0].names,
    )


def fit_imputed(
    designs: list[Design], n_runs: list[int], n_events: list[int], penalty_per_event: float
) -> list[PooledFit]:
    """Fit every design on every completed data set (ridge ``penalty_per_event`` x onsets / rows, see
    :mod:`backstride.analysis.factors`) and pool each design's models. Designs with the same number
    of covariates are fitted in one batch."""
    out: list[PooledFit | None] = [None] * len(designs)
    by_k: dict[int, list[int]] = {}
    for i, d in enumerate(designs):
        by_k.setdefault(d.x.shape[2], []).append(i)
    for idx in by_k.values():
        stacked = _stack([designs[i] for i in idx])
        sizes = [designs[i].stop.shape[0] for i in idx]
        events = np.repeat([n_events[i] for i in idx], sizes)
        rows = stacked.keep.sum(axis=1)
        batch = fit_cox_batch(
            stacked.stop,
            stacked.event,
            stacked.x,
            entry=stacked.entry,
            keep=stacked.keep,
            penalizer=penalty_per_event * events / np.maximum(rows, 1),
        )
        offsets = np.concatenate(([0], np.cumsum(sizes)))
        for j, i in enumerate(idx):
            out[i] = _pool(
                batch, slice(int(offsets[j]), int(offsets[j + 1])), designs[i], n_runs[i], n_events[i]
            )
    return [p for p in out if p is not None]


def _pool(batch: CoxBatch, models: slice, design: Design, n_runs: int, n_events: int) -> PooledFit:
    names = design.names
    k = len(names)
    failed = next((e for e in batch.error[models] if e is not None), None)
    if failed is not None:
        return PooledFit(names, [], np.full(k, np.nan), n_runs, n_events, failed)
    coef = batch.coef[models]
    var = np.diagonal(batch.cov[models], axis1=1, axis2=2)
    ph_stat = batch.ph_statistic[models]
    complete_df = max(n_events - k, 1)  # small-sample t reference: onsets minus coefficients
    pooled = [rubin(coef[:, j], var[:, j], complete_df) for j in range(k)]
    ph = np.array([combine_chi2(ph_stat[:, j]) for j in range(k)])
    return PooledFit(names, pooled, ph, n_runs, n_events)


__all__ = ["Column", "Design", "PooledFit", "build_design", "fit_imputed"]
