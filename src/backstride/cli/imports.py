"""``backstride import PATH...``"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from backstride.cli.invocation import State, state
from backstride.cli.output import console, err_console, handle_errors, print_json
from backstride.errors import ImportInterrupted
from backstride.ingest.files import import_paths
from backstride.ingest.saving import ImportSummary

if TYPE_CHECKING:
    from backstride.ingest.saving import SavedHook

#: Up to this many newly arrived runs get a line each with where to log their pain.
QUICK_LOG_LINES = 5
#: Skipped files listed one by one (an account export holds thousands of the watch's own files).
SKIPPED_SHOWN = 20


def print_summary(summary: ImportSummary, quick_log: bool = True) -> None:
    """One line per file that failed, was skipped or warned, then the counts (and, with ``quick_log``,
    where to log the pain of each newly arrived run). Shared by ``import`` and ``strava sync``."""
    skipped = 0
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            err_console.print(
                f"[red]failed[/]  {escape(outcome.name)}: {escape(outcome.reason)}", soft_wrap=True
            )
        elif outcome.status == "skipped":
            skipped += 1
            if skipped <= SKIPPED_SHOWN:
                console.print(
                    f"[yellow]skipped[/] {escape(outcome.name)}: {escape(outcome.reason)}", soft_wrap=True
                )
        for warning in outcome.warnings:
            console.print(f"[yellow]warning[/] {escape(outcome.name)}: {escape(warning)}", soft_wrap=True)
    if skipped > SKIPPED_SHOWN:
        console.print(f"[yellow]... and {skipped - SKIPPED_SHOWN} more skipped[/] (--json lists every file)")
    new = [o for o in summary.outcomes if o.status in ("imported", "merged") and o.activity_id is not None]
    if quick_log and len(new) <= QUICK_LOG_LINES:  # a few new runs: say where to mark the pain of each
        for outcome in new:
            run = outcome.activity_id
            console.print(
                f"[green]{outcome.status}[/] {escape(outcome.name)} -> run {run}: log the pain "
                f"with 'backstride pain {run}' or at /runs/{run}/log",
                soft_wrap=True,
            )
    for note in summary.notes:
        console.print(escape(note), soft_wrap=True)
    counts = summary.counts
    console.print(
        f"imported {counts['imported']}, merged {counts['merged']}, duplicate {counts['duplicate']}, "
        f"skipped {counts['skipped']}, failed {counts['failed']}"
    )


@contextlib.contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (rich.progress is loaded only then)."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("import", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _lap_hook(st: State) -> SavedHook | None:
    """The lap-button hook when the runner has ``lap_is_pain`` on (the pain log loads only then)."""
    from backstride.store.prefs import get_pref

    with st.engine.connect() as conn:
        if get_pref(conn, st.user_id, "lap_is_pain") != "true":
            return None
    from backstride.log.pain import onset_from_first_lap_hook

    return onset_from_first_lap_hook


def register(app: typer.Typer) -> None:
    @app.command("import")
    @handle_errors
    def import_command(
        ctx: typer.Context,
        paths: Annotated[list[str], typer.Argument(help="Files, folders, zips or a Strava export.")],
        sport: Annotated[
            list[str] | None,
            typer.Option("--sport", help="Sports to import (repeatable), or 'all'. Default: running."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the per-file summary as JSON.")] = False,
    ) -> None:
        """Import runs from watch files (FIT, GPX, TCX, .gz), folders, zips and Strava exports."""
        st = state(ctx)
        sports = None if sport and "all" in sport else (tuple(sport) if sport else ("running",))
        try:
            with _progress(not as_json and console.is_terminal) as progress:
                summary = import_paths(
                    st.engine,
                    paths,
                    user_id=st.user_id,
                    sports=sports,
                    progress=progress,
                    on_saved=_lap_hook(st),
                )
        except ImportInterrupted as stop:
            interrupted: ImportInterrupted | None = stop
            summary = stop.summary
        else:
            interrupted = None
        if as_json:
            print_json(summary.as_dict())
        else:
            print_summary(summary)
        if interrupted is not None:
            err_console.print(f"[yellow]{escape(interrupted.message)}[/]", soft_wrap=True)
            raise typer.Exit(130)
        if summary.failed:
            raise typer.Exit(1)
