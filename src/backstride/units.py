"""Units: everything is stored in SI (metres, seconds, kilograms) and shown in miles or kilometres.

Parsers accept what runners type: ``2.5mi``, ``4 km``, ``800 m``, ``12:30`` (a time), ``lap 2``.

Formatting for people happens here and nowhere else, following the runner's unit (``mi`` or ``km``):

- :func:`format_distance` (run distances: ``3.10 mi`` / ``5.00 km``), :func:`format_short_distance`
  (a few hundred metres: ``550 yd`` / ``500 m``), :func:`format_elevation` (climb, descent, altitude:
  ``33 ft`` / ``10 m``), :func:`format_pace` (``8:03 /mi``), :func:`format_speed` (``7.5 mph`` /
  ``12.0 km/h``), :func:`format_duration`, :func:`format_distance_input` (``1.23mi``, for a form field);
- :func:`format_band` names a category of distances (``10-25km`` -> ``6-16 mi``);
- :func:`localize` rewrites the SI quantities in sentences that other parts of the library still
  write in metres (``1,649 m``, ``111 km``, ``10 m of descent``) into the runner's unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from backstride.errors import ValidationError

METRES_PER_MILE = 1609.344
METRES_PER_KM = 1000.0
METRES_PER_FOOT = 0.3048
METRES_PER_YARD = 0.9144
KG_PER_LB = 0.45359237

#: The default target distance per display unit (of "the chance of running it pain-free"): the
#: 3-mile test run, or 5 km. The CLI, the web, the report, the demo and ``backstride.analyze`` use it.
DEFAULT_TARGETS: dict[str, float] = {"mi": 3 * METRES_PER_MILE, "km": 5 * METRES_PER_KM}

DistanceUnit = Literal["mi", "km"]

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
    "yd": METRES_PER_YARD,
    "ft": METRES_PER_FOOT,
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
    except ValueError as exc:
        raise ValidationError(f"not a distance: {text!r} (try 1.2mi, 2km or 800m)") from exc
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


def metres_per(unit: str) -> float:
    """Metres in one display unit: a mile for ``mi``, a kilometre otherwise."""
    return METRES_PER_MILE if unit == "mi" else METRES_PER_KM


def default_target_m(unit: str) -> float:
    """The default target distance (:data:`DEFAULT_TARGETS`) of ``unit``; 5 km for any unit but ``mi``."""
    return DEFAULT_TARGETS["mi" if unit == "mi" else "km"]


def distance_in(metres: float, unit: str) -> float:
    """Metres to the display unit (``mi`` or ``km``)."""
    return metres / metres_per(unit)


def floor_distance(metres: float, unit: str, digits: int = 2) -> float:
    """``metres`` rounded down to ``digits`` decimals of the display unit, in metres: a planned distance
    that shows as 1.21 mi is at most 1.21 mi (rounding up could break a limit such as the spike rule)."""
    per_unit = metres_per(unit)
    scale = 10**digits
    shown = math.floor(metres / per_unit * scale + 1e-9) / scale
    return shown * per_unit


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


def parse_weight(text: str, default_unit: str = "kg") -> float:
    """Parse ``82.5kg``, ``180 lb`` or a bare number in ``default_unit`` into kilograms."""
    match = re.match(r"^\s*(\d+(?:[.,]\d+)?)\s*(kg|kgs|lb|lbs)?\s*$", text, re.IGNORECASE)
    if not match:
        raise ValidationError(f"not a weight: {text!r} (try 82.5kg or 180lb)")
    value = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or default_unit).lower()
    return value * KG_PER_LB if unit.startswith("lb") else value


#: Below this many metres a distance reads better in yards (mi) or metres (km) than in miles or km.
SHORT_BELOW_M = 0.1 * METRES_PER_MILE


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _round_sig(value: float, figures: int = 2) -> float:
    """``546.8`` -> ``550``: short distances read as round numbers."""
    if value == 0:
        return 0.0
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))


def short_unit(unit: str) -> str:
    """The unit of short distances: yards with miles, metres with kilometres."""
    return "yd" if unit == "mi" else "m"


def elevation_unit(unit: str) -> str:
    """The unit of climb, descent and altitude: feet with miles, metres with kilometres."""
    return "ft" if unit == "mi" else "m"


def elevation_in(metres: float, unit: str) -> float:
    """Metres of climb or altitude in the runner's elevation unit (feet with miles)."""
    return metres / METRES_PER_FOOT if unit == "mi" else metres


def format_short_distance(metres: float | None, unit: str) -> str:
    """A few hundred metres in yards (``mi``) or metres (``km``), to two significant figures."""
    if _missing(metres):
        return "-"
    assert metres is not None
    value = metres / METRES_PER_YARD if unit == "mi" else metres
    return f"{_round_sig(value):,.0f} {short_unit(unit)}"


def format_elevation(metres: float | None, unit: str) -> str:
    """Climb, descent or altitude: ``1,053 ft`` with miles, ``321 m`` with kilometres."""
    if _missing(metres):
        return "-"
    assert metres is not None
    return f"{elevation_in(metres, unit):,.0f} {elevation_unit(unit)}"


