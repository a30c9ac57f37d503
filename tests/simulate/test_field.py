"""The field generator itself: it differs from the analysis's model the way the issue asks."""

from __future__ import annotations

import numpy as np

from backstride.analysis.survival import KaplanMeier
from backstride.simulate.field import (
    TENTH_MILE_M,
    FieldScenario,
    after_prompt,
    analysis_frame,
    offered,
    simulate_field,
)


def test_runs_as_they_happen_and_are_logged() -> None:
    field = simulate_field(FieldScenario(weeks=30), 60, seed=1)
    runs, runners = field.runs, field.runners
    pain = runs["event"].to_numpy(bool)
    # cut short after the onset: never before it, and about half of the painful runs
    cut = runs["cut_short"].to_numpy(bool)
    assert cut.any() and not (cut & ~pain).any()
    assert (runs.loc[cut, "distance_m"] >= runs.loc[cut, "onset_true_m"] - 0.1).all()
    assert 0.35 < cut[pain].mean() < 0.65
    # 20-80% of pain-free runs logged, per runner
    free = runs[~pain]
    assert runners["logged_pain_free"].between(0.2, 0.8).all()
    share = (free["report"] == "none").mean()
    expected = runners["logged_pain_free"].to_numpy()[free["runner"].to_numpy()].mean()
    assert abs(share - expected) < 0.05
    # typed onsets are on the 0.1 mi grid (ties); lap-only ones are intervals of a lap
    typed = runs[runs["report"] == "typed"]
    steps = typed["onset_m"] / TENTH_MILE_M
    clipped = typed["onset_m"] >= typed["distance_m"] - 0.2
    assert np.allclose(steps[~clipped], np.round(steps[~clipped]), atol=1e-3)
    assert typed["onset_m"].duplicated().any()
    interval = runs[runs["report"] == "interval"]
    assert (interval["onset_high_m"] > interval["onset_low_m"]).all()
    assert (interval["onset_low_m"] <= interval["onset_true_m"]).all()
    assert (interval["onset_true_m"] <= interval["onset_high_m"] + 1e-6).all()
    # lay-offs leave runs with no 30-day longest; the spike is past 110% of it
    assert runs["longest_30d_m"].isna().sum() > 60
    known = runs["longest_30d_m"].notna()
    assert np.allclose(runs.loc[known, "spike_threshold_m"], 1.1 * runs.loc[known, "longest_30d_m"])
    # stray presses make drafts on pain-free runs
    assert ((runs["report"] == "draft") & ~runs["event"]).any()


def test_offers_and_answers() -> None:
    field = simulate_field(FieldScenario(weeks=20, answer=(1.0, 1.0)), 5, seed=2)
    runs = field.runs
    offer = offered(runs)
    assert offer.any()
    assert not (offer & np.isfinite(runs["lap_press_m"]).to_numpy()).any()
    after = after_prompt(runs)
    assert not (after["report"] == "draft").any() and not (after["report"][offer] == "missing").any()
    frame = analysis_frame(after)
    assert len(frame) == len(runs) and (frame["pain_status"] == np.where(runs["event"], "pain", "none")).all()


def test_true_curve_is_what_the_runs_show() -> None:
    """With every run's true onset, Kaplan-Meier's median CI covers the generator's true median (the
    mixture over the runner's runs with the per-run frailty integrated out)."""
    field = simulate_field(FieldScenario(stationary=True), 40, seed=3)
    covered = []
    for r, g in field.runs.groupby("runner"):
        t = np.minimum(g["onset_true_m"], g["planned_m"]).to_numpy()
        km = KaplanMeier().fit(t, (g["onset_true_m"] < g["planned_m"]).to_numpy())
        lo, hi = km.median_ci_m_
        truth = field.true_median_m(int(r))
        covered.append((lo is None or lo <= truth) and (hi is None or truth <= hi))
    assert np.mean(covered) >= 0.85


def test_terrain_routes_and_streams() -> None:
    field = simulate_field(FieldScenario(terrain=True, weeks=4), 2, seed=4)
    s = field.streams(0)
    assert s["distance"][0] == 0 and abs(s["distance"][-1] - field.runs.loc[0, "distance_m"]) < 5.0
    grade = np.diff(s["altitude"]) / np.diff(s["distance"])
    assert grade.min() < -0.04 < 0.04 < grade.max()
