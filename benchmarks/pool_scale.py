"""How the pooled analyses scale on DuckDB: cohort generation, life tables, meta-analysis, neighbours.

    .venv/bin/python benchmarks/pool_scale.py [--sizes 1000,10000,100000] [--dir /tmp/pool_scale]

For each size it writes a simulated cohort (about 300 runs per runner) as a pool, then times the
whole pooled report (life tables for all runners and by every profile field, run- and
runner-weighted, with runner-level jackknife intervals; the random-effects meta-analysis of every
remedy), the meta-analysis alone, and "runners like me" for one runner. Beside the report's life
tables it times, in the same process and in turn (twice each, the faster kept), the previous way
(per-group counts aggregated by the engine and Greenwood's interval, which treats runs as
independent) and prints the ratio. Target: the
pooled analyses over 30 million runs in under 60 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import numpy as np

from backstride.pool.bundle import Bundle
from backstride.pool.cohort import CohortSpec, generate_cohort
from backstride.pool.lifetable import life_table
from backstride.pool.meta import meta_analyses
from backstride.pool.neighbours import runners_like_me
from backstride.pool.queries import PoolTables, lifetable_cells, open_pool, runner_cells
from backstride.pool.report import BIN_M, MAX_BIN, pool_report
from backstride.pool.schema import PROFILE_FIELDS


def probe_bundle() -> Bundle:
    """A runner asking "who is like me": 40 runs, pain around 2 km, worse on descents."""
    n = 40
    dist = [5000 + 100 * (i % 7) for i in range(n)]
    pain = [i % 3 != 0 for i in range(n)]
    return Bundle(
        contributor_id="0" * 32,
        revision=1,
        profile=dict(
            zip(PROFILE_FIELDS, ("30-39", "male", "25-30", "1-3", "yes", "westside", "25-50km"), strict=True)
        ),
        runs={
            "week": [i // 3 for i in range(n)],
            "distance_m": dist,
            "pain": pain,
            "onset_m": [2000 if p else None for p in pain],
            "severity": [4 if p else None for p in pain],
            "descent_share": [0.2 if i % 2 else 0.05 for i in range(n)],
            "lift_48h": [i % 4 == 0 for i in range(n)],
            "spike": [0.0] * n,
            "surface": ["road"] * n,
        },
    )


def greenwood_tables(t: PoolTables) -> int:
    """The previous life tables: per-group counts from the engine, Greenwood's interval; returns the
    number of tables."""
    n = 0
    for field in ("all", *PROFILE_FIELDS):
        by = [] if field == "all" else [field]
        cells = t.execute(lifetable_cells(t, BIN_M, MAX_BIN, by))
        keys = cells[field] if by else np.zeros(len(cells), dtype=int)
        for value in np.unique(keys.astype(str)):
            mine = cells[keys.astype(str) == value]
            events = np.bincount(mine["bin"], weights=mine["events"], minlength=MAX_BIN + 1)
            exits = np.bincount(mine["bin"], weights=mine["exits"], minlength=MAX_BIN + 1)
            life_table(events, exits, BIN_M)
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--dir", default="/tmp/pool_scale")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'runners':>8} {'runs':>11} {'generate s':>10} {'cells':>10} {'life tables s':>13} "
        f"{'greenwood s':>11} {'ratio':>6} {'meta s':>7} {'neighbours s':>12} {'analyses s':>10} "
        f"{'peak MB':>8}",
        flush=True,
    )
    for n in sizes:
        root = Path(args.dir) / f"cohort_{n}"
        shutil.rmtree(root, ignore_errors=True)
        summary = generate_cohort(root, CohortSpec(runners=n))
        t = open_pool(root)
        # the report and the previous life tables in turn, twice, the faster of each (a shared
        # machine's load changes over minutes)
        t_life_meta = t_green = t_meta = float("inf")
        for _ in range(2):
            began = time.perf_counter()
            report = pool_report(t)
            t_life_meta = min(t_life_meta, time.perf_counter() - began)
            began = time.perf_counter()
            greenwood_tables(t)
            t_green = min(t_green, time.perf_counter() - began)
            began = time.perf_counter()
            meta_analyses(t)
            t_meta = min(t_meta, time.perf_counter() - began)
        began = time.perf_counter()
        like = runners_like_me(t, probe_bundle())
        t_near = time.perf_counter() - began
        cells = int(t.execute(runner_cells(t, BIN_M, MAX_BIN).count().name("n").as_table())["n"].iloc[0])
        t_life = t_life_meta - t_meta
        total = t_life_meta + t_near
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{n:>8} {summary.runs:>11,} {summary.seconds:>10.1f} {cells:>10,} {t_life:>13.1f} "
            f"{t_green:>11.1f} {t_life / t_green:>6.2f} {t_meta:>7.1f} {t_near:>12.1f} {total:>10.1f} "
            f"{peak:>8.0f}",
            flush=True,
        )
        assert report["runners"] == n and like.neighbours > 0
    print(
        "life tables s = the report's life tables (8 groupings, run- and runner-weighted, runner-level "
        "jackknife CIs); greenwood s = the previous per-group counts with Greenwood CIs; ratio = life "
        "tables / greenwood; analyses s = life tables + meta-analysis (5 remedies) + neighbours "
        "(one runner); peak MB = the process's peak resident memory so far"
    )


if __name__ == "__main__":
    main()
