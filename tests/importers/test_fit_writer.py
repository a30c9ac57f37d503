"""FIT writer -> reader round trips on generated activities (no shared fixtures needed)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from garmin_fit_sdk import Decoder, Stream
from garmin_fit_sdk.crc_calculator import CrcCalculator
from hypothesis import given, settings
from hypothesis import strategies as st

from backstride.errors import BadFileError
from backstride.importers.fit import read_fit
from backstride.importers.fit.crc import crc16
from backstride.importers.fit.profile import profile
from backstride.importers.fit.scan import scan
from backstride.importers.fit.writer import write_fit
from backstride.importers.model import Activity, Lap

#: How closely each stream survives FIT's integer encoding (the profile's scale: 1/scale).
TOLERANCE = {
    "t": 0.0,
    "distance": 0.005 + 1e-9,
    "lat": 1e-7,
    "lon": 1e-7,
    "altitude": 0.1 + 1e-9,
    "heart_rate": 0.0,
    "cadence": 2 / 128 / 2 + 1e-9,
    "speed": 0.0005 + 1e-9,
    "vertical_oscillation": 0.05 + 1e-9,
    "stance_time": 0.05 + 1e-9,
    "step_length": 0.05 + 1e-9,
    "power": 0.5,
}


def generated_activity(
    seed: int = 0, n: int = 1800, gap_at: int | None = 900, sport: str = "running"
) -> Activity:
    """A synthetic run with every stream, a pause (a time gap) and a manual lap at a "pain onset"."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    if gap_at is not None and gap_at < n:
        t[gap_at:] += 95.0
    speed = np.clip(3.0 + 0.3 * rng.standard_normal(n), 0.5, None)
    distance = np.cumsum(speed)
    streams = {
        "t": t,
        "distance": distance,
        "lat": 48.1 + np.cumsum(rng.normal(0, 1e-5, n)),
        "lon": 11.5 + np.cumsum(rng.normal(0, 1e-5, n)),
        "altitude": 520 + np.cumsum(rng.normal(0, 0.1, n)),
        "heart_rate": np.round(150 + 5 * rng.standard_normal(n)),
        "cadence": np.round(170 + 3 * rng.standard_normal(n)),
        "speed": speed,
        "vertical_oscillation": np.round(90 + rng.standard_normal(n), 1),
        "stance_time": np.round(250 + 5 * rng.standard_normal(n), 1),
        "step_length": np.round(1050 + 20 * rng.standard_normal(n), 1),
        "power": np.round(250 + 10 * rng.standard_normal(n)),
    }
    streams["heart_rate"][rng.integers(0, n, 5)] = np.nan
    end = float(t[-1])
    onset = float(t[n // 3])
    return Activity(
        source="fit",
        sport=sport,
        sub_sport="road",
        start=datetime(2024, 5, 1, 6, 30, tzinfo=UTC) + timedelta(days=seed % 300),
        utc_offset_s=7200,
        distance_m=float(distance[-1]),
        moving_s=float(n),
        elapsed_s=end,
        elevation_gain_m=42.0,
        elevation_loss_m=40.0,
        avg_hr=150.0,
        max_hr=171.0,
        avg_cadence=170.5,
        avg_speed=3.0,
        avg_vertical_oscillation=90.0,
        avg_stance_time=250.0,
        avg_step_length=1050.0,
        avg_power=250.0,
        streams=streams,
        laps=[Lap(0.0, onset, trigger="manual"), Lap(onset, end, trigger="session_end")],
    )


def assert_round_trip(original: Activity, copy: Activity) -> None:
    assert copy.sport == original.sport
    assert copy.sub_sport == original.sub_sport
    assert copy.start == original.start
    assert copy.utc_offset_s == original.utc_offset_s
    assert copy.samples == original.samples
    for name, values in original.streams.items():
        if not np.isfinite(values).any():
            assert name not in copy.streams
            continue
        got = copy.streams[name]
        assert np.array_equal(np.isfinite(got), np.isfinite(values)), name
        ok = np.isfinite(values)
        np.testing.assert_allclose(got[ok], values[ok], rtol=0, atol=TOLERANCE[name], err_msg=name)
    assert copy.distance_m == pytest.approx(original.distance_m, abs=0.01)
    assert copy.elapsed_s == pytest.approx(original.elapsed_s, abs=0.001)
    assert copy.avg_cadence == pytest.approx(original.avg_cadence, abs=0.01)
    assert copy.avg_power == original.avg_power
    assert [lap.trigger for lap in copy.laps] == [lap.trigger for lap in original.laps]
    for lap, ref in zip(copy.laps, original.laps, strict=True):
        assert lap.start_s == pytest.approx(ref.start_s)
        assert lap.end_s == pytest.approx(ref.end_s)
        t, d = original.streams["t"], original.streams["distance"]
        assert lap.start_m == pytest.approx(float(np.interp(ref.start_s, t, d)), abs=0.01)


@pytest.mark.parametrize("compressed", [False, True], ids=["normal", "compressed-timestamps"])
@pytest.mark.parametrize("developer", [False, True], ids=["native-power", "developer-power"])
def test_round_trip(compressed: bool, developer: bool) -> None:
    original = generated_activity(seed=3)
    data = write_fit(original, compressed_timestamps=compressed, developer_field=developer)
    [copy] = read_fit(data, "generated.fit")
    assert copy.warnings == []
    assert_round_trip(original, copy)
    walked = scan(data)
    compressed_headers = sum(1 for d in walked.definitions for offset in d.offsets if data[offset] & 0x80)
    assert (compressed_headers > 0) == compressed
    has_dev = any(d.dev_fields for d in walked.definitions)
    assert has_dev == developer


def test_written_file_is_valid_for_garmin_fit_sdk() -> None:
    original = generated_activity(seed=5)
    data = write_fit(original, developer_field=True)
    checker = Decoder(Stream.from_byte_array(bytearray(data)))
    assert checker.is_fit() and checker.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert len(messages["record_mesgs"]) == original.samples
    assert [lap["lap_trigger"] for lap in messages["lap_mesgs"]] == ["manual", "session_end"]
    assert messages["session_mesgs"][0]["sport"] == "running"


def test_crc_matches_garmin_fit_sdk() -> None:
    rng = np.random.default_rng(11)
    for n in (0, 1, 100, 2047, 2048, 5000, 150_001):
        data = rng.integers(0, 256, n).astype(np.uint8).tobytes()
        assert crc16(data) == CrcCalculator.calculate_crc(data, 0, len(data))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 400),
    gap=st.one_of(st.none(), st.integers(0, 400)),
    compressed=st.booleans(),
    developer=st.booleans(),
    sport=st.sampled_from(["running", "cycling", "walking"]),
)
def test_round_trip_property(
    seed: int, n: int, gap: int | None, compressed: bool, developer: bool, sport: str
) -> None:
    original = generated_activity(seed=seed, n=n, gap_at=gap, sport=sport)
    data = write_fit(original, compressed_timestamps=compressed, developer_field=developer)
    [copy] = read_fit(data, "generated.fit")
    assert_round_trip(original, copy)


