"""``backstride demo``: the whole job on a simulated runner whose truth is known.

The runner (see :func:`backstride.simulate.demo_scenario`) is written out as real FIT files, with a
manual lap where the pain started, and imported through the real importers into a fresh SQLite file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from backstride.config import database_url
from backstride.importers.fit.writer import write_fit
from backstride.importing import ImportSummary, import_paths
from backstride.simulate import SimulatedRunner, demo_scenario, run_activity, simulate_runner
from backstride.store.engine import open_store

DEMO_SEED = 20250303


@dataclass
class DemoResult:
    out_dir: Path
    db_path: Path
    runner: SimulatedRunner
    summary: ImportSummary
    lines: list[str] = field(default_factory=list)


def write_runner_files(runner: SimulatedRunner, folder: Path) -> list[Path]:
    """Write every simulated run as a FIT file (manual lap at the pain onset when pressed)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run_id in runner.runs["run_id"]:
        activity = run_activity(runner, int(run_id))
        path = folder / f"{activity.start:%Y-%m-%d-%H%M%S}.fit"
        path.write_bytes(write_fit(activity))
        paths.append(path)
    return paths


def run_demo(
    out_dir: Path, seed: int = DEMO_SEED, progress: Callable[[str], None] | None = None
) -> DemoResult:
    """Simulate, write files, import them into ``out_dir/demo.sqlite`` (made afresh)."""
    say = progress or (lambda _message: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = out_dir / "files"
    if files.exists():
        shutil.rmtree(files)
    db_path = out_dir / "demo.sqlite"
    for stale in out_dir.glob("demo.sqlite*"):
        stale.unlink()
    say("simulating the runner")
    runner = simulate_runner(demo_scenario(), seed)
    say(f"writing {len(runner.runs)} runs as FIT files")
    write_runner_files(runner, files / "runs")
    say("importing")
    engine = open_store(database_url(str(db_path)))
    try:
        summary = import_paths(engine, [str(files / "runs")])
    finally:
        engine.dispose()
    result = DemoResult(out_dir, db_path, runner, summary)
    counts = summary.counts
    result.lines.append(
        f"Simulated runner: {len(runner.runs)} runs over {runner.scenario.weeks} weeks; "
        f"imported {counts['imported']}, failed {counts['failed']}."
    )
    result.lines.append(f"Database: {db_path}")
    return result
