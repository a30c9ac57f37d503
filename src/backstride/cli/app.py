"""The Typer application, its global options, and the table of commands.

Each command's module is imported only when that command runs (:mod:`backstride.cli.lazy`), so
``backstride --help`` and ``backstride pain last ...`` start at once. A new command module is one
line in :data:`COMMANDS` per command it registers: its name, module, one-line help and panel.
"""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.invocation import State, log_to_stderr
from backstride.cli.lazy import LazyCommand, lazy_group
from backstride.cli.output import handle_errors
from backstride.config import load_settings

RUNS = "Runs and pain"
LOG = "Training and body"
FINDINGS = "Findings and advice"
DATA = "Your data, settings and the web app"

COMMANDS: tuple[LazyCommand, ...] = tuple(
    LazyCommand(name, f"backstride.cli.{module}", help, panel)
    for name, module, panel, help in (
        (
            "import",
            "imports",
            RUNS,
            "Import runs from watch files (FIT, GPX, TCX, .gz), folders, zips and Strava exports.",
        ),
        (
            "runs",
            "runs",
            RUNS,
            "List runs: date, distance, time, pace, elevation loss, HR, cadence, shoe, pain.",
        ),
        ("show", "runs", RUNS, "One run, with its laps (and its pain report, once logged)."),
        (
            "pain",
            "pain",
            RUNS,
            "Pain reports: one per run (RUN = an id, a date or 'last'), or --none for a pain-free run.",
        ),
        ("strava", "strava", RUNS, "Connect your Strava account and sync new runs from it."),
        (
            "watch",
            "watch",
            RUNS,
            "Import activity files as they appear in FOLDERS, once complete; one line per run. Ctrl-C stops.",
        ),
        ("context", "run_context", RUNS, "Tag a run with its context (only the fields given change)."),
        ("shoe", "shoe", RUNS, "Shoes: start and retirement dates, mileage from your runs."),
        ("lift", "lift", LOG, "Lifting sessions: import Strong or Hevy CSV, add by hand, tag, list."),
        ("routine", "routine", LOG, "Routines: a starter list or your own, and when you did them."),
        ("body", "body", LOG, "Body weight over time."),
        (
            "checkin",
            "checkin",
            LOG,
            "Weekly check-in: PEG pain score and the red-flag screen (answers are kept).",
        ),
        (
            "screen",
            "screen",
            FINDINGS,
            "Red-flag screen: signs that need a clinician before any running advice.",
        ),
        (
            "test",
            "selftest",
            FINDINGS,
            "Self-tests with norms: McGill battery, modified Thomas, passive "
            "knee extension, single-leg hamstring bridge, Trendelenburg and single-leg squat.",
        ),
        (
            "analyze",
            "analyze",
            FINDINGS,
            "How far you can run pain-free, what goes with earlier or later pain, terrain, the trend.",
        ),
        (
            "report",
            "report",
            FINDINGS,
            "Write the report: one HTML file that works offline and prints to PDF from a browser.",
        ),
        (
            "plan",
            "plan",
            FINDINGS,
            "What to try and why, a weekly schedule, and one experiment. Exit status 3 when withheld.",
        ),
        (
            "experiment",
            "experiment",
            FINDINGS,
            "N-of-1 experiments: test one remedy at a time in randomised pairs of periods.",
        ),
        ("settings", "settings", DATA, "Your preferences: list them, or set one (settings set KEY VALUE)."),
        (
            "export",
            "data",
            DATA,
            "Write everything as CSV and JSON with a manifest ('backstride import DIR' restores it).",
        ),
        (
            "delete",
            "data",
            DATA,
            "Delete all your runs, logs, shoes and settings (export first if you may want them back).",
        ),
        (
            "pool",
            "pool",
            DATA,
            "Pooled, anonymised evidence: export your bundle, import bundles, report across runners.",
        ),
        (
            "serve",
            "serve",
            DATA,
            "Serve the web pages and the JSON API (local mode: you only, on this machine, no login).",
        ),
        (
            "demo",
            "demo",
            DATA,
            "Run the whole job on a simulated runner whose truth is known: files, "
            "import, log, analysis, report, and the estimates against the truth.",
        ),
    )
)

#: Root options, accepted before or after the command (``backstride runs --units km``): with a value,
#: and without (``backstride import x.fit --verbose``).
GLOBAL_OPTIONS = ("--db", "--units")
GLOBAL_FLAGS = ("--verbose",)

app = typer.Typer(
    name="backstride",
    cls=lazy_group(COMMANDS, GLOBAL_OPTIONS, GLOBAL_FLAGS),
    help="Runs, lifting and low-back pain: how far you can run pain-free, what makes it worse, what helps. "
    "The options below also work after the command (backstride runs --units km).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
@handle_errors
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database: a file path or a URL (postgresql://...). Env: BACKSTRIDE_DB."),
    ] = None,
    units: Annotated[
        str | None, typer.Option("--units", help="Show distances in 'mi' or 'km' (default: your setting).")
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="Show on stderr what went wrong along the way, with its causes (a file that could not "
            "be read and the decoder's error; the web server's log).",
        ),
    ] = False,
) -> None:
    ctx.call_on_close(log_to_stderr(verbose))
    ctx.obj = State(settings=load_settings(db=db, units=units, verbose=verbose))
    ctx.call_on_close(ctx.obj.close)
