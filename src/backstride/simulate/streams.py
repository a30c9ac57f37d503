"""Per-second streams and the Activity of a simulated run (laps: auto laps plus a manual lap at the onset).

Streams are made on demand from the run's own seed, so a runner with hundreds of runs stays light.
Speed slows on climbs (about 3% per 1% of grade) and after a cramp; cadence follows speed; altitude
comes from the route; the track is a loop around a fixed point. File writing (FIT/TCX/GPX) belongs to
the importers' writers: a later step passes :func:`run_activity`'s result to them.
"""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np

from backstride.importers.model import Activity, Lap
from backstride.simulate.model import Route
from backstride.simulate.runner import SimulatedRunner

_LAT0, _LON0 = 38.8719, -77.0563


def _speed(route: Route, base: float, cramp_m: float, start_m: float, noise: np.ndarray) -> np.ndarray:
    """Speed per second from ``start_m`` on (one value per ``noise`` value): slower on climbs, 10%
    slower after a cramp. The grade is taken at the distance run at the base pace (a first pass on
    the flat)."""
    d0 = start_m + np.concatenate(([0.0], np.cumsum(np.full(noise.size - 1, base))))
    grade = route.grade_at(d0)
    return base * np.exp(-3.0 * np.clip(grade, -0.08, 0.08) + noise) * np.where(d0 > cramp_m, 0.9, 1.0)


def run_streams(runner: SimulatedRunner, run_id: int) -> dict[str, np.ndarray]:
    """1 Hz streams of one run (SI units; names as in ``importers.model.STREAM_COLUMNS``)."""
    row = runner.runs.loc[runner.runs["run_id"] == run_id].iloc[0]
    route = runner.routes[int(row["route_index"])]
    rng = np.random.default_rng(int(row["seed"]))
    total = float(row["distance_m"])
    base = float(row["speed_mps"])
    n_max = int(total / (base * 0.5)) + 10
    noise = np.cumsum(rng.normal(0, 0.01, n_max))
    noise -= np.linspace(0, noise[-1], n_max)
    cramp = float(row["cramp_m"]) if math.isfinite(row["cramp_m"]) else math.inf
    speed = _speed(route, base, cramp, 0.0, noise)
    dist = np.concatenate(([0.0], np.cumsum(speed[:-1])))
    if dist[-1] < total:
        # The pace wandered slow for long enough that n_max seconds do not cover the run: carry on
        # at the undisturbed pace (at least 0.7 x base, so this reaches the end).
        start = dist[-1] + speed[-1]
        more = int((total - start) / (base * 0.5)) + 10
        speed = np.concatenate((speed, _speed(route, base, cramp, start, np.zeros(more))))
        dist = np.concatenate(([0.0], np.cumsum(speed[:-1])))
    n = int(np.searchsorted(dist, total)) + 1
    dist = np.minimum(dist[:n], total)
    speed = speed[:n]
    t = np.arange(n, dtype=float)
    angle = 2 * np.pi * np.mod(dist, route.length_m) / route.length_m
    radius_deg = route.length_m / (2 * np.pi) / 111_320.0
    return {
        "t": t,
        "distance": dist,
        "lat": _LAT0 + radius_deg * np.sin(angle),
        "lon": _LON0 + radius_deg * (1 - np.cos(angle)) / math.cos(math.radians(_LAT0)),
        "altitude": route.altitude_at(dist) + rng.normal(0, 0.2, n),
        "speed": speed,
        "cadence": np.round(160 + 10 * (speed - 2.5) + rng.normal(0, 2, n)),
        "heart_rate": np.round(np.minimum(185, 110 + 45 * (1 - np.exp(-t / 300)) + 15 * (speed - base))),
    }


def run_activity(runner: SimulatedRunner, run_id: int) -> Activity:
    """The run as an :class:`Activity`: streams, auto laps every ``lap_m`` and a manual lap at the onset
    when the runner pressed lap ("the lap button is the pain button")."""
    row = runner.runs.loc[runner.runs["run_id"] == run_id].iloc[0]
    s = run_streams(runner, run_id)
    dist, t = s["distance"], s["t"]
    cuts = [(float(m), "distance") for m in np.arange(row["lap_m"], dist[-1], row["lap_m"])]
    if row["report"] == "lap":
        cuts.append((float(row["onset_m"]), "manual"))
    cuts.sort()
    laps: list[Lap] = []
    start_m, start_s = 0.0, 0.0
    for metres, trigger in cuts:
        end_s = float(np.interp(metres, dist, t))
        laps.append(Lap(start_s, end_s, start_m, metres, trigger))
        start_m, start_s = metres, end_s
    laps.append(Lap(start_s, float(t[-1]), start_m, float(dist[-1]), "session_end"))
    start = row["start"].to_pydatetime().replace(tzinfo=UTC)
    alt = s["altitude"]
    return Activity(
        source="simulated",
        sport="running",
        start=start,
        distance_m=float(dist[-1]),
        moving_s=float(t[-1]),
        elapsed_s=float(t[-1]),
        elevation_gain_m=float(np.clip(np.diff(alt), 0, None).sum()),
        elevation_loss_m=float(np.clip(-np.diff(alt), 0, None).sum()),
        avg_hr=float(np.mean(s["heart_rate"])),
        avg_cadence=float(np.mean(s["cadence"])),
        avg_speed=float(dist[-1] / t[-1]),
        device="backstride simulator",
        name=f"{runner.scenario.name}: run {run_id}",
        streams=s,
        laps=laps,
    )
