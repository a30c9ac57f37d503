from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backstride
from backstride.errors import ValidationError
from backstride.units import (
    METRES_PER_MILE,
    Position,
    floor_distance,
    format_distance,
    format_duration,
    format_pace,
    parse_distance,
    parse_duration,
    parse_position,
    parse_weight,
)


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("1.2mi", 1.2 * METRES_PER_MILE),
        ("2km", 2000.0),
        ("800m", 800.0),
        ("4 km", 4000.0),
        ("2,5 km", 2500.0),
    ],
)
def test_parse_distance(text: str, metres: float) -> None:
    assert parse_distance(text) == pytest.approx(metres)


@pytest.mark.parametrize("text", ["", "abc", "3 parsecs", "-1km", "km"])
def test_parse_distance_rejects(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_distance(text)


def test_parse_position_forms() -> None:
    assert parse_position("lap 2") == Position(lap=2)
    assert parse_position("14:30") == Position(seconds=870.0)
    assert parse_position("1:02:03") == Position(seconds=3723.0)
    assert parse_position("1.5 km") == Position(metres=1500.0)
    with pytest.raises(ValidationError):
        parse_position("lap 0")
    with pytest.raises(ValidationError):
        parse_duration("12:75")


def test_formatting() -> None:
    assert format_distance(METRES_PER_MILE * 3, "mi") == "3.00 mi"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(None) == "-"
    assert format_pace(1000.0, 300.0, "km") == "5:00 /km"
    assert parse_weight("180 lb") == pytest.approx(81.6466, rel=1e-4)


@given(st.floats(min_value=0, max_value=500_000, allow_nan=False), st.sampled_from(["mi", "km", "m"]))
def test_distance_round_trip(metres: float, unit: str) -> None:
    factor = {"mi": METRES_PER_MILE, "km": 1000.0, "m": 1.0}[unit]
    text = f"{metres / factor:.12f}{unit}"
    assert parse_distance(text) == pytest.approx(metres, rel=1e-9, abs=1e-6)


def test_floor_distance_rounds_down_in_the_display_unit() -> None:
    assert floor_distance(1.2199 * METRES_PER_MILE, "mi") == pytest.approx(1.21 * METRES_PER_MILE)
    assert floor_distance(3 * METRES_PER_MILE, "mi") == pytest.approx(3 * METRES_PER_MILE)
    assert floor_distance(4828.032, "km") == pytest.approx(4820.0)
    assert floor_distance(4828.032, "km", digits=1) == pytest.approx(4800.0)


@given(st.floats(min_value=0, max_value=200_000, allow_nan=False), st.sampled_from(["mi", "km"]))
def test_floor_distance_never_shows_more_than_it_is(metres: float, unit: str) -> None:
    floored = floor_distance(metres, unit)
    assert floored <= metres + 1e-6
    assert metres - floored < (METRES_PER_MILE if unit == "mi" else 1000.0) / 100 + 1e-6
    # What is shown (two decimals) is the floored value itself.
    assert format_distance(floored, unit) == format_distance(floored + 1e-7, unit)


#: Unit factors and the default target written out as numbers: their one home is backstride.units.
_UNIT_LITERALS = re.compile(r"(?<![\d.])(1609\.344|4828\.032|0\.45359237|0\.3048|0\.9144)(?!\d)")


def test_unit_factors_are_written_only_in_units() -> None:
    src = Path(backstride.__file__).parent
    found = [
        f"{path.relative_to(src)}:{number}: {line.strip()}"
        for path in sorted(src.rglob("*.py"))
        if path.name != "units.py" or path.parent != src
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _UNIT_LITERALS.search(line)
    ]
    assert found == []


def test_the_default_targets_have_one_home() -> None:
    from backstride import api, units

    assert api.DEFAULT_TARGETS is units.DEFAULT_TARGETS
    assert units.DEFAULT_TARGETS["mi"] == pytest.approx(4828.032)
    assert units.DEFAULT_TARGETS["km"] == 5000.0
    assert units.default_target_m("mi") == pytest.approx(3 * 1609.344)
    assert units.default_target_m("km") == units.default_target_m("anything else") == 5000.0
