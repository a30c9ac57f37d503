"""``backstride demo``: the whole job on a simulated runner whose truth is known.

1. Simulate the demo runner (:func:`backstride.simulate.demo_scenario`: 185 cm, 104 kg, Westside
   lifting, training for a 3-mile test).
2. Write its runs as real activity files: FIT, with a few as TCX and GPX (manual lap at the onset when
   the runner pressed lap; GPX has no laps, so only runs without a lap press go to GPX).
3. Write its lifting as a Strong CSV export.
4. Into a fresh SQLite file: set the ``lap_is_pain`` preference, import the files through the real
   importers with the lap-button hook (drafts at the lap press), import the Strong CSV through the log,
   and log routines, body weight, shoes, run context and the remaining pain reports through the log API
   ("none" for pain-free runs; an onset known only "during lap k" for the interval reports); the
   runner confirms each lap-button draft (unconfirmed drafts stay out of the analysis).
5. Analyse (:func:`backstride.analysis.findings.analyze_user`), write the report, and compare the
   estimates with the truth in about ten lines.

Interval reports (the runner noticed the pain during a lap, not where) are logged as
``between <lap start> and <lap end>``: some runs are written as GPX, which holds no laps.

The runner lives up to yesterday: the scenario's calendar is moved by whole weeks so that its last
day is the latest day before ``today`` with the same weekday (:func:`demo_start`). Whole weeks keep
every weekday, so the simulated runs, logs and estimates are the same on any date, only the dates
move; the log holds nothing after that last day.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from backstride.analysis.features import MODEL_FACTORS
from backstride.analysis.findings import Findings, analyze_user
from backstride.config import database_url
from backstride.importers.fit.writer import write_fit
from backstride.importers.gpx import write_gpx
from backstride.importers.tcx import write_tcx
from backstride.ingest.files import import_paths
from backstride.ingest.saving import ImportSummary
from backstride.log.body import record_weight
from backstride.log.lifting_csv import import_lifting_csv
from backstride.log.pain import confirm_pain, onset_from_first_lap_hook, record_pain
from backstride.log.routines import log_routine
from backstride.log.run_tags import set_context
from backstride.log.shoes import add_shoe, set_run_shoe
from backstride.plan.profile import set_goal
from backstride.plan.redflags import evaluate
from backstride.plan.screens import record_screen
from backstride.simulate import Scenario, SimulatedRunner, demo_scenario, run_activity, simulate_runner
from backstride.store.activities import list_activities
from backstride.store.engine import open_store
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID
from backstride.units import DEFAULT_TARGETS, distance_in
from backstride.words import plural

#: The demo runner's goal: a pain-free 3-mile test run (metres).
DEMO_GOAL_M = DEFAULT_TARGETS["mi"]
DEMO_SEED = 20250303
#: Every n-th run is written as TCX, and every m-th run without a lap press as GPX.
TCX_EVERY = 11
GPX_EVERY = 13
#: The simulator's exercise names as the Strong app titles them.
STRONG_NAMES = {
    "box squat": "Box Squat (Barbell)",
    "good morning": "Good Morning (Barbell)",
    "reverse hyper": "Reverse Hyperextension",
    "floor press": "Floor Press (Barbell)",
    "bent-over row": "Bent Over Row (Barbell)",
    "speed box squat": "Box Squat (Barbell)",
    "speed deadlift": "Deadlift (Barbell)",
    "glute-ham raise": "Glute Ham Raise",
    "speed bench press": "Bench Press (Barbell)",
    "pull-up": "Pull Up",
}
GLUTE_ROUTINE = "glute bridge"
STRONG_HEADER = (
    *("Date", "Workout Name", "Exercise Name", "Set Order", "Weight", "Weight Unit", "Reps", "RPE"),
    *("Distance", "Distance Unit", "Seconds", "Notes", "Workout Notes"),
)


@dataclass
class DemoResult:
    out_dir: Path
    db_path: Path
    runner: SimulatedRunner
    summary: ImportSummary
    findings: Findings | None = None
    report_path: Path | None = None
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)


def demo_start(scenario: Scenario, today: date) -> date:
    """The scenario's start moved by whole weeks so its last day is the latest one before ``today``
    that falls on the same weekday (between yesterday and a week before it)."""
    last = scenario.start + timedelta(days=scenario.weeks * 7 - 1)
    weeks = ((today - timedelta(days=1)) - last).days // 7
    return scenario.start + timedelta(weeks=weeks)


def _until(runner: SimulatedRunner, last_day: date) -> None:
    """Keep the runner's lifting and routines up to ``last_day`` (the simulation's trailing day,
    which no run comes after, could be today)."""
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    runner.lifting = runner.lifting[runner.lifting["start"] < end].reset_index(drop=True)
    runner.routines = runner.routines[runner.routines["date"] < end].reset_index(drop=True)
    runner.body = runner.body[runner.body["date"] < end].reset_index(drop=True)


def _file_kind(i: int, report: str) -> str:
    if i % TCX_EVERY == TCX_EVERY - 1:
        return "tcx"
    if i % GPX_EVERY == GPX_EVERY - 1 and report != "lap":
        return "gpx"
    return "fit"


def write_runner_files(runner: SimulatedRunner, folder: Path) -> list[Path]:
    """Write every simulated run as a FIT, TCX or GPX file (manual lap at the onset when pressed)."""
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[..., bytes]] = {"fit": write_fit, "tcx": write_tcx, "gpx": write_gpx}
    paths = []
    for i, (run_id, report) in enumerate(zip(runner.runs["run_id"], runner.runs["report"], strict=True)):
        activity = run_activity(runner, int(run_id))
        kind = _file_kind(i, str(report))
        path = folder / f"{activity.start:%Y-%m-%d-%H%M%S}.{kind}"
        path.write_bytes(writers[kind](activity))
        paths.append(path)
    return paths


def strong_csv(lifting: pd.DataFrame) -> str:
    """The simulated lifting as a Strong export (older, semicolon format, kg). Max-effort lower sessions
    carry RPE 9.5 on their heavy sets (the log's max-effort rule); other sets RPE 7."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(STRONG_HEADER)
    for row in lifting.itertuples(index=False):
        heavy = row.session == "max-effort lower" and row.reps <= 3
        writer.writerow(
            [
                f"{row.start:%Y-%m-%d %H:%M:%S}",
                row.session.title(),
                STRONG_NAMES.get(row.exercise, row.exercise.title()),
                str(row.set),
                f"{row.weight_kg:.1f}",
                "kg",
                f"{row.reps:.1f}",
                "9.5" if heavy else "7",
                "",
                "",
                "0",
                "",
                "",
            ]
        )
    return out.getvalue()


def _log_everything(engine: Engine, runner: SimulatedRunner, csv_path: Path, ids: list[int]) -> None:
    uid = LOCAL_USER_ID
    runs = runner.runs
    with engine.begin() as conn:
        import_lifting_csv(conn, uid, csv_path)
        for day in runner.routines["date"]:
            log_routine(conn, uid, GLUTE_ROUTINE, done_at=day.to_pydatetime().replace(hour=19))
        for row in runner.body.itertuples(index=False):
            record_weight(conn, uid, float(row.weight_kg), day=row.date.date())
        add_shoe(conn, uid, "Ghost 15", brand="Brooks", model="Ghost 15")
        add_shoe(conn, uid, "Clifton 9", brand="Hoka", model="Clifton 9")
        half = len(ids) // 2
        for i, (aid, row) in enumerate(zip(ids, runs.itertuples(index=False), strict=True)):
            set_run_shoe(conn, uid, aid, "Ghost 15" if i < half else "Clifton 9")
            set_context(conn, uid, aid, surface="road", headphones=bool(row.headphones))
            if row.report == "none":
                record_pain(conn, uid, aid, status="none")
            elif row.report == "lap":
                confirm_pain(conn, uid, aid)
            elif row.report == "interval":
                record_pain(
                    conn,
                    uid,
                    aid,
                    onset=f"between {row.onset_low_m:.6f}m and {row.onset_high_m:.6f}m",
                    severity=int(row.severity),
                    locations="lower-back",
                )


def _summary(runner: SimulatedRunner, findings: Findings) -> list[str]:
    pf = findings.pain_free
    truth = runner.truth
    lo, hi = pf.ci_m
    ci = f"{'?' if lo is None else f'{lo:,.0f}'}-{'?' if hi is None else f'{hi:,.0f}'} m"
    est = "not estimable" if pf.median_m is None else f"{pf.median_m:,.0f} m"
    lines = [
        f"Pain-free distance: true median {runner.true_median_m():,.0f} m; estimated {est} (95% CI {ci}), "
        f"{plural(pf.runs, 'run')}, {plural(pf.events, 'onset')} ({pf.interval_censored} known only by lap).",
    ]
    if pf.p_target is not None and pf.p_target.value is not None:
        lines.append(
            f"Chance of {distance_in(findings.target_m, 'mi'):.0f} miles pain-free: {pf.p_target.to_text()}."
        )
    by_name = {f.name: f for f in MODEL_FACTORS}
    for r in findings.factors:
        f = by_name[r.name]
        true = truth.hazard_ratio(r.name, f.per)
        if r.hazard_ratio is None or r.ci_low is None or r.ci_high is None:
            lines.append(f"{f.title}: true HR {true:.2f}; not estimable yet ({r.status}).")
            continue
        inside = "inside" if r.ci_low <= true <= r.ci_high else "OUTSIDE"
        lines.append(
            f"{f.title} (per {f.per:g}): true HR {true:.2f}; estimated {r.hazard_ratio:.2f} "
            f"(95% CI {r.ci_low:.2f}-{r.ci_high:.2f}, q = {r.q_value:.3f}): truth {inside} the CI."
        )
    if findings.terrain is not None:
        for term in findings.terrain.terms:
            if term.name == "steep_descent" and term.rate_ratio is not None:
                lines.append(
                    f"Steep descents: true rate ratio {math.exp(truth.descent_log_rr):.1f}; estimated "
                    f"{term.rate_ratio:.1f} (95% CI {term.ci_low:.1f}-{term.ci_high:.1f})."
                )
    return lines


def run_demo(
    out_dir: Path,
    seed: int = DEMO_SEED,
    progress: Callable[[str], None] | None = None,
    weeks: int | None = None,
    report: bool = True,
    today: date | None = None,
    pool_dir: Path | None = None,
) -> DemoResult:
    """Simulate, write files, import everything into ``out_dir/demo.sqlite`` (made afresh), analyse,
    and write ``out_dir/report.html``. ``weeks`` shortens the scenario (tests). The runner's history
    ends in the week before ``today`` (default: the local date; see :func:`demo_start`). ``pool_dir``:
    the pool folder the report compares the runner with ("Runners like you"), if any."""
    began = time.perf_counter()
    say = progress or (lambda _message: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = out_dir / "files"
    if files.exists():
        shutil.rmtree(files)
    db_path = out_dir / "demo.sqlite"
    for stale in out_dir.glob("demo.sqlite*"):
        stale.unlink()
    say("simulating the runner")
    scenario = demo_scenario()
    if weeks is not None:
        scenario = replace(scenario, weeks=weeks, glute_start_week=min(scenario.glute_start_week, weeks // 3))
    if today is not None and today > date.today():
        from backstride.errors import ValidationError

        raise ValidationError(f"the demo runner cannot live in the future ({today} is after today)")
    scenario = replace(scenario, start=demo_start(scenario, today or date.today()))
    runner = simulate_runner(scenario, seed)
    _until(runner, scenario.start + timedelta(days=scenario.weeks * 7 - 1))
    say(f"writing {len(runner.runs)} runs as FIT, TCX and GPX files and the lifting as a Strong CSV")
    write_runner_files(runner, files / "runs")
    csv_path = files / "strong.csv"
    csv_path.write_text(strong_csv(runner.lifting), encoding="utf-8")
    say("importing through the real path")
    engine = open_store(database_url(str(db_path)))
    try:
        with engine.begin() as conn:
            set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true")
            # The simulated runner answers the red-flag screen (no flags) and sets the 3-mile goal.
            record_screen(conn, LOCAL_USER_ID, evaluate({}), source="screen")
            set_goal(conn, LOCAL_USER_ID, DEMO_GOAL_M, None)
        summary = import_paths(engine, [str(files / "runs")], on_saved=onset_from_first_lap_hook)
        with engine.connect() as conn:
            stored = list_activities(conn, LOCAL_USER_ID)
        by_start = {r["start_utc"].replace(microsecond=0): int(r["id"]) for r in stored}
        ids = [by_start[s.to_pydatetime().replace(tzinfo=UTC)] for s in runner.runs["start"]]
        say("logging lifting, routines, body weight, shoes, context and pain")
        _log_everything(engine, runner, csv_path, ids)
        say("analysing")
        findings = analyze_user(engine, LOCAL_USER_ID)
        result = DemoResult(out_dir, db_path, runner, summary, findings)
        if report:
            say("writing the report")
            from backstride.report import write_report

            result.report_path = write_report(
                engine, LOCAL_USER_ID, out_dir / "report.html", findings=findings, pool_dir=pool_dir
            )
    finally:
        engine.dispose()
    result.seconds = time.perf_counter() - began
    counts = summary.counts
    profile = runner.scenario.profile
    result.lines.append(
        f"Simulated runner ({profile.height_cm:.0f} cm, {profile.weight_kg:.0f} kg, "
        f"seed {seed}): {len(runner.runs)} runs over {runner.scenario.weeks} weeks; "
        f"imported {counts['imported']}, failed {counts['failed']}."
    )
    result.lines += _summary(runner, findings)
    result.lines.append(f"Database: {db_path}")
    if result.report_path is not None:
        result.lines.append(f"Report: {result.report_path}")
    return result


__all__ = ["DEMO_SEED", "DemoResult", "run_demo", "strong_csv", "write_runner_files"]
