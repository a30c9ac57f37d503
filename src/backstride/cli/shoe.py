"""``backstride shoe add|retire|set|list``: shoes and their mileage."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.output import JsonList, console, handle_errors, print_list
from backstride.log.shoes import add_shoe, list_shoes, retire_shoe, set_run_shoe
from backstride.log.validate import parse_day
from backstride.units import format_distance

shoe_app = typer.Typer(
    help="Shoes: start and retirement dates, mileage from your runs.", no_args_is_help=True
)


@shoe_app.command("add")
@handle_errors
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The shoe's name (as Strava calls it, to merge with imports).")],
    brand: Annotated[str | None, typer.Option(help="Brand.")] = None,
    model: Annotated[str | None, typer.Option(help="Model.")] = None,
    start: Annotated[str | None, typer.Option(help="First worn (2025-03-01).")] = None,
    retired: Annotated[str | None, typer.Option(help="Retired on (2025-09-01).")] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Add a shoe, or fill in the details of one that came with an import."""
    st = state(ctx)
    with st.engine.begin() as conn:
        add_shoe(
            conn,
            st.user_id,
            name,
            brand=brand,
            model=model,
            started_on=parse_day(start) if start else None,
            retired_on=parse_day(retired) if retired else None,
            notes=notes,
        )
    console.print(f"saved shoe {name!r}")


@shoe_app.command("retire")
@handle_errors
def retire_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The shoe.")],
    day: Annotated[str | None, typer.Option("--date", help="Retired on (default today).")] = None,
) -> None:
    """Retire a shoe."""
    st = state(ctx)
    with st.engine.begin() as conn:
        retire_shoe(conn, st.user_id, name, parse_day(day) if day else None)
    console.print(f"retired {name!r}")


@shoe_app.command("set")
@handle_errors
def set_command(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="The run: id, date or 'last'.")],
    name: Annotated[str, typer.Argument(help="The shoe.")],
) -> None:
    """Say which shoe a run was done in."""
    st = state(ctx)
    with st.engine.begin() as conn:
        activity_id = set_run_shoe(conn, st.user_id, run, name)
    console.print(f"run {activity_id}: {name}")


@shoe_app.command("list")
@handle_errors
def list_command(ctx: typer.Context, as_json: JsonList = False) -> None:
    """Shoes with their mileage."""
    st = state(ctx)
    with st.engine.connect() as conn:
        rows = list_shoes(conn, st.user_id)
    unit = st.units
    print_list(
        rows,
        as_json,
        ("shoe", "runs", "distance", "since", "retired"),
        lambda r: (
            r["name"],
            str(r["runs"]),
            format_distance(r["distance_m"], unit, 1),
            str(r["started_on"] or "-"),
            str(r["retired_on"] or ""),
        ),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(shoe_app, name="shoe")
