"""The minimum-data rules of the factor analysis: when a factor's link with the onset may be estimated.

See :mod:`backstride.analysis.factors` for what they guard. A binary factor needs runs and onsets
both with and without it; a continuous one enough distinct values; a ``past`` factor (one that
switches on inside the run) enough running beyond its distance, judged on exposure and never on the
onsets seen there (a rule that counted them would pick the runners in whom, by chance, many onsets
fell past it, and find an effect where there is none).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

MIN_EVENTS = 10
MIN_RUNS_PER_LEVEL = 5
MIN_EVENTS_PER_LEVEL = 3
MIN_DISTINCT = 5


class Factor(Protocol):
    """What the rules read of a :class:`backstride.analysis.factors.Factor`."""

    @property
    def kind(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def label(self) -> str: ...


def data_check(values: np.ndarray, events: np.ndarray, factor: Factor) -> tuple[bool, str, int | None]:
    """The minimum-data rule. Returns (ok, message, about how many more runs are needed)."""
    n, d = values.size, int(events.sum())
    rate = max(d / n, 0.05) if n else 0.5
    if d < MIN_EVENTS:
        more = math.ceil((MIN_EVENTS - d) / rate)
        return False, f"not enough runs yet: {d} onsets so far, about {more} more runs needed", more
    if factor.kind == "binary":
        with_it = values > 0.5
        needs = []
        for mask in (with_it, ~with_it):
            runs_l, ev_l = int(mask.sum()), int(events[mask].sum())
            rate_l = max(ev_l / runs_l, 0.05) if runs_l else rate
            needs.append(
                max(MIN_RUNS_PER_LEVEL - runs_l, math.ceil((MIN_EVENTS_PER_LEVEL - ev_l) / rate_l), 0)
            )
        if any(needs):
            return (
                False,
                f"not enough runs yet: about {needs[0]} more with and {needs[1]} more without {factor.title}",
                sum(needs),
            )
        return True, "", None
    if np.unique(values).size < MIN_DISTINCT:
        return False, f"not enough variation in {factor.title} yet", None
    return True, "", None


def _nelson_aalen(exits: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event distances and the Nelson-Aalen cumulative hazard at each (all runs, no factor)."""
    order = np.argsort(exits, kind="stable")
    t, e = exits[order], events[order].astype(float)
    at_risk = t.size - np.arange(t.size)
    times, first = np.unique(t, return_index=True)
    died = np.add.reduceat(e, first) if t.size else np.zeros(0)
    return times, np.cumsum(died / at_risk[first])


def past_check(
    threshold: np.ndarray, exits: np.ndarray, events: np.ndarray, factor: Factor
) -> tuple[bool, str, int | None]:
    """The minimum-data rule of a ``past`` factor, on exposure rather than on outcomes: at least
    ``MIN_RUNS_PER_LEVEL`` runs reached its distance still pain-free, and the running they did beyond
    it would show at least ``MIN_EVENTS_PER_LEVEL`` onsets at the runner's usual rate (the Nelson-Aalen
    hazard of all runs). A rule that counted the onsets seen past it would pick the runners in whom,
    by chance, many onsets fell there, and so find an effect where there is none."""
    d = int(events.sum())
    n = exits.size
    rate = max(d / n, 0.05) if n else 0.5
    if d < MIN_EVENTS:
        more = math.ceil((MIN_EVENTS - d) / rate)
        return False, f"not enough runs yet: {d} onsets so far, about {more} more runs needed", more
    known = np.isfinite(threshold)
    reached = known & (exits > threshold)
    times, cum = _nelson_aalen(exits, events)

    def hazard_at(x: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(times, x, side="right") - 1
        return np.where(idx >= 0, cum[np.maximum(idx, 0)], 0.0)

    expected = float(np.sum(hazard_at(exits[reached]) - hazard_at(threshold[reached])))
    runs_past = int(reached.sum())
    km = float(np.sum(exits[reached] - threshold[reached])) / 1000
    if runs_past >= MIN_RUNS_PER_LEVEL and expected >= MIN_EVENTS_PER_LEVEL:
        return True, "", None
    per_run = expected / runs_past if runs_past and expected > 0 else 0.05
    more = max(MIN_RUNS_PER_LEVEL - runs_past, math.ceil((MIN_EVENTS_PER_LEVEL - expected) / per_run), 0)
    message = (
        f"too little running {factor.label} to tell yet: {runs_past} runs got there still pain-free "
        f"and ran {km:.1f} km beyond it, where about {expected:.1f} onsets would be expected at your "
        f"usual rate; at least {MIN_EVENTS_PER_LEVEL} are needed, about {more} more such runs"
    )
    return False, message, more
