"""``backstride runs`` and ``backstride show RUN``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from backstride.cli.context import console, handle_errors, print_json, state
from backstride.runview import run_detail, run_record
from backstride.store.activities import list_activities
from backstride.units import format_distance, format_duration, format_pace


def _local(row: dict[str, Any]) -> str:
    start = row["start_utc"] + timedelta(seconds=row.get("utc_offset_s") or 0)
    return start.strftime("%Y-%m-%d %H:%M")


def _num(value: float | None, fmt: str = "{:.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def register(app: typer.Typer) -> None:
    @app.command("runs")
    @handle_errors
    def runs_command(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
        sport: Annotated[str, typer.Option("--sport", help="Sport to list, or 'all'.")] = "running",
    ) -> None:
        """List runs: date, distance, time, pace, elevation loss, HR, cadence, shoe."""
        st = state(ctx)
        with st.engine.connect() as conn:
            rows = list_activities(conn, st.user_id, sport=None if sport == "all" else sport)
        if as_json:
            print_json([run_record(r) for r in rows])
            return
        if not rows:
            console.print("No runs yet. Import some: backstride import PATH")
            return
        unit = st.units
        table = Table(box=None, header_style="bold")
        for col in ("id", "date", "distance", "time", "pace", "descent", "HR", "cadence", "shoe"):
            table.add_column(
                col, justify="left" if col in ("date", "shoe") else "right", no_wrap=col == "date"
            )
        for r in rows:
            table.add_row(
                str(r["id"]),
                _local(r),
                format_distance(r["distance_m"], unit),
                format_duration(r["moving_s"] or r["elapsed_s"]),
                format_pace(r["distance_m"], r["moving_s"] or r["elapsed_s"], unit),
                _num(r["elevation_loss_m"], "{:.0f} m"),
                _num(r["avg_hr"]),
                _num(r["avg_cadence"]),
                r.get("shoe") or "",
            )
        console.print(table)
        console.print(f"{len(rows)} runs")

    @app.command("show")
    @handle_errors
    def show_command(
        ctx: typer.Context,
        run: Annotated[str, typer.Argument(help="A run: its id, a date (2025-03-01) or 'last'.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """One run, with its laps (and its pain report, once logged)."""
        st = state(ctx)
        with st.engine.connect() as conn:
            detail = run_detail(conn, st.user_id, run)
        if as_json:
            print_json(detail)
            return
        unit = st.units
        title = detail.get("name") or f"{detail['sport']} run"
        console.print(f"[bold]{title}[/]  (id {detail['id']}, {detail['start']})")
        moving = detail["moving_s"] or detail["elapsed_s"]
        console.print(
            f"{format_distance(detail['distance_m'], unit)} in {format_duration(moving)} "
            f"({format_pace(detail['distance_m'], moving, unit)}); "
            f"elapsed {format_duration(detail['elapsed_s'])}"
        )
        console.print(
            f"climb {_num(detail['elevation_gain_m'], '{:.0f} m')}, descent "
            f"{_num(detail['elevation_loss_m'], '{:.0f} m')}; HR {_num(detail['avg_hr'])}, "
            f"cadence {_num(detail['avg_cadence'])} spm; device {detail.get('device') or '-'}; "
            f"shoe {detail.get('shoe') or '-'}; {detail['samples']} samples"
        )
        if detail["lap_list"]:
            table = Table(box=None, header_style="bold")
            for col in ("lap", "starts at", "distance", "time", "trigger"):
                table.add_column(col, justify="right")
            for lap in detail["lap_list"]:
                length = (
                    None if lap["end_m"] is None or lap["start_m"] is None else lap["end_m"] - lap["start_m"]
                )
                table.add_row(
                    str(lap["number"]),
                    format_distance(lap["start_m"], unit),
                    format_distance(length, unit),
                    format_duration(lap["end_s"] - lap["start_s"]),
                    lap["trigger"],
                )
            console.print(table)
        for warning in detail["warnings"]:
            console.print(f"[yellow]warning:[/] {warning}")
