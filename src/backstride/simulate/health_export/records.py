"""``Record`` elements: dates with their day's UTC offset, the two sources (watch and phone), what
they record during a workout, and all-day background data (the benchmark's filler)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import quoteattr

from backstride.simulate.health_export.runs import MILE_M, HealthRun

Q = "HKQuantityTypeIdentifier"

WATCH = "Anna’s Apple Watch"

PHONE = "Anna’s iPhone"

WATCH_DEVICE = (
    "&lt;&lt;HKDevice: 0x283d1a0f0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
    "hardware:Watch6,2, software:10.1&gt;"
)

PHONE_DEVICE = (
    "&lt;&lt;HKDevice: 0x283d1a2b0&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, "
    "hardware:iPhone14,5, software:17.1&gt;"
)


def stamp(epoch: float, offset_s: int) -> str:
    local = datetime.fromtimestamp(round(epoch), tz=timezone(timedelta(seconds=offset_s)))
    sign = "+" if offset_s >= 0 else "-"
    hours, minutes = divmod(abs(offset_s) // 60, 60)
    return local.strftime("%Y-%m-%d %H:%M:%S") + f" {sign}{hours:02d}{minutes:02d}"


def record(
    rtype: str,
    unit: str,
    value: str,
    start: float,
    end: float,
    offset_s: int,
    source: str = WATCH,
    children: str = "",
) -> str:
    device = WATCH_DEVICE if source == WATCH else PHONE_DEVICE
    version = "10.1" if source == WATCH else "17.1"
    attrs = (
        f'type="{rtype}" sourceName={quoteattr(source)} sourceVersion="{version}" device="{device}" '
        f'unit="{unit}" creationDate="{stamp(end + 2, offset_s)}" startDate="{stamp(start, offset_s)}" '
        f'endDate="{stamp(end, offset_s)}" value="{value}"'
    )
    if children:
        return f" <Record {attrs}>\n{children} </Record>\n"
    return f" <Record {attrs}/>\n"


def samples(run: HealthRun, step: float) -> Iterator[float]:
    epoch = run.start + step / 2
    while epoch < run.end:
        if not run.paused(epoch):
            yield epoch
        epoch += step


def run_records(run: HealthRun, rng: random.Random) -> dict[str, list[str]]:
    """Records that the watch (and the phone) write during a run, by type."""
    out: dict[str, list[str]] = {}
    off = run.offset_s
    for epoch in samples(run, 5.0):
        minutes = (epoch - run.start) / 60
        hr = run.hr_base + 0.5 * minutes + rng.uniform(-3, 3)
        out.setdefault(Q + "HeartRate", []).append(
            record(Q + "HeartRate", "count/min", f"{hr:.0f}", epoch, epoch, off)
        )
    if run.activity == "HKWorkoutActivityTypeRunning":
        speed_unit = "km/hr" if run.distance_unit == "km" else "mi/hr"
        factor = 3.6 if run.distance_unit == "km" else 3600 / MILE_M
        for epoch in samples(run, 10.0):
            out.setdefault(Q + "RunningSpeed", []).append(
                record(Q + "RunningSpeed", speed_unit, f"{run.speed_ms * factor:.4f}", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningPower", []).append(
                record(Q + "RunningPower", "W", f"{250 + rng.uniform(-10, 10):.0f}", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningStrideLength", []).append(
                record(Q + "RunningStrideLength", "m", f"{run.speed_ms / 2.9 * 1:.3f}", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningVerticalOscillation", []).append(
                record(Q + "RunningVerticalOscillation", "cm", "8.9", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningGroundContactTime", []).append(
                record(Q + "RunningGroundContactTime", "ms", "251", epoch, epoch, off)
            )
    # Steps and distance in chunks of a minute (watch), and in longer chunks from the phone too.
    for source, chunk in ((WATCH, 60.0), (PHONE, 180.0)):
        a = run.start
        while a < run.end:
            b = min(a + chunk, run.end)
            active = run.active_at(b - run.start) - run.active_at(a - run.start)
            if active > 0:
                steps = active * 174 / 60
                metres = active * run.speed_ms
                dist = metres / 1000 if run.distance_unit == "km" else metres / MILE_M
                out.setdefault(Q + "StepCount", []).append(
                    record(Q + "StepCount", "count", f"{steps:.0f}", a, b, off, source)
                )
                out.setdefault(Q + "DistanceWalkingRunning", []).append(
                    record(Q + "DistanceWalkingRunning", run.distance_unit, f"{dist:.5f}", a, b, off, source)
                )
            a = b
    return out


def filler_records(
    days: list[float], offset_s: int, target: int, rng: random.Random
) -> Iterator[tuple[str, str]]:
    """(type, record) pairs of all-day background data, about ``target`` bytes in all."""
    written = 0
    kinds = [
        (Q + "HeartRate", "count/min", 240.0),
        (Q + "StepCount", "count", 600.0),
        (Q + "ActiveEnergyBurned", "Cal", 120.0),
        (Q + "BasalEnergyBurned", "Cal", 300.0),
    ]
    while written < target:
        for day in days:
            for rtype, unit, step in kinds:
                epoch = day
                while epoch < day + 86400 and written < target:
                    if rtype == Q + "HeartRate":
                        value = f"{rng.randint(52, 95)}"
                        end = epoch
                    else:
                        value = f"{rng.uniform(0.5, 40):.3f}"
                        end = epoch + step * 0.8
                    line = record(rtype, unit, value, epoch, end, offset_s)
                    written += len(line.encode("utf-8"))
                    yield rtype, line
                    epoch += step
            if written >= target:
                return
        days = [d + 86400 * len(days) for d in days]


__all__ = [
    "PHONE",
    "PHONE_DEVICE",
    "WATCH",
    "WATCH_DEVICE",
    "Q",
    "filler_records",
    "record",
    "run_records",
    "samples",
    "stamp",
]
