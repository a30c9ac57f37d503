"""``backstride experiment new|today|show|analyze|adhere|ics``: N-of-1 experiments, one remedy at a time."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.output import JsonList, console, err_console, handle_errors, print_json
from backstride.errors import ValidationError
from backstride.experiments import follow, service, store
from backstride.experiments.design import DEFAULT_WASHOUT_DAYS, parse_period
from backstride.experiments.report import experiment_report_text
from backstride.log.validate import parse_day

experiment_app = typer.Typer(
    help="N-of-1 experiments: test one remedy at a time in randomised pairs of periods.", no_args_is_help=True
)


def _day(text: str | None) -> date:
    return parse_day(text) if text else follow.now_local_day()


@experiment_app.command("new")
@handle_errors
def new_command(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What you test, e.g. 'hip flexor stretch before runs'.")],
    remedy: Annotated[str, typer.Option(help="The remedy (an id from the plan, or your own name).")],
    start: Annotated[
        str | None, typer.Option(help="First day (local), e.g. 2025-03-03 or 'today' (the default).")
    ] = None,
    pairs: Annotated[int, typer.Option(help="Block pairs (AB or BA each), at least 3.")] = 3,
    period: Annotated[
        str | None,
        typer.Option(help="Period length: 7d, 10d, 2w (default: sized from the remedy's carry-over)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (recorded; reproduces the order).")] = None,
    outcome: Annotated[
        str, typer.Option(help="Primary outcome: onset (pain-free distance), severity or peg.")
    ] = "onset",
    washout: Annotated[
        int | None,
        typer.Option(
            help="Days left out at the start of every period (default: the remedy's expected carry-over, "
            f"or {DEFAULT_WASHOUT_DAYS} for a remedy of your own)."
        ),
    ] = None,
    power: Annotated[bool, typer.Option(help="Run the power helper (a few seconds).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Design a randomised experiment; prints its id (details and warnings on stderr)."""
    st = state(ctx)
    with st.engine.begin() as conn:
        made = service.new_experiment(
            conn,
            st.user_id,
            title,
            remedy,
            pairs=pairs,
            period_days=None if period is None else parse_period(period),
            start=_day(start),
            seed=seed,
            outcome=outcome,
            washout_days=washout,
            power=power,
        )
    if as_json:
        print_json(made.to_dict())
        return
    exp = made.experiment
    print(exp.id)
    err_console.print(f"experiment {exp.id}: {exp.title} ({made.remedy.name}), seed {exp.seed}")
    for p in exp.schedule:
        err_console.print(f"  pair {p.pair + 1}  {p.start} to {p.end}  {p.condition}")
    err_console.print(
        f"  washout: first {exp.washout_days} days of each period left out; outcome: {exp.outcome}"
    )
    if made.remedy.harm:
        err_console.print(f"  stop, and count it as harm, if: {made.remedy.harm}")
    if made.power is not None:
        err_console.print(made.power.text(exp.pairs))
    for w in made.warnings:
        err_console.print(f"[yellow]warning:[/] {w}")


@experiment_app.command("today")
@handle_errors
def today_command(
    ctx: typer.Context,
    when: Annotated[str | None, typer.Option("--date", help="Another day than today.")] = None,
    as_json: JsonList = False,
) -> None:
    """Which condition applies today in each running experiment, and what to do."""
    st = state(ctx)
    day = _day(when)
    with st.engine.connect() as conn:
        rows = [
            follow.today(e, service.resolve_remedy(e.remedy), day)
            for e in store.list_experiments(conn, st.user_id)
            if e.status == "running" and e.start_date <= day <= e.end_date
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No experiment runs today.")
    for r in rows:
        console.print(
            f"experiment {r['experiment']} ({r['title']}), "
            f"day {r['day_of_period']} of period {r['period']}: {r['do']}"
        )


@experiment_app.command("show")
@handle_errors
def show_command(
    ctx: typer.Context,
    experiment_id: Annotated[int, typer.Argument(help="The experiment's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """The design and schedule of an experiment, with adherence so far."""
    st = state(ctx)
    with st.engine.connect() as conn:
        exp = store.get_experiment(conn, st.user_id, experiment_id)
        logged = store.logged_days(conn, st.user_id, experiment_id)
    data = {**exp.to_dict(), "adherence": follow.adherence(exp, logged, follow.now_local_day())}
    if as_json:
        print_json(data)
        return
    console.print(
        f"experiment {exp.id}: {exp.title} (remedy {exp.remedy}, outcome {exp.outcome}, seed {exp.seed})"
    )
    for p in exp.schedule:
        console.print(f"  pair {p.pair + 1}  {p.start} to {p.end}  {p.condition}")
    console.print(f"adherence so far: {follow.adherence_text(exp, data['adherence'])}")


@experiment_app.command("analyze")
@handle_errors
def analyze_command(
    ctx: typer.Context,
    experiment_id: Annotated[int, typer.Argument(help="The experiment's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """The Bayesian analysis: effect, 95% interval, probabilities and the verdict."""
    st = state(ctx)
    unit = st.units
    with st.engine.connect() as conn:
        if as_json:
            _, result = service.analyze_experiment(conn, st.user_id, experiment_id)
            print_json(result.to_dict())
            return
        typer.echo(experiment_report_text(conn, st.user_id, experiment_id, unit=unit))


@experiment_app.command("adhere")
@handle_errors
def adhere_command(
    ctx: typer.Context,
    experiment_id: Annotated[int, typer.Argument(help="The experiment's id.")],
    when: Annotated[str | None, typer.Option("--date", help="The day (default today).")] = None,
    followed: Annotated[
        bool, typer.Option("--followed/--missed", help="Did the day follow its condition? Default: missed.")
    ] = False,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Log a day that did not follow its condition (days are taken as followed unless logged)."""
    st = state(ctx)
    day = _day(when)
    with st.engine.begin() as conn:
        exp = store.get_experiment(conn, st.user_id, experiment_id)
        if not exp.start_date <= day <= exp.end_date:
            raise ValidationError(
                f"{day} is outside experiment {exp.id} ({exp.start_date} to {exp.end_date})"
            )
        store.set_day(conn, st.user_id, experiment_id, day, followed, notes)
    console.print(f"{day}: {'followed' if followed else 'missed'}")


@experiment_app.command("ics")
@handle_errors
def ics_command(
    ctx: typer.Context,
    experiment_id: Annotated[int, typer.Argument(help="The experiment's id.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """An iCalendar (.ics) file of the schedule, so a phone reminds you."""
    st = state(ctx)
    with st.engine.connect() as conn:
        exp = store.get_experiment(conn, st.user_id, experiment_id)
    text = follow.to_ics(exp, service.resolve_remedy(exp.remedy))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        err_console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
