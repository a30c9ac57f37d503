"""``backstride watch``: files imported once complete, through the import path, one outcome per file."""

from __future__ import annotations

import gzip
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from backstride.importers.fit.writer import write_fit
from backstride.importers.gpx import write_gpx
from backstride.importers.model import Activity, Lap
from backstride.ingest.saving import Outcome
from backstride.log.pain import get_pain, onset_from_first_lap_hook
from backstride.store.activities import list_activities
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID
from backstride.sync.watch import Watcher, looks_complete, watch


def _run(day: int, laps: list[Lap] | None = None) -> Activity:
    t = np.arange(1200, dtype=float)
    return Activity(
        source="test",
        sport="running",
        start=datetime(2025, 7, day, 6, 0, tzinfo=UTC),
        streams={
            "t": t,
            "distance": t * 3.0,
            "lat": 52 + t * 3 / 111_195.0,
            "lon": np.full(1200, 4.9),
            "heart_rate": np.full(1200, 150.0),
        },
        laps=laps or [],
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_still_being_written_waits_until_complete(sqlite_engine: Engine, tmp_path: Path) -> None:
    seen: list[Outcome] = []
    clock = FakeClock()
    watcher = Watcher(sqlite_engine, LOCAL_USER_ID, seen.append, clock=clock)
    data = write_fit(_run(1))
    path = tmp_path / "run.fit"
    path.write_bytes(data[: len(data) // 2])  # the copy from the watch is half done
    watcher.seen(str(path))
    clock.now = 10.0
    assert watcher.tick() == []  # unchanged for long enough, but the FIT header says it is longer
    assert not looks_complete(str(path))
    with path.open("ab") as handle:
        handle.write(data[len(data) // 2 :])
    watcher.seen(str(path))
    clock.now = 10.5
    assert watcher.tick() == []  # just changed: settling
    clock.now = 13.0
    (outcome,) = watcher.tick()
    assert outcome.status == "imported"
    watcher.seen(str(path))  # the same file again (an event with no change): not imported twice
    clock.now = 20.0
    assert watcher.tick() == []
    assert seen == [outcome]


def test_completeness_of_each_format(tmp_path: Path) -> None:
    gpx = write_gpx(_run(2))
    (tmp_path / "a.gpx").write_bytes(gpx[:-40])
    (tmp_path / "b.gpx").write_bytes(gpx)
    packed = gzip.compress(gpx)
    (tmp_path / "c.gpx.gz").write_bytes(packed[:-30])
    (tmp_path / "d.gpx.gz").write_bytes(packed)
    (tmp_path / "e.fit").write_bytes(b"")
    assert [
        looks_complete(str(tmp_path / n)) for n in ("a.gpx", "b.gpx", "c.gpx.gz", "d.gpx.gz", "e.fit")
    ] == [False, True, False, True, False]


def test_watching_a_folder(sqlite_engine: Engine, tmp_path: Path) -> None:
    with sqlite_engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true")
    folder = tmp_path / "GARMIN" / "Activity"
    folder.mkdir(parents=True)
    old = folder / "old.fit"
    old.write_bytes(write_fit(_run(3)))
    seen: list[Outcome] = []
    stop = threading.Event()
    ready = threading.Event()
    watcher = Watcher(
        sqlite_engine, LOCAL_USER_ID, seen.append, settle_s=0.3, on_saved=onset_from_first_lap_hook
    )
    thread = threading.Thread(
        target=watch, args=([str(folder)], watcher), kwargs={"stop": stop, "on_ready": ready.set}, daemon=True
    )
    thread.start()
    try:
        assert ready.wait(10)
        pressed = _run(4, [Lap(0, 400, 0, 1200, "manual"), Lap(400, 1199, 1200, 3597, "session_end")])
        data = write_fit(pressed)
        new = folder / "new.fit"
        with new.open("wb") as handle:  # written in two goes, as a slow copy would
            handle.write(data[:1000])
            handle.flush()
            time.sleep(0.6)
            handle.write(data[1000:])
        (folder / "notes.txt").write_text("not an activity")
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # nothing else arrives
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert [(Path(o.name).name, o.status) for o in seen] == [
        ("new.fit", "imported")
    ]  # the old file is left alone
    with sqlite_engine.connect() as conn:
        (run,) = list_activities(conn, LOCAL_USER_ID)
        report = get_pain(conn, LOCAL_USER_ID, run["id"])
    assert report is not None and report["onset_m"] == 1200.0 and not report["confirmed"]


def test_existing_files_on_request(sqlite_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "one.fit").write_bytes(write_fit(_run(5)))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "two.gpx").write_bytes(write_gpx(_run(6)))
    seen: list[Outcome] = []
    watcher = Watcher(sqlite_engine, LOCAL_USER_ID, seen.append)
    stop = threading.Event()
    stop.set()  # stop as soon as the existing files are done
    watch([str(tmp_path)], watcher, stop=stop, existing=True)
    assert sorted((Path(o.name).name, o.status) for o in seen) == [
        ("one.fit", "imported"),
        ("two.gpx", "imported"),
    ]
