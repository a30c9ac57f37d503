"""``backstride demo``"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backstride.cli.context import console, err_console, handle_errors


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handle_errors
    def demo_command(
        out: Annotated[
            Path, typer.Option("--out", help="Folder for the demo's files, database and report.")
        ] = Path("demo-out"),
        seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated runner.")] = 20250303,
    ) -> None:
        """Run the whole job on a simulated runner whose truth is known: files, import, log, analysis,
        report, and the estimates against the truth."""
        from backstride.demo import run_demo  # heavy (scipy): loaded when used

        result = run_demo(out, seed=seed, progress=lambda message: err_console.print(f"[dim]{message}...[/]"))
        for line in result.lines:
            console.print(line)
        console.print(f"Try: backstride --db {result.db_path} analyze")
