"""A generator of Apple Health "Export All Health Data" archives, for tests and benchmarks.

It writes what the Health app writes: ``apple_health_export/export.xml`` opening with Apple's DTD (the
internal subset at the top of every export), ``Record`` elements grouped by type, then ``Correlation``,
``Workout`` and ``ActivitySummary`` elements, and one GPX file per route in
``apple_health_export/workout-routes/``. The quirks of real exports are reproduced on purpose:

- dates as ``2024-03-05 07:12:45 +0100``: local wall-clock time with the offset of that day (daylight
  saving time changes it within one export);
- the unit on every record (``count/min``, ``km`` or ``mi``, ``kg`` or ``lb``, ``km/hr``, ``cm`` ...), a
  runner's choice that can change between records of one type;
- two sources recording at once (``Anna’s Apple Watch`` and ``Anna’s iPhone`` both count steps and
  distance, so adding both double-counts), with a typographic apostrophe in the names;
- workouts from older exports with ``totalDistance`` attributes and from newer ones with
  ``WorkoutStatistics`` only; a run with no route (treadmill, ``HKIndoorWorkout``); a run whose route
  is split over two GPX files; pauses and resumes; segment, marker and lap events;
- records with children (heart rate variability with ``InstantaneousBeatsPerMinute``), correlations.

:func:`write_health_export` returns the truth of every generated run so tests can compare the import
against it. ``filler_bytes`` pads the export with day-long background records (heart rate, steps,
energy) up to about that size, for the memory and speed benchmark.
"""

from __future__ import annotations

import math
import os
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from backstride.units import KG_PER_LB, METRES_PER_MILE

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
MILE_M = METRES_PER_MILE
LB_KG = KG_PER_LB

#: Apple's DTD as it stands at the top of export.xml (HealthKit Export Version 14).
DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth                   CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex                 CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType                     CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse   CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutActivity ((MetadataEntry)*)>
<!ATTLIST WorkoutActivity
  uuid                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #IMPLIED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutEvent ((MetadataEntry)*)>
<!ATTLIST WorkoutEvent
  type                 CDATA #REQUIRED
  date                 CDATA #REQUIRED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #REQUIRED
  average              CDATA #IMPLIED
  minimum              CDATA #IMPLIED
  maximum              CDATA #IMPLIED
  sum                  CDATA #IMPLIED
  unit                 CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleMoveTime            CDATA #IMPLIED
  appleMoveTimeGoal        CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!-- Note: Heart Rate Variability records captured by Apple Watch may include an associated list of instantaneous beats-per-minute readings. -->
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute
  bpm  CDATA #REQUIRED
  time CDATA #REQUIRED
>
]>
"""


@dataclass
class HealthRun:
    """One generated workout and its truth (times are UTC epochs; distances metres)."""

    start: float
    duration_s: float
    speed_ms: float
    offset_s: int = 3600
    activity: str = "HKWorkoutActivityTypeRunning"
    route: bool = True
    route_files: int = 1
    indoor: bool = False
    pauses: list[tuple[float, float]] = field(default_factory=list)
    marker_at_s: float | None = None
    split_unit_m: float = 1000.0
    distance_unit: str = "km"
    old_style: bool = False
    hr_base: float = 140.0

    @property
    def paused_s(self) -> float:
        return sum(b - a for a, b in self.pauses)

    @property
    def end(self) -> float:
        return self.start + self.duration_s + self.paused_s

    @property
    def distance_m(self) -> float:
        return self.speed_ms * self.duration_s

    def active_at(self, elapsed: float) -> float:
        """Seconds of activity (pauses left out) at ``elapsed`` seconds after the start."""
        active = elapsed
        for a, b in self.pauses:
            if elapsed > b - self.start:
                active -= b - a
            elif elapsed > a - self.start:
                active -= elapsed - (a - self.start)
        return active

    def paused(self, epoch: float) -> bool:
        return any(a <= epoch < b for a, b in self.pauses)


@dataclass
class Weighing:
    when: float
    kg: float
    unit: str = "kg"
    offset_s: int = 3600
    source: str = "Withings"


@dataclass
class HealthExport:
    """What was written: the export's path and the truth."""

    path: Path
    runs: list[HealthRun]
    other_workouts: list[HealthRun]
    weighings: list[Weighing]


