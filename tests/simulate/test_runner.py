"""The simulated runner: the demo preset matches issue 4 item 9, runs carry their truth and laps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backstride.simulate import SimulatedRunner, demo_scenario, run_activity, simulate_runner
from backstride.simulate.presets import validation_scenario


def test_demo_runner_is_seeded_and_matches_the_story() -> None:
    sc = demo_scenario()
    assert (sc.profile.height_cm, sc.profile.weight_kg) == (185.0, 104.0)
    assert len({day.weekday for day in sc.lifting}) == 4
    a, b = simulate_runner(sc, 3), simulate_runner(sc, 3)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    runs = a.runs
    early = runs[runs["weeks"] < 4]
    # a pump at about 1 mile early on (true latent onsets), cramping about 2-2.5 miles
    assert 1000 < np.median(early["onset_true_m"]) < 2400
    assert 2800 < np.nanmedian(runs["cramp_m"]) < 4400
    late = runs[runs["weeks"] >= 16]
    assert np.median(late["onset_true_m"]) > np.median(early["onset_true_m"])
    me = a.lifting[a.lifting["session"] == "max-effort lower"]
    assert set(me["back_loading"]) >= {"high"}
    assert 0.1 < runs["me_lower_48h"].mean() < 0.5


def test_activity_has_a_manual_lap_at_the_onset() -> None:
    runner = simulate_runner(demo_scenario(), 5)
    row = runner.runs[runner.runs["report"] == "lap"].iloc[0]
    act = run_activity(runner, int(row["run_id"]))
    manual = [lap for lap in act.laps if lap.trigger == "manual"]
    assert len(manual) == 1 and manual[0].end_m == row["onset_m"]
    d = act.streams["distance"]
    assert np.all(np.diff(d) >= 0) and abs(d[-1] - row["distance_m"]) < 1e-6
    assert act.distance_m == d[-1] and act.sport == "running"
    assert {"t", "altitude", "speed", "cadence", "lat", "lon", "heart_rate"} <= set(act.streams)


def _check_activity(runner: SimulatedRunner, run_id: int) -> None:
    act = run_activity(runner, run_id)
    s = act.streams
    lengths = {name: len(values) for name, values in s.items()}
    assert len(set(lengths.values())) == 1, lengths
    d = s["distance"]
    total = float(runner.runs.loc[runner.runs["run_id"] == run_id, "distance_m"].iloc[0])
    assert np.all(np.diff(d) >= 0) and d[0] == 0.0 and d[-1] == pytest.approx(total, abs=1e-6)
    assert np.array_equal(s["t"], np.arange(len(d), dtype=float)) and np.all(s["speed"] > 0)
    assert act.laps[0].start_m == 0.0 and act.laps[-1].end_m == pytest.approx(total, abs=1e-6)


@pytest.mark.slow
def test_streams_of_every_run_over_many_seeds() -> None:
    """Issue 16 item 12: every run of 30 seeded demo runners (about 2,900 runs), and of the runners
    on which the per-second streams once ran out before the run's end (the pace wandered slow for
    long: demo seeds 41 and 46, validation seeds 28 and 31), gives consistent streams and laps."""
    demo, validation = demo_scenario(), validation_scenario()
    cases = [(demo, seed) for seed in (*range(30), 41, 46)] + [(validation, 28), (validation, 31)]
    for scenario, seed in cases:
        runner = simulate_runner(scenario, seed)
        for run_id in runner.runs["run_id"]:
            _check_activity(runner, int(run_id))
