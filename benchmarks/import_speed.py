"""Import speed: start-up, a small import, FIT decoding against the Python FIT libraries, a whole history.

Run: ``.venv/bin/python benchmarks/import_speed.py [--skip-history] [--skip-decoding] [--runs N]``

0. Start-up (:func:`startup.startup`): ``backstride --help`` and ``backstride pain last ...`` as
   ratios to ``python -c "import typer, rich, sqlalchemy"``, run in turn in one run.
1. :func:`small_import`: the whole ``backstride import`` of the 13 run FIT fixtures of issue 15
   (:data:`SMALL_IMPORT`: 61,691 records as garmin-fit-sdk counts them) into a new SQLite store, as a
   new process (start-up and the new store included), against garmin-fit-sdk decoding the same files
   in this process (its start-up not counted); rounds alternate, the ratio is the median per round.
   The store is made on disk and, where there is one, on ``/dev/shm``, so disk waits show apart.
2. :func:`decoding`: FIT records per second decoded by backstride (:func:`read_fit`: decode, scale,
   build the activities and derived metrics) against garmin-fit-sdk, fitdecode and fitparse on the same
   files (``../shared/fixtures/fit/*`` and ``../shared/fixtures/large/fitbenchmarks__large.fit``), in
   one run. garmin-fit-sdk refuses compressed timestamps ("n/a"); on broken files each library counts
   what it decoded before it stopped.
2. :func:`whole_history`: N distinct one-hour runs (generated with the FIT writer, 1 Hz, all streams)
   imported end to end (decode, derived metrics, store) into a fresh SQLite database, in runs per second.

A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from backstride.importers.fit import read_fit

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
#: Issue 15's small import: the run FIT fixtures that are not broken or truncated (the strava-android
#: and unexpected-eof copies are left out), the triathlon whose run leg is imported, and the 12-hour
#: ultra of ``large/``. garmin-fit-sdk counts 61,691 records in them (0 in compressed-speed-distance,
#: which it refuses); backstride imports 13 runs.
SMALL_IMPORT = (
    *(
        f"fit/{name}.fit"
        for name in (
            "fitbenchmarks__sample",
            "fitparse__2013-02-06-12-11-14",
            "fitparse__activity-small-fenix2-run",
            "fitparse__compressed-speed-distance",
            "fitparse__developer-types-sample",
            "fitparse__garmin-fenix-5-run",
            "fitparse__sample_mulitple_header",
            "geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park",
            "goldencheetah__10kUNLP2014-Garmin15",
            "goldencheetah__Move_2020_01_15_19_27_16_Running",
            "sportslib__2067489619",
            "sportslib__6860622783",
        )
    ),
    "large/fitbenchmarks__large.fit",
)


def _time(fn: Callable[[], int], repeat: int = 1) -> tuple[int, float]:
    """Records decoded and the best wall time of ``repeat`` runs (seconds)."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    return count, best


def count_backstride(data: bytes) -> int:
    return sum(a.samples for a in read_fit(data, "bench.fit"))


def count_garmin(data: bytes) -> int | None:
    """Records garmin-fit-sdk decodes; ``None`` when it refuses the file (compressed timestamps)."""
    from garmin_fit_sdk import Decoder, Stream

    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    records = len(messages.get("record_mesgs", []))
    if errors and any("ompressed timestamp" in str(e) for e in errors):
        return None
    return records


def count_fitdecode(data: bytes) -> int:
    import fitdecode

    count = 0
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.DISABLED,
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                    count += 1
    except Exception:  # stops at the damage: count what it decoded
        pass
    return count


def count_fitparse(data: bytes) -> int:
    import fitparse

    count = 0
    try:
        fit = fitparse.FitFile(io.BytesIO(data), check_crc=False)
        for message in fit.get_messages():
            if message.name == "record":
                count += 1
    except Exception:  # stops at the damage: count what it decoded
        pass
    return count


