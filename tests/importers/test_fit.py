"""The FIT importer against the real files in ../shared/fixtures, checked against fitdecode.

Every file: the sports, distances, durations and sample counts agree with what the file itself records
(its session messages, and the record messages fitdecode decodes), and decoded stream values agree
with fitdecode's values for the same records.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import fitdecode
import numpy as np
import pytest

from backstride.errors import BadFileError
from backstride.importers.fit import read_fit
from backstride.importers.model import Activity
from tests.conftest import fixture_files, fixtures_dir

FIT_FILES = fixture_files("fit", "*.fit")
LARGE = fixture_files("large", "*.fit")
ALL_FILES = [pytest.param(p, id=p.name) for p in FIT_FILES] + [
    pytest.param(p, id=p.name, marks=pytest.mark.slow) for p in LARGE
]
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)
RECORD_FIELDS = (
    "timestamp",
    "distance",
    "position_lat",
    "position_long",
    "enhanced_altitude",
    "altitude",
    "heart_rate",
    "cadence",
    "fractional_cadence",
    "enhanced_speed",
    "speed",
    "vertical_oscillation",
    "stance_time",
    "step_length",
    "power",
    "Power",
)


@dataclass
class Reference:
    """What fitdecode reads from a file: sessions and record values (None where absent)."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@cache
def reference(path: Path) -> Reference:
    ref = Reference()
    try:
        with fitdecode.FitReader(
            str(path), check_crc=fitdecode.CrcCheck.DISABLED, error_handling=fitdecode.ErrorHandling.IGNORE
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    ref.records.append({n: frame.get_value(n, fallback=None) for n in RECORD_FIELDS})
                elif frame.name == "session":
                    ref.sessions.append(
                        {
                            n: frame.get_value(n, fallback=None)
                            for n in ("sport", "start_time", "total_distance", "total_elapsed_time")
                        }
                    )
    except Exception as exc:  # fitdecode stops at the damage; what it read so far is the reference
        ref.error = str(exc)
    return ref


@cache
def ours(path: Path) -> list[Activity]:
    return read_fit(path.read_bytes(), path.name)


def _kept_records(ref: Reference, activities: list[Activity]) -> list[int]:
    """The reference records our reader keeps: every one, except records whose time is impossible (not
    within a week of the start, like the Strava file's last record, dated 2085), which it leaves out
    with a warning that counts them."""
    n = sum(a.samples for a in activities)
    if n == len(ref.records):
        return list(range(n))
    [activity] = activities
    start = (activity.start - FIT_EPOCH).total_seconds()
    times = _ref_seconds(ref.records)
    kept = [i for i, t in enumerate(times) if np.isfinite(t) and abs(t - start) <= 7 * 86400]
    dropped = len(ref.records) - len(kept)
    said = f"time: {dropped} sample{'' if dropped == 1 else 's'} with an impossible time"
    assert dropped > 0 and any(w.startswith(said) for w in activity.warnings), activity.warnings
    return kept


def _close(a: float | None, b: float | None, rel: float = 0.01, abs_: float = 1.0) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(rel * abs(b), abs_)


@pytest.mark.fixtures
@pytest.mark.parametrize("path", ALL_FILES)
def test_summary_agrees_with_the_file(path: Path) -> None:
    fixtures_dir()
    ref = reference(path)
    activities = ours(path)
    samples = sum(a.samples for a in activities)
    assert samples == len(_kept_records(ref, activities))
    if ref.sessions:
        sessions = sorted(ref.sessions, key=lambda s: str(s["start_time"]))
        assert [a.sport for a in activities] == [s["sport"] for s in sessions]
        for activity, session in zip(activities, sessions, strict=True):
            assert _close(activity.distance_m, session["total_distance"])
            assert _close(activity.elapsed_s, session["total_elapsed_time"])
    for activity in activities:
        assert activity.source == "fit"
        assert activity.start.tzinfo is not None
        assert all(len(v) == activity.samples for v in activity.streams.values())
        for lap in activity.laps:
            assert lap.end_s >= lap.start_s
            assert lap.trigger in ("manual", "distance", "time", "position", "session_end", "unknown")


def _ref_column(records: list[dict[str, Any]], *names: str) -> np.ndarray:
    out = np.full(len(records), np.nan)
    for i, record in enumerate(records):
        for name in names:
            value = record.get(name)
            if isinstance(value, tuple | list):
                value = value[0]
            if value is not None:
                out[i] = float(value)
                break
    return out


def _ref_seconds(records: list[dict[str, Any]]) -> np.ndarray:
    """Record times in seconds since the FIT epoch (fitdecode gives datetimes, or ints when relative)."""
    out = np.full(len(records), np.nan)
    for i, record in enumerate(records):
        value = record["timestamp"]
        if isinstance(value, dt.datetime):
            out[i] = (value - FIT_EPOCH).total_seconds()
        elif value is not None:
            out[i] = float(value)
    return out


def _assert_same(
    ours_values: np.ndarray,
    ref_values: np.ndarray,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    filled: bool = False,
) -> None:
    """Equal where fitdecode has a value; missing where it has none (``filled``: gaps may be filled)."""
    ref_ok = np.isfinite(ref_values)
    if filled:
        assert np.isfinite(ours_values[ref_ok]).all()
    else:
        assert np.array_equal(np.isfinite(ours_values), ref_ok)
    np.testing.assert_allclose(ours_values[ref_ok], ref_values[ref_ok], rtol=rtol, atol=atol)


@pytest.mark.fixtures
@pytest.mark.parametrize("path", ALL_FILES)
def test_stream_values_agree_with_fitdecode(path: Path) -> None:
    fixtures_dir()
    ref = reference(path)
    activities = ours(path)
    records = [ref.records[i] for i in _kept_records(ref, activities)]

    def cat(name: str) -> np.ndarray:
        return np.concatenate([a.streams.get(name, np.full(a.samples, np.nan)) for a in activities])

    starts = np.concatenate([np.full(a.samples, (a.start - FIT_EPOCH).total_seconds()) for a in activities])
    _assert_same(cat("t") + starts, _ref_seconds(records))
    # Distance gaps are filled forward by fill_derived (cumulative distance never decreases).
    _assert_same(cat("distance"), _ref_column(records, "distance"), atol=0.011, filled=True)
    semicircle = 180.0 / 2**31
    _assert_same(cat("lat"), _ref_column(records, "position_lat") * semicircle)
    _assert_same(cat("lon"), _ref_column(records, "position_long") * semicircle)
    _assert_same(cat("altitude"), _ref_column(records, "enhanced_altitude", "altitude"), atol=1e-3)
    _assert_same(cat("heart_rate"), _ref_column(records, "heart_rate"))
    _assert_same(cat("speed"), _ref_column(records, "enhanced_speed", "speed"), atol=1e-3)
    _assert_same(cat("power"), _ref_column(records, "power", "Power"))
    _assert_same(cat("vertical_oscillation"), _ref_column(records, "vertical_oscillation"))
    _assert_same(cat("stance_time"), _ref_column(records, "stance_time"))
    cadence = _ref_column(records, "cadence") + np.nan_to_num(_ref_column(records, "fractional_cadence"))
    foot = np.concatenate([np.full(a.samples, a.sport in ("running", "walking")) for a in activities])
    _assert_same(cat("cadence"), np.where(foot, cadence * 2, cadence))


@pytest.mark.fixtures
def test_multisport_file_gives_one_activity_per_session() -> None:
    path = fixtures_dir() / "fit" / "fitparse__sample_mulitple_header.fit"
    activities = ours(path)
    assert [a.sport for a in activities] == ["swimming", "transition", "cycling", "transition", "running"]
    run = activities[-1]
    assert run.device == "garmin fr920xt"
    assert "vertical_oscillation" in run.streams and "step_length" in run.streams
    assert all(a.start < b.start for a, b in itertools.pairwise(activities))
    assert run.streams["t"][0] >= 0


@pytest.mark.fixtures
def test_running_cadence_is_steps_per_minute() -> None:
    path = fixtures_dir() / "fit" / "fitparse__garmin-fenix-5-run.fit"
    [run] = ours(path)
    ref = reference(path)
    strides = _ref_column(ref.records, "cadence") + np.nan_to_num(
        _ref_column(ref.records, "fractional_cadence")
    )
    np.testing.assert_allclose(run.streams["cadence"], 2 * strides)
    assert run.avg_cadence is not None and 140 < run.avg_cadence < 200
    assert run.device == "garmin fenix5"
    assert run.utc_offset_s == -7 * 3600


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("name", "records", "at"),
    [
        ("fitparse__activity-unexpected-eof.fit", 14, None),
        ("fitparse__strava-android-app-201.10-b1218918.fit", 473, 7471),
    ],
)
def test_file_broken_part_way_keeps_the_records_before(name: str, records: int, at: int | None) -> None:
    path = fixtures_dir() / "fit" / name
    [activity] = ours(path)
    # A record whose time is impossible (the Strava file's last one says 2085) is left out, and said.
    impossible = [w for w in activity.warnings if w.startswith("time: 1 sample with an impossible time")]
    assert activity.samples + len(impossible) == records == len(reference(path).records)
    assert len(impossible) == (1 if "strava" in name else 0)
    [warning] = [w for w in activity.warnings if w.startswith("file breaks at byte")]
    assert f"kept the {records} records before it" in warning
    if at is not None:
        assert warning.startswith(f"file breaks at byte {at}:")


