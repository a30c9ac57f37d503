"""GPX reader and writer: real files checked against their own tracks, generated files, bad input."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backstride.errors import BadFileError
from backstride.importers import read_activity_bytes, read_activity_file
from backstride.importers.derive import cumulative_distance
from backstride.importers.gpx import read_gpx, write_gpx
from backstride.importers.model import Activity, Lap
from tests.conftest import fixture_files, fixtures_dir

START = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def make_activity(
    n: int = 600,
    speed: float = 3.0,
    sport: str = "running",
    seed: int = 7,
    positions: bool = True,
    laps: list[Lap] | None = None,
) -> Activity:
    """A synthetic activity: ``n`` one-second samples heading north at ``speed`` m/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    distance = t * speed
    streams = {
        "t": t,
        "distance": distance,
        "altitude": 100 + 5 * np.sin(t / 60),
        "heart_rate": np.round(140 + 10 * np.sin(t / 90) + rng.normal(0, 1, n)),
        "cadence": np.round(170 + rng.normal(0, 2, n))
        if sport == "running"
        else np.round(85 + rng.normal(0, 2, n)),
        "speed": np.full(n, speed),
    }
    if positions:
        streams["lat"] = 48.0 + distance / 111_195.0
        streams["lon"] = np.full(n, 11.5)
    return Activity(
        source="test",
        sport=sport,
        start=START,
        name="Morning & <test> run",
        device="Synthetic 1",
        streams=streams,
        laps=laps or [],
    )


