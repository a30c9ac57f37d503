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
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from backstride.simulate.model import SPIKE_MARGIN

MILE_M = 1609.344
TENTH_MILE_M = MILE_M / 10

#: Report kinds of :func:`simulate_field` (column ``report``).
REPORTS = ("draft", "lap", "typed", "interval", "unknown_onset", "none", "missing")


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


def _routes(sc: FieldScenario, rng: np.random.Generator, shape: np.ndarray, scale: np.ndarray) -> Routes:
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


def _between(rng: np.random.Generator, span: tuple[float, float], n: int) -> np.ndarray:
    return rng.uniform(span[0], span[1], n)


def _calendar(sc: FieldScenario, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Run days (R x D bool) and lay-off days; one run a day at most."""
    days = sc.weeks * 7
    p = _between(rng, sc.run_prob, n)[:, None]
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
    shape = _between(rng, sc.shape, n)
    scale = sc.scale_median_m * np.exp(sc.scale_sd_log * rng.standard_normal(n))
    typical = sc.typical_run_m * np.exp(sc.typical_sd_log * rng.standard_normal(n))
    growth = np.zeros(n) if sc.stationary else _between(rng, sc.progression, n)
    ran, _ = _calendar(sc, rng, n)
    me_day, de_day, tonnage_day = _lifting(sc, rng, n, days)
    glute_from = _between(rng, sc.glute_start, n) * days
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
    planned = planned * np.where(long_run, _between(rng, sc.long_run_factor, n * days).reshape(n, days), 1.0)
    theta = sc.run_frailty_var
    frailty = rng.gamma(1 / theta, theta, (n, days)) if theta > 0 else np.ones((n, days))
    target = rng.exponential(1.0, (n, days)) / (frailty * np.exp(eta))
    cut = rng.random((n, days)) < sc.cut_short
    cut_to = rng.uniform(sc.cut_to[0], sc.cut_to[1], (n, days))
    spike_hr = math.exp(sc.log_hr.get("spike", 0.0))
    routes = _routes(sc, rng, shape, scale) if sc.terrain else None
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
            "logged_pain_free": _between(rng, sc.logged_pain_free, n),
            "press": _between(rng, sc.press, n),
            "confirm": _between(rng, sc.confirm, n),
            "answer": _between(rng, sc.answer, n),
            "lap_m": np.where(rng.random(n) < 0.6, MILE_M, 1000.0),
        }
    )
    _reports(frame, runners, sc, rng)
    return FieldRunners(sc, frame.reset_index(drop=True), runners, routes, me_day, de_day)


def _reports(frame: pd.DataFrame, runners: pd.DataFrame, sc: FieldScenario, rng: np.random.Generator) -> None:
    """What each runner logged for each run (columns ``report``, ``onset_m``, ``onset_low_m``,
    ``onset_high_m``, ``lap_press_m``, ``prompt_answered``)."""
    n = len(frame)
    who = frame["runner"].to_numpy()
    pain = frame["event"].to_numpy(bool)
    onset = frame["onset_true_m"].to_numpy(float)
    dist = frame["distance_m"].to_numpy(float)
    lap = runners["lap_m"].to_numpy(float)[who]
    u = rng.random((6, n))
    pressed = pain & (u[0] < runners["press"].to_numpy()[who])
    confirmed = pressed & (u[1] < runners["confirm"].to_numpy()[who])
    typed_cut = sc.typed_share
    interval_cut = typed_cut + sc.interval_share
    unknown_cut = interval_cut + sc.unknown_share
    kind = np.where(
        u[2] < typed_cut,
        "typed",
        np.where(u[2] < interval_cut, "interval", np.where(u[2] < unknown_cut, "unknown_onset", "missing")),
    )
    logged_free = u[3] < runners["logged_pain_free"].to_numpy()[who]
    stray = ~pain & (u[4] < sc.stray_press)
    report = np.where(
        pain,
        np.where(confirmed, "lap", np.where(pressed, "draft", kind)),
        np.where(logged_free, "none", np.where(stray, "draft", "missing")),
    )
    stray_at = dist * rng.uniform(0.1, 0.9, n)
    press_m = np.where(pressed, onset, np.where(stray, stray_at, np.nan))
    k = np.floor(np.where(pain, onset, 0.0) / lap)
    typed = np.clip(np.round(onset / TENTH_MILE_M) * TENTH_MILE_M, TENTH_MILE_M, dist)
    exact = np.where(report == "typed", typed, np.where(np.isin(report, ("lap", "draft")), press_m, np.nan))
    low = np.where(report == "interval", k * lap, np.where(report == "unknown_onset", 0.0, exact))
    high = np.where(
        report == "interval",
        np.minimum((k + 1) * lap, dist),
        np.where(report == "unknown_onset", dist, exact),
    )
    frame["report"] = report
    frame["lap_press_m"] = press_m
    frame["onset_m"] = np.round(exact, 1)
    frame["onset_low_m"] = low
    frame["onset_high_m"] = high
    frame["prompt_answered"] = u[5] < runners["answer"].to_numpy()[who]


def offered(frame: pd.DataFrame) -> np.ndarray:
    """Runs the product offers as "pain-free?" (``lap_is_pain`` on): no report, no lap press."""
    return ((frame["report"] == "missing") & ~np.isfinite(frame["lap_press_m"])).to_numpy()


def after_prompt(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs after each runner answered the prompts they answer (``prompt_answered``), truthfully:
    an offered "pain-free?" run becomes ``none`` when it was, else ``unknown_onset`` (the pain was
    never reported, so only "somewhere in the run" is known); an unconfirmed lap-button draft is
    confirmed (``lap``) when the press marked the onset, else (a stray press) corrected to ``none``."""
    out = frame.copy()
    answers = out["prompt_answered"].to_numpy(bool)
    pain = out["event"].to_numpy(bool)
    asked = offered(out) & answers
    out.loc[asked & ~pain, "report"] = "none"
    sel = asked & pain
    out.loc[sel, "report"] = "unknown_onset"
    out.loc[sel, "onset_low_m"] = 0.0
    out.loc[sel, "onset_high_m"] = out.loc[sel, "distance_m"]
    draft = (out["report"] == "draft").to_numpy() & answers
    out.loc[draft & pain, "report"] = "lap"
    stray = draft & ~pain
    out.loc[stray, "report"] = "none"
    out.loc[stray, ["onset_m", "onset_low_m", "onset_high_m"]] = np.nan
    return out


def analysis_frame(frame: pd.DataFrame, drafts: bool = False) -> pd.DataFrame:
    """The runs the analysis uses, in its frame shape (``pain_status``, ``onset_m``, ``onset_low_m``,
    ``onset_high_m``, ``pain_confirmed``): runs with a report; unconfirmed drafts only when
    ``drafts`` (the old headline counted them)."""
    report = frame["report"]
    keep = report != "missing"
    if not drafts:
        keep &= report != "draft"
    out = frame[keep].copy()
    pain = out["report"] != "none"
    out["pain_status"] = np.where(pain, "pain", "none")
    exact = out["report"].isin(["lap", "draft", "typed"])
    out["onset_m"] = out["onset_m"].where(pain & exact)
    out["onset_low_m"] = out["onset_low_m"].where(pain)
    out["onset_high_m"] = out["onset_high_m"].where(pain)
    out["pain_confirmed"] = out["report"] != "draft"
    return out.reset_index(drop=True)


def experiment_outcomes(
    rng: np.random.Generator,
    is_b: np.ndarray,
    ratio: float,
    median_onset_m: float,
    run_median_m: float,
    run_sigma: float,
    sc: FieldScenario | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs of n-of-1 experiments from the field model, for :mod:`backstride.experiments.simulate`.

    ``is_b`` (S x P x K): 1 on the runs in condition B. Each simulated runner (axis 0) gets a Weibull
    shape, a scale such that the onset's median is about ``median_onset_m`` (times a runner frailty),
    and a gamma frailty per run; B multiplies the pain-free distance by ``ratio``. Runs are
    log-normal around ``run_median_m``; pain-free runs are logged with the runner's share (20-80%), a
    painful one gets an exact onset (lap press), a typed onset to 0.1 mi, "during lap k" of 1-mile laps,
    or "unknown". Returns ``lo``, ``hi`` (log metres; ``-inf``/``inf`` open), ``logged`` and the log
    run lengths, each S x P x K."""
    sc = sc or FieldScenario()
    s = is_b.shape[0]
    shape = _between(rng, sc.shape, s)[:, None, None]
    theta = sc.run_frailty_var
    frailty = rng.gamma(1 / theta, theta, is_b.shape) if theta > 0 else np.ones(is_b.shape)
    e = rng.exponential(1.0, is_b.shape)
    # the median of scale * (E / V)^(1/k) from the gamma-frailty survival curve,
    # S(d) = (1 + theta (d/scale)^k)^(-1/theta) = 1/2
    h_half = (2.0**theta - 1.0) / theta if theta > 0 else math.log(2.0)
    runner = np.exp(sc.scale_sd_log * rng.standard_normal(s))[:, None, None]
    scale = median_onset_m * runner / h_half ** (1 / shape)
    onset = scale * (e / frailty) ** (1 / shape) * ratio**is_b
    log_d = math.log(run_median_m) + run_sigma * rng.standard_normal(is_b.shape)
    dist = np.exp(log_d)
    pain = onset < dist
    logged_free = rng.random(is_b.shape) < _between(rng, sc.logged_pain_free, s)[:, None, None]
    u = rng.random(is_b.shape)
    press = u < 0.5
    typed = (u >= 0.5) & (u < 0.75)
    interval = (u >= 0.75) & (u < 0.93)
    typed_m = np.clip(np.round(onset / TENTH_MILE_M) * TENTH_MILE_M, TENTH_MILE_M, dist)
    exact = np.where(typed, typed_m, onset)
    k = np.floor(onset / MILE_M)
    low = np.where(interval, k * MILE_M, np.where(press | typed, exact, 0.0))
    high = np.where(interval, np.minimum((k + 1) * MILE_M, dist), np.where(press | typed, exact, dist))
    with np.errstate(divide="ignore"):
        lo = np.where(pain, np.log(low), log_d)
    hi = np.where(pain, np.log(high), np.inf)
    logged = pain | logged_free
    return lo, hi, logged, log_d


__all__ = [
    "REPORTS",
    "FieldRunners",
    "FieldScenario",
    "after_prompt",
    "analysis_frame",
    "experiment_outcomes",
    "offered",
    "simulate_field",
]
