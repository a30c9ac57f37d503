"""How field runners log their runs, answer the prompts, and what the analysis then sees
(see :mod:`backstride.simulate.field`); and the runs of n-of-1 experiments from the same model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backstride.simulate.field_model import MILE_M, TENTH_MILE_M, FieldScenario, between

#: Report kinds of :func:`backstride.simulate.field.simulate_field` (column ``report``).
REPORTS = ("draft", "lap", "typed", "interval", "unknown_onset", "none", "missing")


def log_reports(
    frame: pd.DataFrame, runners: pd.DataFrame, sc: FieldScenario, rng: np.random.Generator
) -> None:
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
    shape = between(rng, sc.shape, s)[:, None, None]
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
    logged_free = rng.random(is_b.shape) < between(rng, sc.logged_pain_free, s)[:, None, None]
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
