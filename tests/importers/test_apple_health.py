"""Apple Health exports: the generated fixture, re-imports, merging, quirks, broken files.

``data/apple_health_export.zip`` was written by ``python -m backstride.simulate.health_export
tests/importers/data/apple_health_export.zip 0.3`` (five runs, a ride, a walk, five weighings); the
truths below come from :func:`backstride.simulate.health_export.default_runs` with the same scale.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from backstride.importers.apple_health.scan import Spool, epoch, parse_date, prefilter, scan_export
from backstride.importers.fit.writer import write_fit
from backstride.importers.laps import infer_triggers
from backstride.ingest.files import import_paths
from backstride.log.body import body_weights
from backstride.log.pain import get_pain, onset_from_first_lap_hook
from backstride.simulate.health_export import LB_KG, HealthRun, default_runs, write_health_export
from backstride.store.activities import list_activities, load_laps, load_streams
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID, activities

FIXTURE = Path(__file__).with_name("data") / "apple_health_export.zip"
RUNS, OTHERS, WEIGHINGS = default_runs(0.3)


def _runs(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return list_activities(conn, LOCAL_USER_ID)


def test_fixture_runs_match_the_truth(engine: Engine) -> None:
    summary = import_paths(engine, [str(FIXTURE)])
    counts = summary.counts
    assert counts == {"imported": 5, "merged": 0, "duplicate": 0, "skipped": 2, "failed": 0}, (
        summary.as_dict()
    )
    skipped = sorted(o.sport or "" for o in summary.outcomes if o.status == "skipped")
    assert skipped == ["cycling", "walking"]
    stored = _runs(engine)
    assert len(stored) == len(RUNS)
    for row, truth in zip(stored, sorted(RUNS, key=lambda r: r.start), strict=True):
        assert row["source"] == "apple_health"
        assert row["start_utc"] == datetime.fromtimestamp(truth.start, tz=UTC)
        assert row["utc_offset_s"] == truth.offset_s
        assert row["distance_m"] == pytest.approx(truth.distance_m, rel=0.002)
        assert row["moving_s"] == pytest.approx(truth.duration_s, abs=1)
        assert row["elapsed_s"] == pytest.approx(truth.duration_s + truth.paused_s, abs=1)
        assert row["avg_cadence"] == pytest.approx(174, abs=3)
        assert row["device"].startswith("Apple Watch")
        with engine.connect() as conn:
            streams = load_streams(conn, row["id"])
        for column in (
            "heart_rate",
            "power",
            "step_length",
            "vertical_oscillation",
            "stance_time",
            "cadence",
        ):
            assert np.isfinite(streams[column]).mean() > 0.9, column
        assert np.nanmedian(streams["vertical_oscillation"]) == pytest.approx(89.0)  # 8.9 cm in mm
        assert np.nanmedian(streams["stance_time"]) == pytest.approx(251.0)
        assert np.nanmedian(streams["speed"]) == pytest.approx(truth.speed_ms, rel=0.01)
        # distance along the stream agrees with the workout's own total (route or records)
        assert streams["distance"][-1] == pytest.approx(truth.distance_m, rel=0.02)
        if truth.route:
            assert "lat" in streams and np.isfinite(streams["lat"]).all()
        else:
            assert "lat" not in streams
            assert row["sub_sport"] == "treadmill"
        # no samples inside a pause, and no distance gained across one
        for a, b in truth.pauses:
            inside = (streams["t"] > a - truth.start + 1) & (streams["t"] < b - truth.start - 1)
            assert not inside.any()


def test_markers_are_lap_presses_and_splits_are_automatic(engine: Engine) -> None:
    with engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true")
    import_paths(engine, [str(FIXTURE)], on_saved=onset_from_first_lap_hook)
    stored = _runs(engine)
    for row, truth in zip(stored, sorted(RUNS, key=lambda r: r.start), strict=True):
        with engine.connect() as conn:
            laps = load_laps(conn, row["id"])
            report = get_pain(conn, LOCAL_USER_ID, row["id"])
        manual = [lap for lap in laps if lap.trigger == "manual"]
        if truth.marker_at_s is None:
            assert manual == []
            assert report is None
        else:
            assert len(manual) == 1
            expected = truth.speed_ms * truth.active_at(truth.marker_at_s)
            assert manual[0].end_m == pytest.approx(expected, abs=5)
            assert report is not None and report["source"] == "lap" and not report["confirmed"]
            assert report["onset_m"] == pytest.approx(expected, abs=5)
        auto = [lap for lap in laps if lap.trigger == "distance"]
        for lap in auto:  # automatic splits end at whole kilometres (or miles)
            assert lap.end_m / truth.split_unit_m == pytest.approx(
                round(lap.end_m / truth.split_unit_m), abs=0.01
            )
        assert len(auto) == int(truth.distance_m // truth.split_unit_m)
        assert laps[-1].trigger == "session_end"


def test_body_mass_goes_to_the_body_log_once(engine: Engine) -> None:
    summary = import_paths(engine, [str(FIXTURE)])
    assert any("body weight: 4 new days" in note for note in summary.notes), summary.notes
    with engine.connect() as conn:
        weights = body_weights(conn, LOCAL_USER_ID)
    by_day = dict(zip(weights["date"], weights["weight_kg"], strict=True))
    assert by_day[date(2024, 3, 29)] == pytest.approx(83.0)  # the later of two weighings that day
    assert by_day[date(2024, 4, 2)] == pytest.approx(180.6 * LB_KG, abs=0.001)  # written in lb
    again = import_paths(engine, [str(FIXTURE)])
    assert again.counts["duplicate"] == 5 and again.counts["imported"] == 0
    assert any("0 new days" in note and "4 days already logged" in note for note in again.notes)
    with engine.connect() as conn:
        assert len(body_weights(conn, LOCAL_USER_ID)) == 4


def test_reimport_of_a_newer_export_reads_only_new_workouts(engine: Engine, tmp_path: Path) -> None:
    first = write_health_export(tmp_path / "one", RUNS[:2], [], [], as_zip=False)
    assert import_paths(engine, [str(first.path)]).counts["imported"] == 2
    newer = [*RUNS[:2], HealthRun(RUNS[4].start, 600, 3.1, offset_s=7200, marker_at_s=300)]
    second = write_health_export(tmp_path / "two", newer, [], [], as_zip=False)
    routes = second.path / "workout-routes"
    old_routes = sorted(routes.iterdir())[:3]  # the first two runs' files (one run has two)
    for path in old_routes:
        path.unlink()  # had the stored workouts' routes been read, these would now fail
    summary = import_paths(engine, [str(second.path)])
    assert summary.counts == {"imported": 1, "merged": 0, "duplicate": 2, "skipped": 0, "failed": 0}
    assert not any(o.warnings for o in summary.outcomes)


def test_the_same_run_from_a_fit_file_merges(engine: Engine, tmp_path: Path) -> None:
    import_paths(engine, [str(FIXTURE)])
    with engine.connect() as conn:
        first = list_activities(conn, LOCAL_USER_ID)[0]
        streams = load_streams(conn, first["id"])
    from backstride.importers.model import Activity

    copy = Activity(
        source="fit",
        sport="running",
        start=first["start_utc"],
        streams={k: streams[k] for k in ("t", "distance", "heart_rate", "lat", "lon")},
    )
    fit = tmp_path / "watch.fit"
    fit.write_bytes(write_fit(copy))
    summary = import_paths(engine, [str(fit)])
    assert summary.counts["merged"] == 1
    assert summary.outcomes[0].activity_id == first["id"]


def test_phone_and_watch_are_not_added_twice(tmp_path: Path) -> None:
    export = write_health_export(tmp_path / "x.zip", [RUNS[2]], [], [])
    with zipfile.ZipFile(export.path) as archive:
        xml = archive.read("apple_health_export/export.xml").decode("utf-8")
    assert "Anna’s iPhone" in xml and xml.count("HKQuantityTypeIdentifierDistanceWalkingRunning") > 10
    from backstride.store.engine import open_store

    engine = open_store("sqlite:///" + str(tmp_path / "db.sqlite"))
    try:
        import_paths(engine, [str(export.path)])
        (row,) = _runs(engine)
        with engine.connect() as conn:
            streams = load_streams(conn, row["id"])
        assert streams["distance"][-1] == pytest.approx(RUNS[2].distance_m, rel=0.01)
        assert row["avg_cadence"] == pytest.approx(174, abs=3)
    finally:
        engine.dispose()


def test_a_broken_dtd_and_a_truncated_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    export = write_health_export(tmp_path / "x", RUNS[:1], [], WEIGHINGS[:2], as_zip=False)
    xml_path = export.path / "export.xml"
    text = xml_path.read_text(encoding="utf-8")
    # some iOS versions wrote an invalid DTD: it must not matter
    xml_path.write_text(
        text.replace("<!ELEMENT ExportDate EMPTY>", "<!ELEMENT ExportDate EMPTY"), encoding="utf-8"
    )
    assert import_paths(sqlite_engine, [str(export.path)]).counts["imported"] == 1
    cut = text[: text.index("<Workout ") + 200]
    broken = tmp_path / "broken"
    shutil.copytree(export.path, broken / "apple_health_export")
    (broken / "apple_health_export" / "export.xml").write_text(cut, encoding="utf-8")
    summary = import_paths(sqlite_engine, [str(broken)])
    (failed,) = summary.failed
    assert failed.name.endswith("export.xml") and "breaks off at line" in failed.reason
    assert summary.counts["imported"] == 0


def test_not_an_export(sqlite_engine: Engine, tmp_path: Path) -> None:
    bogus = tmp_path / "export.xml"
    bogus.write_text("<?xml version='1.0'?><notes><note>hi</note></notes>", encoding="utf-8")
    summary = import_paths(sqlite_engine, [str(bogus)])
    assert summary.counts["failed"] == 1  # read as an activity file, refused with a reason
    assert "not an activity file" in summary.failed[0].reason


def test_spool_selects_rows_in_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import backstride.importers.apple_health.scan as scan

    monkeypatch.setattr(scan, "BLOCK_ROWS", 7)  # many blocks
    spool = Spool()
    try:
        for i in range(100):
            spool.add(float(i * 10), float(i * 10 + 5), float(i), 1, 0)
        rows = spool.select([(95.0, 120.0), (500.0, 500.0), (118.0, 131.0)])
        assert sorted(rows["v"].tolist()) == [9.0, 10.0, 11.0, 12.0, 13.0, 50.0]
        assert spool.rows == 100
    finally:
        spool.discard()
    assert not Path(spool.path).exists()


def test_prefilter_blanks_only_unneeded_records() -> None:
    block = (
        b' <Record type="HKQuantityTypeIdentifierActiveEnergyBurned" sourceName="W" unit="Cal" value="1"/>\n'
        b' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" value="61"/>\n'
        b' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="W" value="4">\n'
        b'  <MetadataEntry key="k" value="v"/>\n'
        b" </Record>\n"
        b' <Record type="HKQuantityTypeIdentifierBasalEnergyBurned" value="1"/><Record type="x" value="2"/>\n'
    )
    out = prefilter(block).split(b"\n")
    assert out[0] == b"" and b"HeartRate" in out[1] and b"SDNN" in out[2] and b"Basal" in out[5]
    assert len(out) == len(block.split(b"\n"))  # line numbers unchanged


def test_an_export_on_one_line(tmp_path: Path) -> None:
    export = write_health_export(tmp_path / "x", RUNS[:1], [], WEIGHINGS[:1], as_zip=False)
    xml = export.path / "export.xml"
    xml.write_bytes(xml.read_bytes().replace(b"\n", b" "))
    with xml.open("rb") as handle:
        result = scan_export(handle, "export.xml")
    try:
        assert len(result.workouts) == 1 and len(result.weighings) == 1 and result.spool.rows > 100
    finally:
        result.spool.discard()


def test_dates_with_local_offsets() -> None:
    assert parse_date("2024-03-31 08:30:00 +0200") == (
        datetime(2024, 3, 31, 6, 30, tzinfo=UTC).timestamp(),
        7200,
    )
    assert epoch("2024-03-31 08:30:00 +0200") == datetime(2024, 3, 31, 6, 30, tzinfo=UTC).timestamp()
    assert epoch("2023-11-05 01:30:00 -0500") == datetime(2023, 11, 5, 6, 30, tzinfo=UTC).timestamp()
    with pytest.raises(ValueError):
        parse_date("yesterday")


def test_lap_triggers_from_lengths() -> None:
    assert infer_triggers([1000.0, 1003.0, 1609.0, 523.0, 200.0]) == [
        "distance",
        "distance",
        "distance",
        "manual",
        "session_end",
    ]
    assert infer_triggers([None, 400.0]) == ["unknown", "session_end"]


def test_scan_counts_records_and_ignores_other_elements(tmp_path: Path) -> None:
    export = write_health_export(tmp_path / "x", RUNS[:1], OTHERS[:1], WEIGHINGS, as_zip=False)
    with (export.path / "export.xml").open("rb") as handle:
        result = scan_export(handle, "export.xml")
    try:
        assert len(result.workouts) == 2
        assert len(result.weighings) == len(WEIGHINGS)
        assert result.problems == []
        assert result.spool.rows > 0
        assert "Anna’s Apple Watch" in result.sources
        run = next(w for w in result.workouts if w.activity_type.endswith("Running"))
        assert run.metadata["HKIndoorWorkout"] == "0"
        assert run.routes == [
            f"/workout-routes/{p.name}"
            for p in sorted((export.path / "workout-routes").iterdir())
            if p.name.startswith("route_2024-03-28")
        ]
    finally:
        result.spool.discard()


def test_import_through_the_cli(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from backstride.cli import app

    db = str(tmp_path / "cli.sqlite")
    result = CliRunner().invoke(app, ["--db", db, "import", str(FIXTURE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["imported"] == 5
    assert any(note.startswith("body weight") for note in data["notes"])
    with_all = CliRunner().invoke(app, ["--db", db, "import", str(FIXTURE), "--sport", "all", "--json"])
    assert json.loads(with_all.stdout)["counts"]["imported"] == 2  # the ride and the walk now
    from backstride.store.engine import open_store

    engine = open_store("sqlite:///" + db)
    try:
        with engine.connect() as conn:
            sports = sorted(r[0] for r in conn.execute(select(activities.c.sport)))
    finally:
        engine.dispose()
    assert sports.count("running") == 5 and "cycling" in sports and "walking" in sports


def test_cli_lines_point_to_the_quick_log(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from backstride.cli import app

    result = CliRunner().invoke(app, ["--db", str(tmp_path / "q.sqlite"), "import", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "log the pain" in line]
    assert len(lines) == 5 and "backstride pain 1" in lines[0] and "/runs/5/log" in lines[4]
    assert "body weight: 4 new days" in result.output
