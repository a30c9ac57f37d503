"""Feature table + analysis + report for 1, 5 and 20 years of near-daily runs (issue 4's benchmark).

The store is built directly (not timed): a simulated runner's runs are saved with ``save_activity``
(streams from the simulator), with its lifting, glute routines, body weight and pain reports written
to the log tables in bulk. Then three steps are timed: the feature table, the analysis
(:func:`backstride.analysis.findings.analyze_user` minus the feature table) and the report.
Target: under 5 s in total for about 7,000 runs.

Run: ``.venv/bin/python benchmarks/analysis_speed.py [--years 1 5 20]``
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, insert

from backstride.analysis.features import feature_table
from backstride.analysis.findings import analyze_table
from backstride.config import database_url
from backstride.report import render_report
from backstride.simulate import SimulatedRunner, run_activity, simulate_runner, validation_scenario
from backstride.store import log_schema as ls
from backstride.store.activities import save_activity
from backstride.store.engine import open_store
from backstride.store.schema import LOCAL_USER_ID

UID = LOCAL_USER_ID


def near_daily_runner(years: int, seed: int = 7) -> SimulatedRunner:
    """A runner who runs on about 6 days of 7 for ``years`` years."""
    scenario = replace(
        validation_scenario(weeks=52 * years),
        run_days=(0, 1, 2, 3, 4, 5, 6),
        run_prob=0.96,
        progression=False,
        glute_start_week=26 * years,
    )
    return simulate_runner(scenario, seed)


def build_store(engine: Engine, runner: SimulatedRunner) -> None:
    """Runs with streams, lifting, routines, body weight and pain reports (bulk inserts)."""
    now = datetime.now(UTC)
    ids: list[int] = []
    with engine.begin() as conn:
        for run_id in runner.runs["run_id"]:
            ids.append(save_activity(conn, run_activity(runner, int(run_id)), UID).activity_id)
        sessions = runner.lifting.groupby(["start", "session"], sort=True)
        for (start, name), sets in sessions:
            sid = conn.execute(
                insert(ls.lift_sessions).values(
                    user_id=UID,
                    started_at=start.to_pydatetime(),
                    name=name,
                    source="manual",
                    created_at=now,
                    effort="max-effort" if name == "max-effort lower" else None,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            exercise = {"box squat": "Box Squat (Barbell)", "good morning": "Good Morning (Barbell)"}
            conn.execute(
                insert(ls.lift_sets),
                [
                    {
                        "session_id": sid,
                        "idx": j,
                        "exercise": exercise.get(s.exercise, s.exercise.title()),
                        "set_type": "normal",
                        "weight_kg": s.weight_kg,
                        "reps": int(s.reps),
                    }
                    for j, s in enumerate(sets.itertuples(index=False))
                ],
            )
        rid = conn.execute(
            insert(ls.routines).values(user_id=UID, name="glute bridge", category="glute", builtin=True)
        ).inserted_primary_key[0]  # type: ignore[index]
        if len(runner.routines):
            conn.execute(
                insert(ls.routine_log),
                [
                    {"user_id": UID, "routine_id": rid, "done_at": d.to_pydatetime()}
                    for d in runner.routines["date"]
                ],
            )
        conn.execute(
            insert(ls.body_weights),
            [
                {"user_id": UID, "day": r.date.date(), "weight_kg": r.weight_kg}
                for r in runner.body.itertuples()
            ],
        )
        reports = []
        for aid, r in zip(ids, runner.runs.itertuples(index=False), strict=True):
            if r.report == "unknown":
                continue
            exact = r.report == "lap"
            reports.append(
                {
                    "user_id": UID,
                    "activity_id": aid,
                    "status": "none" if r.report == "none" else "pain",
                    "onset_m": r.onset_m if exact else None,
                    "onset_low_m": r.onset_m if exact else (None if r.report == "none" else r.onset_low_m),
                    "onset_high_m": r.onset_m if exact else (None if r.report == "none" else r.onset_high_m),
                    "source": "manual",
                    "confirmed": True,
                    "created_at": now,
                }
            )
        conn.execute(insert(ls.pain_reports), reports)


def time_steps(engine: Engine, repeat: int = 2) -> tuple[float, float, float, int]:
    """Best of ``repeat`` timings of each step (the machine is shared), in seconds."""
    best = [math.inf, math.inf, math.inf]
    for _ in range(repeat):
        t0 = time.perf_counter()
        streams: dict[int, dict[str, np.ndarray]] = {}
        table = feature_table(engine, UID, streams_out=streams)
        t1 = time.perf_counter()
        findings = analyze_table(table, streams, UID)
        t2 = time.perf_counter()
        html = render_report(engine, UID, findings=findings, unit="mi")
        t3 = time.perf_counter()
        assert len(html) > 1000 and len(table) == findings.runs
        best = [min(b, t) for b, t in zip(best, (t1 - t0, t2 - t1, t3 - t2), strict=True)]
    return best[0], best[1], best[2], len(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5, 20])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for years in args.years:
            runner = near_daily_runner(years)
            engine = open_store(database_url(str(Path(tmp) / f"bench{years}.sqlite")))
            began = time.perf_counter()
            build_store(engine, runner)
            built = time.perf_counter() - began
            features_s, analysis_s, report_s, n = time_steps(engine)
            rows.append((years, n, features_s, analysis_s, report_s, built))
            engine.dispose()
    print(
        f"{'years':>5} {'runs':>6} {'features s':>11} {'analysis s':>11} {'report s':>9} {'total s':>8}"
        "  (store built in)"
    )
    for years, n, f, a, r, built in rows:
        print(f"{years:>5} {n:>6} {f:>11.2f} {a:>11.2f} {r:>9.2f} {f + a + r:>8.2f}  ({built:.0f} s)")
    if len(rows) >= 2:
        n = np.array([r[1] for r in rows], float)
        total = np.array([r[2] + r[3] + r[4] for r in rows])
        slope = np.polyfit(np.log(n), np.log(total), 1)[0]
        print(
            f"time grows about as runs^{slope:.2f} ({total[-1] / total[0]:.1f}x the time for "
            f"{n[-1] / n[0]:.0f}x the runs)"
        )
        per_run = (total[-1] - total[0]) / (n[-1] - n[0]) * 1000
        print(f"marginal cost about {per_run:.2f} ms per run; target: under 5 s for about 7,000 runs")


if __name__ == "__main__":
    main()
