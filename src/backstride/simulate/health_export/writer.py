"""The archive: ``export.xml`` (header, records by type, a correlation, workouts, an activity
summary) and the route files, into ``export.zip`` or a folder."""

from __future__ import annotations

import math
import os
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from backstride.simulate.health_export.dtd import DTD
from backstride.simulate.health_export.records import PHONE, Q, filler_records, record, run_records, stamp
from backstride.simulate.health_export.routes import Track, route_gpx, route_name
from backstride.simulate.health_export.runs import LB_KG, HealthRun, Weighing, default_runs
from backstride.simulate.health_export.workouts import workout_element


@dataclass
class HealthExport:
    """What was written: the export's path and the truth."""

    path: Path
    runs: list[HealthRun]
    other_workouts: list[HealthRun]
    weighings: list[Weighing]


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
    tracks = {id(r): Track(r, rng) for r in every}
    route_names: dict[int, list[str]] = {}
    for run in every:
        if not run.route:
            continue
        names = []
        cut = run.start + (run.end - run.start) / run.route_files
        spans = [(run.start, cut), (cut + 1, run.end)] if run.route_files == 2 else [(run.start, run.end)]
        for part, (a, b) in enumerate(spans):
            name = route_name(run, part)
            put(f"workout-routes/{name}", route_gpx(run, tracks[id(run)], a, b))
            names.append(name)
        route_names[id(run)] = names

    by_type: dict[str, list[str]] = {}
    for run in every:
        for rtype, lines in run_records(run, rng).items():
            by_type.setdefault(rtype, []).extend(lines)
    for w in weighings:
        value = w.kg if w.unit == "kg" else w.kg / LB_KG
        by_type.setdefault(Q + "BodyMass", []).append(
            record(Q + "BodyMass", w.unit, f"{value:.2f}", w.when, w.when, w.offset_s, w.source)
        )
    hrv_children = (
        "  <HeartRateVariabilityMetadataList>\n"
        '   <InstantaneousBeatsPerMinute bpm="61" time="6:02:11.41 AM"/>\n'
        '   <InstantaneousBeatsPerMinute bpm="63" time="6:02:12.38 AM"/>\n'
        "  </HeartRateVariabilityMetadataList>\n"
    )
    first = every[0].start if every else datetime(2024, 3, 1, tzinfo=UTC).timestamp()
    by_type.setdefault(Q + "HeartRateVariabilitySDNN", []).append(
        record(
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
    write(f' <ExportDate value="{stamp(export_at, 3600)}"/>\n'.encode())
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
        for _rtype, line in filler_records(days, 3600, filler_bytes, rng):
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
            f'sourceVersion="17.1" creationDate="{stamp(first - 3600, 3600)}" startDate="{stamp(first - 3600, 3600)}" '
            f'endDate="{stamp(first - 3600, 3600)}">\n'
            '  <MetadataEntry key="HKWasUserEntered" value="1"/>\n'
            + record(
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
        write(workout_element(run, tracks[id(run)], route_names.get(id(run), [])).encode("utf-8"))
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


__all__ = ["HealthExport", "write_health_export"]
