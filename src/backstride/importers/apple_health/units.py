"""The units that Apple Health writes on every record and statistic, onto SI (and the stream units).

Every ``Record`` and ``WorkoutStatistics`` carries its own ``unit``: the runner's display choice at the
time of writing, so one export can hold ``km`` and ``mi``, ``kg`` and ``lb`` side by side.
"""

from __future__ import annotations

from backstride.errors import BadFileError
from backstride.units import KG_PER_LB, METRES_PER_FOOT, METRES_PER_KM, METRES_PER_MILE, METRES_PER_YARD

#: Unit -> factor onto metres, metres per second, kilograms, seconds (by kind).
_LENGTH = {
    "m": 1.0,
    "km": METRES_PER_KM,
    "cm": 0.01,
    "mm": 0.001,
    "mi": METRES_PER_MILE,
    "ft": METRES_PER_FOOT,
    "yd": METRES_PER_YARD,
    "in": 0.0254,
}
_SPEED = {
    "m/s": 1.0,
    "km/hr": 1 / 3.6,
    "km/h": 1 / 3.6,
    "mi/hr": METRES_PER_MILE / 3600,
    "mi/h": METRES_PER_MILE / 3600,
    "ft/s": METRES_PER_FOOT,
}
_MASS = {"kg": 1.0, "g": 0.001, "lb": KG_PER_LB, "st": 6.35029318, "oz": 0.028349523125}
_TIME = {"ms": 0.001, "s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0, "d": 86400.0}


def length_m(value: float, unit: str | None, name: str = "export.xml") -> float:
    """``value`` in ``unit`` as metres (a missing unit is taken as metres)."""
    return value * _factor(_LENGTH, unit or "m", name)


def speed_ms(value: float, unit: str | None, name: str = "export.xml") -> float:
    return value * _factor(_SPEED, unit or "m/s", name)


def mass_kg(value: float, unit: str | None, name: str = "export.xml") -> float:
    return value * _factor(_MASS, unit or "kg", name)


def seconds(value: float, unit: str | None, name: str = "export.xml") -> float:
    return value * _factor(_TIME, unit or "min", name)


def _factor(table: dict[str, float], unit: str, name: str) -> float:
    try:
        return table[unit.strip()]
    except KeyError as exc:
        raise BadFileError(name, f"unknown unit {unit!r} (expected one of {', '.join(table)})") from exc


#: Records joined to a workout's streams: HealthKit type -> stream column (``steps`` become cadence).
STREAM_TYPES: dict[str, str] = {
    "HKQuantityTypeIdentifierHeartRate": "heart_rate",
    "HKQuantityTypeIdentifierRunningSpeed": "speed",
    "HKQuantityTypeIdentifierRunningPower": "power",
    "HKQuantityTypeIdentifierCyclingPower": "power",
    "HKQuantityTypeIdentifierRunningStrideLength": "step_length",
    "HKQuantityTypeIdentifierRunningVerticalOscillation": "vertical_oscillation",
    "HKQuantityTypeIdentifierRunningGroundContactTime": "stance_time",
    "HKQuantityTypeIdentifierStepCount": "steps",
    "HKQuantityTypeIdentifierDistanceWalkingRunning": "distance",
    "HKQuantityTypeIdentifierDistanceCycling": "distance",
}

#: Column code (in the sample spool) of each stream column.
COLUMN_CODES = {name: i for i, name in enumerate(sorted(set(STREAM_TYPES.values())))}
COLUMNS_BY_CODE = {i: name for name, i in COLUMN_CODES.items()}


def stream_value(column: str, value: float, unit: str | None, name: str = "export.xml") -> float:
    """A record's value in the unit of its stream column (see ``STREAM_COLUMNS``; steps as a count)."""
    if column == "heart_rate":  # count/min
        return value * (60.0 if unit == "count/s" else 1.0)
    if column == "speed":
        return speed_ms(value, unit, name)
    if column == "power":  # W
        return value * (1000.0 if unit == "kW" else 1.0)
    if column in ("step_length", "vertical_oscillation"):  # millimetres
        return length_m(value, unit, name) * 1000.0
    if column == "stance_time":  # milliseconds
        return seconds(value, unit or "ms", name) * 1000.0
    if column == "distance":
        return length_m(value, unit, name)
    return value  # steps: a count


__all__ = [
    "COLUMNS_BY_CODE",
    "COLUMN_CODES",
    "STREAM_TYPES",
    "length_m",
    "mass_kg",
    "seconds",
    "speed_ms",
    "stream_value",
]
