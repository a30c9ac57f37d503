"""Finding what to import: files, folders, zips, Strava exports; zip safety; bad files among good ones."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from backstride.errors import BadFileError
from backstride.importers import sources as sources_module
from backstride.importers.gpx import write_gpx
from backstride.importers.sources import SkippedEntry, Source, find_sources, read_source
from backstride.importers.tcx import write_tcx
from tests.conftest import fixtures_dir
from tests.importers.test_gpx import make_activity

STRAVA_HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,"
    "Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,Filename,Athlete Weight,"
    "Bike Weight,Elapsed Time,Moving Time,Distance\n"
)


def _strava_row(id_: str, name: str, kind: str, gear: str, filename: str) -> str:
    return (
        f'{id_},"May 1, 2024, 6:30:00 AM",{name},{kind},,600,1.8,,,false,,{gear},{filename},,,600,590,1797\n'
    )


def make_strava_export(folder: Path) -> Path:
    """A small Strava export: a GPX run with gear, a gzipped TCX walk, a manual entry, a missing file."""
    (folder / "activities").mkdir(parents=True)
    (folder / "activities" / "101.gpx").write_bytes(write_gpx(make_activity()))
    walk = make_activity(speed=1.2, sport="walking", seed=3)
    walk.sport = "generic"  # the file does not say; the CSV does
    (folder / "activities" / "102.tcx.gz").write_bytes(gzip.compress(write_tcx(walk)))
    (folder / "activities" / "103.gpx").write_bytes(write_gpx(make_activity(seed=5)))  # not listed
    (folder / "activities.csv").write_text(
        STRAVA_HEADER
        + _strava_row("1", "Hill reps", "Trail Run", "Pegasus 39", "activities/101.gpx")
        + _strava_row("2", "Dog walk", "Walk", "", "activities/102.tcx.gz")
        + _strava_row("3", "Gym run", "Run", "", "")
        + _strava_row("4", "Lost", "Run", "", "activities/104.fit.gz")
    )
    (folder / "profile.csv").write_text("ignored\n")
    return folder


def _zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def _check_strava_result(found: list[Source], problems: list[BadFileError]) -> None:
    by_id = {Path(s.member or s.path).name: s for s in found}
    assert sorted(by_id) == ["101.gpx", "102.tcx.gz", "103.gpx"]
    (run,) = read_source(by_id["101.gpx"])
    assert (run.name, run.shoe, run.sport, run.sub_sport) == ("Hill reps", "Pegasus 39", "running", "trail")
    (walk,) = read_source(by_id["102.tcx.gz"])
    assert (walk.name, walk.sport) == ("Dog walk", "walking")
    (other,) = read_source(by_id["103.gpx"])
    assert other.name == "Morning & <test> run" and other.shoe is None
    skipped = [p for p in problems if isinstance(p, SkippedEntry)]
    failed = [p for p in problems if not isinstance(p, SkippedEntry)]
    assert len(skipped) == 1 and "Gym run" in skipped[0].name and "no activity file" in skipped[0].reason
    assert len(failed) == 1 and failed[0].name.endswith("activities/104.fit.gz")
    assert "missing" in failed[0].reason


def test_strava_export_folder(tmp_path: Path) -> None:
    export = make_strava_export(tmp_path / "export")
    _check_strava_result(*find_sources([str(export)]))


@pytest.mark.parametrize("prefix", ["", "export_1234/"], ids=["root", "subfolder"])
def test_strava_export_zip(tmp_path: Path, prefix: str) -> None:
    export = make_strava_export(tmp_path / "export")
    archive = _zip_folder(export, tmp_path / "export.zip", prefix)
    found, problems = find_sources([str(archive)])
    assert all(s.path == str(archive) and s.name.startswith(f"{archive}!") for s in found)
    _check_strava_result(found, problems)


@pytest.mark.fixtures
@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_real_strava_export(tmp_path: Path, as_zip: bool) -> None:
    export = fixtures_dir() / "strava_export"
    path = _zip_folder(export, tmp_path / "strava.zip") if as_zip else export
    found, problems = find_sources([str(path)])
    assert problems == []
    (source,) = found
    (run,) = read_source(source)
    assert run.name == "Laufen Landal Park"
    assert run.sport == "running"
    assert run.shoe is None  # the export's row names no gear
    assert run.samples == 326 and len(run.laps) == 4
    assert run.distance_m == pytest.approx(3322.95, rel=0.01)


def test_folder_walk_is_sorted_recursive_and_skips_hidden_and_other_files(tmp_path: Path) -> None:
    run = write_gpx(make_activity())
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "2.gpx").write_bytes(run)
    (tmp_path / "a.tcx.gz").write_bytes(gzip.compress(write_tcx(make_activity())))
    (tmp_path / ".secret.gpx").write_bytes(run)
    (tmp_path / ".hidden" / "x.gpx").write_bytes(run)
    (tmp_path / "notes.txt").write_text("not an activity")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    found, problems = find_sources([str(tmp_path)])
    assert problems == []
    assert [Path(s.path).relative_to(tmp_path).as_posix() for s in found] == ["a.tcx.gz", "b/2.gpx"]


def test_a_file_named_explicitly_gives_its_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    (source,), problems = find_sources([str(notes)])
    assert problems == []
    with pytest.raises(BadFileError, match="not an activity file"):
        read_source(source)


def test_missing_path(tmp_path: Path) -> None:
    found, (problem,) = find_sources([str(tmp_path / "nope.fit")])
    assert found == [] and "no such file" in problem.reason


def test_backstride_export_folder_is_skipped_silently(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "manifest.json").write_text('{"format": "backstride-export", "version": 1}')
    (tmp_path / "mine" / "runs.gpx").write_bytes(write_gpx(make_activity()))
    assert find_sources([str(tmp_path / "mine")]) == ([], [])


def test_bad_files_each_give_one_error_and_the_rest_goes_on(tmp_path: Path) -> None:
    good = write_gpx(make_activity())
    files = {
        "1-good.gpx": good,
        "2-empty.fit": b"",
        "3-truncated.tcx": write_tcx(make_activity())[:500],
        "4-no-points.gpx": b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg/></trk></gpx>',
        "5-neither.gpx": b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"/>',
        "6-bad.gpx.gz": b"\x1f\x8b\x08\x00broken",
        "7-good.gpx.gz": gzip.compress(good),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    found, problems = find_sources([str(tmp_path)])
    assert problems == [] and len(found) == 7
    read, errors = [], []
    for source in found:
        try:
            read.extend(read_source(source))
        except BadFileError as exc:
            errors.append(exc)
    assert len(read) == 2
    assert [Path(e.name).name for e in errors] == [
        "2-empty.fit",
        "3-truncated.tcx",
        "4-no-points.gpx",
        "5-neither.gpx",
        "6-bad.gpx.gz",
    ]
    assert all(e.reason for e in errors)


def test_zip_slip_entries_are_refused_one_by_one(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    run = write_gpx(make_activity())
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok/run.gpx", run)
        zf.writestr("../escape.gpx", run)
        zf.writestr("/etc/absolute.gpx", run)
        zf.writestr("a/../../up.gpx", run)
        zf.writestr("C:/windows.gpx", run)
    found, problems = find_sources([str(archive)])
    assert [s.member for s in found] == ["ok/run.gpx"]
    assert sorted(p.name.split("!", 1)[1] for p in problems) == [
        "../escape.gpx",
        "/etc/absolute.gpx",
        "C:/windows.gpx",
        "a/../../up.gpx",
    ]
    assert all("refused" in p.reason for p in problems)
    assert not (tmp_path.parent / "escape.gpx").exists()
    (activity,) = read_source(found[0])
    assert activity.samples == 600


def test_compression_bomb_entry_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.gpx", b"\0" * (8 * 1024 * 1024))  # ~1000:1
        zf.writestr("run.gpx", write_gpx(make_activity()))
    found, (problem,) = find_sources([str(archive)])
    assert [s.member for s in found] == ["run.gpx"]
    assert problem.name == f"{archive}!bomb.gpx" and "compression bomb" in problem.reason


def test_absurd_declared_size_refuses_the_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.gpx", os.urandom(4096))
    monkeypatch.setattr(sources_module, "MAX_ARCHIVE_BYTES", 1024)
    found, (problem,) = find_sources([str(archive)])
    assert found == [] and "refused" in problem.reason


def test_a_lying_size_header_cannot_exhaust_memory(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    payload = os.urandom(300_000).hex().encode()  # 600 kB that compresses only ~2:1
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("liar.gpx", payload)
    data = bytearray(archive.read_bytes())
    # Claim 1000 bytes uncompressed in the central directory and the local header.
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    struct.pack_into("<I", data, 22, 1000)
    archive.write_bytes(bytes(data))
    found, problems = find_sources([str(archive)])
    assert problems == [] and len(found) == 1
    with pytest.raises(BadFileError) as info:
        read_source(found[0])
    assert info.value.name == f"{archive}!liar.gpx"
    assert "cannot be read from the archive" in info.value.reason


def test_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.gpx"
    path.write_bytes(write_gpx(make_activity()))
    monkeypatch.setattr(sources_module, "MAX_FILE_BYTES", 1000)
    (source,), _ = find_sources([str(path)])
    with pytest.raises(BadFileError, match="larger than"):
        source.read_bytes()


def test_plain_zip_and_a_zip_inside_a_folder(tmp_path: Path) -> None:
    inner = tmp_path / "in"
    inner.mkdir()
    with zipfile.ZipFile(inner / "runs.zip", "w") as zf:
        zf.writestr("b.tcx", write_tcx(make_activity()))
        zf.writestr("a.gpx.gz", gzip.compress(write_gpx(make_activity())))
        zf.writestr("readme.txt", "hello")
    shutil.copy(inner / "runs.zip", tmp_path / "not-a-zip.zip")
    (tmp_path / "not-a-zip.zip").write_bytes(b"garbage")
    found, problems = find_sources([str(inner), str(tmp_path / "not-a-zip.zip")])
    assert [s.member for s in found] == ["a.gpx.gz", "b.tcx"]
    skipped = [p for p in problems if isinstance(p, SkippedEntry)]
    assert [Path(p.name).name for p in problems if p not in skipped] == ["not-a-zip.zip"]
    assert [(Path(p.name).name, p.reason) for p in skipped] == [
        ("runs.zip", "1 file is not an activity file (.txt 1); skipped")
    ]
    assert all(len(read_source(s)) == 1 for s in found)


def test_sources_are_found_once_when_named_twice(tmp_path: Path) -> None:
    (tmp_path / "a.gpx").write_bytes(write_gpx(make_activity()))
    found, _ = find_sources([str(tmp_path), str(tmp_path / "a.gpx")])
    assert len(found) == 1


def test_a_folder_with_some_other_activities_csv_is_walked_as_usual(tmp_path: Path) -> None:
    (tmp_path / "activities.csv").write_text("Activity Type,Date,Title\nRunning,2024-05-01,Run\n")
    (tmp_path / "run.gpx").write_bytes(write_gpx(make_activity()))
    found, problems = find_sources([str(tmp_path)])
    assert problems == [] and [Path(s.path).name for s in found] == ["run.gpx"]
    # Named explicitly, the same CSV says why it is not a Strava export.
    found, (problem,) = find_sources([str(tmp_path / "activities.csv")])
    assert "expected" in problem.reason and "Activity ID" in problem.reason
