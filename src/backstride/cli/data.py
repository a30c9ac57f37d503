"""``backstride export DIR`` and ``backstride delete --all``: own your data."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.log_common import interactive
from backstride.cli.output import console, handle_errors, print_json
from backstride.errors import ValidationError
from backstride.log.archive import delete_all, export
from backstride.words import plural


def register(app: typer.Typer) -> None:
    @app.command("export")
    @handle_errors
    def export_command(
        ctx: typer.Context,
        directory: Annotated[str, typer.Argument(help="A new (or empty) folder to write to.")],
        streams: Annotated[
            bool,
            typer.Option(
                "--streams/--no-streams", help="Include the second-by-second streams (the default)."
            ),
        ] = True,
        as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    ) -> None:
        """Write everything as CSV and JSON with a manifest ('backstride import DIR' restores it)."""
        st = state(ctx)
        manifest = export(st.engine, directory, st.user_id, streams=streams)
        if as_json:
            print_json(manifest)
            return
        rows = sum(t["rows"] for t in manifest["tables"].values())
        tables = plural(len(manifest["tables"]), "table")
        console.print(f"wrote {plural(rows, 'row')} in {tables} to {directory}")
        if manifest["missing"]:
            console.print(f"[yellow]note[/] {manifest['missing']}", soft_wrap=True)

    @app.command("delete")
    @handle_errors
    def delete_command(
        ctx: typer.Context,
        everything: Annotated[bool, typer.Option("--all", help="Delete all your data.")] = False,
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Delete all your runs, logs, shoes and settings (export first if you may want them back)."""
        st = state(ctx)
        if not everything:
            raise ValidationError("say what to delete: --all (everything)")
        if not yes:
            if not interactive():
                raise ValidationError("missing --yes: deleting everything needs confirmation")
            typer.confirm("Delete ALL your data? This cannot be undone", abort=True)
        summary = delete_all(st.engine, st.user_id)
        console.print(f"deleted {plural(summary.total, 'row')}")
