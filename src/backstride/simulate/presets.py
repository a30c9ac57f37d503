"""Ready-made scenarios: the demo runner of issue 4 and the scenarios the validation tests use."""

from __future__ import annotations

import math
from dataclasses import replace

from backstride.simulate.model import LiftDay, RunnerProfile, Scenario, Truth

#: A Westside-style template (Mon/Wed/Fri/Sat): (exercise, back loading, sets, reps, kg).
WESTSIDE: tuple[LiftDay, ...] = (
    LiftDay(
        0,
        "max-effort lower",
        (
            ("box squat", "high", 4, 2, 170.0),
            ("good morning", "high", 3, 6, 80.0),
            ("reverse hyper", "low", 3, 12, 60.0),
        ),
    ),
    LiftDay(
        2, "max-effort upper", (("floor press", "none", 4, 2, 130.0), ("bent-over row", "high", 4, 8, 80.0))
    ),
    LiftDay(
        4,
        "dynamic-effort lower",
        (
            ("speed box squat", "high", 10, 2, 100.0),
            ("speed deadlift", "high", 6, 1, 130.0),
            ("glute-ham raise", "low", 3, 8, 0.0),
        ),
    ),
    LiftDay(
        5, "dynamic-effort upper", (("speed bench press", "none", 9, 3, 80.0), ("pull-up", "none", 4, 8, 0.0))
    ),
)

#: Known effects used by the demo and validation (log hazard ratio per unit of each covariate).
EFFECTS: dict[str, float] = {
    "me_lower_48h": math.log(2.0),
    "glute_days_7d": math.log(0.85),
    "spike": math.log(2.0),  # while 10% past the longest run of the previous 30 days
    "weeks": math.log(0.99),
    "headphones": 0.0,
}


def demo_scenario() -> Scenario:
    """Issue 4 item 9: 185 cm, 104 kg, Westside 4 days a week, training for a 3-mile test run; a pump at
    about 1 mile (cramping about 0.8 mile later, so at 2-2.5 mi from the 1.2-1.5 mi onsets), worse downhill
    and after max-effort lower days, getting better once glute work starts in week 6."""
    truth = Truth(shape=2.2, scale_m=1900.0, log_hr=dict(EFFECTS), descent_log_rr=math.log(3.0))
    return Scenario(
        truth=truth,
        profile=RunnerProfile(height_cm=185.0, weight_kg=104.0, sex="male", age=27),
        weeks=24,
        run_days=(1, 3, 5, 6),
        start_distance_m=3200.0,
        goal_distance_m=4828.0,
        lifting=WESTSIDE,
        glute_prob_before=0.05,
        glute_prob_after=0.65,
        glute_start_week=6,
        base_speed_mps=2.75,
        hill_amplitude_m=30.0,
        cramp_after_m=1300.0,
        name="demo: 185 cm, 104 kg, Westside lifter training for a 3-mile test",
    )


def validation_scenario(null: bool = False, weeks: int = 52) -> Scenario:
    """A year of runs with the known effects, for coverage checks; or, when ``null``, a runner with no
    effect at all for the size checks. The null runner runs twice a week with lengths varying by
    about 50% and a long pain-free distance, so that runs often go past 110% of the longest run of
    the previous 30 days still pain-free: with the demo runner's pattern (pain at about a mile, runs
    four times a week) the spike factor could never be tested, and its size check would be empty."""
    base = demo_scenario()
    if null:
        truth = Truth(shape=2.2, scale_m=8000.0, log_hr={}, descent_log_rr=0.0)
        return replace(
            base,
            truth=truth,
            weeks=max(weeks, 78),
            run_days=(2, 5),
            distance_cv=0.5,
            glute_start_week=max(weeks, 78) // 3,
            name="validation (no effect)",
        )
    truth = replace(base.truth, scale_m=2800.0)
    return replace(base, truth=truth, weeks=weeks, glute_start_week=weeks // 3, name="validation")


def stationary_scenario(weeks: int = 26) -> Scenario:
    """Covariates independent of run length and of time (no progression, steady routines, no spike or
    trend effect): censoring is then independent of the onset, so KM targets the mixture curve."""
    base = demo_scenario()
    log_hr = {"me_lower_48h": math.log(2.0), "glute_days_7d": math.log(0.85)}
    truth = replace(base.truth, log_hr=log_hr, scale_m=2600.0)
    return replace(
        base,
        truth=truth,
        weeks=weeks,
        progression=False,
        glute_prob_before=0.35,
        glute_prob_after=0.35,
        name="stationary",
    )
