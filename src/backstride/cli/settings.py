"""``backstride settings [--json]``, ``settings list``, ``settings set KEY VALUE``.

Everything shown here (names, defaults, values, help) comes from the one table of preferences,
:data:`backstride.store.prefs.PREFERENCES`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from backstride.cli.invocation import State, state
from backstride.cli.output import console, handle_errors, print_json
from backstride.store.prefs import PREFERENCES, get_prefs, set_pref

#: One paragraph per setting, for --help.
KEYS_HELP = "\n\n".join(
    f"[bold]{p.name}[/] ({p.type_text}; default {p.default}): {p.help}" for p in PREFERENCES.values()
)

settings_app = typer.Typer(
    help="Your preferences: list them, or set one (settings set KEY VALUE).\n\n" + KEYS_HELP,
    invoke_without_command=True,
    no_args_is_help=False,
)


def _records(st: State) -> dict[str, dict[str, Any]]:
    with st.engine.connect() as conn:
        values = get_prefs(conn, st.user_id)
    return {
        name: {
            "value": values[name],
            "default": pref.default,
            "type": pref.kind,
            "choices": list(pref.choices),
            "help": pref.help,
        }
        for name, pref in PREFERENCES.items()
    }


def _overridden(st: State, name: str, value: str) -> str | None:
    """A note when --units or BACKSTRIDE_UNITS wins over the stored unit for display."""
    if name == "units" and st.settings.units and st.settings.units != value:
        return f"(this command shows {st.settings.units}: --units or BACKSTRIDE_UNITS wins over the setting)"
    return None


def _show(st: State, as_json: bool) -> None:
    records = _records(st)
    if as_json:
        print_json(records)
        return
    table = Table(box=None, header_style="bold")
    for col in ("setting", "value", "default", "values", "what it does"):
        table.add_column(col, overflow="fold")
    for name, rec in records.items():
        table.add_row(name, rec["value"], rec["default"], PREFERENCES[name].type_text, rec["help"])
    console.print(table)
    note = _overridden(st, "units", records["units"]["value"])
    if note:
        console.print(note)


@settings_app.callback()
@handle_errors
def settings_root(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print every setting as JSON.")] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        _show(state(ctx), as_json)


@settings_app.command("list")
@handle_errors
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print every setting as JSON.")] = False,
) -> None:
    """Every setting with its value, default, allowed values and meaning."""
    _show(state(ctx), as_json)


@settings_app.command("set", help="Change one setting.\n\n" + KEYS_HELP)
@handle_errors
def set_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=f"One of: {', '.join(PREFERENCES)}.")],
    value: Annotated[str, typer.Argument(help="The new value (yes/no settings: true or false).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the setting as JSON.")] = False,
) -> None:
    st = state(ctx)
    with st.engine.begin() as conn:
        stored = set_pref(conn, st.user_id, key, value)
    if as_json:
        print_json(_records(st)[key])
        return
    console.print(f"{key} = {stored}")
    note = _overridden(st, key, stored)
    if note:
        console.print(note)


def register(app: typer.Typer) -> None:
    app.add_typer(settings_app, name="settings")