def test_chained_files_give_one_activity_each() -> None:
    first = generated_activity(seed=1, n=300)
    second = generated_activity(seed=2, n=200, sport="cycling")
    data = write_fit(first) + write_fit(second, compressed_timestamps=True)
    activities = read_fit(data, "two.fit")
    assert [a.sport for a in activities] == ["running", "cycling"]
    assert [a.samples for a in activities] == [300, 200]


def _rewrap(body: bytes) -> bytes:
    header = struct.pack("<BBHI4s", 14, 0x20, 21218, len(body), b".FIT")
    header += struct.pack("<H", crc16(header))
    out = header + body
    return out + struct.pack("<H", crc16(out))


def test_file_without_session_is_built_from_records() -> None:
    original = generated_activity(seed=4, n=600)
    data = write_fit(original)
    session = next(d for d in scan(data).definitions if d.global_num == 18)
    cut = session.offsets[0] - (6 + 3 * len(session.fields))
    [copy] = read_fit(_rewrap(data[14:cut]), "nosession.fit")
    assert copy.sport == "running"  # from the lap messages
    assert copy.samples == 600
    assert copy.distance_m == pytest.approx(float(np.nanmax(original.streams["distance"])), abs=0.01)
    assert copy.warnings == []


def test_non_activity_file_is_refused() -> None:
    data = bytearray(write_fit(generated_activity(seed=6, n=50)))
    file_id = next(d for d in scan(bytes(data)).definitions if d.global_num == 0)
    type_offset = file_id.offsets[0] + 1 + next(f.offset for f in file_id.fields if f.num == 0)
    data[type_offset] = profile().enum_value("file", "course")
    with pytest.raises(BadFileError, match="a FIT course file, not an activity"):
        read_fit(_rewrap(bytes(data[14:-2])), "course.fit")


def test_activity_without_records_is_refused() -> None:
    empty = generated_activity(seed=7, n=10)
    empty.streams = {"t": np.zeros(0)}
    empty.laps = []
    with pytest.raises(BadFileError, match="without any record"):
        read_fit(write_fit(empty), "empty.fit")


def test_crc_mismatch_warns_and_still_decodes() -> None:
    original = generated_activity(seed=8, n=100)
    data = bytearray(write_fit(original))
    records = next(d for d in scan(bytes(data)).definitions if d.global_num == 20)
    hr = next(f for f in records.fields if f.num == 3)
    data[records.offsets[10] + 1 + hr.offset] = 99
    [copy] = read_fit(bytes(data), "damaged.fit")
    assert any("CRC mismatch" in w for w in copy.warnings)
    assert copy.streams["heart_rate"][10] == 99
