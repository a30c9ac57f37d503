"""``backstride runs`` and ``backstride show RUN``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from backstride.cli.invocation import state
from backstride.cli.output import JsonList, console, handle_errors, print_json
from backstride.cli.pain_text import marker
from backstride.runview import run_detail, run_record
from backstride.store.activities import list_activities
from backstride.units import format_distance, format_duration, format_pace, format_speed

#: Sports on foot: shown with a pace per mile or km; every other sport with a speed.
FOOT_SPORTS = ("running", "walking", "hiking")


def _local(row: dict[str, Any]) -> str:
    start = row["start_utc"] + timedelta(seconds=row.get("utc_offset_s") or 0)
    return start.strftime("%Y-%m-%d %H:%M")


def _num(value: float | None, fmt: str = "{:.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def _pace_or_speed(row: dict[str, Any], unit: str) -> str:
    seconds = row["moving_s"] or row["elapsed_s"]
    if row["sport"] in FOOT_SPORTS:
        return format_pace(row["distance_m"], seconds, unit)
    metres = row["distance_m"]
    return format_speed(metres / seconds if metres and seconds else None, unit)


#: Columns left out, in this order, until the table fits the terminal.
OPTIONAL_COLUMNS = ("cadence", "descent", "shoe", "HR", "id", "time")


def runs_table(
    rows: list[dict[str, Any]],
    unit: str,
    pain: dict[int, dict[str, Any]],
    *,
    width: int = 200,
    short: bool = False,
) -> Table:
    """Runs as a table with their pain markers; a sport column when more than running is listed, and
    speed instead of pace for sports not on foot. Columns of :data:`OPTIONAL_COLUMNS` are left out
    until the table fits ``width``; ``short`` keeps only date, distance, time, pace and pain."""
    sports = {r["sport"] for r in rows}
    foot = set(FOOT_SPORTS)
    pace_title = "pace" if sports <= foot else ("speed" if not sports & foot else "pace/speed")
    columns = ["id", "date", *(["sport"] if sports != {"running"} else []), "distance", "time", pace_title]
    columns += ["descent", "HR", "cadence", "shoe", "pain"]
    cells = [
        {
            "id": str(r["id"]),
            "date": _local(r),
            "sport": r["sport"],
            "distance": format_distance(r["distance_m"], unit),
            "time": format_duration(r["moving_s"] or r["elapsed_s"]),
            pace_title: _pace_or_speed(r, unit),
            "descent": _num(r["elevation_loss_m"], "{:.0f} m"),
            "HR": _num(r["avg_hr"]),
            "cadence": _num(r["avg_cadence"]),
            "shoe": r.get("shoe") or "",
            "pain": marker(pain.get(int(r["id"])), unit, r["distance_m"]),
        }
        for r in rows
    ]
    if short:
        columns = [c for c in columns if c in ("date", "sport", "distance", "time", pace_title, "pain")]

    def needed(cols: list[str]) -> int:
        return sum(max(len(c), *(len(row[c]) for row in cells)) + 1 for c in cols)

    for optional in OPTIONAL_COLUMNS:
        if needed(columns) <= width:
            break
        if optional in columns:
            columns.remove(optional)
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    for col in columns:
        left = col in ("date", "shoe", "sport", "pain")
        table.add_column(col, justify="left" if left else "right", no_wrap=col != "shoe")
    for row in cells:
        table.add_row(*(row[col] for col in columns))
    return table


def count_text(rows: list[dict[str, Any]]) -> str:
    if {r["sport"] for r in rows} == {"running"}:
        return f"{len(rows)} run{'' if len(rows) == 1 else 's'}"
    return f"{len(rows)} activit{'y' if len(rows) == 1 else 'ies'}"


def register(app: typer.Typer) -> None:
    @app.command("runs")
    @handle_errors
    def runs_command(
        ctx: typer.Context,
        as_json: JsonList = False,
        sport: Annotated[str, typer.Option("--sport", help="Sport to list, or 'all'.")] = "running",
    ) -> None:
        """List runs: date, distance, time, pace, elevation loss, HR, cadence, shoe, pain."""
        from backstride.log.pain import pain_by_run

        st = state(ctx)
        with st.engine.connect() as conn:
            rows = list_activities(conn, st.user_id, sport=None if sport == "all" else sport)
            pain = pain_by_run(conn, st.user_id) if rows and not as_json else {}
        if as_json:
            print_json([run_record(r) for r in rows])
            return
        if not rows:
            console.print("No runs yet. Import some: backstride import PATH")
            return
        console.print(runs_table(rows, st.units, pain, width=console.width))
        console.print(count_text(rows))

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