# ---- real files: each checked against what the file itself records ------------------------------


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (reference implementation, independent of the importer)."""
    r = 6_371_008.8
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def _reference(path: Path) -> dict[str, object]:
    """What the GPX track says, read with the standard library: points, segment lengths, times, type."""
    root = ET.parse(path).getroot()
    local = lambda el: el.tag.rpartition("}")[2]  # noqa: E731
    times, length, count, stated = [], 0.0, 0, None
    for trk in (el for el in root if local(el) == "trk"):
        for el in trk:
            if local(el) == "type" and el.text and stated is None:
                stated = el.text.strip()
        for seg in (el for el in trk if local(el) == "trkseg"):
            prev = None
            for pt in (el for el in seg if local(el) == "trkpt"):
                count += 1
                here = (float(pt.get("lat")), float(pt.get("lon")))
                if prev is not None:
                    length += _haversine(prev, here)
                prev = here
                for child in pt:
                    if local(child) == "time":
                        times.append(datetime.fromisoformat(child.text.strip()))
    return {"count": count, "length": length, "times": times, "type": stated}


#: The sport each file is (from ../shared/fixtures/SOURCES.md); files with no <type> are inferred.
EXPECTED_SPORT = {
    "gpxpy__track-with-less-sec-time.gpx": "running",
    "sportslib__2067489619.gpx": "running",
    "sweatpy__activity_5039744860.gpx": "cycling",
    "togeojson__missing_hr.gpx": "walking",  # 62 m in 2 minutes, no <type>: a walk by its speed
    "togeojson__run.gpx": "running",
    "togeojson__run_gpxtpx.gpx": "running",
}


@pytest.mark.fixtures
@pytest.mark.parametrize("path", fixture_files("gpx", "*.gpx"), ids=lambda p: p.name)
def test_real_gpx_matches_its_own_track(path: Path) -> None:
    ref = _reference(path)
    (activity,) = read_activity_file(str(path))
    assert activity.sport == EXPECTED_SPORT[path.name]
    assert activity.samples == ref["count"]
    times = ref["times"]
    assert isinstance(times, list)
    assert activity.start == min(times)
    duration = (max(times) - min(times)).total_seconds()
    assert activity.elapsed_s == pytest.approx(duration, rel=0.01, abs=0.01)
    assert activity.distance_m == pytest.approx(ref["length"], rel=0.01)
    assert np.all(np.diff(activity.streams["t"]) >= 0)
    assert (ref["type"] is None) == any("sport not stated" in w for w in activity.warnings)


@pytest.mark.fixtures
def test_gpx_and_fit_copies_of_one_run_agree() -> None:
    folder = fixtures_dir()
    (fit,) = read_activity_file(str(folder / "fit" / "sportslib__2067489619.fit"))
    (gpx,) = read_activity_file(str(folder / "gpx" / "sportslib__2067489619.gpx"))
    assert abs((fit.start - gpx.start).total_seconds()) <= 3
    assert gpx.sport == fit.sport == "running"
    # The GPX holds only the positions: its length equals the FIT positions' length. The FIT's own
    # total (4489 m) is the device's distance, 2.1% longer than the chords between its ~4 s points.
    ok = np.isfinite(fit.streams["lat"]) & np.isfinite(fit.streams["lon"])
    fit_track = cumulative_distance(fit.streams["lat"][ok], fit.streams["lon"][ok])[-1]
    assert gpx.distance_m == pytest.approx(fit_track, rel=0.005)
    assert abs(gpx.samples - fit.samples) <= 2
    # Cadence: GPX counts strides (one foot); both copies end up in steps per minute.
    gpx_cad = np.nanmedian(gpx.streams["cadence"][gpx.streams["cadence"] > 0])
    fit_cad = np.nanmedian(fit.streams["cadence"][fit.streams["cadence"] > 0])
    assert gpx_cad == pytest.approx(fit_cad, rel=0.05)


# ---- generated files ----------------------------------------------------------------------------


def test_round_trip_keeps_the_data() -> None:
    original = make_activity()
    (back,) = read_gpx(write_gpx(original), "x.gpx")
    assert back.sport == "running"
    assert back.start == START
    assert back.name == original.name and back.device == original.device
    assert back.samples == original.samples
    s, b = original.streams, back.streams
    np.testing.assert_allclose(b["t"], s["t"])
    np.testing.assert_allclose(b["lat"], s["lat"], atol=1e-8)
    np.testing.assert_allclose(b["altitude"], s["altitude"], atol=0.006)
    np.testing.assert_array_equal(b["heart_rate"], s["heart_rate"])
    np.testing.assert_allclose(b["cadence"], s["cadence"], atol=1.0)  # written as whole strides
    np.testing.assert_allclose(b["speed"], s["speed"], atol=0.001)
    assert back.distance_m == pytest.approx(s["distance"][-1], rel=0.001)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=120),
    speed=st.floats(min_value=1.7, max_value=6.5),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_round_trip_property(n: int, speed: float, seed: int) -> None:
    original = make_activity(n=n, speed=speed, seed=seed)
    (back,) = read_gpx(write_gpx(original), "x.gpx")
    assert back.samples == n
    assert back.sport == "running"
    np.testing.assert_array_equal(back.streams["heart_rate"], original.streams["heart_rate"])
    assert back.distance_m == pytest.approx(original.streams["distance"][-1], rel=0.001, abs=0.01)


def _gpx(body: str, head: str = 'version="1.1" xmlns="http://www.topografix.com/GPX/1/1"') -> bytes:
    return f'<?xml version="1.0"?>\n<gpx {head} creator="t">{body}</gpx>'.encode()


def _pt(lat: float, time: str, extra: str = "") -> str:
    return f'<trkpt lat="{lat}" lon="8.0"><time>{time}</time>{extra}</trkpt>'


def test_segments_join_in_time_order_without_distance_across_the_gap() -> None:
    # Two tracks written out of order; the pause between them is ~1.1 km of straight line.
    late = "".join(_pt(47.01 + i * 0.00003, f"2024-05-01T07:00:{i:02d}Z") for i in range(10))
    early = "".join(_pt(47.0 + i * 0.00003, f"2024-05-01T06:00:{i:02d}Z") for i in range(10))
    data = _gpx(f"<trk><type>running</type><trkseg>{late}</trkseg></trk><trk><trkseg>{early}</trkseg></trk>")
    (activity,) = read_gpx(data, "x.gpx")
    assert activity.start == datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    assert activity.samples == 20
    assert activity.streams["t"][-1] == 3609
    one_segment = 9 * 0.00003 * 111_195
    assert activity.distance_m == pytest.approx(2 * one_segment, rel=0.01)


def test_sub_second_and_offset_timestamps_are_utc() -> None:
    body = _pt(47.0, "2015-12-11T15:43:13.000+01:00") + _pt(47.00001, "2015-12-11T15:43:13.994+01:00")
    (activity,) = read_gpx(_gpx(f"<trk><type>run</type><trkseg>{body}</trkseg></trk>"), "x.gpx")
    assert activity.start == datetime(2015, 12, 11, 14, 43, 13, tzinfo=UTC)
    assert activity.utc_offset_s == 3600
    assert activity.streams["t"][1] == pytest.approx(0.994)


@pytest.mark.parametrize(
    ("speed", "sport"), [(3.0, "running"), (1.2, "walking"), (9.0, "cycling")], ids=["run", "walk", "ride"]
)
def test_sport_not_stated_is_inferred_from_speed_with_a_warning(speed: float, sport: str) -> None:
    step = speed / 111_195.0
    body = "".join(
        _pt(47.0 + i * step, (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")) for i in range(60)
    )
    (activity,) = read_gpx(_gpx(f"<trk><trkseg>{body}</trkseg></trk>"), "x.gpx")
    assert activity.sport == sport
    assert f"sport not stated in the file; taken as {sport} from its speed" in activity.warnings


@pytest.mark.parametrize(("stated", "factor"), [("running", 2.0), ("cycling", 1.0)])
def test_stride_cadence_is_doubled_for_running_only(stated: str, factor: float) -> None:
    ext = (
        "<extensions><ns3:TrackPointExtension><ns3:hr>150</ns3:hr><ns3:cad>{}</ns3:cad>"
        "</ns3:TrackPointExtension></extensions>"
    )
    body = "".join(
        _pt(47.0 + i * 3e-5, f"2024-05-01T07:00:{i:02d}Z", ext.format(86 + i % 3)) for i in range(30)
    )
    head = (
        'version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"'
    )
    (activity,) = read_gpx(_gpx(f"<trk><type>{stated}</type><trkseg>{body}</trkseg></trk>", head), "x.gpx")
    assert np.nanmedian(activity.streams["cadence"]) == 87 * factor
    assert activity.avg_hr == 150


def test_gpx_1_0_with_speed_element() -> None:
    body = "".join(
        f'<trkpt lat="{47 + i * 3e-5}" lon="8"><ele>{400 + 2 * i}</ele><time>2024-05-01T07:00:{i:02d}Z</time>'
        f"<speed>3.3</speed></trkpt>"
        for i in range(10)
    )
    data = _gpx(
        f"<trk><name>Old</name><trkseg>{body}</trkseg></trk>",
        'version="1.0" xmlns="http://www.topografix.com/GPX/1/0"',
    )
    (activity,) = read_gpx(data, "x.gpx")
    assert activity.name == "Old"
    np.testing.assert_allclose(activity.streams["speed"], 3.3)
    assert activity.elevation_gain_m == pytest.approx(18.0)


def test_external_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = "".join(_pt(47.0 + i * 3e-5, f"2024-05-01T07:00:{i:02d}Z") for i in range(5))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>a&x;</name>'
        f"<type>running</type><trkseg>{body}</trkseg></trk></gpx>"
    ).encode()
    (activity,) = read_gpx(data, "x.gpx")
    assert "TOP-SECRET" not in (activity.name or "")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (_gpx("<trk><trkseg>" + _pt(47.0, "2024-05-01T07:00:00Z") * 3)[:-40], "not well-formed"),
        (_gpx("<trk><name>nothing</name><trkseg></trkseg></trk>"), "no track points"),
        (_gpx('<rte><rtept lat="1" lon="2"/></rte>'), "a route but no recorded track"),
        (_gpx('<trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk>'), "no timestamps"),
        (b'<?xml version="1.0"?><kml><Document/></kml>', "not an activity file"),
    ],
    ids=["empty", "truncated", "no-points", "route", "untimed", "kml"],
)
def test_bad_gpx_gives_one_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(BadFileError) as info:
        read_activity_bytes(data, "bad.gpx")
    assert info.value.name == "bad.gpx"
    assert reason in info.value.reason


def test_writer_refuses_an_activity_without_positions() -> None:
    with pytest.raises(ValueError, match="positions"):
        write_gpx(make_activity(positions=False))
