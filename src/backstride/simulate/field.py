"""A second, independent generator: runners as they run and log in the field, many at once.

:mod:`backstride.simulate.runner` draws each run's length before the pain, logs every run, and uses
the Weibull proportional-hazards model the analysis assumes. Real runners do not: they shorten a run
when it hurts, log painful runs more often than good ones, know many onsets only to a lap, type
onsets to a tenth of a mile, and press the lap button for other reasons too. This generator differs
from the analysis's model in each of those ways, so a validation that passes here does not rest on
the model the analysis assumes:

* **Onsets**: a Weibull baseline per runner (shape 1.3-3.5, scale log-normal around 4 km: runner
  frailty) times a **gamma frailty per run** (mean 1, variance ``run_frailty_var``: good and bad days
  that no covariate records), so hazards are not proportional across runs; covariates act on the
  conditional hazard with ``log_hr``; the spike (``spike``: 10% past the longest run of the previous
  30 days, from the distances actually run) switches on inside the run.
* **Runs cut short after the onset**: with probability ``cut_short`` a painful run ends soon after
  the onset (a share ``cut_to`` of the way from the onset to its planned length); the 30-day longest
  of later runs uses what was run.
* **Lay-offs**: breaks of 30-45 days, after which no 30-day longest exists.
* **Logging**: per runner, 20-80% of pain-free runs are logged; a painful run gets a lap press at the
  onset (a draft the runner confirms or not), or a typed onset (to 0.1 mi: ties), or "during lap k"
  (interval), or "unknown" (somewhere in the run), or nothing; a few pain-free runs carry a stray
  lap press (a false draft when left unconfirmed).
* **Terrain** (``terrain=True``): each runner runs one loop of short pitches (30-120 m, grades from
  -8% to +8%) and the hazard is ``exp(descent_log_rr)`` times higher while on a descent steeper than
  4%; the onset comes from the cumulative hazard along the route on a 5 m grid, and
  :meth:`FieldRunners.streams` gives each run's distance, time and altitude.
* **The "pain-free?" prompt**: with ``lap_is_pain`` on, a run with neither a report nor a lap press
  is offered for one-tap confirmation (:func:`backstride.log.pain.pain_free_candidates`); each runner
  answers a share ``answer`` of the offers, truthfully (``after_prompt``).

Everything is vectorised over runners: one loop over calendar days, each step a few numpy
operations on all runners. :func:`simulate_field` returns one row per run; :func:`analysis_frame`
turns it into the frame :mod:`backstride.analysis` expects for what the product would analyse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backstride.simulate.field_logs import (
    REPORTS,
    after_prompt,
    analysis_frame,
    experiment_outcomes,
    log_reports,
    offered,
)
from backstride.simulate.field_model import (
    GRID_M,
    MILE_M,
    TENTH_MILE_M,
    FieldScenario,
    Routes,
    between,
    make_routes,
)
from backstride.simulate.model import SPIKE_MARGIN


@dataclass
class FieldRunners:
    """The runs of many simulated runners (one row per run) and each runner's parameters."""

    scenario: FieldScenario
    runs: pd.DataFrame
    runners: pd.DataFrame
    routes: Routes | None = None
    me_days: np.ndarray | None = None  # (R, D): a max-effort lower session that evening
    de_days: np.ndarray | None = None  # (R, D): a dynamic-effort (speed) lower session that evening

    def streams(self, row: int, step_m: float = GRID_M) -> dict[str, np.ndarray]:
        """Distance, time (3 m/s) and altitude of one run (``row`` of :attr:`runs`); needs terrain."""
        if self.routes is None:
            raise ValueError("this scenario has no terrain")
        run = self.runs.loc[row]
        alt = self.routes.altitude[int(run["runner"])]
        d = np.arange(0.0, float(run["distance_m"]) + step_m / 2, step_m)
        loop = alt.size * GRID_M
        altitude = np.interp(np.mod(d, loop), np.arange(alt.size) * GRID_M, alt, period=loop)
        return {"distance": d, "t": d / 3.0, "altitude": altitude}

    def true_survival(self, runner: int, distance_m: np.ndarray) -> np.ndarray:
        """The mixture pain-free curve over this runner's runs, frailty integrated out (gamma:
        S = (1 + theta H)^(-1/theta)); the spike term as if each run went on past its threshold."""
        d = np.atleast_1d(np.asarray(distance_m, dtype=float))
        r = self.runners.loc[runner]
        runs = self.runs[self.runs["runner"] == runner]
        thr = runs["spike_threshold_m"].to_numpy(float)[:, None]
        if self.routes is None:
            base = (d[None, :] / r["scale_m"]) ** r["shape"]
            at_thr = np.where(np.isfinite(thr), (np.minimum(thr, 1e12) / r["scale_m"]) ** r["shape"], np.inf)
        else:
            who = np.full(d.size, runner)
            base = self.routes.at(who, d)[None, :]
            flat = np.minimum(thr[:, 0], 1e12)
            at_thr = np.where(
                np.isfinite(thr), self.routes.at(np.full(flat.size, runner), flat)[:, None], np.inf
            )
        lift = math.exp(self.scenario.log_hr.get("spike", 0.0)) - 1.0
        cum = base + lift * np.maximum(base - at_thr, 0.0)
        h = np.exp(runs["eta"].to_numpy(float))[:, None] * cum
        theta = self.scenario.run_frailty_var
        surv = np.exp(-h) if theta <= 0 else (1.0 + theta * h) ** (-1.0 / theta)
        return np.asarray(surv.mean(axis=0))

    def true_median_m(self, runner: int) -> float:
        grid = np.arange(0.0, 40_000.0, 5.0)
        surv = self.true_survival(runner, grid)
        return float(grid[np.argmax(surv <= 0.5)])


