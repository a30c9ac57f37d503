"""Large single inputs: time and peak memory of reading one big GPX (and its gzip), against peers.

Run: ``.venv/bin/python benchmarks/big_files.py [--mb 60]``

A GPX of about ``--mb`` MB (one point a second, position, elevation, heart rate, cadence and speed,
as a watch exports it) is generated at run time in a temporary folder (never committed), then read,
each in a fresh process so that its peak memory (``ru_maxrss``) is its own, by:

- backstride: :func:`backstride.importers.read_activity_file` (incremental parse, derived metrics,
  plausibility checks), from the ``.gpx`` and from a ``.gpx.gz`` of it;
- lxml: ``etree.parse`` of the whole file, then each point's position, time, elevation and heart
  rate (what a simple reader does, without derived metrics or checks);
- gpxpy (the GPX library), when installed (``pip install -e '.[bench]'``).

Times are best of ``--repeat`` runs; the ratios to the peers cancel the machine's load. Targets (issue
11): under 5 s and under about 300 MB for a 60 MB GPX. A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from big_gpx import big_gpx

_RUNNER = """
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "backstride":
    from backstride.importers import read_activity_file
    (activity,) = read_activity_file(path)
    points = activity.samples
elif kind == "lxml":
    from lxml import etree
    g = "{http://www.topografix.com/GPX/1/1}"
    x = "{http://www.garmin.com/xmlschemas/TrackPointExtension/v2}"
    root = etree.parse(path).getroot()
    rows = [
        (float(p.get("lat")), float(p.get("lon")), p.findtext(g + "time"), float(p.findtext(g + "ele")),
         float(p.findtext(f"{g}extensions/{x}TrackPointExtension/{x}hr")))
        for p in root.iter(g + "trkpt")
    ]
    points = len(rows)
else:
    import gpxpy
    with open(path, encoding="utf-8") as handle:
        gpx = gpxpy.parse(handle)
    points = sum(len(s.points) for t in gpx.tracks for s in t.segments)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "points": points}))
"""


def measure(kind: str, path: Path, repeat: int) -> dict[str, float] | None:
    """Best time and the peak memory of that run, each run in a fresh interpreter."""
    best: dict[str, float] | None = None
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER, kind, str(path)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            if "No module named" in done.stderr:
                return None
            raise RuntimeError(done.stderr)
        result = json.loads(done.stdout)
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    return best


def baseline_mb() -> float:
    """Peak memory of an interpreter that only imports backstride's importers (subtracted nowhere;
    shown so the figures can be read against it)."""
    code = (
        "import resource, backstride.importers.gpx, backstride.importers.tcx;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=float, default=60.0, help="size of the generated GPX (MB)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per reader (best is kept)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="backstride-bench-"))
    try:
        gpx = folder / "big.gpx"
        points = big_gpx(gpx, args.mb)
        packed = folder / "big.gpx.gz"
        with gpx.open("rb") as source, gzip.open(packed, "wb", compresslevel=6) as out:
            shutil.copyfileobj(source, out)
        size_mb = gpx.stat().st_size / 1e6
        print(f"GPX: {size_mb:.1f} MB, {points:,} points; gzip {packed.stat().st_size / 1e6:.1f} MB")
        print(f"interpreter with backstride's importers loaded: {baseline_mb():.0f} MB")
        rows = [
            ("backstride .gpx", measure("backstride", gpx, args.repeat)),
            ("backstride .gpx.gz", measure("backstride", packed, args.repeat)),
            ("lxml parse + findtext", measure("lxml", gpx, args.repeat)),
            ("gpxpy", measure("gpxpy", gpx, 1)),
        ]
        ours = rows[0][1]
        assert ours is not None
        header = f"{'reader':<22}{'seconds':>9}{'peak MB':>9}{'points':>9}{'time ratio':>12}"
        print(header + f"{'memory ratio':>14}")
        for label, result in rows:
            if result is None:
                print(f"{label:<22}{'n/a (not installed)':>30}")
                continue
            print(
                f"{label:<22}{result['seconds']:>9.2f}{result['peak_mb']:>9.0f}{result['points']:>9,.0f}"
                f"{result['seconds'] / ours['seconds']:>11.2f}x{result['peak_mb'] / ours['peak_mb']:>13.2f}x"
            )
        print("ratios: each reader's figure over backstride's (.gpx); above 1: backstride is faster/leaner")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
