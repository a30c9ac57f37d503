"""``backstride report -o FILE.html``: the self-contained report (offline, printable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.output import console, handle_errors
from backstride.units import default_target_m, parse_distance


def register(app: typer.Typer) -> None:
    @app.command("report")
    @handle_errors
    def report_command(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the HTML file.")] = Path(
            "backstride-report.html"
        ),
        target: Annotated[
            str | None, typer.Option("--target", help="Target distance, e.g. 3mi or 5km (default 3mi / 5km).")
        ] = None,
    ) -> None:
        """Write the report: one HTML file that works offline and prints to PDF from a browser."""
        st = state(ctx)
        unit = st.units
        target_m = parse_distance(target, unit) if target else default_target_m(unit)
        from backstride.report import write_report  # heavy (scipy): loaded when used

        path = write_report(
            st.engine, st.user_id, out, unit=unit, target_m=target_m, pool_dir=st.settings.pool_dir
        )
        console.print(f"Report written: {path}")
