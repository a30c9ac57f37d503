"""The generative model of a runner: profile, scenario, routes with terrain, and the KNOWN pain hazard.

The pain hazard over distance d (metres) on run i is

    h_i(d) = h0(d) * exp(sum_c beta_c * x_ic) * exp(beta_descent * [grade_i(d) < descent_grade])
             * exp(beta_spike * [d > (1 + SPIKE_MARGIN) * longest_30d_i])

with a Weibull baseline ``h0(d) = (k / scale) * (d / scale)^(k - 1)``, run-level covariates x_ic
(see :data:`RUN_COVARIATES`), a time-varying in-run term for steep descents, and the single-run spike
as a term that switches on inside the run once it is 10% past the longest run of the previous 30 days
(never after a lay-off with no run in those days). The onset distance is drawn by inverting the
cumulative hazard: ``H_i(T) = E``, E ~ Exp(1). Because the run-level part factors out,
``H_i(d) = exp(eta_i) * (G(d) + (exp(beta_spike) - 1) * max(G(d) - G(threshold_i), 0))`` with
``G = G_route`` precomputed once per route on a 10 m grid, so drawing hundreds of onsets is a handful
of numpy calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backstride.units import METRES_PER_MILE

FloatArray = NDArray[Any]

GRID_M = 10.0
MAX_DISTANCE_M = 60_000.0
#: The spike switches on this fraction past the longest run of the previous 30 days (the analysis's
#: ``backstride.analysis.features.SPIKE_MARGIN``; a test keeps the two equal).
SPIKE_MARGIN = 0.10

#: Run-level covariates the simulator records and the truth can weight (units in brackets).
RUN_COVARIATES: dict[str, str] = {
    "me_lower_48h": "a max-effort lower-body session in the 48 h before the run (0/1)",
    "glute_days_7d": "days with glute work in the 7 days before the run (0-7)",
    "spike": "past 110% of the longest run of the previous 30 days (0/1, switches on inside the run)",
    "weeks": "weeks since the first simulated run (adaptation)",
    "headphones": "ran with headphones (0/1; never has an effect: a null factor)",
}


@dataclass(frozen=True)
class RunnerProfile:
    """Body and background (cm, kg, years)."""

    height_cm: float = 178.0
    weight_kg: float = 80.0
    sex: str = "male"
    age: int = 30


@dataclass(frozen=True)
class Truth:
    """The known hazard: Weibull baseline in distance and log hazard ratios per unit of each covariate."""

    shape: float = 2.5
    scale_m: float = 2500.0
    log_hr: dict[str, float] = field(default_factory=dict)
    descent_log_rr: float = 0.0
    descent_grade: float = -0.04

    def hazard_ratio(self, name: str, per: float = 1.0) -> float:
        """True hazard ratio per ``per`` units of a run-level covariate (1.0 when it has no effect)."""
        return math.exp(self.log_hr.get(name, 0.0) * per)

    def baseline_cumhaz(self, d: FloatArray) -> FloatArray:
        return (np.maximum(d, 0.0) / self.scale_m) ** self.shape


@dataclass(frozen=True)
class LiftDay:
    """A planned lifting session: weekday (0 = Monday), kind, and its main exercises."""

    weekday: int
    kind: str  # "max-effort lower", "max-effort upper", "dynamic-effort lower", "dynamic-effort upper"
    exercises: tuple[tuple[str, str, int, int, float], ...]  # (exercise, back loading, sets, reps, kg)


@dataclass(frozen=True)
class Scenario:
    """Everything that defines a simulated runner except the random seed."""

    truth: Truth
    profile: RunnerProfile = field(default_factory=RunnerProfile)
    weeks: int = 26
    start: date = date(2024, 1, 1)
    run_days: tuple[int, ...] = (1, 3, 5, 6)
    run_prob: float = 0.9
    extra_run_prob: float = 0.04
    start_distance_m: float = 3200.0
    goal_distance_m: float = 4828.0
    progression: bool = True
    distance_cv: float = 0.2
    lifting: tuple[LiftDay, ...] = ()
    lift_prob: float = 0.9
    lift_shift_prob: float = 0.15
    glute_prob_before: float = 0.05
    glute_prob_after: float = 0.6
    glute_start_week: int = 8
    n_routes: int = 4
    hill_amplitude_m: float = 15.0
    base_speed_mps: float = 2.8
    p_lap: float = 0.7
    p_interval: float = 0.2
    p_unknown: float = 0.1
    lap_m: float = METRES_PER_MILE
    cramp_after_m: float = 1300.0
    name: str = "simulated runner"


@dataclass
class Route:
    """A loop with an elevation profile on a 10 m grid (metres), repeated for longer runs."""

    name: str
    length_m: float
    altitude: FloatArray  # one value per grid point over one loop
    cumhaz_unit: FloatArray  # G_route(d) on the grid up to MAX_DISTANCE_M (baseline x terrain term)

    def altitude_at(self, d: FloatArray) -> FloatArray:
        pos = np.mod(d, self.length_m)
        grid = np.arange(self.altitude.size) * GRID_M
        return np.interp(pos, grid, self.altitude, period=self.length_m)

    def grade_at(self, d: FloatArray) -> FloatArray:
        return (self.altitude_at(d + GRID_M / 2) - self.altitude_at(d - GRID_M / 2)) / GRID_M

    def cumhaz_at(self, d: FloatArray) -> FloatArray:
        """G_route at distances ``d`` (inf beyond the grid, so an unreachable threshold stays so)."""
        grid = np.arange(self.cumhaz_unit.size) * GRID_M
        x = np.asarray(d, dtype=float)
        return np.where(x > grid[-1], np.inf, np.interp(np.minimum(x, grid[-1]), grid, self.cumhaz_unit))

    def onset_for(self, target: FloatArray) -> FloatArray:
        """Distances where G_route reaches ``target`` (inf beyond the grid)."""
        grid = np.arange(self.cumhaz_unit.size) * GRID_M
        out = np.interp(target, self.cumhaz_unit, grid)
        return np.where(target > self.cumhaz_unit[-1], np.inf, out)


def make_route(
    name: str, rng: np.random.Generator, length_m: float, amplitude_m: float, truth: Truth
) -> Route:
    """A smooth periodic elevation profile (a few harmonics) and its cumulative hazard factor."""
    n = round(length_m / GRID_M)
    length_m = n * GRID_M
    x = np.arange(n) / n
    alt = np.zeros(n)
    for harmonic in range(1, 5):
        alt += amplitude_m / harmonic * rng.normal() * np.sin(2 * np.pi * (harmonic * x + rng.random()))
    alt += 50.0
    route = Route(name, length_m, alt, np.zeros(1))
    grid = np.arange(int(MAX_DISTANCE_M / GRID_M) + 1) * GRID_M
    mids = grid[:-1] + GRID_M / 2
    steep = route.grade_at(mids) < truth.descent_grade
    increments = np.diff(truth.baseline_cumhaz(grid)) * np.exp(truth.descent_log_rr * steep)
    route.cumhaz_unit = np.concatenate(([0.0], np.cumsum(increments)))
    return route
