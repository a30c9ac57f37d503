"""The simulated runner: the demo preset matches issue 4 item 9, runs carry their truth and laps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backstride.simulate import demo_scenario, run_activity, simulate_runner


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
