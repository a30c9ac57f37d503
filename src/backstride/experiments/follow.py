"""Following an experiment: what to do today, adherence, and an iCalendar (.ics) export.

Adherence: a day is taken as following its assigned condition unless the runner logs otherwise
(``experiment adhere``). The analysis is by assigned condition (intention to treat); the report says
how many days and runs were off protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backstride.experiments.design import period_on
from backstride.experiments.store import Experiment


@dataclass(frozen=True)
class RemedyInfo:
    """What the runner is testing: an id, a display name, the routines it counts, and its dose."""

    id: str
    name: str
    routines: tuple[str, ...]
    dose: str | None = None
    testable: bool = True
    how: str | None = None
    period_days: int | None = None
    washout_days: int | None = None
    known: bool = False
    carryover_days: int | None = None  # expected days the effect lasts after stopping (None: unknown)
    harm: str | None = None  # what would count as harm


def today(exp: Experiment, remedy: RemedyInfo, day: date) -> dict[str, Any]:
    """Which condition applies on ``day`` and what to do (``condition`` is None outside the schedule)."""
    base: dict[str, Any] = {"experiment": exp.id, "title": exp.title, "day": day.isoformat()}
    if day < exp.start_date:
        return {**base, "condition": None, "do": f"Not started: the first period begins on {exp.start_date}."}
    p = period_on(exp.schedule, day)
    if p is None:
        return {
            **base,
            "condition": None,
            "do": f"Finished on {exp.end_date}: see the result with "
            f"'backstride experiment analyze {exp.id}'.",
        }
    if p.condition == "B":
        do = f"B (remedy): do {remedy.name} today" + (f" ({remedy.dose})" if remedy.dose else "") + "."
    else:
        do = f"A (usual): do NOT do {remedy.name} today; everything else as usual."
    if p.in_washout(day):
        do += " Washout day: follow the condition; today's runs are left out of the analysis."
    return {
        **base,
        "condition": p.condition,
        "period": p.index + 1,
        "pair": p.pair + 1,
        "day_of_period": (day - p.start).days + 1,
        "period_ends": p.end.isoformat(),
        "washout": p.in_washout(day),
        "do": do + " Log a pain report (or --none) after every run.",
    }


def adherence(exp: Experiment, logged: dict[date, bool], as_of: date) -> dict[str, Any]:
    """Days elapsed so far in the schedule, and how many followed their condition (``started`` is
    false, and every count 0, before the first day)."""
    last = min(as_of, exp.end_date)
    days = max(0, (last - exp.start_date).days + 1)
    missed = sorted(d for d, ok in logged.items() if not ok and exp.start_date <= d <= last)
    return {
        "started": as_of >= exp.start_date,
        "days": days,
        "followed": days - len(missed),
        "fraction": None if days == 0 else (days - len(missed)) / days,
        "missed_days": [d.isoformat() for d in missed],
    }


def adherence_text(exp: Experiment, adh: dict[str, Any]) -> str:
    """Adherence in a sentence: not started yet, or N of M days followed."""
    if not adh["days"]:
        return f"Not started yet: the first period begins on {exp.start_date}."
    frac = "" if adh.get("fraction") is None else f" ({adh['fraction']:.0%})"
    days = "day" if adh["days"] == 1 else "days"
    return f"{adh['followed']} of {adh['days']} {days} followed their condition{frac}."


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 line folding at 75 octets."""
    out: list[str] = []
    raw = line.encode("utf-8")
    while len(raw) > 75:
        cut = 75 if not out else 74
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            cut -= 1
        out.append(raw[:cut].decode("utf-8"))
        raw = raw[cut:]
    out.append(raw.decode("utf-8"))
    return [out[0], *(" " + s for s in out[1:])]


def to_ics(exp: Experiment, remedy: RemedyInfo, reminder_hour: int = 7) -> str:
    """An iCalendar file: one all-day event per day of every period, with a morning reminder."""
    stamp = exp.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//backstride//experiments//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape('backstride: ' + exp.title)}",
    ]
    for p in exp.schedule:
        what = f"do {remedy.name}" if p.condition == "B" else f"no {remedy.name} (usual)"
        for offset in range((p.end - p.start).days + 1):
            day = p.start + timedelta(days=offset)
            note = " (washout day)" if p.in_washout(day) else ""
            lines += [
                "BEGIN:VEVENT",
                f"UID:backstride-experiment-{exp.id}-{day:%Y%m%d}@backstride",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{_escape(f'{p.condition}: {what}')}",
                "DESCRIPTION:"
                + _escape(
                    f"{exp.title}: period {p.index + 1} of {len(exp.schedule)}, pair {p.pair + 1}{note}. "
                    "Log a pain report after every run."
                ),
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{_escape(f'{p.condition}: {what}')}",
                f"TRIGGER:PT{reminder_hour}H",
                "END:VALARM",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(f + "\r\n" for line in lines for f in _fold(line))


def now_local_day() -> date:
    return datetime.now().date()


__all__ = ["RemedyInfo", "adherence", "adherence_text", "now_local_day", "to_ics", "today"]
