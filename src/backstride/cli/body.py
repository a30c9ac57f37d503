"""``backstride body weight W`` and ``backstride body list``."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.output import JsonList, console, handle_errors, print_json
from backstride.log.body import body_weights, record_weight, weight_unit_of
from backstride.log.validate import parse_day
from backstride.units import KG_PER_LB

body_app = typer.Typer(help="Body weight over time.", no_args_is_help=True)


@body_app.command("weight")
@handle_errors
def weight_command(
    ctx: typer.Context,
    weight: Annotated[str, typer.Argument(help="82.5kg, 180lb, or a number in --unit.")],
    day: Annotated[str | None, typer.Option("--date", help="The day (default today).")] = None,
    unit: Annotated[
        str | None,
        typer.Option(help="Unit of a bare number: kg or lb (default: lb if you use miles, else kg)."),
    ] = None,
) -> None:
    """Record today's (or a day's) body weight."""
    st = state(ctx)
    used = unit or ("lb" if st.units == "mi" else "kg")
    with st.engine.begin() as conn:
        kg = record_weight(conn, st.user_id, weight, parse_day(day) if day else None, used)
    if weight_unit_of(weight, used) == "lb":
        console.print(f"saved {kg / KG_PER_LB:.1f} lb ({kg:.1f} kg)")
    else:
        console.print(f"saved {kg:.1f} kg")


@body_app.command("list")
@handle_errors
def list_command(ctx: typer.Context, as_json: JsonList = False) -> None:
    """Body weights, oldest first."""
    st = state(ctx)
    with st.engine.connect() as conn:
        records = body_weights(conn, st.user_id).to_dict(orient="records")
    if as_json:
        print_json(records)
        return
    for r in records:
        console.print(f"{r['date']}  {r['weight_kg']:.1f} kg")


def register(app: typer.Typer) -> None:
    app.add_typer(body_app, name="body")