def decoding(files: list[Path], repeat: int = 5) -> None:
    """Print records/s per file and library, and the ratio backstride / library."""
    libraries: dict[str, Callable[[bytes], int | None]] = {
        "garmin-fit-sdk": count_garmin,
        "fitdecode": count_fitdecode,
        "fitparse": count_fitparse,
    }
    totals: dict[str, list[float]] = {name: [0.0, 0.0] for name in ["backstride", *libraries]}
    header = f"{'file':44} {'records':>7} {'backstride':>11}"
    header += "".join(f" {name:>15} {'x':>6}" for name in libraries)
    print("FIT decoding, records per second (x = backstride / library)")
    print(header)
    for path in files:
        data = path.read_bytes()
        ours, ours_s = _time(lambda data=data: count_backstride(data), repeat)
        totals["backstride"][0] += ours
        totals["backstride"][1] += ours_s
        line = f"{path.name[:44]:44} {ours:7d} {ours / ours_s:11,.0f}"
        for name, fn in libraries.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                count, seconds = _time(lambda data=data, fn=fn: fn(data) or -1)  # type: ignore[misc]
            if count < 0:
                line += f" {'n/a':>15} {'':>6}"
                continue
            totals[name][0] += count
            totals[name][1] += seconds
            rate = count / seconds if seconds > 0 else float("nan")
            line += f" {rate:15,.0f} {(ours / ours_s) / rate if rate else float('nan'):6.1f}"
            if count != ours:
                line += f" ({name}: {count} records)"
        print(line)
    ours_rate = totals["backstride"][0] / totals["backstride"][1]
    line = f"{'ALL FILES (records / total time)':44} {int(totals['backstride'][0]):7d} {ours_rate:11,.0f}"
    for name in libraries:
        rate = totals[name][0] / totals[name][1]
        line += f" {rate:15,.0f} {ours_rate / rate:6.1f}"
    print(line)


# --------------------------------------------------------------------------------------------------
# A small import, start-up included, against garmin-fit-sdk's decode alone.
# --------------------------------------------------------------------------------------------------


def _garmin_decode(files: list[Path]) -> tuple[int, float, float]:
    """Records garmin-fit-sdk decodes in ``files``, with its wall and CPU seconds (in this process)."""
    from garmin_fit_sdk import Decoder, Stream

    start, cpu = time.perf_counter(), time.process_time()
    records = 0
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            messages, _errors = Decoder(Stream.from_byte_array(bytearray(path.read_bytes()))).read()
        records += len(messages.get("record_mesgs", []))
    return records, time.perf_counter() - start, time.process_time() - cpu


def small_import(rounds: int = 5) -> None:
    """``backstride import`` of :data:`SMALL_IMPORT` into a new store, as a new process, against
    garmin-fit-sdk's decode of the same files; print both and the ratios (median per round).

    The new store is made on disk (the temporary folder) and, where ``/dev/shm`` exists, also in
    memory: on a machine whose disk is busy, the disk's waits (SQLite's checkpoints) show as the
    difference between the two; garmin-fit-sdk writes nothing.
    """
    import json
    import os
    import statistics
    import subprocess

    from startup import backstride_exe, timed

    files = [FIXTURES / name for name in SMALL_IMPORT]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"small import skipped: missing {', '.join(missing)}")
        return
    exe = backstride_exe()
    places = {"backstride import, new process + new store on disk": Path(tempfile.gettempdir())}
    if Path("/dev/shm").is_dir():
        places["backstride import, the same, store in /dev/shm"] = Path("/dev/shm")
    ours: dict[str, list[tuple[float, float]]] = {label: [] for label in places}
    garmin: list[tuple[float, float]] = []
    records = imported = 0
    folders = {label: Path(tempfile.mkdtemp(prefix="bs-small-", dir=d)) for label, d in places.items()}
    try:
        env = {**os.environ, "BACKSTRIDE_HOME": str(next(iter(folders.values())))}
        for i in range(rounds + 1):  # the first round warms the file cache and is not counted
            timings = {
                label: timed([exe, "--db", str(folder / f"new{i}.sqlite"), "import", *map(str, files)], env)
                for label, folder in folders.items()
            }
            records, g_wall, g_cpu = _garmin_decode(files)
            if i:
                for label, timing in timings.items():
                    ours[label].append(timing)
                garmin.append((g_wall, g_cpu))
        first = next(iter(folders.values()))
        listed = subprocess.run(
            [exe, "--db", str(first / f"new{rounds}.sqlite"), "runs", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        imported = len(json.loads(listed.stdout))
    finally:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\nSmall import: {len(files)} run FIT files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB, "
        f"{records:,} records (garmin-fit-sdk's count); median of {rounds} rounds"
    )
    rows = [*((label, values, f" ({imported} runs stored)") for label, values in ours.items())]
    rows.append(("garmin-fit-sdk decode only, in process", garmin, ""))
    for label, values, extra in rows:
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"  {label:52} {wall:6.2f} s wall {cpu:6.2f} s CPU{extra}")
    for label, values in ours.items():
        wall_x = statistics.median(g[0] / o[0] for o, g in zip(values, garmin, strict=True))
        cpu_x = statistics.median(g[1] / o[1] for o, g in zip(values, garmin, strict=True))
        print(f"  {label}: {wall_x:.1f}x faster (wall), {cpu_x:.1f}x (CPU); target 5x")


