"""TCX reader and writer: real files against their own lap totals, multisport, laps, bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backstride.errors import BadFileError
from backstride.importers import read_activity_bytes, read_activity_file
from backstride.importers.model import Lap
from backstride.importers.tcx import read_tcx, write_tcx
from tests.conftest import fixture_files, fixtures_dir
from tests.importers.test_gpx import START, make_activity

#: TCX Sport values as the file states them, onto our names (the reference for the fixture test).
SPORTS = {"Running": "running", "Biking": "cycling", "Other": "generic"}


def _local(el: ET.Element) -> str:
    return el.tag.rpartition("}")[2]


def _reference(path: Path) -> list[dict[str, Any]]:
    """Per <Activity>, read with the standard library: sport, lap totals, timed track points, laps."""
    out = []
    for activity in ET.parse(path).getroot().iter():
        if _local(activity) != "Activity":
            continue
        total_s = total_m = 0.0
        points = laps = 0
        triggers = []
        for lap in (el for el in activity if _local(el) == "Lap"):
            laps += 1
            for child in lap:
                if _local(child) == "TotalTimeSeconds":
                    total_s += float(child.text or 0)
                elif _local(child) == "DistanceMeters":
                    total_m += float(child.text or 0)
                elif _local(child) == "TriggerMethod":
                    triggers.append((child.text or "").strip())
            for point in lap.iter():
                if _local(point) == "Trackpoint" and any(_local(c) == "Time" for c in point):
                    points += 1
        out.append(
            {
                "sport": SPORTS[activity.get("Sport", "Other")],
                "total_s": total_s,
                "total_m": total_m,
                "points": points,
                "laps": laps,
                "triggers": triggers,
            }
        )
    return out


@pytest.mark.fixtures
@pytest.mark.parametrize("path", fixture_files("tcx", "*.tcx"), ids=lambda p: p.name)
def test_real_tcx_matches_its_lap_totals(path: Path) -> None:
    refs = _reference(path)
    activities = read_activity_file(str(path))
    assert len(activities) == len(refs)
    for activity, ref in zip(activities, refs, strict=True):
        assert activity.sport == ref["sport"]
        assert activity.samples == ref["points"]
        assert activity.moving_s == pytest.approx(ref["total_s"], rel=0.01)
        assert activity.distance_m == pytest.approx(ref["total_m"], rel=0.01, abs=0.5)
        assert len(activity.laps) == ref["laps"]
        # Lap triggers as the file states them, except that the last lap ends with the session.
        expected = [{"Manual": "manual", "Distance": "distance"}[t] for t in ref["triggers"]]
        if expected[-1] == "manual":
            expected[-1] = "session_end"
        assert [lap.trigger for lap in activity.laps] == expected
        assert activity.elapsed_s is not None and activity.moving_s is not None
        assert activity.elapsed_s >= activity.moving_s - 1
        assert np.all(np.diff(activity.streams["t"]) >= 0)


@pytest.mark.fixtures
def test_multisport_file_gives_one_activity_per_leg() -> None:
    path = fixtures_dir() / "tcx" / "goldencheetah__activity_165850259_multi-session.tcx"
    activities = read_activity_file(str(path))
    assert [a.sport for a in activities] == ["running", "cycling", "running", "cycling"]
    assert [a.device for a in activities] == ["Forerunner305 (Unit ID 3815748186)"] * 4
    assert activities[0].start == datetime(2011, 11, 29, 12, 12, tzinfo=UTC)
    assert len({h for a in activities for h in a.file_hashes}) == 4


@pytest.mark.fixtures
@pytest.mark.parametrize("stem", ["sportslib__6860622783", "goldencheetah__10kUNLP2014-Garmin15"])
def test_tcx_and_fit_copies_of_one_run_agree(stem: str) -> None:
    folder = fixtures_dir()
    (fit,) = read_activity_file(str(folder / "fit" / f"{stem}.fit"))
    (tcx,) = read_activity_file(str(folder / "tcx" / f"{stem}.tcx"))
    assert tcx.sport == fit.sport == "running"
    assert abs((fit.start - tcx.start).total_seconds()) <= 3
    assert tcx.distance_m == pytest.approx(fit.distance_m, rel=0.02)
    assert abs(tcx.samples - fit.samples) <= 2


@pytest.mark.fixtures
def test_treadmill_tcx_has_no_positions_and_cadence_in_steps() -> None:
    (activity,) = read_activity_file(str(fixtures_dir() / "tcx" / "sportslib__6860622783.tcx"))
    assert "lat" not in activity.streams and "lon" not in activity.streams
    cadence = activity.streams["cadence"]
    # RunCadence counts strides (median ~86 in the file): stored as steps per minute.
    assert 150 < np.median(cadence[cadence > 0]) < 200


# ---- generated files ----------------------------------------------------------------------------


def test_round_trip_keeps_laps_and_manual_triggers() -> None:
    laps = [
        Lap(0.0, 100.0, 0.0, 300.0, "distance"),
        Lap(100.0, 250.0, 300.0, 750.0, "manual"),
        Lap(250.0, 400.0, 750.0, 1200.0, "time"),
        Lap(400.0, 599.0, 1200.0, 1797.0, "session_end"),
    ]
    original = make_activity(laps=laps)
    (back,) = read_tcx(write_tcx(original), "x.tcx")
    assert back.sport == "running" and back.start == START
    assert back.device == original.device
    assert [lap.trigger for lap in back.laps] == ["distance", "manual", "time", "session_end"]
    for mine, theirs in zip(back.laps, laps, strict=True):
        assert mine.start_s == pytest.approx(theirs.start_s)
        assert mine.end_s == pytest.approx(theirs.end_s)
        assert mine.end_m == pytest.approx(theirs.end_m, abs=0.02)
    assert back.samples == original.samples
    np.testing.assert_array_equal(back.streams["heart_rate"], original.streams["heart_rate"])
    np.testing.assert_allclose(back.streams["cadence"], original.streams["cadence"], atol=1.0)
    np.testing.assert_allclose(back.streams["distance"], original.streams["distance"], atol=0.006)
    np.testing.assert_allclose(back.streams["lat"], original.streams["lat"], atol=1e-8)


def test_round_trip_without_positions_or_laps() -> None:
    original = make_activity(positions=False, sport="cycling")
    (back,) = read_tcx(write_tcx(original), "x.tcx")
    assert back.sport == "cycling"
    assert "lat" not in back.streams
    assert [lap.trigger for lap in back.laps] == ["session_end"]
    np.testing.assert_array_equal(back.streams["cadence"], original.streams["cadence"])  # rpm, kept
    assert back.distance_m == pytest.approx(original.streams["distance"][-1], abs=0.01)


def _tcx(activity_xml: str) -> bytes:
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
        f"{activity_xml}</Activities></TrainingCenterDatabase>"
    ).encode()


def _points(n: int, with_hr: bool = True) -> str:
    hr = "<HeartRateBpm><Value>150</Value></HeartRateBpm>"
    return "".join(
        f"<Trackpoint><Time>2024-05-01T07:00:{i:02d}.5+02:00</Time>"
        f"<DistanceMeters>{i * 3.0}</DistanceMeters>{hr if with_hr else ''}</Trackpoint>"
        for i in range(n)
    )


def test_minimal_tcx_without_hr_position_or_sport() -> None:
    lap = f'<Lap StartTime="2024-05-01T05:00:00Z"><Track>{_points(30, with_hr=False)}</Track></Lap>'
    (activity,) = read_tcx(_tcx(f"<Activity><Id>x</Id>{lap}</Activity>"), "x.tcx")
    assert activity.sport == "running"
    assert "sport not stated in the file; taken as running from its speed" in activity.warnings
    assert activity.start == datetime(2024, 5, 1, 5, 0, tzinfo=UTC)
    assert activity.utc_offset_s == 7200
    assert activity.streams["t"][0] == pytest.approx(0.5)
    assert activity.avg_hr is None and "heart_rate" not in activity.streams
    assert activity.distance_m == pytest.approx(87.0)
    assert [lap.trigger for lap in activity.laps] == ["unknown"]


def test_heart_rate_trigger_and_location_trigger() -> None:
    laps = "".join(
        f'<Lap StartTime="2024-05-01T05:00:{s:02d}Z"><TotalTimeSeconds>10</TotalTimeSeconds>'
        f"<DistanceMeters>30</DistanceMeters><TriggerMethod>{trigger}</TriggerMethod></Lap>"
        for s, trigger in ((0, "HeartRate"), (10, "Location"), (20, "Manual"))
    )
    (activity,) = read_tcx(_tcx(f'<Activity Sport="Biking">{laps}</Activity>'), "x.tcx")
    assert activity.sport == "cycling"
    assert [lap.trigger for lap in activity.laps] == ["unknown", "position", "session_end"]
    assert activity.distance_m == 90 and activity.moving_s == 30
    assert [lap.end_m for lap in activity.laps] == [30, 60, 90]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_tcx('<Activity Sport="Running">' + _points(5))[:-50], "not well-formed"),
        (_tcx(""), "no <Activity>"),
        (_tcx('<Activity Sport="Running"><Id>2024-05-01T05:00:00Z</Id></Activity>'), "no laps"),
    ],
    ids=["truncated", "no-activity", "empty-activity"],
)
def test_bad_tcx_gives_one_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(BadFileError) as info:
        read_activity_bytes(data, "bad.tcx")
    assert info.value.name == "bad.tcx"
    assert reason in info.value.reason
