"""``backstride watch DIR...``"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from backstride.cli.invocation import state
from backstride.cli.output import console, err_console, handle_errors


def _line(outcome: Any) -> str | None:
    if outcome.status in ("imported", "merged"):
        from backstride.cli.strava import run_line

        return run_line(outcome)
    if outcome.status == "failed":
        return f"[red]failed[/]  {escape(outcome.name)}: {escape(outcome.reason)}"
    if outcome.status == "skipped":
        return f"[yellow]skipped[/] {escape(outcome.name)}: {escape(outcome.reason)}"
    return f"[dim]{outcome.status} {escape(outcome.name)}[/]"


def register(app: typer.Typer) -> None:
    @app.command("watch")
    @handle_errors
    def watch_command(
        ctx: typer.Context,
        folders: Annotated[
            list[str], typer.Argument(help="Folders to watch (a mounted watch's GARMIN/Activity ...).")
        ],
        sport: Annotated[
            list[str] | None,
            typer.Option("--sport", help="Sports to import (repeatable), or 'all'. Default: running."),
        ] = None,
        existing: Annotated[
            bool, typer.Option("--existing", help="Also import the files already there when watching starts.")
        ] = False,
        poll: Annotated[
            bool, typer.Option("--poll", help="Poll instead of OS events (network shares that send none).")
        ] = False,
    ) -> None:
        """Import activity files as they appear in FOLDERS, once complete; one line per run. Ctrl-C stops."""
        from backstride.log.pain import onset_from_first_lap_hook
        from backstride.sync.watch import Watcher, watch

        st = state(ctx)
        sports = None if sport and "all" in sport else (tuple(sport) if sport else ("running",))

        def show(outcome: Any) -> None:
            line = _line(outcome)
            if line is not None:
                (err_console if outcome.status == "failed" else console).print(line, soft_wrap=True)

        watcher = Watcher(st.engine, st.user_id, show, sports=sports, on_saved=onset_from_first_lap_hook)

        def ready() -> None:
            err_console.print(
                f"watching {', '.join(escape(f) for f in folders)} (Ctrl-C stops)", soft_wrap=True
            )

        watch(folders, watcher, existing=existing, force_polling=poll, on_ready=ready)
