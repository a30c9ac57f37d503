"""Issue 11, import: one bad file never costs the others, the lap-button draft survives a crash, Ctrl-C
ends cleanly, and nothing implausible is stored."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select, update
from typer.testing import CliRunner

from backstride.cli import app
from backstride.config import database_url
from backstride.importers.fit.writer import write_fit
from backstride.importers.model import Activity, Lap
from backstride.importers.sources import find_sources
from backstride.importers.tcx import write_tcx
from backstride.ingest.files import ImportInterrupted, import_paths
from backstride.log.pain import get_pain, onset_from_first_lap_hook
from backstride.store import log_schema as ls
from backstride.store.activities import list_activities, load_streams
from backstride.store.engine import open_store
from backstride.store.prefs import set_pref
from backstride.store.schema import activities, streams
from tests.conftest import fixture_files, fixtures_dir
from tests.log.helpers import make_run

runner = CliRunner()
FIT_FIXTURES = [p for p in fixture_files("fit", "*.fit")]


def _lap_runs(folder: Path, count: int, start: datetime | None = None) -> list[Path]:
    """``count`` FIT runs a day apart, each with a manual lap press at 2.5 km."""
    folder.mkdir(parents=True, exist_ok=True)
    first = start or datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
    out = []
    for i in range(count):
        run = make_run(first + timedelta(days=i), laps=[(2500.0, "manual"), (8000.0, "session_end")])
        path = folder / f"run{i:03d}.fit"
        path.write_bytes(write_fit(run))
        out.append(path)
    return out


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


# --- 1. one bad file in a parallel import ---------------------------------------------------------------


@pytest.fixture
def pool_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decode in worker processes whatever the files' size (the pool starts only for large imports)."""
    import backstride.ingest.files as importing

    monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 0)


def test_bad_files_in_a_parallel_import_fail_alone(engine: Engine, tmp_path: Path, pool_always: None) -> None:
    import backstride.ingest.files as importing

    fixtures_dir()
    folder = tmp_path / "watch"
    folder.mkdir()
    for path in FIT_FIXTURES:
        shutil.copy(path, folder / path.name)
    (folder / "empty.fit").write_bytes(b"")
    (folder / "corrupt.fit").write_bytes(b"\x0e\x10\xd9\x07" + os.urandom(400))
    assert importing.use_worker_pool(find_sources([str(folder)])[0], 2)
    summary = import_paths(engine, [str(folder)], workers=2)
    by_name = {Path(o.name).name: o for o in summary.outcomes}
    assert by_name["empty.fit"].status == "failed" and by_name["empty.fit"].reason == "the file is empty"
    assert by_name["corrupt.fit"].status == "failed" and by_name["corrupt.fit"].reason
    assert summary.counts["failed"] == 2
    assert summary.counts["imported"] >= 10
    with engine.connect() as conn:
        assert len(list_activities(conn, 1)) == summary.counts["imported"]


