"""The workouts and weighings of a simulated export, each with its truth, and the default set that
covers the quirks of real exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from backstride.units import KG_PER_LB, METRES_PER_MILE

MILE_M = METRES_PER_MILE
LB_KG = KG_PER_LB


@dataclass
class HealthRun:
    """One generated workout and its truth (times are UTC epochs; distances metres)."""

    start: float
    duration_s: float
    speed_ms: float
    offset_s: int = 3600
    activity: str = "HKWorkoutActivityTypeRunning"
    route: bool = True
    route_files: int = 1
    indoor: bool = False
    pauses: list[tuple[float, float]] = field(default_factory=list)
    marker_at_s: float | None = None
    split_unit_m: float = 1000.0
    distance_unit: str = "km"
    old_style: bool = False
    hr_base: float = 140.0

    @property
    def paused_s(self) -> float:
        return sum(b - a for a, b in self.pauses)

    @property
    def end(self) -> float:
        return self.start + self.duration_s + self.paused_s

    @property
    def distance_m(self) -> float:
        return self.speed_ms * self.duration_s

    def active_at(self, elapsed: float) -> float:
        """Seconds of activity (pauses left out) at ``elapsed`` seconds after the start."""
        active = elapsed
        for a, b in self.pauses:
            if elapsed > b - self.start:
                active -= b - a
            elif elapsed > a - self.start:
                active -= elapsed - (a - self.start)
        return active

    def paused(self, epoch: float) -> bool:
        return any(a <= epoch < b for a, b in self.pauses)


@dataclass
class Weighing:
    when: float
    kg: float
    unit: str = "kg"
    offset_s: int = 3600
    source: str = "Withings"


def default_runs(scale: float = 1.0) -> tuple[list[HealthRun], list[HealthRun], list[Weighing]]:
    """Five runs covering the quirks, a ride and a walk, and weighings; ``scale`` shortens every run
    (the fixture kept in the repository uses ``scale=0.3``)."""
    base = datetime(2024, 3, 28, 6, 30, tzinfo=UTC).timestamp()  # clocks go forward on 31 March
    day = 86400.0

    def s(seconds: float) -> float:
        return round(seconds * scale)

    runs = [
        # a km runner, new-style statistics, one route, a marker (the pain press) 14 min in (scaled).
        HealthRun(base, s(1800), 3.0, offset_s=3600, marker_at_s=s(14 * 60)),
        # a pause of 90 s (scaled); the route split over two files.
        HealthRun(
            base + 2 * day,
            s(2400),
            3.2,
            offset_s=3600,
            pauses=[(base + 2 * day + s(900), base + 2 * day + s(990))],
            route_files=2,
        ),
        # after the clocks went forward (+0200). Treadmill: no route, HKIndoorWorkout, distance from the
        # records only (the phone's records of the same time must not be added).
        HealthRun(base + 4 * day, s(1500), 2.9, offset_s=7200, route=False, indoor=True),
        # old-style attributes (totalDistance), miles, mile splits, a marker.
        HealthRun(
            base + 6 * day,
            s(2000),
            3.1,
            offset_s=7200,
            distance_unit="mi",
            split_unit_m=MILE_M,
            old_style=True,
            marker_at_s=s(600),
        ),
        # a long run with two pauses.
        HealthRun(
            base + 8 * day,
            s(4200),
            2.8,
            offset_s=7200,
            pauses=[
                (base + 8 * day + s(1200), base + 8 * day + s(1260)),
                (base + 8 * day + s(3000), base + 8 * day + s(3300)),
            ],
        ),
    ]
    others = [
        HealthRun(
            base + 3 * day + 36000, s(3600), 7.5, offset_s=7200, activity="HKWorkoutActivityTypeCycling"
        ),
        HealthRun(
            base + 5 * day + 40000,
            s(1800),
            1.4,
            offset_s=7200,
            activity="HKWorkoutActivityTypeWalking",
            route=False,
        ),
    ]
    weighings = [
        Weighing(base - day + 600, 82.4, "kg", 3600),
        Weighing(base + 1 * day + 500, 82.1, "kg", 3600),
        Weighing(base + 1 * day + 40000, 83.0, "kg", 3600),  # a second weighing the same day: the last counts
        Weighing(base + 5 * day + 700, 180.6 * LB_KG, "lb", 7200),
        Weighing(base + 9 * day + 900, 81.7, "kg", 7200),
    ]
    return runs, others, weighings


__all__ = ["LB_KG", "MILE_M", "HealthRun", "Weighing", "default_runs"]