def _stamp(epoch: float, offset_s: int) -> str:
    local = datetime.fromtimestamp(round(epoch), tz=timezone(timedelta(seconds=offset_s)))
    sign = "+" if offset_s >= 0 else "-"
    hours, minutes = divmod(abs(offset_s) // 60, 60)
    return local.strftime("%Y-%m-%d %H:%M:%S") + f" {sign}{hours:02d}{minutes:02d}"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(
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
        f'unit="{unit}" creationDate="{_stamp(end + 2, offset_s)}" startDate="{_stamp(start, offset_s)}" '
        f'endDate="{_stamp(end, offset_s)}" value="{value}"'
    )
    if children:
        return f" <Record {attrs}>\n{children} </Record>\n"
    return f" <Record {attrs}/>\n"


class _Track:
    """Where a generated run is at each second: an out-and-back along a bearing, with hills."""

    def __init__(self, run: HealthRun, rng: random.Random) -> None:
        self.run = run
        self.lat0 = 52.37 + rng.uniform(-0.05, 0.05)
        self.lon0 = 4.89 + rng.uniform(-0.05, 0.05)
        self.bearing = rng.uniform(0, 2 * math.pi)

    def at(self, epoch: float) -> tuple[float, float, float, float]:
        """(lat, lon, altitude, distance so far) at ``epoch``."""
        metres = self.run.speed_ms * self.run.active_at(epoch - self.run.start)
        along = metres if metres < self.run.distance_m / 2 else self.run.distance_m - metres
        north = along * math.cos(self.bearing)
        east = along * math.sin(self.bearing)
        lat = self.lat0 + north / 111_320.0
        lon = self.lon0 + east / (111_320.0 * math.cos(math.radians(self.lat0)))
        alt = 12.0 + 8.0 * math.sin(along / 400.0)
        return lat, lon, alt, metres


def _route_name(run: HealthRun, part: int) -> str:
    local = datetime.fromtimestamp(run.start, tz=timezone(timedelta(seconds=run.offset_s)))
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    name = f"route_{local:%Y-%m-%d}_{hour}.{local:%M}{suffix}"
    return f"{name}_{part + 1}.gpx" if part else f"{name}.gpx"


def _route_gpx(run: HealthRun, track: _Track, t0: float, t1: float) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f" <metadata>\n  <time>{_iso(t0)}</time>\n </metadata>\n <trk>\n  <name>Route {_iso(t0)[:10]}</name>\n"
        "  <trkseg>\n"
    ]
    epoch = t0
    while epoch <= t1:
        if not run.paused(epoch):
            lat, lon, alt, _ = track.at(epoch)
            parts.append(
                f'   <trkpt lon="{lon:.6f}" lat="{lat:.6f}"><ele>{alt:.2f}</ele><time>{_iso(epoch)}</time>'
                f"<extensions><speed>{run.speed_ms:.2f}</speed><course>{math.degrees(track.bearing):.1f}"
                "</course><hAcc>3.2</hAcc><vAcc>2.1</vAcc></extensions></trkpt>\n"
            )
        epoch += 1.0
    parts.append("  </trkseg>\n </trk>\n</gpx>\n")
    return "".join(parts)


def _samples(run: HealthRun, step: float) -> Iterator[float]:
    epoch = run.start + step / 2
    while epoch < run.end:
        if not run.paused(epoch):
            yield epoch
        epoch += step


