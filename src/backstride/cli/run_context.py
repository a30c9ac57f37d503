"""``backstride context RUN ...``: surface, footwear or load, headphones, sleep, food and drink."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backstride.cli.invocation import state
from backstride.cli.log_common import maybe
from backstride.cli.output import console, handle_errors, print_json
from backstride.errors import ValidationError
from backstride.log.run_tags import LOADS, SURFACES, set_context


def context_text(found: dict[str, Any]) -> str:
    """A run's context in words: ``surface: road; load: weighted-vest; headphones: yes; slept 7.5 h``."""
    parts = []
    if found.get("surface"):
        parts.append(f"surface: {found['surface']}")
    if found.get("loads"):
        parts.append(f"load: {', '.join(found['loads'])}")
    if found.get("headphones") is not None:
        parts.append(f"headphones: {'yes' if found['headphones'] else 'no'}")
    if found.get("sleep_h") is not None:
        parts.append(f"slept {found['sleep_h']:g} h")
    for key, label in (("drank", "drank"), ("ate", "ate"), ("notes", "notes")):
        if found.get(key):
            parts.append(f"{label}: {found[key]}")
    return "; ".join(parts) or "no context"


def register(app: typer.Typer) -> None:
    @app.command("context")
    @handle_errors
    def context_command(
        ctx: typer.Context,
        run: Annotated[str, typer.Argument(help="The run: id, date or 'last'.")],
        surface: Annotated[str | None, typer.Option(help=f"One of: {', '.join(SURFACES)}.")] = None,
        load: Annotated[
            list[str] | None,
            typer.Option("--load", help=f"Footwear or load (repeatable): {', '.join(LOADS)}."),
        ] = None,
        headphones: Annotated[
            bool | None, typer.Option("--headphones/--no-headphones", help="Headphones?")
        ] = None,
        sleep: Annotated[float | None, typer.Option(help="Hours slept the night before.")] = None,
        drank: Annotated[str | None, typer.Option(help="What you drank before.")] = None,
        ate: Annotated[str | None, typer.Option(help="What you ate before.")] = None,
        notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the context as JSON.")] = False,
    ) -> None:
        """Tag a run with its context (only the fields given change)."""
        st = state(ctx)
        if all(v is None for v in (surface, load, headphones, sleep, drank, ate, notes)):
            surface = maybe(None, f"Surface ({', '.join(SURFACES)})")
            if surface is None:
                raise ValidationError(
                    "missing context: give at least one of --surface, --load, --headphones, --sleep, "
                    "--drank, --ate, --notes"
                )
        with st.engine.begin() as conn:
            found = set_context(
                conn,
                st.user_id,
                run,
                surface=surface,
                loads=load,
                headphones=headphones,
                sleep_h=sleep,
                drank=drank,
                ate=ate,
                notes=notes,
            )
        if as_json:
            print_json(found)
        else:
            console.print(context_text(found), soft_wrap=True, markup=False)
