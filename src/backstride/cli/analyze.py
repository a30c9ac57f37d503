"""``backstride analyze [--json] [--target 3mi]``: the findings in plain words, or as JSON."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backstride.cli.invocation import state
from backstride.cli.output import console, handle_errors, print_json
from backstride.units import default_target_m, format_distance, parse_distance
from backstride.words import plural


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    @handle_errors
    def analyze_command(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
        target: Annotated[
            str | None, typer.Option("--target", help="Target distance, e.g. 3mi or 5km (default 3mi / 5km).")
        ] = None,
    ) -> None:
        """How far you can run pain-free, what goes with earlier or later pain, terrain, the trend."""
        st = state(ctx)
        unit = st.units
        target_m = parse_distance(target, unit) if target else default_target_m(unit)
        from backstride.analysis.findings import analyze_user  # heavy (scipy): loaded when used

        findings = analyze_user(st.engine, st.user_id, target_m)
        if as_json:
            print_json(findings.to_dict())
            return
        pf = findings.pain_free
        lo, hi = pf.ci_m
        console.print(f"[bold]{plural(findings.runs, 'run')}[/], {findings.reported} with a pain report.")
        if not findings.enough_data:
            console.print(
                f"[yellow]Not enough data yet:[/] {plural(findings.reported, 'run')} with a pain report and "
                f"{plural(pf.events, 'onset')}. Log pain (or 'none') after each run; about 10 reported runs "
                "give a first estimate."
            )
        if not pf.enough:
            console.print(
                f"Median pain-free distance: too few runs yet ({plural(pf.runs, 'run')} with a confirmed "
                "report; 10 needed)."
            )
        elif pf.beyond:
            console.print(
                f"Median pain-free distance: beyond [bold]{format_distance(pf.longest_m, unit)}[/] "
                f"(fewer than half of {plural(pf.runs, 'run')} reached an onset; "
                f"{plural(pf.events, 'onset')})."
            )
        else:
            console.print(
                f"Median pain-free distance: [bold]{format_distance(pf.median_m, unit)}[/] "
                f"(95% CI {format_distance(lo, unit) if lo is not None else '?'} to "
                f"{format_distance(hi, unit) if hi is not None else 'not known yet'}; "
                f"{plural(pf.events, 'onset')})."
            )
        if pf.enough and pf.p_target is not None and pf.p_target.value is not None:
            console.print(f"Chance of {format_distance(target_m, unit)} pain-free: {pf.p_target.to_text()}.")
        else:
            console.print(f"Chance of {format_distance(target_m, unit)} pain-free: not estimable yet.")
        for x in findings.sensitivity:
            console.print(f"  [dim]{_sensitivity(x, target_m, unit)}[/]")
        if findings.drafts:
            console.print(
                f"  [dim]{findings.drafts} lap-button drafts wait for you: backstride pain pending[/]"
            )
        console.print(f"Trend: {findings.trend.sentence}")
        if findings.factor_analysis is not None:
            console.print()
            for line in findings.factor_analysis.text_lines():
                console.print(line)
            for f in findings.factors:
                if f.q_value is not None:
                    console.print(f"  [dim]{f.name}: q = {f.q_value:.3f}[/]")
        if findings.terrain is not None:
            console.print()
            for line in findings.terrain.text_lines():
                console.print(line)
        console.print()
        console.print("[bold]What the data cannot tell yet:[/]")
        for item in findings.cannot_tell:
            console.print(f"- {item}")


def _sensitivity(x: Any, target_m: float, unit: str) -> str:
    """One sensitivity line of the findings in the display unit."""
    if not x.enough:
        return f"{x.label}: too few runs for an estimate."
    median = f"beyond {format_distance(x.longest_m, unit)}" if x.beyond else format_distance(x.median_m, unit)
    line = f"{x.label}: median {median} ({x.runs} runs)"
    if x.p_target is not None and x.p_target.value is not None:
        line += f", chance of {format_distance(target_m, unit)} pain-free {x.p_target.value:.0%}"
    return line + "."
