"""Units: everything is stored in SI (metres, seconds, kilograms) and shown in miles or kilometres.

Parsers accept what runners type: ``2.5mi``, ``4 km``, ``800 m``, ``12:30`` (a time), ``lap 2``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from backstride.errors import ValidationError

METRES_PER_MILE = 1609.344
METRES_PER_KM = 1000.0
KG_PER_LB = 0.45359237

DistanceUnit = Literal["mi", "km"]
UNITS: tuple[DistanceUnit, ...] = ("mi", "km")

_DISTANCE_FACTORS = {
    "mi": METRES_PER_MILE,
    "mile": METRES_PER_MILE,
    "miles": METRES_PER_MILE,
    "km": METRES_PER_KM,
    "k": METRES_PER_KM,
    "kms": METRES_PER_KM,
    "m": 1.0,
    "metres": 1.0,
    "meters": 1.0,
    "yd": 0.9144,
    "ft": 0.3048,
}
_DISTANCE_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*([a-zA-Z]+)\s*$")
_TIME_RE = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)\s*$")
_LAP_RE = re.compile(r"^\s*lap\s*#?\s*(\d+)\s*$", re.IGNORECASE)


def parse_distance(text: str, default_unit: str | None = None) -> float:
    """Parse ``2.5mi``, ``4 km``, ``800 m`` (or a bare number in ``default_unit``) into metres."""
    raw = text.strip()
    match = _DISTANCE_RE.match(raw)
    if match:
        number, unit = match.groups()
        factor = _DISTANCE_FACTORS.get(unit.lower())
        if factor is None:
            raise ValidationError(f"unknown distance unit {unit!r} in {text!r} (use mi, km or m)")
    elif default_unit is not None:
        number, factor = raw, _DISTANCE_FACTORS[default_unit]
    else:
        raise ValidationError(f"not a distance: {text!r} (try 1.2mi, 2km or 800m)")
    try:
        value = float(number.replace(",", "."))
    except ValueError:
        raise ValidationError(f"not a distance: {text!r} (try 1.2mi, 2km or 800m)") from None
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"a distance must be zero or more: {text!r}")
    return value * factor


def parse_duration(text: str) -> float:
    """Parse ``14:30`` (mm:ss) or ``1:02:03`` (h:mm:ss) into seconds."""
    match = _TIME_RE.match(text)
    if not match:
        raise ValidationError(f"not a time: {text!r} (try 14:30 or 1:02:03)")
    hours, minutes, seconds = match.groups()
    sec = float(seconds)
    if sec >= 60 or (hours is not None and int(minutes) >= 60):
        raise ValidationError(f"not a time: {text!r} (minutes and seconds must be under 60)")
    return (int(hours) if hours else 0) * 3600 + int(minutes) * 60 + sec


@dataclass(frozen=True)
class Position:
    """Where something happened in a run, as the runner gave it: one of metres, seconds or a lap."""

    metres: float | None = None
    seconds: float | None = None
    lap: int | None = None


def parse_position(text: str, default_unit: str | None = None) -> Position:
    """Parse an onset or stage position: a distance, an elapsed time, or ``lap N``."""
    lap = _LAP_RE.match(text)
    if lap:
        number = int(lap.group(1))
        if number < 1:
            raise ValidationError(f"laps are numbered from 1: {text!r}")
        return Position(lap=number)
    if _TIME_RE.match(text):
        return Position(seconds=parse_duration(text))
    return Position(metres=parse_distance(text, default_unit))


def distance_in(metres: float, unit: str) -> float:
    """Metres to the display unit (``mi`` or ``km``)."""
    return metres / (METRES_PER_MILE if unit == "mi" else METRES_PER_KM)


def format_distance(metres: float | None, unit: str, digits: int = 2) -> str:
    if metres is None or (isinstance(metres, float) and math.isnan(metres)):
        return "-"
    return f"{distance_in(metres, unit):.{digits}f} {unit}"


def format_duration(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_pace(metres: float | None, seconds: float | None, unit: str) -> str:
    """Pace as ``m:ss /mi`` or ``m:ss /km``."""
    if not metres or not seconds or metres <= 0:
        return "-"
    per_unit = seconds / distance_in(metres, unit)
    minutes, secs = divmod(round(per_unit), 60)
    return f"{minutes}:{secs:02d} /{unit}"


def format_speed(metres: float | None, seconds: float | None, unit: str) -> str:
    """Speed as ``12.3 km/h`` or ``7.6 mph`` (for sports where a pace per mile means little)."""
    if not metres or not seconds or metres <= 0 or seconds <= 0:
        return "-"
    per_hour = distance_in(metres, unit) / seconds * 3600
    return f"{per_hour:.1f} {'mph' if unit == 'mi' else 'km/h'}"


def parse_weight(text: str, default_unit: str = "kg") -> float:
    """Parse ``82.5kg``, ``180 lb`` or a bare number in ``default_unit`` into kilograms."""
    match = re.match(r"^\s*(\d+(?:[.,]\d+)?)\s*(kg|kgs|lb|lbs)?\s*$", text, re.IGNORECASE)
    if not match:
        raise ValidationError(f"not a weight: {text!r} (try 82.5kg or 180lb)")
    value = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or default_unit).lower()
    return value * KG_PER_LB if unit.startswith("lb") else value
