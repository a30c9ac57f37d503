"""How a pain report reads in the terminal: one line (``pain``), a table cell (``pain list``), a marker
beside a run (``runs``, ``demo``). Light: no library beyond the unit formatting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backstride.units import format_distance, format_duration

#: An interval reaching this close to the end of the run is the whole run (metres).
WHOLE_RUN_TOLERANCE_M = 5.0


def _known(value: Any) -> bool:
    return value is not None and value == value  # neither None nor NaN


def _unknown_onset(report: Mapping[str, Any], distance_m: float | None) -> bool:
    """No onset, and no interval narrower than the run ('unknown', or no onset given)."""
    if "onset_input" in report:
        return report["onset_input"] in (None, "unknown")
    low, high = report["onset_low_m"], report["onset_high_m"]
    if low > 0:
        return False
    return distance_m is None or not _known(distance_m) or high >= distance_m - WHOLE_RUN_TOLERANCE_M


def onset_text(
    report: Mapping[str, Any], unit: str, distance_m: float | None = None, short: bool = False
) -> str:
    """Where the pain started: a distance (with its interval when only that is known), an interval
    (``during lap 1``, ``between 1mi and 1.5mi``), or unknown. ``short`` for table cells."""
    onset, low, high = report["onset_m"], report["onset_low_m"], report["onset_high_m"]
    if _known(onset):
        if _known(low) and _known(high) and low != high and not short:
            return (
                f"about {format_distance(onset, unit)} "
                f"(between {format_distance(low, unit)} and {format_distance(high, unit)})"
            )
        return format_distance(onset, unit)
    if not (_known(low) and _known(high)) or _unknown_onset(report, distance_m):
        return "unknown" if short else "an unknown point"
    if short:
        return f"{format_distance(low, unit).split()[0]}-{format_distance(high, unit)}"
    return f"somewhere between {format_distance(low, unit)} and {format_distance(high, unit)}"


def marker(report: Mapping[str, Any] | None, unit: str, distance_m: float | None = None) -> str:
    """A run's pain in a few words: ``pain-free``, ``6/10 at 1.20 mi``, ``4/10 1.00-1.50 mi``,
    ``pain at 0.90 mi`` (no severity given), ``lap press at 1.10 mi (draft)``; ``-`` without a report
    (unknown, not pain-free)."""
    if report is None:
        return "-"
    if report["status"] == "none":
        return "pain-free"
    where = onset_text(report, unit, distance_m, short=True)
    at = "at " if _known(report["onset_m"]) else ""
    if not report["confirmed"]:
        return f"lap press {at}{where} (draft)"
    severity = report["severity"]
    return f"pain {at}{where}" if severity is None else f"{severity}/10 {at}{where}"


def describe(report: dict[str, Any] | None, unit: str) -> str:
    """One line for a report, in the display unit."""
    if report is None:
        return "no pain report (unknown)"
    if report["status"] == "none":
        return "pain-free"
    where = ", ".join(report["locations"]) or "-"
    severity = report["severity"]
    text = "pain (severity not given) from " if severity is None else f"pain {severity}/10 from "
    text += onset_text(report, unit)
    text += f"; where: {where}; quality: {', '.join(report['qualities']) or '-'}"
    for stage in report["stages"]:
        text += f"; {stage['stage']} at {format_distance(stage['distance_m'], unit)}"
    if report["lasted_after_s"] is not None:
        text += f"; lasted {format_duration(report['lasted_after_s'])} after stopping"
    if not report["confirmed"]:
        text += " [draft from the lap button: confirm with --confirm]"
    return text
