"""Simulate one runner: the calendar of runs, lifting and routines, covariates, onsets and reports.

:func:`simulate_runner` returns a :class:`SimulatedRunner` with plain DataFrames (one row per run,
per lifting set, per routine entry, per body-weight entry), the routes, and the :class:`Truth`.

Runs frame columns (SI units): ``run_id``, ``start`` (datetime), ``route``, ``distance_m``,
``duration_s``, the covariates of :data:`RUN_COVARIATES` (``spike`` there is the finished run's
excess over ``longest_30d_m``, NaN after a lay-off; the hazard uses ``spike_threshold_m``, inf when
no run came in the 30 days before), ``onset_true_m`` (latent onset; inf when
the hazard never reaches it), ``event`` (onset before the end), ``report`` ("lap" = the runner
pressed lap at the onset, "interval" = reported only as "during lap k", "none" = reported pain-free,
"unknown" = no report), ``onset_m`` (exact onset as reported, else NaN), ``onset_low_m``/
``onset_high_m`` (the lap's bounds for "interval"), ``cramp_m`` (NaN if none), ``severity``,
``lap_m`` (auto-lap distance), ``speed_mps`` (the run's base speed), ``seed`` (for its streams).
Use :meth:`SimulatedRunner.analysis_runs` for the runs a pain report exists for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from backstride.simulate.model import RUN_COVARIATES, SPIKE_MARGIN, Route, Scenario, Truth, make_route


@dataclass
class SimulatedRunner:
    """A simulated runner with its known truth."""

    scenario: Scenario
    truth: Truth
    routes: list[Route]
    runs: pd.DataFrame
    lifting: pd.DataFrame
    routines: pd.DataFrame
    body: pd.DataFrame
    seed: int

    def analysis_runs(self) -> pd.DataFrame:
        """Runs with a pain report (``report`` != "unknown"): what the analysis may use."""
        return self.runs[self.runs["report"] != "unknown"].reset_index(drop=True)

    def true_survival(self, distance_m: np.ndarray) -> np.ndarray:
        """The mixture pain-free curve of these runs: mean over runs of exp(-H_i(d)) (no censoring)."""
        d = np.atleast_1d(np.asarray(distance_m, dtype=float))
        eta = self.runs["eta"].to_numpy(float)
        route_idx = self.runs["route_index"].to_numpy(int)
        threshold = self.runs["spike_threshold_m"].to_numpy(float)
        lift = math.exp(self.truth.log_hr.get("spike", 0.0)) - 1.0
        total = np.zeros(d.size)
        for r, route in enumerate(self.routes):
            g = np.interp(d, np.arange(route.cumhaz_unit.size) * 10.0, route.cumhaz_unit)
            sel = route_idx == r
            g_thr = route.cumhaz_at(threshold[sel])
            excess = np.maximum(g[None, :] - np.where(np.isfinite(g_thr), g_thr, np.inf)[:, None], 0.0)
            cum = g[None, :] + lift * excess
            total += np.exp(-np.exp(eta[sel])[:, None] * cum).sum(axis=0)
        return total / len(self.runs)

    def true_median_m(self) -> float:
        """Where :meth:`true_survival` crosses 0.5 (1 m resolution)."""
        grid = np.arange(0.0, 60_000.0, 1.0)
        surv = self.true_survival(grid)
        return float(grid[np.argmax(surv <= 0.5)])


def _calendar(sc: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Run start times (datetime64[s]) and the day index of each run."""
    days = np.arange(sc.weeks * 7)
    weekday = (days + sc.start.weekday()) % 7
    planned = np.isin(weekday, sc.run_days)
    runs = np.where(planned, rng.random(days.size) < sc.run_prob, rng.random(days.size) < sc.extra_run_prob)
    run_days = days[runs]
    seconds = (7 * 3600 + rng.normal(0, 3600, run_days.size)).clip(5 * 3600, 20 * 3600).astype(np.int64)
    base = np.datetime64(sc.start.isoformat(), "s")
    return base + run_days.astype("timedelta64[D]") + seconds.astype("timedelta64[s]"), run_days


