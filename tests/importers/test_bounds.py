"""Issue 11 items 5 and 6: memory and time bounds on every input, and zips inside zips."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from backstride.errors import BadFileError, SkippedFile
from backstride.importers import read_activity_bytes, read_activity_file
from backstride.importers.fit.crc import crc16
from backstride.importers.fit.writer import write_fit
from backstride.importers.gpx import write_gpx
from backstride.importers.sources import MAX_NESTING, SkippedEntry, find_sources
from backstride.importers.tcx import write_tcx
from backstride.ingest.files import import_paths
from backstride.store.activities import list_activities
from tests.importers.test_gpx import make_activity


def empty_records_fit(count: int) -> bytes:
    """A FIT file of ``count`` record messages without a single field (the issue's 1.4 GB bomb)."""
    definition = bytes([0x40, 0, 0]) + struct.pack("<H", 20) + bytes([0])
    body = definition + b"\x00" * count
    out = struct.pack("<BBHI4s", 12, 0x20, 2100, len(body), b".FIT") + body
    return out + struct.pack("<H", crc16(out))


def test_a_gzipped_fit_bomb_is_refused_by_its_ratio() -> None:
    data = gzip.compress(empty_records_fit(20_000_000), 9)
    assert len(data) < 30_000
    with pytest.raises(BadFileError, match="100 times its size, like a compression bomb"):
        read_activity_bytes(data, "bomb.fit.gz")


def test_a_gzipped_gpx_bomb_is_refused_by_its_ratio() -> None:
    point = b'<trkpt lat="47" lon="8"><time>2025-01-01T00:00:00Z</time></trkpt>'
    xml = b'<?xml version="1.0"?><gpx><trk><type>running</type><trkseg>' + point * 400_000
    data = gzip.compress(xml + b"</trkseg></trk></gpx>", 9)
    with pytest.raises(BadFileError, match="like a compression bomb"):
        read_activity_bytes(data, "bomb.gpx.gz")


def test_ordinary_gzip_files_still_read() -> None:
    activity = make_activity(n=3000)
    for data in (write_gpx(activity), write_tcx(activity), write_fit(activity)):
        (read,) = read_activity_bytes(gzip.compress(data), "x.gz")
        (plain,) = read_activity_bytes(data, "x")
        assert read.samples == plain.samples == 3000
        assert read.file_hashes == plain.file_hashes  # the hash is of the content, gzipped or not


def test_a_fit_file_of_absurdly_many_messages_is_refused() -> None:
    with pytest.raises(BadFileError, match="more than 2,000,000 messages"):
        read_activity_bytes(empty_records_fit(2_100_000), "many.fit")


def test_a_fit_file_whose_records_carry_no_time_is_refused() -> None:
    with pytest.raises(BadFileError, match="no record carries a time"):
        read_activity_bytes(empty_records_fit(1000), "timeless.fit")


@pytest.mark.parametrize("kind", ["gpx", "tcx"])
def test_xml_with_too_many_points_is_refused(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import backstride.importers.gpx as gpx
    import backstride.importers.tcx as tcx

    monkeypatch.setattr(gpx, "MAX_POINTS", 500)
    monkeypatch.setattr(tcx, "MAX_POINTS", 500)
    data = (write_gpx if kind == "gpx" else write_tcx)(make_activity(n=800))
    with pytest.raises(BadFileError, match="more than 500 track points"):
        read_activity_bytes(data, f"long.{kind}")


@pytest.mark.parametrize("kind", ["gpx", "tcx"])
def test_incremental_xml_reading_matches_the_whole_file_across_batches(kind: str) -> None:
    """More points than one conversion batch, streamed from disk, equal the written activity."""
    activity = make_activity(n=45_000)
    data = (write_gpx if kind == "gpx" else write_tcx)(activity)
    (read,) = read_activity_bytes(data, f"x.{kind}")
    assert read.samples == 45_000
    np.testing.assert_allclose(read.streams["t"], activity.streams["t"])
    np.testing.assert_allclose(read.streams["heart_rate"], activity.streams["heart_rate"])
    np.testing.assert_allclose(read.streams["lat"], activity.streams["lat"], atol=1e-8)


def test_a_file_from_disk_is_read_as_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "x.gpx.gz"
    path.write_bytes(gzip.compress(write_gpx(make_activity(n=2000))))
    (read,) = read_activity_file(str(path))
    assert read.samples == 2000


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_garmin_account_export_with_zips_inside_zips(sqlite_engine: Engine, tmp_path: Path) -> None:
    runs = [make_activity(n=900, seed=i) for i in range(3)]
    for i, run in enumerate(runs):
        run.start = run.start.replace(day=i + 1)
    monitoring = bytearray(write_fit(make_activity(n=60, seed=9)))
    from backstride.importers.fit.profile import profile
    from backstride.importers.fit.scan import scan

    file_id = next(d for d in scan(bytes(monitoring)).definitions if d.global_num == 0)
    offset = file_id.offsets[0] + 1 + next(f.offset for f in file_id.fields if f.num == 0)
    monitoring[offset] = profile().enum_value("file", "monitoring_b")
    uploaded = _zip({"UploadedFiles_0-_Part1/a.fit": write_fit(runs[0]), "b.gpx": write_gpx(runs[1])})
    deeper = _zip({"inner.zip": _zip({"c.tcx": write_tcx(runs[2])})}, zipfile.ZIP_STORED)
    export = tmp_path / "garmin_export.zip"
    export.write_bytes(
        _zip(
            {
                "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": uploaded,
                "DI_CONNECT/DI-Connect-Wellness/monitor.fit": bytes(monitoring),
                "DI_CONNECT/DI-Connect-Fitness/summary.json": b"[]",
                "DI_CONNECT/DI-Connect-User/profile.json": b"{}",
                "extra/deeper.zip": deeper,
            }
        )
    )
    summary = import_paths(sqlite_engine, [str(export)], workers=1)
    assert summary.counts["imported"] == 3 and summary.counts["failed"] == 0, summary.as_dict()
    names = {o.name: o for o in summary.outcomes}
    nested = f"{export}!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip!b.gpx"
    assert names[nested].status == "imported"
    assert names[f"{export}!extra/deeper.zip!inner.zip!c.tcx"].status == "imported"
    assert names[f"{export}!DI_CONNECT/DI-Connect-Wellness/monitor.fit"].status == "skipped"
    assert (
        "a FIT monitoring_b file, not an activity"
        in names[f"{export}!DI_CONNECT/DI-Connect-Wellness/monitor.fit"].reason
    )
    assert names[str(export)].reason == "2 files are not activity files (.json 2); skipped"
    with sqlite_engine.connect() as conn:
        assert len(list_activities(conn, 1)) == 3
    again = import_paths(sqlite_engine, [str(export)], workers=1)
    assert again.counts["duplicate"] == 3


def test_nested_zips_keep_the_bomb_and_path_checks(tmp_path: Path) -> None:
    bomb = _zip({"zeros.gpx": b"<gpx>" + b" " * 60_000_000 + b"</gpx>"})
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.gpx", write_gpx(make_activity()))
    too_deep = _zip({"x.gpx": write_gpx(make_activity())})
    for level in range(MAX_NESTING + 1):
        too_deep = _zip({f"level{level}.zip": too_deep})
    outer = tmp_path / "outer.zip"
    outer.write_bytes(_zip({"bomb.zip": bomb, "evil.zip": evil.getvalue(), "deep.zip": too_deep}))
    (tmp_path / "work").mkdir()
    found, problems = find_sources([str(outer)], str(tmp_path / "work"))
    reasons = {p.name.removeprefix(str(outer)): p.reason for p in problems}
    assert "like a compression bomb" in reasons["!bomb.zip!zeros.gpx"]
    assert "leaves the archive" in reasons["!evil.zip!../../escape.gpx"]
    deep = [p for p in problems if "nested more than" in p.reason]
    assert len(deep) == 1 and isinstance(deep[0], SkippedEntry)
    assert found == []


def test_without_a_work_folder_a_nested_zip_is_skipped_and_said(tmp_path: Path) -> None:
    outer = tmp_path / "outer.zip"
    outer.write_bytes(_zip({"inner.zip": _zip({"x.gpx": write_gpx(make_activity())})}))
    found, (problem,) = find_sources([str(outer)])
    assert found == [] and isinstance(problem, SkippedFile) and "a zip inside a zip" in problem.reason
