"""``backstride lift import|add|list|tag|daily``: lifting sessions."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.log_common import interactive, need
from backstride.cli.output import JsonList, console, handle_errors, print_json, print_list
from backstride.errors import ValidationError
from backstride.log.aliases import list_aliases, remove_alias, set_alias
from backstride.log.lifting import (
    EFFORTS,
    SET_EXAMPLE,
    add_session,
    daily_lifting,
    list_sessions,
    tag_session,
)
from backstride.log.lifting_csv import import_lifting_csv
from backstride.log.validate import parse_local_time
from backstride.units import format_duration
from backstride.words import plural

lift_app = typer.Typer(
    help="Lifting sessions: import Strong or Hevy CSV, add by hand, tag, list.", no_args_is_help=True
)


@lift_app.command("import")
@handle_errors
def import_command(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A Strong or Hevy CSV export.")],
    unit: Annotated[
        str | None, typer.Option(help="kg or lb: the app's weight unit (needed for newer Strong exports).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Import a Strong or Hevy export (recognised from its header); all sessions or none."""
    st = state(ctx)
    with st.engine.begin() as conn:
        result = import_lifting_csv(conn, st.user_id, path, unit)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"{result.format}: imported {plural(result.sessions, 'session')} ({plural(result.sets, 'set')}), "
        f"{result.duplicates} already there"
    )
    if result.unknown_exercises:
        console.print(
            "[yellow]not in the exercise catalogue[/] (they count in no back-loading figure; "
            "'backstride lift alias NAME EXERCISE' says what they are): "
            + ", ".join(result.unknown_exercises)
        )


@lift_app.command("add")
@handle_errors
def add_command(
    ctx: typer.Context,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help=f"Repeatable, e.g. {SET_EXAMPLE!r}.")
    ] = None,
    when: Annotated[
        str | None, typer.Option("--date", help="2025-03-01 or '2025-03-01 07:30' (local).")
    ] = None,
    effort: Annotated[str | None, typer.Option(help=f"Day type: {', '.join(EFFORTS)}.")] = None,
    name: Annotated[str | None, typer.Option(help="Session name.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
    unit: Annotated[str, typer.Option(help="Unit of loads written without one: kg or lb.")] = "kg",
) -> None:
    """Record a session by hand."""
    st = state(ctx)
    day = need(when, "--date", "Date (2025-03-01 or today)", default="today")
    if not sets and interactive():
        sets = []
        while line := typer.prompt(f"Set ({SET_EXAMPLE}; empty to finish)", default="", show_default=False):
            sets.append(line)
    if not sets:
        raise ValidationError(f"missing --set: give at least one, e.g. --set {SET_EXAMPLE!r}")
    with st.engine.begin() as conn:
        session_id = add_session(
            conn,
            st.user_id,
            started_at=parse_local_time(day),
            sets=sets,
            effort=effort,
            name=name,
            notes=notes,
            unit=unit,
        )
    console.print(f"saved session {session_id}")


@lift_app.command("tag")
@handle_errors
def tag_command(
    ctx: typer.Context,
    session: Annotated[int, typer.Argument(help="Session id (see 'lift list').")],
    effort: Annotated[str, typer.Argument(help=f"{', '.join(EFFORTS)} or 'none'.")],
) -> None:
    """Tag a session as a max-effort, dynamic-effort or repetition day."""
    st = state(ctx)
    with st.engine.begin() as conn:
        tag_session(conn, st.user_id, session, None if effort == "none" else effort)
    console.print(f"session {session}: {effort}")


@lift_app.command("list")
@handle_errors
def list_command(ctx: typer.Context, as_json: JsonList = False) -> None:
    """Sessions, oldest first."""
    st = state(ctx)
    with st.engine.connect() as conn:
        rows = list_sessions(conn, st.user_id)
    print_list(
        rows,
        as_json,
        ("id", "start", "name", "effort", "sets", "exercises", "time", "from"),
        lambda r: (
            str(r["id"]),
            r["started_at"].strftime("%Y-%m-%d %H:%M"),
            r["name"] or "",
            r["effort"] or "",
            str(r["sets"]),
            str(r["exercises"]),
            format_duration(r["duration_s"]),
            r["source"],
        ),
    )


@lift_app.command("daily")
@handle_errors
def daily_command(ctx: typer.Context, as_json: JsonList = False) -> None:
    """Per day: back-loading tonnage (kg), lower-body sets, max-effort lower, total tonnage, sessions."""
    st = state(ctx)
    with st.engine.connect() as conn:
        frame = daily_lifting(conn, st.user_id)
    print_list(
        frame.to_dict(orient="records"),
        as_json,
        ("date", "back tonnage", "lower sets", "max-effort lower", "total tonnage", "sessions"),
        lambda r: (
            str(r["date"]),
            f"{r['back_tonnage_kg']:.0f} kg",
            str(r["lower_sets"]),
            "yes" if r["max_effort_lower"] else "",
            f"{r['total_tonnage_kg']:.0f} kg",
            str(r["sessions"]),
        ),
        justify="right",
    )


@lift_app.command("alias")
@handle_errors
def alias_command(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Your name for the exercise, as your app writes it.")
    ] = None,
    exercise: Annotated[
        str | None, typer.Argument(help="The catalogue exercise it is, e.g. 'Squat (Barbell)'.")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the alias of NAME.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print your aliases as JSON.")] = False,
) -> None:
    """Count an exercise name the catalogue does not know as one it does (no arguments: list them)."""
    st = state(ctx)
    with st.engine.begin() as conn:
        if name is not None and remove:
            remove_alias(conn, st.user_id, name)
            console.print(f"removed the alias of {name!r}")
            return
        if name is not None:
            if exercise is None:
                raise ValidationError("give the catalogue exercise too: lift alias NAME EXERCISE")
            found = set_alias(conn, st.user_id, name, exercise)
            console.print(f"{name!r} now counts as {found.name} (back loading: {found.back_loading})")
            return
        aliases = list_aliases(conn, st.user_id)
    if as_json:
        print_json(aliases)
        return
    if not aliases:
        console.print("no aliases yet: backstride lift alias NAME EXERCISE")
    for entry in aliases:
        console.print(f"{entry['name']} -> {entry['exercise']} (back loading: {entry['back_loading']})")


def register(app: typer.Typer) -> None:
    app.add_typer(lift_app, name="lift")
