"""Self-tests (DOMAIN.md section 3): definitions and norms from ``data/self_tests.yaml``, derived ratios,
flags, and the stored history.

Holds are in seconds, angles in degrees, bridges in reps; yes/no answers are stored as 1.0 / 0.0. The
McGill battery's balance measures are derived here: flexor/extensor, the right-left side bridge
difference (relative to the longer side, and in seconds), and the mean side bridge over the extensor
hold. Norms the cited source does not hold are shown as provisional (``verified`` false). Several tests
are weak screens: a flag is a reason to look, not a finding about the body.

Knee angles in the modified Thomas test are knee flexion (0 = straight). Results stored before that
(``knee_left_deg``/``knee_right_deg``, an angle with 180 = straight) are read as flexion = 180 - angle.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from backstride.errors import ValidationError
from backstride.plan.knowledge import FlagDef, SelfTestDef, knowledge_base
from backstride.store.plan_schema import self_test_results

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<": operator.lt,
    "<=": operator.le,
}


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return num / den


def _side_asymmetry(v: Mapping[str, float]) -> float | None:
    """|right - left| over the longer side: the same whichever side is weaker."""
    right, left = v.get("side_right_s"), v.get("side_left_s")
    if right is None or left is None or max(right, left) <= 0:
        return None
    return abs(right - left) / max(right, left)


def _side_difference(v: Mapping[str, float]) -> float | None:
    right, left = v.get("side_right_s"), v.get("side_left_s")
    return None if right is None or left is None else abs(right - left)


def _side_extensor(v: Mapping[str, float]) -> float | None:
    right, left = v.get("side_right_s"), v.get("side_left_s")
    if right is None or left is None:
        return None
    return _ratio((right + left) / 2.0, v.get("extensor_s"))


#: Derived metrics by name, computed from a test's entered values (missing inputs give ``None``).
DERIVED: dict[str, Callable[[Mapping[str, float]], float | None]] = {
    "flexor_extensor_ratio": lambda v: _ratio(v.get("flexor_s"), v.get("extensor_s")),
    "side_bridge_asymmetry": _side_asymmetry,
    "side_bridge_difference_s": _side_difference,
    "side_bridge_extensor_ratio": _side_extensor,
}


@dataclass(frozen=True)
class TestFlag:
    """A raised self-test flag: ``value`` is the metric that crossed the threshold (the worst one)."""

    id: str
    test: str
    metric: str
    value: float
    threshold: float
    strength: str
    verified: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "test": self.test,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "strength": self.strength,
            "verified": self.verified,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TestResult:
    """One recorded test: entered values, derived metrics and the flags they raise."""

    test: str
    values: dict[str, float]
    derived: dict[str, float]
    flags: list[TestFlag]
    taken_at: datetime | None = None
    notes: str | None = None
    id: int | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "test": self.test,
            "taken_at": None if self.taken_at is None else self.taken_at.isoformat(),
            "values": self.values,
            "derived": self.derived,
            "flags": [f.as_dict() for f in self.flags],
            "notes": self.notes,
        }


def definitions() -> list[SelfTestDef]:
    return list(knowledge_base().self_tests.tests)


def definition(test_id: str) -> SelfTestDef:
    return knowledge_base().test(test_id)


def validate_values(test: SelfTestDef, values: Mapping[str, float]) -> dict[str, float]:
    """Check keys and ranges; yes/no fields must be 0 or 1. At least one value is required."""
    known = {f.key: f for f in test.fields}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValidationError(
            f"{test.id}: unknown values {', '.join(unknown)} (expected: {', '.join(known)})"
        )
    out: dict[str, float] = {}
    for key, raw in values.items():
        spec = known[key]
        value = float(raw)
        if not math.isfinite(value) or value < spec.min or value > spec.max:
            raise ValidationError(f"{test.id}: {spec.label} must be {spec.min:g}-{spec.max:g} {spec.unit}")
        if spec.kind == "yesno" and value not in (0.0, 1.0):
            raise ValidationError(f"{test.id}: {spec.label} must be yes or no")
        out[key] = value
    if not out:
        raise ValidationError(f"{test.id}: enter at least one value")
    return out


#: Fields renamed since results were stored: old key -> (new key, conversion of the stored value).
LEGACY_FIELDS: dict[str, dict[str, tuple[str, Callable[[float], float]]]] = {
    "thomas": {
        "knee_left_deg": ("knee_flexion_left_deg", lambda angle: 180.0 - angle),
        "knee_right_deg": ("knee_flexion_right_deg", lambda angle: 180.0 - angle),
    },
}


def upgrade_stored(test_id: str, values: Mapping[str, float]) -> dict[str, float]:
    """Stored values under today's field keys (see :data:`LEGACY_FIELDS`)."""
    renames = LEGACY_FIELDS.get(test_id, {})
    out: dict[str, float] = {}
    for key, value in values.items():
        new_key, convert = renames.get(key, (key, float))
        out[new_key] = convert(float(value))
    return out


