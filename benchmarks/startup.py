"""Start-up of the command line, as ratios to ``python -c "import typer, rich, sqlalchemy"``.

Run: ``.venv/bin/python benchmarks/startup.py [--rounds N]``

Each round runs every command once as a new process, in turn, so machine load falls on all of them
alike; the figure per command is the median over rounds of (command / baseline in the same round), for
wall time and for CPU time (user + system of the child). The store is a new SQLite file holding one
imported run, so ``pain last`` has a run to log against. Targets (issue 15): ``--help`` within 1.5x,
``pain last --onset 1.2mi --severity 6`` within 2x.

A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
BASELINE = "import typer, rich, sqlalchemy"


def backstride_exe() -> str:
    """The console script next to this interpreter (what a user runs)."""
    exe = Path(sys.executable).with_name("backstride")
    if not exe.exists():
        raise SystemExit(f"no {exe}: install the package first (make demo)")
    return str(exe)


def timed(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one run of ``cmd``; it must exit 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def one_run_file(folder: Path) -> Path:
    """A run to import: a small real FIT fixture, else a 30-minute run from the FIT writer."""
    fixture = FIXTURES / "fit" / "sportslib__2067489619.fit"
    if fixture.exists():
        return fixture
    from datetime import UTC, datetime

    import numpy as np

    from backstride.importers.fit.writer import write_fit
    from backstride.importers.model import Activity

    t = np.arange(1800.0)
    activity = Activity(
        source="fit",
        sport="running",
        start=datetime(2025, 3, 1, 7, tzinfo=UTC),
        streams={"t": t, "distance": 2.8 * t, "heart_rate": np.full(t.size, 150.0)},
    )
    path = folder / "run.fit"
    path.write_bytes(write_fit(activity))
    return path


def compare(
    commands: dict[str, list[str]], env: dict[str, str], rounds: int
) -> dict[str, dict[str, float]]:
    """Per command: median wall and CPU seconds, and the median per-round ratios to ``baseline``."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the file cache once
        timed(cmd, env)
    for _ in range(rounds):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd, env))
    base = samples["baseline"]
    out = {}
    for name, values in samples.items():
        out[name] = {
            "wall_s": statistics.median(w for w, _ in values),
            "cpu_s": statistics.median(c for _, c in values),
            "wall_x": statistics.median(w / b for (w, _), (b, _) in zip(values, base, strict=True)),
            "cpu_x": statistics.median(c / b for (_, c), (_, b) in zip(values, base, strict=True)),
        }
    return out


def print_table(title: str, results: dict[str, dict[str, float]], targets: dict[str, float]) -> None:
    print(title)
    print(f"{'command':52} {'wall s':>7} {'cpu s':>7} {'wall x':>7} {'cpu x':>7} {'target':>7}")
    for name, r in results.items():
        target = f"{targets[name]:.1f}x" if name in targets else ""
        print(
            f"{name[:52]:52} {r['wall_s']:7.3f} {r['cpu_s']:7.3f} {r['wall_x']:7.2f} {r['cpu_x']:7.2f} "
            f"{target:>7}"
        )


def startup(rounds: int = 15) -> dict[str, dict[str, float]]:
    exe = backstride_exe()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "BACKSTRIDE_HOME": tmp}
        for name in ("BACKSTRIDE_DB", "BACKSTRIDE_UNITS"):
            env.pop(name, None)
        run = str(one_run_file(Path(tmp)))
        subprocess.run([exe, "import", run], env=env, check=True, capture_output=True)
        commands = {
            "baseline": [sys.executable, "-c", BASELINE],
            "backstride --help": [exe, "--help"],
            "backstride pain last --onset 1.2mi --severity 6": [
                exe, "pain", "last", "--onset", "1.2mi", "--severity", "6",
            ],
            "backstride runs": [exe, "runs"],
            "backstride show last": [exe, "show", "last"],
            "backstride settings": [exe, "settings"],
        }
        results = compare(commands, env, rounds)
    print_table(
        f'Start-up, median of {rounds} rounds; x = command / python -c "{BASELINE}" in the same round',
        results,
        {"backstride --help": 1.5, "backstride pain last --onset 1.2mi --severity 6": 2.0},
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of every command")
    startup(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
