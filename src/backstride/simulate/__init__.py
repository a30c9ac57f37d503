"""The simulated runner: a generative model with a KNOWN truth, for validation and ``backstride demo``."""

from backstride.simulate.model import RUN_COVARIATES, LiftDay, Route, RunnerProfile, Scenario, Truth
from backstride.simulate.presets import (
    EFFECTS,
    WESTSIDE,
    demo_scenario,
    stationary_scenario,
    validation_scenario,
)
from backstride.simulate.runner import SimulatedRunner, simulate_runner
from backstride.simulate.streams import run_activity, run_streams

__all__ = [
    "EFFECTS",
    "RUN_COVARIATES",
    "WESTSIDE",
    "LiftDay",
    "Route",
    "RunnerProfile",
    "Scenario",
    "SimulatedRunner",
    "Truth",
    "demo_scenario",
    "run_activity",
    "run_streams",
    "simulate_runner",
    "stationary_scenario",
    "validation_scenario",
]
