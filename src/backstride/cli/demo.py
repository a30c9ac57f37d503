"""``backstride demo``"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from backstride.cli import invocation
from backstride.cli.invocation import state
from backstride.cli.output import console, err_console, handle_errors
from backstride.errors import ValidationError

#: Runs listed at the end of the demo.
LAST_RUNS = 8


def command_line() -> str:
    """How to run backstride again, as typed: this console script's full path, else ``python -m``."""
    script = Path(sys.argv[0])
    if script.name == "backstride" and script.exists():
        return str(script.resolve())
    return f"{sys.executable} -m backstride"


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"--as-of must be a date like 2025-03-01, not {text!r}") from exc


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handle_errors
    def demo_command(
        ctx: typer.Context,
        out: Annotated[
            Path, typer.Option("--out", help="Folder for the demo's files, database and report.")
        ] = Path("demo-out"),
        seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated runner.")] = 20250303,
        weeks: Annotated[
            int | None,
            typer.Option("--weeks", min=2, max=104, help="Weeks of simulated training (default 24)."),
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="The runner's history ends in the week before this date (default: today). With "
                "the same seed the runs, logs and estimates are the same on any date; only dates move.",
            ),
        ] = None,
    ) -> None:
        """Run the whole job on a simulated runner whose truth is known: files, import, log, analysis,
        report, and the estimates against the truth.

        The demo writes a new database of its own, OUT/demo.sqlite (made afresh on every run); it never
        touches the database of --db or BACKSTRIDE_DB."""
        began = invocation.started if invocation.started is not None else time.perf_counter()
        from backstride.demo import run_demo  # heavy (scipy): loaded when used

        today = _as_of(as_of)
        settings = state(ctx).settings
        if settings.db_given:
            err_console.print(
                f"note: the demo writes its own database, {out / 'demo.sqlite'}; "
                "--db and BACKSTRIDE_DB are not used (nor changed).",
                soft_wrap=True,
            )
        result = run_demo(
            out,
            seed=seed,
            weeks=weeks,
            today=today,
            progress=lambda message: err_console.print(f"[dim]{message}...[/]"),
            pool_dir=settings.pool_dir,
        )
        for line in result.lines:
            console.print(line)
        _print_last_runs(result.db_path)
        console.print(f"Done in {time.perf_counter() - began:.1f} s (the whole command).")
        exe = command_line()
        console.print(
            f"Try: {exe} --db {result.db_path} runs\n"
            f"     {exe} --db {result.db_path} analyze\n"
            f"     {exe} --db {result.db_path} serve   (the web pages on http://127.0.0.1:8000)",
            soft_wrap=True,
        )


def _print_last_runs(db_path: Path) -> None:
    from backstride.cli.runs import runs_table
    from backstride.config import database_url
    from backstride.log.pain import pain_by_run
    from backstride.store.activities import list_activities
    from backstride.store.engine import open_store
    from backstride.store.prefs import get_pref
    from backstride.store.schema import LOCAL_USER_ID

    engine = open_store(database_url(str(db_path)))
    try:
        with engine.connect() as conn:
            rows = list_activities(conn, LOCAL_USER_ID)[-LAST_RUNS:]
            pain = pain_by_run(conn, LOCAL_USER_ID)
            unit = get_pref(conn, LOCAL_USER_ID, "units")
    finally:
        engine.dispose()
    console.print(f"The last {len(rows)} runs and their pain reports ('-' = no report: unknown):")
    console.print(runs_table(rows, unit, pain, width=console.width, short=True))
