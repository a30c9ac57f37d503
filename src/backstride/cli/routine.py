"""``backstride routine list|add|log``: stretches, core, glute work and other practices."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.log_common import need
from backstride.cli.output import JsonList, console, handle_errors, print_list
from backstride.log.routines import CATEGORIES, add_routine, list_routines, log_routine
from backstride.log.validate import parse_local_time

routine_app = typer.Typer(
    help="Routines: a starter list or your own, and when you did them.", no_args_is_help=True
)


@routine_app.command("list")
@handle_errors
def list_command(ctx: typer.Context, as_json: JsonList = False) -> None:
    """Your routines and the starter list, with how often each was logged."""
    st = state(ctx)
    with st.engine.connect() as conn:
        rows = list_routines(conn, st.user_id)
    print_list(
        rows,
        as_json,
        ("name", "category", "times", "description"),
        lambda r: (r["name"], r["category"], str(r["times"]), r["description"] or ""),
    )


@routine_app.command("add")
@handle_errors
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The routine's name.")],
    category: Annotated[str | None, typer.Option(help=f"One of: {', '.join(CATEGORIES)}.")] = None,
    description: Annotated[str | None, typer.Option(help="What it is.")] = None,
) -> None:
    """Define a routine of your own."""
    st = state(ctx)
    chosen = need(category, "--category", f"Category ({', '.join(CATEGORIES)})")
    with st.engine.begin() as conn:
        add_routine(conn, st.user_id, name, chosen, description)
    console.print(f"added {name!r} ({chosen})")


@routine_app.command("log")
@handle_errors
def log_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The routine (see 'routine list').")],
    when: Annotated[
        str | None, typer.Option("--date", help="When (local): 2025-03-01 07:30; default now.")
    ] = None,
    before_run: Annotated[
        bool | None, typer.Option("--before-run/--not-before-run", help="Done just before a run?")
    ] = None,
    run: Annotated[str | None, typer.Option(help="The run it went with: id, date or 'last'.")] = None,
    minutes: Annotated[float | None, typer.Option(help="How long, minutes.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Log that you did a routine."""
    st = state(ctx)
    with st.engine.begin() as conn:
        log_routine(
            conn,
            st.user_id,
            name,
            done_at=parse_local_time(when) if when else None,
            before_run=before_run,
            run=run,
            duration_s=None if minutes is None else minutes * 60.0,
            notes=notes,
        )
    console.print(f"logged {name!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(routine_app, name="routine")