def test_cli_import_of_a_folder_with_an_empty_file(tmp_path: Path) -> None:
    fixtures_dir()
    folder = tmp_path / "watch"
    folder.mkdir()
    for path in FIT_FIXTURES:
        shutil.copy(path, folder / path.name)
    (folder / "empty.fit").write_bytes(b"")
    db = str(tmp_path / "cli.sqlite")
    result = runner.invoke(app, ["--db", db, "import", str(folder)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "BrokenProcessPool" not in result.output
    assert "empty.fit: the file is empty" in result.output
    assert "imported 12," in result.output and "failed 1" in result.output
    listed = json.loads(runner.invoke(app, ["--db", db, "runs", "--json"]).stdout)
    assert len(listed) == 12


def test_a_worker_that_dies_costs_only_its_file(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool_always: None
) -> None:
    """A worker killed mid-file (out of memory, a crash in a C library) fails that file alone."""
    import backstride.ingest.files as importing

    original = importing._read

    def dying(source: object) -> importing.Decoded:
        if str(getattr(source, "name", "")).endswith("run004.fit"):
            os._exit(3)
        return original(source)  # type: ignore[arg-type]

    monkeypatch.setattr(importing, "_read", dying)  # inherited by the forked workers
    paths = _lap_runs(tmp_path / "runs", 20)
    summary = import_paths(sqlite_engine, [str(tmp_path / "runs")], workers=2)
    by_name = {Path(o.name).name: o for o in summary.outcomes}
    assert by_name["run004.fit"].status == "failed"
    assert "stopped abruptly" in by_name["run004.fit"].reason
    assert summary.counts["imported"] == len(paths) - 1


# --- 2. the lap-button hook never aborts an import ------------------------------------------------------


def _indoor_tcx(path: Path) -> Path:
    """An indoor run with manual laps and no distance at all (no stream, no lap distances)."""
    t = np.arange(0.0, 1801.0)
    run = Activity(
        source="tcx",
        sport="running",
        start=datetime(2025, 2, 1, 18, 0, tzinfo=UTC),
        streams={"t": t, "heart_rate": np.full(len(t), 140.0)},
        laps=[Lap(0.0, 600.0, None, None, "manual"), Lap(600.0, 1800.0, None, None, "session_end")],
    )
    path.write_bytes(write_tcx(run))
    return path


def test_a_failing_lap_hook_is_a_warning_on_its_run(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    indoor = _indoor_tcx(tmp_path / "a_indoor.tcx")
    later = _lap_runs(tmp_path / "z", 2)
    summary = import_paths(
        engine, [str(indoor), *map(str, later)], workers=1, on_saved=onset_from_first_lap_hook
    )
    assert summary.counts == {"imported": 3, "merged": 0, "duplicate": 0, "skipped": 0, "failed": 0}
    first = summary.outcomes[0]
    assert any(w.startswith("no lap-button pain draft: this run records no distance") for w in first.warnings)
    with engine.connect() as conn:
        assert get_pain(conn, 1, first.activity_id or 0) is None
        drafts = [get_pain(conn, 1, o.activity_id or 0) for o in summary.outcomes[1:]]
    assert all(d is not None and d["source"] == "lap" and d["onset_m"] == 2500.0 for d in drafts)


# --- 3. the run and its draft: one transaction; a re-import makes what a duplicate lacks ----------------


def test_reimport_makes_the_draft_a_crash_lost(engine: Engine, tmp_path: Path) -> None:
    [path] = _lap_runs(tmp_path, 1)
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    first = import_paths(engine, [str(path)], workers=1)  # as after a crash: the run without its draft
    run_id = first.outcomes[0].activity_id or 0
    with engine.connect() as conn:
        assert get_pain(conn, 1, run_id) is None
    again = import_paths(engine, [str(path)], workers=1, on_saved=onset_from_first_lap_hook)
    assert again.outcomes[0].status == "duplicate"
    assert "draft pain report" in again.outcomes[0].reason
    with engine.connect() as conn:
        draft = get_pain(conn, 1, run_id)
    assert draft is not None and draft["onset_m"] == 2500.0 and not draft["confirmed"]
    # A third import changes nothing: the draft is there.
    third = import_paths(engine, [str(path)], workers=1, on_saved=onset_from_first_lap_hook)
    assert third.outcomes[0].reason == "already imported"


def test_a_failing_draft_rolls_back_alone(engine: Engine, tmp_path: Path) -> None:
    """The hook runs in a savepoint: what it wrote before failing is undone, the run is kept."""
    [path] = _lap_runs(tmp_path, 1)

    def half_then_fail(conn: object, activity_id: int, activity: Activity) -> str | None:
        conn.execute(  # type: ignore[attr-defined]
            insert(ls.pain_reports).values(
                user_id=1,
                activity_id=activity_id,
                status="pain",
                source="lap",
                confirmed=False,
                created_at=datetime.now(UTC),
            )
        )
        raise RuntimeError("disk on fire")

    summary = import_paths(engine, [str(path)], workers=1, on_saved=half_then_fail)
    assert summary.outcomes[0].status == "imported"
    assert any("RuntimeError: disk on fire" in w for w in summary.outcomes[0].warnings)
    assert _count(engine, activities) == 1 and _count(engine, ls.pain_reports) == 0


_CRASH_DRIVER = """
import sys
from backstride.ingest.files import import_paths
from backstride.log.pain import onset_from_first_lap_hook
from backstride.store.engine import open_store
engine = open_store(sys.argv[1])
import_paths(engine, [sys.argv[2]], workers=1, on_saved=onset_from_first_lap_hook)
"""


def test_kill_9_during_an_import_never_separates_a_run_from_its_draft(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    _lap_runs(folder, 60)
    url = database_url(str(tmp_path / "crash.sqlite"))
    engine = open_store(url)
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    killed_at = []
    for trial in range(3):
        process = subprocess.Popen([sys.executable, "-c", _CRASH_DRIVER, url, str(folder)])
        deadline = time.monotonic() + 60
        target = 3 + 15 * trial
        while time.monotonic() < deadline and process.poll() is None:
            if _count(engine, activities) >= target:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        runs, drafts = _count(engine, activities), _count(engine, ls.pain_reports)
        killed_at.append(runs)
        assert runs == drafts, f"trial {trial}: {runs} runs but {drafts} drafts after kill -9"
    assert killed_at[0] < 60, "the import finished before it could be killed"
    summary = import_paths(engine, [str(folder)], workers=1, on_saved=onset_from_first_lap_hook)
    assert summary.counts["failed"] == 0
    assert _count(engine, activities) == _count(engine, ls.pain_reports) == 60
    engine.dispose()


# --- 7. Ctrl-C -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_between_files_and_says_what_was_done(
    sqlite_engine: Engine, tmp_path: Path, workers: int, pool_always: None
) -> None:
    _lap_runs(tmp_path / "runs", 24)

    def progress(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(ImportInterrupted) as caught:
        import_paths(sqlite_engine, [str(tmp_path / "runs")], workers=workers, progress=progress)
    stop = caught.value
    assert (stop.files_done, stop.files_total) == (5, 24)
    assert stop.summary.counts["imported"] == 5 == _count(sqlite_engine, activities)
    assert "5 of 24 files were read" in stop.message
    assert "the other 19 files were not imported" in stop.message
    assert isinstance(stop, KeyboardInterrupt)


def test_ctrl_c_in_the_cli_exits_130_with_a_line(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    _lap_runs(folder, 150)
    db = tmp_path / "c.sqlite"
    engine = open_store(database_url(str(db)))
    env = {**os.environ, "BACKSTRIDE_DB": str(db)}
    exe = Path(sys.executable).with_name("backstride")
    process = subprocess.Popen(
        [str(exe), "import", str(folder)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and _count(engine, activities) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    stored = _count(engine, activities)
    engine.dispose()
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert "interrupted:" in err and "not imported" in err, err
    assert 0 < stored < 150


# --- 4. plausibility ------------------------------------------------------------------------------------


def test_an_infinite_value_in_an_old_store_does_not_break_the_runs_list(tmp_path: Path) -> None:
    db = str(tmp_path / "old.sqlite")
    fit = fixtures_dir() / "fit" / "geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"
    assert runner.invoke(app, ["--db", db, "import", str(fit)]).exit_code == 0
    engine = open_store(database_url(db))
    with engine.begin() as conn:  # as a store written before the bounds were checked
        conn.execute(update(activities).values(elevation_gain_m=float("inf"), avg_hr=float("-inf")))
    engine.dispose()
    listed = runner.invoke(app, ["--db", db, "runs", "--json"])
    assert listed.exit_code == 0, listed.output
    [run] = json.loads(listed.stdout)
    assert run["elevation_gain_m"] is None and run["avg_hr"] is None
    shown = runner.invoke(app, ["--db", db, "show", "last", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["elevation_gain_m"] is None
    plain = runner.invoke(app, ["--db", db, "runs"])
    assert plain.exit_code == 0 and "Traceback" not in plain.output


def test_device_time_and_accidental_recordings_are_kept_out_and_said(engine: Engine) -> None:
    base = fixtures_dir()
    paths = [
        base / "fit" / "fitparse__compressed-speed-distance.fit",
        base / "fit" / "fitparse__activity-unexpected-eof.fit",
        base / "gpx" / "gpxpy__track-with-less-sec-time.gpx",
        base / "fit" / "fitparse__garmin-fenix-5-run.fit",
    ]
    summary = import_paths(engine, [str(p) for p in paths], workers=1)
    by_name = {Path(o.name).name: o for o in summary.outcomes}
    relative = by_name["fitparse__compressed-speed-distance.fit"]
    assert relative.status == "skipped" and "switched on, not a date" in relative.reason
    assert "1990-" in relative.reason
    for short in ("fitparse__activity-unexpected-eof.fit", "gpxpy__track-with-less-sec-time.gpx"):
        assert by_name[short].status == "skipped", by_name[short]
        assert "accidental recording" in by_name[short].reason
    assert by_name["fitparse__garmin-fenix-5-run.fit"].status == "imported"  # short, but a real run
    with engine.connect() as conn:
        runs = list_activities(conn, 1)
    assert len(runs) == 1 and runs[0]["start_utc"].year > 2000


def test_nothing_non_finite_is_stored(engine: Engine) -> None:
    """The store's last line of defence: a summary value that is not finite is stored as NULL."""
    from backstride.store.activities import save_activity

    run = make_run()
    run.elevation_gain_m = float("inf")
    run.avg_speed = float("nan")
    with engine.begin() as conn:
        run_id = save_activity(conn, run, 1).activity_id
        row = conn.execute(select(activities).where(activities.c.id == run_id)).one()
    assert row.elevation_gain_m is None and row.avg_speed is None
    assert np.isfinite(load_streams_of(engine, run_id)["distance"]).all()


def load_streams_of(engine: Engine, run_id: int) -> dict[str, np.ndarray]:
    with engine.connect() as conn:
        return load_streams(conn, run_id)


# --- 13 (import side): a re-import restores the streams an activity lacks --------------------------------


def test_reimport_restores_missing_streams(engine: Engine, tmp_path: Path) -> None:
    [path] = _lap_runs(tmp_path, 1)
    first = import_paths(engine, [str(path)], workers=1)
    run_id = first.outcomes[0].activity_id or 0
    with engine.begin() as conn:
        conn.execute(streams.delete())
    again = import_paths(engine, [str(path)], workers=1)
    assert again.outcomes[0].status == "duplicate" and "streams" in again.outcomes[0].reason
    assert len(load_streams_of(engine, run_id)["t"]) == 2501