def _lifting(sc: Scenario, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    base = datetime(sc.start.year, sc.start.month, sc.start.day)
    for week in range(sc.weeks):
        for day in sc.lifting:
            if rng.random() > sc.lift_prob:
                continue
            offset = (day.weekday - sc.start.weekday()) % 7 + week * 7
            offset += int(rng.random() < sc.lift_shift_prob)
            when = base + timedelta(days=offset, hours=18, minutes=int(rng.integers(0, 60)))
            for exercise, loading, sets, reps, kg in day.exercises:
                load = kg * (1 + 0.004 * week) * rng.normal(1, 0.02)
                for s in range(sets):
                    rows.append((when, day.kind, exercise, loading, s + 1, reps, round(load / 2.5) * 2.5))
    return pd.DataFrame(
        rows, columns=["start", "session", "exercise", "back_loading", "set", "reps", "weight_kg"]
    )


def simulate_runner(scenario: Scenario, seed: int) -> SimulatedRunner:
    """Simulate ``scenario`` with a numpy Generator seeded by ``seed``."""
    sc, truth = scenario, scenario.truth
    rng = np.random.default_rng(seed)
    routes = [
        make_route(
            f"route {i + 1}",
            rng,
            float(rng.uniform(1500, 4000)),
            sc.hill_amplitude_m * rng.uniform(0.3, 1.5),
            truth,
        )
        for i in range(sc.n_routes)
    ]
    starts, run_day = _calendar(sc, rng)
    n = starts.size
    week = run_day / 7.0
    frac = week / max(sc.weeks - 1, 1) if sc.progression else np.full(n, 0.5)
    planned = sc.start_distance_m + (sc.goal_distance_m * 1.15 - sc.start_distance_m) * frac
    weekend = np.isin((run_day + sc.start.weekday()) % 7, (5, 6))
    distance = np.round(planned * np.where(weekend, 1.2, 1.0) * rng.lognormal(0, sc.distance_cv, n), 1)
    lifting = _lifting(sc, rng)
    me_lower = np.sort(
        lifting.loc[lifting["session"] == "max-effort lower", "start"].unique().astype("datetime64[s]")
    )
    before = np.searchsorted(me_lower, starts, side="left")
    since = np.searchsorted(me_lower, starts - np.timedelta64(48 * 3600, "s"), side="left")
    me_lower_48h = (before - since > 0).astype(float)
    all_days = np.arange(sc.weeks * 7 + 1)
    glute_p = np.where(all_days / 7 >= sc.glute_start_week, sc.glute_prob_after, sc.glute_prob_before)
    glute_done = rng.random(all_days.size) < glute_p
    cum = np.concatenate(([0], np.cumsum(glute_done)))
    glute_7d = (cum[run_day] - cum[np.maximum(run_day - 7, 0)]).astype(float)
    t_days = run_day.astype(float)
    window = (t_days[None, :] < t_days[:, None]) & (t_days[None, :] >= t_days[:, None] - 30)
    longest = np.where(window, distance[None, :], 0.0).max(axis=1)
    longest = np.where(longest > 0, longest, np.nan)
    threshold = np.where(np.isfinite(longest), (1 + SPIKE_MARGIN) * longest, np.inf)
    x = {
        "me_lower_48h": me_lower_48h,
        "glute_days_7d": glute_7d,
        "spike": distance / longest - 1.0,
        "weeks": week,
        "headphones": (rng.random(n) < 0.5).astype(float),
    }
    eta = sum((truth.log_hr.get(c, 0.0) * x[c] for c in RUN_COVARIATES if c != "spike"), np.zeros(n))
    route_idx = rng.integers(0, len(routes), n)
    target = rng.exponential(1.0, n) * np.exp(-eta)
    onset = np.full(n, np.inf)
    spike_hr = math.exp(truth.log_hr.get("spike", 0.0))
    for r, route in enumerate(routes):
        sel = route_idx == r
        g_thr = route.cumhaz_at(threshold[sel])
        past = target[sel] > g_thr
        reached = np.where(past, g_thr + (target[sel] - np.where(past, g_thr, 0.0)) / spike_hr, target[sel])
        onset[sel] = route.onset_for(reached)
    event = onset < distance
    u = rng.random(n)
    report = np.where(
        event,
        np.where(u < sc.p_lap, "lap", np.where(u < sc.p_lap + sc.p_interval, "interval", "unknown")),
        np.where(u < 1 - sc.p_unknown, "none", "unknown"),
    )
    lap_index = np.floor(np.where(event, onset, 0) / sc.lap_m)
    cramp = onset + sc.cramp_after_m * rng.lognormal(0, 0.3, n)
    speed = sc.base_speed_mps * rng.lognormal(0, 0.04, n)
    runs = pd.DataFrame(
        {
            "run_id": np.arange(1, n + 1),
            "start": pd.to_datetime(starts),
            "route": [routes[i].name for i in route_idx],
            "route_index": route_idx,
            "distance_m": distance,
            "duration_s": np.round(distance / speed),
            **x,
            "longest_30d_m": longest,
            "spike_threshold_m": threshold,
            "eta": eta,
            "onset_true_m": onset,
            "event": event,
            "report": report,
            "onset_m": np.where(report == "lap", np.round(onset, 1), np.nan),
            "onset_low_m": np.where(report == "interval", lap_index * sc.lap_m, np.nan),
            "onset_high_m": np.where(
                report == "interval", np.minimum((lap_index + 1) * sc.lap_m, distance), np.nan
            ),
            "cramp_m": np.where(event & (cramp < distance), np.round(cramp, 1), np.nan),
            "severity": np.where(
                event, np.clip(np.round(rng.normal(4, 1.5, n) + 2 * (cramp < distance)), 1, 9), 0
            ),
            "lap_m": sc.lap_m,
            "speed_mps": speed,
            "seed": rng.integers(0, 2**31, n),
        }
    )
    day_dates = pd.to_datetime(sc.start) + pd.to_timedelta(all_days[glute_done], unit="D")
    routines = pd.DataFrame(
        {"date": day_dates, "routine": "glute bridges and clamshells", "category": "glute"}
    )
    weigh_days = np.arange(0, sc.weeks * 7, 7)
    body = pd.DataFrame(
        {
            "date": pd.to_datetime(sc.start) + pd.to_timedelta(weigh_days, unit="D"),
            "weight_kg": np.round(
                sc.profile.weight_kg - 0.05 * weigh_days / 7 + rng.normal(0, 0.4, weigh_days.size), 1
            ),
        }
    )
    return SimulatedRunner(sc, truth, routes, runs, lifting, routines, body, seed)