def _run_records(run: HealthRun, rng: random.Random) -> dict[str, list[str]]:
    """Records that the watch (and the phone) write during a run, by type."""
    out: dict[str, list[str]] = {}
    off = run.offset_s
    for epoch in _samples(run, 5.0):
        minutes = (epoch - run.start) / 60
        hr = run.hr_base + 0.5 * minutes + rng.uniform(-3, 3)
        out.setdefault(Q + "HeartRate", []).append(
            _record(Q + "HeartRate", "count/min", f"{hr:.0f}", epoch, epoch, off)
        )
    if run.activity == "HKWorkoutActivityTypeRunning":
        speed_unit = "km/hr" if run.distance_unit == "km" else "mi/hr"
        factor = 3.6 if run.distance_unit == "km" else 3600 / MILE_M
        for epoch in _samples(run, 10.0):
            out.setdefault(Q + "RunningSpeed", []).append(
                _record(Q + "RunningSpeed", speed_unit, f"{run.speed_ms * factor:.4f}", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningPower", []).append(
                _record(Q + "RunningPower", "W", f"{250 + rng.uniform(-10, 10):.0f}", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningStrideLength", []).append(
                _record(Q + "RunningStrideLength", "m", f"{run.speed_ms / 2.9 * 1:.3f}", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningVerticalOscillation", []).append(
                _record(Q + "RunningVerticalOscillation", "cm", "8.9", epoch, epoch, off)
            )
            out.setdefault(Q + "RunningGroundContactTime", []).append(
                _record(Q + "RunningGroundContactTime", "ms", "251", epoch, epoch, off)
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
                    _record(Q + "StepCount", "count", f"{steps:.0f}", a, b, off, source)
                )
                out.setdefault(Q + "DistanceWalkingRunning", []).append(
                    _record(Q + "DistanceWalkingRunning", run.distance_unit, f"{dist:.5f}", a, b, off, source)
                )
            a = b
    return out


def _events(run: HealthRun, track: _Track) -> list[str]:
    off = run.offset_s
    events: list[str] = []
    for a, b in run.pauses:
        events.append(f'  <WorkoutEvent type="HKWorkoutEventTypePause" date="{_stamp(a, off)}"/>\n')
        events.append(f'  <WorkoutEvent type="HKWorkoutEventTypeResume" date="{_stamp(b, off)}"/>\n')
    # Automatic splits: a segment per kilometre (or mile), with its duration.
    unit = run.split_unit_m
    previous = run.start
    k = 1
    epoch = run.start
    while epoch < run.end:
        epoch += 1.0
        if track.at(epoch)[3] >= k * unit:
            events.append(
                f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{_stamp(previous, off)}" '
                f'duration="{(epoch - previous) / 60:.6f}" durationUnit="min"/>\n'
            )
            previous = epoch
            k += 1
    if run.marker_at_s is not None:
        events.append(
            f'  <WorkoutEvent type="HKWorkoutEventTypeMarker" date="{_stamp(run.start + run.marker_at_s, off)}"/>\n'
        )
    return events


def _workout(run: HealthRun, track: _Track, routes: list[str]) -> str:
    off = run.offset_s
    metres = run.distance_m
    dist = metres / 1000 if run.distance_unit == "km" else metres / MILE_M
    distance_type = "DistanceWalkingRunning"
    if run.activity == "HKWorkoutActivityTypeCycling":
        distance_type = "DistanceCycling"
    attrs = f'workoutActivityType="{run.activity}" duration="{run.duration_s / 60:.6f}" durationUnit="min" '
    if run.old_style:
        attrs += (
            f'totalDistance="{dist:.6f}" totalDistanceUnit="{run.distance_unit}" '
            'totalEnergyBurned="512.3" totalEnergyBurnedUnit="kcal" '
        )
    attrs += (
        f'sourceName={quoteattr(WATCH)} sourceVersion="10.1" device="{WATCH_DEVICE}" '
        f'creationDate="{_stamp(run.end + 30, off)}" startDate="{_stamp(run.start, off)}" '
        f'endDate="{_stamp(run.end, off)}"'
    )
    body = [
        f'  <MetadataEntry key="HKIndoorWorkout" value="{1 if run.indoor else 0}"/>\n',
        '  <MetadataEntry key="HKTimeZone" value="Europe/Amsterdam"/>\n',
        '  <MetadataEntry key="HKWeatherTemperature" value="54.5 degF"/>\n',
    ]
    if run.route:
        body.append('  <MetadataEntry key="HKElevationAscended" value="4512 cm"/>\n')
    body.extend(_events(run, track))
    if not run.old_style:
        hr_avg = run.hr_base + run.duration_s / 60 / 4
        body.append(
            f'  <WorkoutStatistics type="{Q}{distance_type}" startDate="{_stamp(run.start, off)}" '
            f'endDate="{_stamp(run.end, off)}" sum="{dist:.6f}" unit="{run.distance_unit}"/>\n'
        )
        body.append(
            f'  <WorkoutStatistics type="{Q}HeartRate" startDate="{_stamp(run.start, off)}" '
            f'endDate="{_stamp(run.end, off)}" average="{hr_avg:.3f}" minimum="{run.hr_base - 3:.0f}" '
            f'maximum="{hr_avg + run.duration_s / 240 + 3:.0f}" unit="count/min"/>\n'
        )
        body.append(
            f'  <WorkoutStatistics type="{Q}ActiveEnergyBurned" startDate="{_stamp(run.start, off)}" '
            f'endDate="{_stamp(run.end, off)}" sum="512.3" unit="Cal"/>\n'
        )
    if routes:
        body.append(
            f'  <WorkoutRoute sourceName={quoteattr(WATCH)} sourceVersion="10.1" '
            f'creationDate="{_stamp(run.end + 60, off)}" startDate="{_stamp(run.start, off)}" '
            f'endDate="{_stamp(run.end, off)}">\n'
            '   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>\n'
            '   <MetadataEntry key="HKMetadataKeySyncIdentifier" value="6F1A2B3C-0D4E-4F5A-8B6C-7D8E9F0A1B2C"/>\n'
        )
        for name in routes:
            body.append(f'   <FileReference path="/workout-routes/{name}"/>\n')
        body.append("  </WorkoutRoute>\n")
    return f" <Workout {attrs}>\n{''.join(body)} </Workout>\n"


def _filler(days: list[float], offset_s: int, target: int, rng: random.Random) -> Iterator[tuple[str, str]]:
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
                    line = _record(rtype, unit, value, epoch, end, offset_s)
                    written += len(line.encode("utf-8"))
                    yield rtype, line
                    epoch += step
            if written >= target:
                return
        days = [d + 86400 * len(days) for d in days]


def default_runs(scale: float = 1.0) -> tuple[list[HealthRun], list[HealthRun], list[Weighing]]:
    """Five runs covering the quirks, a ride and a walk, and weighings; ``scale`` shortens every run
    (the fixture kept in the repository uses ``scale=0.3``)."""
    base = datetime(2024, 3, 28, 6, 30, tzinfo=UTC).timestamp()  # clocks go forward on 31 March
    day = 86400.0

    def s(seconds: float) -> float:
        return round(seconds * scale)

    runs = [
        # a km runner, new-style statistics, one route, a marker (the pain press) 14 min in (scaled).
        HealthRun(base, s(1800), 3.0, offset_s=3600, marker_at_s=s(14 * 60)),
        # a pause of 90 s (scaled); the route split over two files.
        HealthRun(
            base + 2 * day,
            s(2400),
            3.2,
            offset_s=3600,
            pauses=[(base + 2 * day + s(900), base + 2 * day + s(990))],
            route_files=2,
        ),
        # after the clocks went forward (+0200). Treadmill: no route, HKIndoorWorkout, distance from the
        # records only (the phone's records of the same time must not be added).
        HealthRun(base + 4 * day, s(1500), 2.9, offset_s=7200, route=False, indoor=True),
        # old-style attributes (totalDistance), miles, mile splits, a marker.
        HealthRun(
            base + 6 * day,
            s(2000),
            3.1,
            offset_s=7200,
            distance_unit="mi",
            split_unit_m=MILE_M,
            old_style=True,
            marker_at_s=s(600),
        ),
        # a long run with two pauses.
        HealthRun(
            base + 8 * day,
            s(4200),
            2.8,
            offset_s=7200,
            pauses=[
                (base + 8 * day + s(1200), base + 8 * day + s(1260)),
                (base + 8 * day + s(3000), base + 8 * day + s(3300)),
            ],
        ),
    ]
    others = [
        HealthRun(
            base + 3 * day + 36000, s(3600), 7.5, offset_s=7200, activity="HKWorkoutActivityTypeCycling"
        ),
        HealthRun(
            base + 5 * day + 40000,
            s(1800),
            1.4,
            offset_s=7200,
            activity="HKWorkoutActivityTypeWalking",
            route=False,
        ),
    ]
    weighings = [
        Weighing(base - day + 600, 82.4, "kg", 3600),
        Weighing(base + 1 * day + 500, 82.1, "kg", 3600),
        Weighing(base + 1 * day + 40000, 83.0, "kg", 3600),  # a second weighing the same day: the last counts
        Weighing(base + 5 * day + 700, 180.6 * LB_KG, "lb", 7200),
        Weighing(base + 9 * day + 900, 81.7, "kg", 7200),
    ]
    return runs, others, weighings


def write_health_export(
    target: str | os.PathLike[str],
    runs: list[HealthRun] | None = None,
    other_workouts: list[HealthRun] | None = None,
    weighings: list[Weighing] | None = None,
    *,
    seed: int = 7,
    filler_bytes: int = 0,
    as_zip: bool = True,
    export_date: float | None = None,
) -> HealthExport:
    """Write an export to ``target`` (``export.zip``, or a folder that gets ``apple_health_export/``)."""
    rng = random.Random(seed)
    if runs is None:
        runs, default_others, default_weighings = default_runs()
        other_workouts = default_others if other_workouts is None else other_workouts
        weighings = default_weighings if weighings is None else weighings
    others = other_workouts or []
    weighings = weighings or []
    out = Path(target)
    if as_zip:
        archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

        def put(name: str, text: str) -> None:
            archive.writestr(f"apple_health_export/{name}", text)
    else:
        root = out / "apple_health_export"
        (root / "workout-routes").mkdir(parents=True, exist_ok=True)

        def put(name: str, text: str) -> None:
            (root / name).write_text(text, encoding="utf-8")

    every = sorted([*runs, *others], key=lambda r: r.start)
    tracks = {id(r): _Track(r, rng) for r in every}
    route_names: dict[int, list[str]] = {}
    for run in every:
        if not run.route:
            continue
        names = []
        cut = run.start + (run.end - run.start) / run.route_files
        spans = [(run.start, cut), (cut + 1, run.end)] if run.route_files == 2 else [(run.start, run.end)]
        for part, (a, b) in enumerate(spans):
            name = _route_name(run, part)
            put(f"workout-routes/{name}", _route_gpx(run, tracks[id(run)], a, b))
            names.append(name)
        route_names[id(run)] = names

    by_type: dict[str, list[str]] = {}
    for run in every:
        for rtype, lines in _run_records(run, rng).items():
            by_type.setdefault(rtype, []).extend(lines)
    for w in weighings:
        value = w.kg if w.unit == "kg" else w.kg / LB_KG
        by_type.setdefault(Q + "BodyMass", []).append(
            _record(Q + "BodyMass", w.unit, f"{value:.2f}", w.when, w.when, w.offset_s, w.source)
        )
    hrv_children = (
        "  <HeartRateVariabilityMetadataList>\n"
        '   <InstantaneousBeatsPerMinute bpm="61" time="6:02:11.41 AM"/>\n'
        '   <InstantaneousBeatsPerMinute bpm="63" time="6:02:12.38 AM"/>\n'
        "  </HeartRateVariabilityMetadataList>\n"
    )
    first = every[0].start if every else datetime(2024, 3, 1, tzinfo=UTC).timestamp()
    by_type.setdefault(Q + "HeartRateVariabilitySDNN", []).append(
        _record(
            Q + "HeartRateVariabilitySDNN",
            "ms",
            "48.2",
            first - 7000,
            first - 6940,
            3600,
            children=hrv_children,
        )
    )
    export_at = export_date if export_date is not None else (every[-1].end if every else first) + 86400

    if as_zip:
        xml_handle: Any = archive.open("apple_health_export/export.xml", "w", force_zip64=True)
    else:
        xml_handle = (out / "apple_health_export" / "export.xml").open("wb")
    write = xml_handle.write
    write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    write(DTD.encode("utf-8"))
    write(b'<HealthData locale="en_GB">\n')
    write(f' <ExportDate value="{_stamp(export_at, 3600)}"/>\n'.encode())
    write(
        b' <Me HKCharacteristicTypeIdentifierDateOfBirth="1988-05-14" '
        b'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
        b'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
        b'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" '
        b'HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n'
    )
    if filler_bytes:
        days = sorted({math.floor(r.start / 86400) * 86400.0 for r in every}) or [first]
        buffer: list[str] = []
        for _rtype, line in _filler(days, 3600, filler_bytes, rng):
            buffer.append(line)
            if len(buffer) >= 20000:
                write("".join(buffer).encode("utf-8"))
                buffer.clear()
        write("".join(buffer).encode("utf-8"))
    for rtype in sorted(by_type):
        write("".join(by_type[rtype]).encode("utf-8"))
    write(
        (
            f' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName={quoteattr(PHONE)} '
            f'sourceVersion="17.1" creationDate="{_stamp(first - 3600, 3600)}" startDate="{_stamp(first - 3600, 3600)}" '
            f'endDate="{_stamp(first - 3600, 3600)}">\n'
            '  <MetadataEntry key="HKWasUserEntered" value="1"/>\n'
            + _record(
                "HKQuantityTypeIdentifierBloodPressureSystolic",
                "mmHg",
                "118",
                first - 3600,
                first - 3600,
                3600,
                PHONE,
            ).replace(" <Record", "  <Record")
            + " </Correlation>\n"
        ).encode("utf-8")
    )
    for run in every:
        write(_workout(run, tracks[id(run)], route_names.get(id(run), [])).encode("utf-8"))
    write(
        b' <ActivitySummary dateComponents="2024-03-25" activeEnergyBurned="612.5" activeEnergyBurnedGoal="500" '
        b'activeEnergyBurnedUnit="Cal" appleMoveTime="0" appleMoveTimeGoal="0" appleExerciseTime="45" '
        b'appleExerciseTimeGoal="30" appleStandHours="11" appleStandHoursGoal="12"/>\n'
    )
    write(b"</HealthData>\n")
    xml_handle.close()
    if as_zip:
        archive.close()
    return HealthExport(
        out if as_zip else out / "apple_health_export", list(runs), list(others), list(weighings)
    )


def main() -> None:  # pragma: no cover - the fixture's maker, run by hand
    """``python -m backstride.simulate.health_export OUT.zip [SCALE]``: write an export."""
    import sys

    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    runs, others, weighings = default_runs(scale)
    write_health_export(sys.argv[1], runs, others, weighings)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["HealthExport", "HealthRun", "Weighing", "default_runs", "write_health_export"]