# --------------------------------------------------------------------------------------------------
# End to end: a whole history of one-hour runs into SQLite.
# --------------------------------------------------------------------------------------------------


def _one_hour_run(seed: int) -> bytes:
    from backstride.importers.fit.writer import write_fit
    from backstride.importers.model import Activity, Lap

    rng = np.random.default_rng(seed)
    n = 3600
    speed = np.clip(3.0 + 0.3 * rng.standard_normal(n), 0.5, None)
    streams = {
        "t": np.arange(n, dtype=float),
        "distance": np.cumsum(speed),
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
    activity = Activity(
        source="fit",
        sport="running",
        start=datetime(2020, 1, 1, 7, tzinfo=UTC) + timedelta(days=seed, minutes=int(rng.integers(0, 600))),
        streams=streams,
        laps=[Lap(0.0, 1800.0, trigger="manual"), Lap(1800.0, 3599.0, trigger="session_end")],
    )
    return write_fit(activity)


def whole_history(runs: int = 1000) -> None:
    """Import ``runs`` distinct one-hour runs end to end into a fresh SQLite database; print runs/s."""
    from backstride.config import database_url
    from backstride.ingest.files import import_paths
    from backstride.store.engine import open_store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "history"
        folder.mkdir()
        start = time.perf_counter()
        for seed in range(runs):
            (folder / f"run{seed:04d}.fit").write_bytes(_one_hour_run(seed))
        written = time.perf_counter() - start
        engine = open_store(database_url(str(Path(tmp) / "bench.sqlite")))
        try:
            start = time.perf_counter()
            summary = import_paths(engine, [str(folder)])
            seconds = time.perf_counter() - start
        finally:
            engine.dispose()
        statuses = Counter(outcome.status for outcome in summary.outcomes)
        print(
            f"\nWhole history: {runs} one-hour runs (1 Hz, {runs * 3600:,} records; "
            f"files written in {written:.1f} s)"
        )
        print(
            f"  imported end to end into SQLite in {seconds:.1f} s = {runs / seconds:.1f} runs/s; "
            f"{dict(statuses)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs for the whole-history import")
    parser.add_argument("--skip-history", action="store_true", help="only the decoding table")
    parser.add_argument("--repeat", type=int, default=5, help="best of N for backstride's timing")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the start-up and small import")
    parser.add_argument("--skip-decoding", action="store_true", help="no per-file decoding table")
    args = parser.parse_args()
    from startup import startup

    startup(max(args.rounds, 9))
    small_import(args.rounds)
    files = sorted((FIXTURES / "fit").glob("*.fit")) + sorted((FIXTURES / "large").glob("*.fit"))
    if files and not args.skip_decoding:
        decoding(files, args.repeat)
    elif not files:
        print(f"no FIT fixtures at {FIXTURES}: decoding table skipped")
    if not args.skip_history:
        whole_history(args.runs)


if __name__ == "__main__":
    main()
