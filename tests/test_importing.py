"""The import job end to end: real files into the store, copies merged, bad files explained."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from backstride.ingest.files import import_paths
from backstride.store.activities import list_activities, load_streams
from tests.conftest import fixtures_dir


def _copy(names: list[str], dest: Path) -> list[str]:
    base = fixtures_dir()
    out = []
    for name in names:
        target = dest / Path(name).name
        shutil.copy(base / name, target)
        out.append(str(target))
    return out


@pytest.mark.parametrize(
    "pair",
    [
        ["fit/sportslib__2067489619.fit", "gpx/sportslib__2067489619.gpx"],
        ["fit/sportslib__6860622783.fit", "tcx/sportslib__6860622783.tcx"],
        ["fit/goldencheetah__10kUNLP2014-Garmin15.fit", "tcx/goldencheetah__10kUNLP2014-Garmin15.tcx"],
    ],
    ids=["fit+gpx", "fit+tcx treadmill", "fit+tcx race"],
)
def test_copies_of_one_activity_become_one_run(engine: Engine, tmp_path: Path, pair: list[str]) -> None:
    paths = _copy(pair, tmp_path)
    summary = import_paths(engine, paths, workers=1)
    assert summary.counts["failed"] == 0, summary.failed
    assert summary.counts["imported"] == 1
    assert summary.counts["merged"] == 1
    with engine.connect() as conn:
        runs = list_activities(conn, 1)
    assert len(runs) == 1
    # Importing both again changes nothing.
    again = import_paths(engine, list(reversed(paths)), workers=1)
    assert again.counts["duplicate"] == 2


def test_strava_export_imports_its_run_with_name_and_gear(engine: Engine, tmp_path: Path) -> None:
    export = fixtures_dir() / "strava_export"
    archive = tmp_path / "export_123.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in export.rglob("*"):
            if file.is_file():
                zf.write(file, file.relative_to(export).as_posix())
    summary = import_paths(engine, [str(archive)], workers=1)
    assert summary.counts["imported"] == 1, summary.as_dict()
    with engine.connect() as conn:
        (run,) = list_activities(conn, 1)
    assert run["name"]
    assert run["distance_m"] == pytest.approx(3322.95, rel=0.01)
    # The device original of the same run (with HR) merges into it and brings its heart rate.
    original = _copy(["fit/geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"], tmp_path)
    merged = import_paths(engine, original, workers=1)
    assert merged.counts["merged"] == 1
    with engine.connect() as conn:
        (run2,) = list_activities(conn, 1)
        streams = load_streams(conn, run2["id"])
    assert run2["name"] == run["name"]
    assert "heart_rate" in streams and run2["avg_hr"] is not None


def test_whole_fixture_folder_imports_with_every_problem_explained(sqlite_engine: Engine) -> None:
    base = fixtures_dir()
    summary = import_paths(
        sqlite_engine, [str(base / "fit"), str(base / "gpx"), str(base / "tcx")], workers=2
    )
    by_name = {Path(o.name.split(" (session")[0]).name: o for o in summary.outcomes}
    assert by_name["fitparse__garmin-fenix-5-bike.fit"].status == "skipped"
    assert by_name["fitparse__garmin-fenix-5-walk.fit"].status == "skipped"
    assert by_name["sweatpy__activity_5039744860.gpx"].status == "skipped"
    broken = by_name["fitparse__strava-android-app-201.10-b1218918.fit"]
    assert broken.status == "imported"
    assert any(w.startswith("file breaks at byte 7471:") for w in broken.warnings)
    # Each second copy of one run (SOURCES.md: "same activity as") merges into the first.
    merged = sorted(name for name, o in by_name.items() if o.status == "merged")
    assert merged == [
        "goldencheetah__10kUNLP2014-Garmin15.tcx",
        "sportslib__2067489619.gpx",
        "sportslib__6860622783.tcx",
        "tcxparser__test.tcx",
    ]
    assert summary.counts == {"imported": 19, "merged": 4, "duplicate": 0, "skipped": 13, "failed": 0}
    assert all(o.reason for o in summary.outcomes if o.status == "skipped")
    with sqlite_engine.connect() as conn:
        runs = list_activities(conn, 1)
    assert len(runs) == 19


def test_bad_files_fail_alone(sqlite_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "empty.fit").write_bytes(b"")
    (tmp_path / "notes.gpx").write_text("<html><body>not a track</body></html>")
    good = _copy(["fit/fitparse__garmin-fenix-5-run.fit"], tmp_path)
    summary = import_paths(
        sqlite_engine, [str(tmp_path / "empty.fit"), str(tmp_path / "notes.gpx"), *good], workers=1
    )
    assert summary.counts["imported"] == 1
    assert summary.counts["failed"] == 2
    assert all(o.reason for o in summary.failed)
