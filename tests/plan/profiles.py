"""Constructed runner profiles for the rule tests."""

from __future__ import annotations

from datetime import date

from backstride.plan import redflags
from backstride.plan.profile import Finding, PlanInputs
from backstride.plan.selftests import TestFlag

TODAY = date(2026, 3, 4)


def flag(flag_id: str, strength: str = "moderate") -> TestFlag:
    return TestFlag(flag_id, "constructed", "metric", 1.0, 1.0, strength, True, f"{flag_id} (constructed)")


def profile(
    *,
    flags: list[TestFlag] | None = None,
    findings: list[Finding] | None = None,
    answers: dict[str, bool] | None = None,
    screened: bool = True,
    tried: frozenset[str] = frozenset(),
    goal_m: float | None = None,
) -> PlanInputs:
    return PlanInputs(
        screen=redflags.evaluate(answers or {}) if screened else None,
        self_test_flags=flags or [],
        findings=findings or [],
        goal_distance_m=goal_m,
        tried_routines=tried,
        today=TODAY,
    )