def _threshold(spec: FlagDef, metrics: Mapping[str, float]) -> float:
    if spec.rule.threshold_female is not None and metrics.get("female") == 1.0:
        return spec.rule.threshold_female
    return spec.rule.threshold


def _flag(test: SelfTestDef, spec: FlagDef, metrics: Mapping[str, float]) -> TestFlag | None:
    op = _OPS[spec.rule.op]
    threshold = _threshold(spec, metrics)
    hits = [(m, metrics[m]) for m in spec.rule.metrics if m in metrics and op(metrics[m], threshold)]
    for cond in spec.rule.requires:
        if cond.metric not in metrics or not _OPS[cond.op](metrics[cond.metric], cond.threshold):
            return None
    if not hits:
        return None
    # The worst value: the furthest past the threshold.
    worst_metric, worst = max(hits, key=lambda mv: abs(mv[1] - threshold))
    reason = spec.text.format(value=worst, threshold=threshold)
    if not spec.verified:
        reason += " (threshold unverified)"
    return TestFlag(spec.id, test.id, worst_metric, worst, threshold, spec.strength, spec.verified, reason)


def evaluate(test_id: str, values: Mapping[str, float]) -> TestResult:
    """Derived metrics and raised flags for one set of entered values."""
    test = definition(test_id)
    clean = validate_values(test, values)
    derived = {name: v for name, fn in DERIVED.items() if (v := fn(clean)) is not None}
    metrics = {**clean, **derived}
    flags = [f for spec in test.flags if (f := _flag(test, spec, metrics)) is not None]
    used = {m for s in test.flags for m in [*s.rule.metrics, *(c.metric for c in s.rule.requires)]}
    relevant = {k: v for k, v in derived.items() if k in used}
    return TestResult(test.id, clean, relevant, flags)


def record_test(
    conn: Connection,
    user_id: int,
    test_id: str,
    values: Mapping[str, float],
    taken_at: datetime | None = None,
    notes: str | None = None,
) -> TestResult:
    """Validate, store and return one self-test result (``taken_at`` defaults to now, UTC)."""
    result = evaluate(test_id, values)
    when = taken_at or datetime.now(UTC)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when > datetime.now(UTC):
        raise ValidationError("a self-test cannot be in the future")
    row = conn.execute(
        self_test_results.insert().values(
            user_id=user_id,
            test=test_id,
            taken_at=when,
            values=json.dumps(result.values, sort_keys=True),
            notes=notes,
        )
    )
    new_id = int(row.inserted_primary_key[0])  # type: ignore[index]
    return TestResult(result.test, result.values, result.derived, result.flags, when, notes, new_id)


def history(conn: Connection, user_id: int, test_id: str | None = None) -> list[TestResult]:
    """Stored results, oldest first, re-evaluated against today's norms and flags."""
    query = select(self_test_results).where(self_test_results.c.user_id == user_id)
    if test_id is not None:
        definition(test_id)
        query = query.where(self_test_results.c.test == test_id)
    rows = conn.execute(query.order_by(self_test_results.c.taken_at, self_test_results.c.id))
    out: list[TestResult] = []
    for row in rows:
        r = evaluate(row.test, upgrade_stored(row.test, json.loads(row.values)))
        when = row.taken_at if row.taken_at.tzinfo else row.taken_at.replace(tzinfo=UTC)
        out.append(TestResult(r.test, r.values, r.derived, r.flags, when, row.notes, int(row.id)))
    return out


def latest_results(conn: Connection, user_id: int) -> dict[str, TestResult]:
    """The most recent result of each test the user has done."""
    latest: dict[str, TestResult] = {}
    for result in history(conn, user_id):
        latest[result.test] = result
    return latest


def current_flags(conn: Connection, user_id: int) -> list[TestFlag]:
    """Flags raised by the latest result of each test."""
    return [f for r in latest_results(conn, user_id).values() for f in r.flags]
