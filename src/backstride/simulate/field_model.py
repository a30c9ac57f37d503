"""The field generator's parameters and routes (see :mod:`backstride.simulate.field`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from backstride.units import METRES_PER_MILE

MILE_M = METRES_PER_MILE
TENTH_MILE_M = MILE_M / 10


@dataclass(frozen=True)
class FieldScenario:
    """Parameters of the field generator (metres, days; ranges are drawn per runner)."""

    log_hr: dict[str, float] = field(default_factory=dict)
    weeks: int = 40
    start: date = date(2024, 3, 4)
    shape: tuple[float, float] = (1.3, 3.5)
    scale_median_m: float = 5500.0
    scale_sd_log: float = 0.35
    run_frailty_var: float = 0.3
    run_prob: tuple[float, float] = (0.35, 0.7)
    typical_run_m: float = 5000.0
    typical_sd_log: float = 0.3
    run_sd_log: float = 0.22
    progression: tuple[float, float] = (0.0, 0.4)
    long_run_prob: float = 0.12
    long_run_factor: tuple[float, float] = (1.25, 1.8)
    layoff_per_week: float = 0.02
    cut_short: float = 0.5
    cut_to: tuple[float, float] = (0.0, 0.5)
    logged_pain_free: tuple[float, float] = (0.2, 0.8)
    press: tuple[float, float] = (0.3, 0.9)
    confirm: tuple[float, float] = (0.3, 0.9)
    typed_share: float = 0.55
    interval_share: float = 0.3
    unknown_share: float = 0.1
    stray_press: float = 0.04
    answer: tuple[float, float] = (0.7, 1.0)
    lifter_share: float = 0.7
    glute_start: tuple[float, float] = (0.2, 0.7)
    stationary: bool = False
    terrain: bool = False
    descent_log_rr: float = 0.0
    pitch_m: tuple[float, float] = (30.0, 120.0)


GRID_M = 5.0
MAX_M = 40_000.0
STEEP = -0.04


@dataclass
class Routes:
    """Each runner's loop (altitude on a 5 m grid) and the cumulative baseline hazard along the
    route (Weibull increments x the descent term), flattened with an offset per runner so that one
    ``np.interp`` call inverts it for every runner at once."""

    altitude: list[np.ndarray]
    cumhaz: np.ndarray  # (R, K) on the grid 0, 5, ..., MAX_M
    offset: float

    def at(self, runner: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Cumulative baseline hazard of each runner at distance d (inf beyond the grid)."""
        grid = np.arange(self.cumhaz.shape[1]) * GRID_M
        x = np.minimum(d, grid[-1])
        pos = x / GRID_M
        i = np.minimum(np.floor(pos).astype(int), grid.size - 2)
        frac = pos - i
        h = self.cumhaz[runner, i] * (1 - frac) + self.cumhaz[runner, i + 1] * frac
        return np.where(d > grid[-1], np.inf, h)

    def inverse(self, runner: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The distance where each runner's cumulative hazard reaches h (inf when it never does)."""
        n, k = self.cumhaz.shape
        keys = (self.cumhaz + np.arange(n)[:, None] * self.offset).ravel()
        grid = np.tile(np.arange(k) * GRID_M, n)
        top = self.cumhaz[runner, -1]
        q = np.minimum(h, top) + runner * self.offset
        return np.where(h > top, np.inf, np.interp(q, keys, grid))


def make_routes(sc: FieldScenario, rng: np.random.Generator, shape: np.ndarray, scale: np.ndarray) -> Routes:
    n = shape.size
    grid = np.arange(0.0, MAX_M + GRID_M / 2, GRID_M)
    cum = np.zeros((n, grid.size))
    alts = []
    for r in range(n):
        length = float(rng.uniform(1500, 4000))
        cells = int(length / GRID_M)
        grade = np.empty(cells)
        pos = 0
        while pos < cells:
            span = int(rng.uniform(*sc.pitch_m) / GRID_M)
            grade[pos : pos + span] = rng.choice([-0.08, -0.06, -0.02, 0.0, 0.0, 0.02, 0.06, 0.08])
            pos += span
        grade -= grade.mean()  # a loop: back where it started
        alt = 50.0 + np.concatenate(([0.0], np.cumsum(grade * GRID_M)))[:cells]
        alts.append(alt)
        steep = np.resize(grade < STEEP, grid.size - 1)
        base = np.diff((grid / scale[r]) ** shape[r])
        cum[r, 1:] = np.cumsum(base * np.exp(sc.descent_log_rr * steep))
    return Routes(alts, cum, float(cum[:, -1].max()) + 1.0)


def between(rng: np.random.Generator, span: tuple[float, float], n: int) -> np.ndarray:
    return rng.uniform(span[0], span[1], n)
