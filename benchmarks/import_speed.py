"""Import speed: FIT decoding against the Python FIT libraries, and a whole-history import.

Run: ``.venv/bin/python benchmarks/import_speed.py [--skip-history] [--runs N]``

1. :func:`decoding`: FIT records per second decoded by backstride (:func:`read_fit`: decode, scale,
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
    from backstride.importing import import_paths
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
    args = parser.parse_args()
    files = sorted((FIXTURES / "fit").glob("*.fit")) + sorted((FIXTURES / "large").glob("*.fit"))
    if files:
        decoding(files, args.repeat)
    else:
        print(f"no FIT fixtures at {FIXTURES}: decoding table skipped")
    if not args.skip_history:
        whole_history(args.runs)


if __name__ == "__main__":
    main()
