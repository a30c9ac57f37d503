"""Apple Health import: time and peak memory on a generated export, against two common ways to read it.

Run: ``.venv/bin/python benchmarks/apple_health_import.py [--size-mb 1024] [--peer-size-mb 100]``

An export of about ``--size-mb`` megabytes of ``export.xml`` is generated
(:func:`backstride.simulate.health_export.write_health_export`: five runs with routes, heart rate and
running metrics, padded with all-day heart rate, steps and energy records), unpacked, in a temporary
folder. Each reader runs in a process of its own, which reports its wall time and peak resident memory
(``ru_maxrss``):

- ``backstride``: the whole import (:func:`backstride.ingest.files.import_paths`: parse, build the runs,
  store them and the body weights) into a fresh SQLite database; the target is under 60 s and under
  300 MB for 1 GB;
- ``iterparse+clear``: ``xml.etree.ElementTree.iterparse`` clearing each element after use (how
  healthkit-to-sqlite and most export scripts stream the file), collecting the same records (workouts,
  the stream record types, body mass) into Python lists, without building or storing anything;
- ``ElementTree.parse``: the whole document as a tree, then the same collection (what most notebooks
  do); run on a smaller export (``--peer-size-mb``) since it needs several times the file's size in
  memory.

Ratios are the peer's figure over backstride's on the same file. A benchmark, not a test: nothing here
asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WANTED = {
    "HKQuantityTypeIdentifierHeartRate",
    "HKQuantityTypeIdentifierRunningSpeed",
    "HKQuantityTypeIdentifierRunningPower",
    "HKQuantityTypeIdentifierRunningStrideLength",
    "HKQuantityTypeIdentifierRunningVerticalOscillation",
    "HKQuantityTypeIdentifierRunningGroundContactTime",
    "HKQuantityTypeIdentifierStepCount",
    "HKQuantityTypeIdentifierDistanceWalkingRunning",
    "HKQuantityTypeIdentifierBodyMass",
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_backstride(folder: str) -> dict[str, float]:
    from backstride.ingest.files import import_paths
    from backstride.store.engine import open_store

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store("sqlite:///" + os.path.join(tmp, "bench.sqlite"))
        start = time.perf_counter()
        summary = import_paths(engine, [folder])
        seconds = time.perf_counter() - start
        engine.dispose()
    return {"seconds": seconds, "peak_mb": _peak_mb(), "runs": summary.counts["imported"]}


def child_iterparse(xml: str) -> dict[str, float]:
    import xml.etree.ElementTree as ET

    start = time.perf_counter()
    records: list[dict[str, str]] = []
    workouts: list[dict[str, str]] = []
    for _, element in ET.iterparse(xml, events=("end",)):
        if element.tag == "Record":
            if element.get("type") in WANTED:
                records.append(dict(element.attrib))
            element.clear()
        elif element.tag == "Workout":
            workouts.append(dict(element.attrib))
            element.clear()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "runs": len(workouts), "records": len(records)}


def child_tree(xml: str) -> dict[str, float]:
    import xml.etree.ElementTree as ET

    start = time.perf_counter()
    root = ET.parse(xml).getroot()
    records = [dict(r.attrib) for r in root.iter("Record") if r.get("type") in WANTED]
    workouts = [dict(w.attrib) for w in root.iter("Workout")]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "runs": len(workouts), "records": len(records)}


CHILDREN = {
    "backstride": child_backstride,
    "iterparse+clear": child_iterparse,
    "ElementTree.parse": child_tree,
}


def _run_child(name: str, target: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, target], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _export(folder: Path, size_mb: int) -> Path:
    from backstride.simulate.health_export import write_health_export

    start = time.perf_counter()
    export = write_health_export(folder, filler_bytes=size_mb * 1024 * 1024, as_zip=False)
    xml = export.path / "export.xml"
    print(
        f"generated {xml.stat().st_size / 1024**2:,.0f} MB export.xml in {time.perf_counter() - start:.0f} s"
    )
    return export.path


def _compare(export: Path, names: list[str]) -> None:
    xml = str(export / "export.xml")
    ours = _run_child("backstride", str(export.parent))
    print(f"  {'reader':<20} {'seconds':>8} {'peak MB':>8} {'x time':>7} {'x memory':>8}")
    print(f"  {'backstride':<20} {ours['seconds']:>8.1f} {ours['peak_mb']:>8.0f} {1:>7.2f} {1:>8.2f}")
    for name in names:
        peer = _run_child(name, xml)
        print(
            f"  {name:<20} {peer['seconds']:>8.1f} {peer['peak_mb']:>8.0f} "
            f"{peer['seconds'] / ours['seconds']:>7.2f} {peer['peak_mb'] / ours['peak_mb']:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--peer-size-mb", type=int, default=100)
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, target = args.child
        print(json.dumps(CHILDREN[name](target)))
        return
    with tempfile.TemporaryDirectory(prefix="backstride-health-bench-") as tmp:
        if args.peer_size_mb:
            print(f"== {args.peer_size_mb} MB export: all three readers")
            _compare(
                _export(Path(tmp) / "small", args.peer_size_mb), ["iterparse+clear", "ElementTree.parse"]
            )
        print(f"== {args.size_mb} MB export: backstride and iterparse+clear")
        _compare(_export(Path(tmp) / "large", args.size_mb), ["iterparse+clear"])


if __name__ == "__main__":
    main()