@pytest.mark.fixtures
def test_device_relative_timestamps_are_kept_with_a_warning() -> None:
    path = fixtures_dir() / "fit" / "fitparse__compressed-speed-distance.fit"
    [run] = ours(path)
    assert any("device-relative" in w for w in run.warnings)
    assert run.start.year == 1990
    assert run.samples == 755
    assert run.distance_m == pytest.approx(10248.67, abs=0.01)
    assert np.nanmax(run.streams["distance"]) == pytest.approx(10248.6875)


@pytest.mark.fixtures
def test_developer_power_is_used_when_the_native_field_is_absent() -> None:
    path = fixtures_dir() / "fit" / "sportslib__6860622783.fit"
    [run] = ours(path)
    assert run.sub_sport == "treadmill"
    assert "lat" not in run.streams
    power = run.streams["power"]
    assert np.isfinite(power).mean() > 0.9
    assert 100 < float(np.nanmedian(power)) < 500


@pytest.mark.fixtures
def test_bad_files_raise_bad_file_error() -> None:
    data = (fixtures_dir() / "fit" / "fitparse__garmin-fenix-5-run.fit").read_bytes()
    with pytest.raises(BadFileError, match="empty"):
        read_fit(b"", "x.fit")
    with pytest.raises(BadFileError, match="too short"):
        read_fit(data[:8], "x.fit")
    with pytest.raises(BadFileError, match="not a valid FIT file"):
        read_fit(data[:8] + b"XFIT" + data[12:], "x.fit")
    with pytest.raises(BadFileError, match=r"without any record|no records"):
        read_fit(data[:200], "x.fit")
