"""Self-tests: the McGill ratios and every flag at its threshold (DOMAIN.md section 3); storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from backstride.errors import ValidationError
from backstride.plan import selftests


def flags(test: str, **values: float) -> set[str]:
    return {f.id for f in selftests.evaluate(test, values).flags}


def test_mcgill_ratios() -> None:
    r = selftests.evaluate(
        "mcgill", {"flexor_s": 136, "extensor_s": 161, "side_right_s": 95, "side_left_s": 99}
    )
    assert r.derived["flexor_extensor_ratio"] == pytest.approx(136 / 161)
    assert r.derived["side_bridge_asymmetry"] == pytest.approx(abs(1 - 95 / 99))
    assert r.derived["side_bridge_extensor_ratio"] == pytest.approx(97 / 161)
    assert r.flags == []  # the published mean man is balanced


@pytest.mark.parametrize(
    ("flexor", "extensor", "expected"),
    [(100, 100, True), (99, 100, False), (150, 100, True)],
)
def test_flexor_extensor_flag_at_one(flexor: float, extensor: float, expected: bool) -> None:
    got = flags("mcgill", flexor_s=flexor, extensor_s=extensor, side_right_s=50, side_left_s=50)
    assert ("flexor_extensor_ratio_high" in got) is expected


@pytest.mark.parametrize(
    ("right", "left", "expected"), [(100, 95, True), (100, 100, False), (96, 100, False)]
)
def test_side_bridge_asymmetry_above_five_percent(right: float, left: float, expected: bool) -> None:
    got = flags("mcgill", flexor_s=50, extensor_s=400, side_right_s=right, side_left_s=left)
    assert ("side_bridge_asymmetry" in got) is expected


@pytest.mark.parametrize(("side", "expected"), [(75, True), (74, False), (90, True)])
def test_side_bridge_extensor_flag_at_075(side: float, expected: bool) -> None:
    got = flags("mcgill", flexor_s=50, extensor_s=100, side_right_s=side, side_left_s=side)
    assert ("side_bridge_extensor_ratio_high" in got) is expected


def test_partial_battery_flags_what_it_can() -> None:
    assert flags("mcgill", flexor_s=120, extensor_s=100) == {"flexor_extensor_ratio_high"}


def test_thomas_knee_extension_bridge_and_glute_flags() -> None:
    assert flags("thomas", hip_above_left=1) == {"short_hip_flexors"}
    assert flags("thomas", hip_above_left=0, hip_above_right=0, knee_left_deg=80) == set()
    assert flags("thomas", knee_right_deg=66) == {"short_rectus_femoris"}
    assert flags("thomas", knee_right_deg=67) == set()
    assert flags("knee_extension", short_left_deg=41) == {"short_hamstrings"}
    assert flags("knee_extension", short_left_deg=40, short_right_deg=10) == set()
    assert flags("hamstring_bridge", reps_left=19, reps_right=30) == {"hamstring_endurance_low"}
    assert flags("hamstring_bridge", reps_left=20, reps_right=25) == set()
    assert flags("glute_med", squat_right=1) == {"glute_med_weak_screen"}
    assert flags("glute_med", trendelenburg_left=0, squat_left=0) == set()


def test_unverified_threshold_says_so() -> None:
    (flag,) = selftests.evaluate("hamstring_bridge", {"reps_left": 12}).flags
    assert not flag.verified and "unverified" in flag.reason
    assert flag.value == 12


def test_worst_side_is_reported() -> None:
    (flag,) = selftests.evaluate("knee_extension", {"short_left_deg": 45, "short_right_deg": 60}).flags
    assert flag.value == 60 and flag.metric == "short_right_deg"


@pytest.mark.parametrize(
    ("test", "values"),
    [
        ("mcgill", {"flexor_s": -1}),
        ("mcgill", {"flexor_s": 5000}),
        ("mcgill", {"biceps": 10}),
        ("thomas", {"hip_above_left": 0.5}),
        ("mcgill", {}),
        ("nosuch", {"x": 1}),
    ],
)
def test_bad_values_are_rejected(test: str, values: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        selftests.evaluate(test, values)


def test_record_history_and_current_flags(engine: Engine) -> None:
    first = datetime(2026, 1, 5, 9, tzinfo=UTC)
    later = datetime(2026, 2, 5, 9, tzinfo=UTC)
    with engine.begin() as conn:
        selftests.record_test(conn, 1, "mcgill", {"flexor_s": 120, "extensor_s": 100}, taken_at=first)
        selftests.record_test(conn, 1, "mcgill", {"flexor_s": 110, "extensor_s": 150}, taken_at=later)
        selftests.record_test(
            conn, 1, "knee_extension", {"short_left_deg": 50}, taken_at=first, notes="tight"
        )
    with engine.connect() as conn:
        hist = selftests.history(conn, 1, "mcgill")
        assert [h.taken_at for h in hist] == [first, later]
        assert [h.values["extensor_s"] for h in hist] == [100, 150]
        assert [bool(h.flags) for h in hist] == [True, False]
        current = {f.id for f in selftests.current_flags(conn, 1)}
    assert current == {"short_hamstrings"}  # the McGill imbalance resolved in the later test


def test_future_test_is_rejected(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ValidationError, match="future"):
        selftests.record_test(conn, 1, "mcgill", {"flexor_s": 1}, taken_at=datetime(2999, 1, 1, tzinfo=UTC))
