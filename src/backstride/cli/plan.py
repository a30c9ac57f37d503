"""``backstride plan``: what to try, why, a weekly schedule and one experiment.

Exit status: 0 when a plan is shown; 3 when it is withheld (an open emergency red flag, until
``backstride screen --assessed``; or no screen answered yet). With ``--json`` the outcome is printed
either way (``status``, ``withheld``, ``message``), so scripts can read it and test the exit status.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.output import console, fail, handle_errors, print_json
from backstride.cli.screen import print_banner
from backstride.plan.engine import DISCLAIMER, Plan
from backstride.plan.from_analysis import plan_for_user
from backstride.plan.profile import set_goal
from backstride.units import format_distance, parse_distance

WITHHELD_EXIT = 3


def _print_referral(plan: Plan) -> None:
    ref = plan.referral
    if ref is None:
        return
    if ref.refer:
        console.print(f"\n[bold yellow]{ref.title}:[/] " + "; ".join(ref.reasons) + ".")
        console.print(f"  {ref.text}")
    else:
        console.print(f"\n[dim]{ref.title}: {ref.text}[/]")


def _print_schedule(plan: Plan, unit: str) -> None:
    from backstride.plan.schedule import WEEK_KINDS

    s = plan.schedule
    if s is None:
        return
    by = f" by {s.goal_date}" if s.goal_date else ""
    console.print(f"\n[bold]Schedule[/] toward {format_distance(s.goal_distance_m, unit)}{by}: {s.message}")
    for rule in s.rules:
        console.print(f"  - {rule}")
    for week in s.weeks:
        runs = ", ".join(
            f"{r.day:%a} {format_distance(r.distance_m, unit)}{' long' if r.kind == 'long' else ''}"
            for r in week.runs
        )
        sessions = ", ".join(f"{x.day:%a} {x.minutes} min" for x in week.sessions)
        kind = "" if week.kind == "step" else f", {WEEK_KINDS[week.kind]}"
        console.print(f"  week {week.number} ({week.start}{kind}): {runs}; exercise {sessions or '-'}")
    for note in s.notes:
        console.print(f"  [yellow]{note}[/]")


def _print_plan(plan: Plan, unit: str) -> None:
    console.print(f"[bold]{plan.message}[/]")
    console.print(f"[dim]{DISCLAIMER}[/]")
    if plan.referral is not None and plan.referral.refer:
        _print_referral(plan)
    for n, item in enumerate(plan.items, 1):
        tried = " (you already do this)" if item.tried else ""
        console.print(f"\n[bold]{n}. {item.name}[/]{tried}")
        console.print(f"   why: {item.reason}")
        console.print(f"   evidence ({item.evidence_words}): {item.evidence_summary}")
        console.print(f"   grade: {item.grade_note}")
        console.print(f"   dose: {item.dose}")
        console.print(f"   progression: {item.progression}")
        console.print(f"   stop if: {item.harm}")
        if item.note:
            console.print(f"   [yellow]{item.note}[/]")
    if plan.set_aside:
        console.print("\n[bold]Set aside[/] (proposed on the forums; the evidence does not support it):")
        for item in plan.set_aside:
            console.print(f"  - {item.name}: {item.evidence_summary}")
    _print_schedule(plan, unit)
    if plan.experiment is not None:
        e = plan.experiment
        console.print(
            f"\n[bold]Experiment:[/] {e.name}\n  why: {e.why}\n  design: {e.design}\n  how: {e.how}"
            f"\n  stop if: {e.harm}"
        )
    for note in plan.notes:
        console.print(f"[dim]{note}[/]")
    if plan.referral is not None and not plan.referral.refer:
        _print_referral(plan)


def register(app: typer.Typer) -> None:
    @app.command("plan")
    @handle_errors
    def plan_command(
        ctx: typer.Context,
        goal: Annotated[
            str | None,
            typer.Option("--goal", help="Store a goal distance to run pain-free, e.g. 3mi or 5km."),
        ] = None,
        by: Annotated[str | None, typer.Option("--by", help="Goal date, YYYY-MM-DD.")] = None,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Plan as of this date (YYYY-MM-DD).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    ) -> None:
        """What to try and why, a weekly schedule, and one experiment. Exit status 3 when withheld."""
        st = state(ctx)
        unit = st.units
        try:
            goal_date = date.fromisoformat(by) if by else None
            today = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            fail("dates must be YYYY-MM-DD")
        with st.engine.begin() as conn:
            if goal is not None:
                set_goal(conn, st.user_id, parse_distance(goal, unit), goal_date, today)
            elif by is not None:
                fail("--by needs --goal")
            plan = plan_for_user(conn, st.user_id, today=today, unit=unit)
        if as_json:
            print_json(plan.as_dict())
        elif plan.withheld:
            console.print(f"[bold red]Plan withheld.[/] {plan.message}")
            _print_referral(plan)
        else:
            _print_plan(plan, unit)
        print_banner(plan.banner)
        if plan.withheld:
            raise typer.Exit(WITHHELD_EXIT)