def _calendar(sc: FieldScenario, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Run days (R x D bool) and lay-off days; one run a day at most."""
    days = sc.weeks * 7
    p = between(rng, sc.run_prob, n)[:, None]
    runs = rng.random((n, days)) < p
    if sc.stationary:
        return runs, np.zeros((n, days), bool)
    off = np.zeros((n, days), bool)
    starts = rng.random((n, sc.weeks)) < sc.layoff_per_week
    for r, w in zip(*np.nonzero(starts), strict=True):
        first = w * 7
        off[r, first : first + int(rng.integers(30, 46))] = True
    return runs & ~off, off


def _lifting(
    sc: FieldScenario, rng: np.random.Generator, n: int, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Max-effort lower days, dynamic-effort lower days and back-loading tonnage per day (R x D)."""
    lifter = rng.random(n) < sc.lifter_share
    me_weekday = rng.integers(0, 7, n)
    de_weekday = (me_weekday + rng.integers(2, 5, n)) % 7
    weekday = np.arange(days) % 7
    done = rng.random((n, days)) < 0.85
    me = lifter[:, None] & (weekday[None, :] == me_weekday[:, None]) & done
    de = lifter[:, None] & (weekday[None, :] == de_weekday[:, None]) & done
    tonnage = np.where(me, rng.lognormal(math.log(3000), 0.25, (n, days)), 0.0)
    tonnage += np.where(de, rng.lognormal(math.log(4500), 0.25, (n, days)), 0.0)
    return me, de, tonnage


def simulate_field(sc: FieldScenario, n_runners: int, seed: int) -> FieldRunners:
    """``n_runners`` runners of scenario ``sc`` from one seed (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n, days = n_runners, sc.weeks * 7
    shape = between(rng, sc.shape, n)
    scale = sc.scale_median_m * np.exp(sc.scale_sd_log * rng.standard_normal(n))
    typical = sc.typical_run_m * np.exp(sc.typical_sd_log * rng.standard_normal(n))
    growth = np.zeros(n) if sc.stationary else between(rng, sc.progression, n)
    ran, _ = _calendar(sc, rng, n)
    me_day, de_day, tonnage_day = _lifting(sc, rng, n, days)
    glute_from = between(rng, sc.glute_start, n) * days
    glute_p = np.where(np.arange(days)[None, :] >= glute_from[:, None], 0.6, 0.1)
    if sc.stationary:
        glute_p = np.full((n, days), 0.35)
    glute_day = rng.random((n, days)) < glute_p
    headphones_p = rng.uniform(0.2, 0.8, n)

    def prev(days_back: int, values: np.ndarray) -> np.ndarray:
        """Sum over the ``days_back`` days before each day (R x D)."""
        cum = np.concatenate((np.zeros((n, 1)), np.cumsum(values, axis=1)), axis=1)
        idx = np.arange(days)
        return np.asarray(cum[:, idx] - cum[:, np.maximum(idx - days_back, 0)])

    x = {
        "me_lower_48h": (prev(2, me_day.astype(float)) > 0).astype(float),
        "glute_days_7d": prev(7, glute_day.astype(float)),
        "weeks": np.broadcast_to(np.arange(days) / 7.0, (n, days)).copy(),
        "headphones": (rng.random((n, days)) < headphones_p[:, None]).astype(float),
        "back_tonnage_48h": prev(2, tonnage_day),
    }
    if sc.stationary:
        x["weeks"] = np.zeros((n, days))
    eta = sum((sc.log_hr.get(k, 0.0) * v for k, v in x.items()), np.zeros((n, days)))
    frac = np.arange(days)[None, :] / max(days - 1, 1)
    planned = typical[:, None] * (1 + growth[:, None] * frac) * rng.lognormal(0, sc.run_sd_log, (n, days))
    long_run = rng.random((n, days)) < sc.long_run_prob
    planned = planned * np.where(long_run, between(rng, sc.long_run_factor, n * days).reshape(n, days), 1.0)
    theta = sc.run_frailty_var
    frailty = rng.gamma(1 / theta, theta, (n, days)) if theta > 0 else np.ones((n, days))
    target = rng.exponential(1.0, (n, days)) / (frailty * np.exp(eta))
    cut = rng.random((n, days)) < sc.cut_short
    cut_to = rng.uniform(sc.cut_to[0], sc.cut_to[1], (n, days))
    spike_hr = math.exp(sc.log_hr.get("spike", 0.0))
    routes = make_routes(sc, rng, shape, scale) if sc.terrain else None
    everyone = np.arange(n)
    actual = np.zeros((n, days))
    onset = np.full((n, days), np.inf)
    longest = np.full((n, days), np.nan)
    for t in range(days):
        window = actual[:, max(t - 30, 0) : t]
        best = window.max(axis=1) if window.shape[1] else np.zeros(n)
        l30 = np.where(best > 0, best, np.nan)
        longest[:, t] = l30
        thr = np.where(np.isfinite(l30), (1 + SPIKE_MARGIN) * l30, np.inf)
        if routes is None:
            at_thr = np.where(np.isfinite(thr), (np.minimum(thr, 1e12) / scale) ** shape, np.inf)
        else:
            at_thr = routes.at(everyone, np.minimum(thr, 1e12))
        g = target[:, t]
        past = g > at_thr
        reached = np.where(past, at_thr + (g - np.where(past, at_thr, 0.0)) / spike_hr, g)
        o = scale * reached ** (1 / shape) if routes is None else routes.inverse(everyone, reached)
        plan = planned[:, t]
        pain = o < plan
        dist = np.where(pain & cut[:, t], o + (plan - o) * cut_to[:, t], plan)
        actual[:, t] = np.where(ran[:, t], dist, 0.0)
        onset[:, t] = o
    r_idx, d_idx = np.nonzero(ran)
    dist = actual[r_idx, d_idx]
    o = onset[r_idx, d_idx]
    l30 = longest[r_idx, d_idx]
    frame = pd.DataFrame(
        {
            "runner": r_idx,
            "day": d_idx,
            "start": pd.Timestamp(sc.start) + pd.to_timedelta(d_idx, unit="D") + pd.Timedelta(hours=7),
            "distance_m": np.round(dist, 1),
            "planned_m": planned[r_idx, d_idx],
            **{k: v[r_idx, d_idx] for k, v in x.items()},
            "longest_30d_m": l30,
            "spike_threshold_m": np.where(np.isfinite(l30), (1 + SPIKE_MARGIN) * l30, np.inf),
            "eta": eta[r_idx, d_idx],
            "frailty": frailty[r_idx, d_idx],
            "onset_true_m": o,
            "event": o < dist,
            "cut_short": (o < dist) & cut[r_idx, d_idx],
        }
    )
    frame["spike"] = frame["distance_m"] / frame["longest_30d_m"] - 1.0
    runners = pd.DataFrame(
        {
            "shape": shape,
            "scale_m": scale,
            "typical_m": typical,
            "logged_pain_free": between(rng, sc.logged_pain_free, n),
            "press": between(rng, sc.press, n),
            "confirm": between(rng, sc.confirm, n),
            "answer": between(rng, sc.answer, n),
            "lap_m": np.where(rng.random(n) < 0.6, MILE_M, 1000.0),
        }
    )
    log_reports(frame, runners, sc, rng)
    return FieldRunners(sc, frame.reset_index(drop=True), runners, routes, me_day, de_day)


__all__ = [
    "MILE_M",
    "REPORTS",
    "TENTH_MILE_M",
    "FieldRunners",
    "FieldScenario",
    "after_prompt",
    "analysis_frame",
    "experiment_outcomes",
    "offered",
    "simulate_field",
]
