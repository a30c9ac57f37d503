"""The Typer application and its global options. Command modules register themselves in __init__."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.context import State, handle_errors
from backstride.config import load_settings

app = typer.Typer(
    name="backstride",
    help="Runs, lifting and low-back pain: how far you can run pain-free, what makes it worse, what helps.",
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
) -> None:
    ctx.obj = State(settings=load_settings(db=db, units=units))
    ctx.call_on_close(ctx.obj.close)