def format_speed(metres_per_second: float | None, unit: str) -> str:
    """``7.5 mph`` or ``12.0 km/h``."""
    if _missing(metres_per_second) or metres_per_second is None or metres_per_second <= 0:
        return "-"
    per_hour = distance_in(metres_per_second * 3600.0, unit)
    return f"{per_hour:.1f} {'mph' if unit == 'mi' else 'km/h'}"


def format_distance_input(metres: float, unit: str) -> str:
    """A distance as a form field holds it, to be parsed back: ``1.23mi``."""
    return f"{distance_in(metres, unit):.2f}{unit}"


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: ``1,649 m``, ``1.6 km``, ``1,600-2,000 m``, ``0.4 to 1.2 km`` (a quantity, or a range of two).
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<a>{_NUMBER})(?:\s?(?P<sep>-|–|\sto\s)\s?(?P<b>{_NUMBER}))?\s?(?P<unit>km|m)\b(?!/|²)"
)
#: Words after a quantity that make it a height, not a length along the run.
_ELEVATION_AFTER = re.compile(
    r"^\s+(?:of\s+)?(?:net\s+)?(?:descent|climb|climbing|ascent|elevation|gain|drop|downhill|uphill|altitude)",
    re.IGNORECASE,
)
_ELEVATION_BEFORE = re.compile(
    r"(?:descent|climb|ascent|elevation|altitude|gain|drop)\s*(?:of\s*)?[:=]?\s*$", re.IGNORECASE
)
#: A pace in library text: ``5:30/km``, ``5:30 per km``.
_PACE = re.compile(r"\b(?P<min>\d{1,2}):(?P<sec>\d{2})\s?(?P<per>/|per\s)km\b")
#: A rate per kilometre (``as likely per km``): the ratio holds per mile too, only the word changes.
_PER_KM = re.compile(r"\bper\s+km\b")


_BAND = re.compile(r"(?P<a>\d+(?:\.\d+)?)(?:-(?P<b>\d+(?:\.\d+)?))?\s?km\b")


def format_band(label: str, unit: str) -> str:
    """A category of distances named in km (``10-25km``, ``<10km``, ``80km+``) in whole ``unit``s:
    ``6-16 mi``, ``<6 mi``, ``50 mi+``."""
    if unit != "mi":
        return label

    def whole(match: re.Match[str]) -> str:
        ends = [match.group(k) for k in ("a", "b") if match.group(k)]
        shown = "-".join(f"{distance_in(float(v) * METRES_PER_KM, unit):.0f}" for v in ends)
        return f"{shown} {unit}"

    return _BAND.sub(whole, label)


def localize(text: str | None, unit: str) -> str:
    """Rewrite the SI quantities of a sentence (``1,649 m``, ``111 km``, ``10 m of descent``) into
    ``unit``: with miles, lengths in miles (yards when short) and heights in feet, ``per km`` as
    ``per mi``; with kilometres, lengths of 1,000 m or more in km. For text the library writes, never
    for what a runner typed."""
    if not text:
        return ""

    def convert(match: re.Match[str]) -> str:
        metres_per = METRES_PER_KM if match.group("unit") == "km" else 1.0
        values = [float(match.group(k).replace(",", "")) * metres_per for k in ("a", "b") if match.group(k)]
        tail = match.string[match.end() :]
        head = match.string[: match.start()]
        if _ELEVATION_AFTER.match(tail) or _ELEVATION_BEFORE.search(head):
            if unit != "mi":
                return match.group(0)
            shown = [f"{elevation_in(v, unit):,.0f}" for v in values]
            label = elevation_unit(unit)
        elif unit != "mi" and (match.group("unit") == "km" or max(values) < 1000.0):
            return match.group(0)
        elif max(values) < SHORT_BELOW_M:
            shown = [f"{_round_sig(v / METRES_PER_YARD if unit == 'mi' else v):,.0f}" for v in values]
            label = short_unit(unit)
        else:
            shown = [
                f"{distance_in(v, unit):.2f}" if distance_in(v, unit) < 10 else f"{distance_in(v, unit):,.1f}"
                for v in values
            ]
            label = unit
        sep = match.group("sep")
        joined = (
            shown[0]
            if len(shown) == 1
            else f"{shown[0]}{'-' if sep and sep.strip() in '-–' else ' to '}{shown[1]}"
        )
        return f"{joined} {label}"

    def pace(match: re.Match[str]) -> str:
        per_km = int(match.group("min")) * 60 + int(match.group("sec"))
        minutes, seconds = divmod(round(per_km * METRES_PER_MILE / METRES_PER_KM), 60)
        return f"{minutes}:{seconds:02d}{' /' if match.group('per') == '/' else ' per '}mi"

    if unit != "mi":
        return _QUANTITY.sub(convert, text)
    return _PER_KM.sub("per mi", _QUANTITY.sub(convert, _PACE.sub(pace, text)))
