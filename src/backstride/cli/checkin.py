"""``backstride checkin``: the weekly PEG (three 0-10 items) and the red-flag questions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backstride.cli.invocation import state
from backstride.cli.log_common import interactive, need
from backstride.cli.output import console, err_console, handle_errors, print_json
from backstride.errors import ValidationError
from backstride.log.checkin import PEG_ITEMS, record_checkin, red_flag_questions

URGENCY_TITLES = {
    "emergency": "EMERGENCY: get medical help now (call your emergency number or go to an emergency "
    "department)",
    "urgent": "See a clinician soon (within days), and say what you answered yes to",
}


def _answers(flags: list[str] | None, no_flags: bool) -> dict[str, bool]:
    questions = red_flag_questions()
    if flags or no_flags:
        answers = {q.id: q.id in (flags or []) for q in questions}
        unknown = sorted(set(flags or []) - set(answers))
        if unknown:
            known = ", ".join(q.id for q in questions)
            raise ValidationError(f"unknown red-flag question {', '.join(unknown)} (known: {known})")
        return answers
    if not interactive():
        raise ValidationError(
            "missing red-flag answers: give --red-flag ID for each yes, or --no-red-flags "
            "(see 'backstride checkin --help' for the ids)"
        )
    return {q.id: typer.confirm(q.text, default=False) for q in questions}


def _show_screen(result: Any) -> None:
    urgency = str(result.urgency)
    if urgency == "none":
        console.print("red flags: none reported")
        return
    err_console.print(f"[bold red]{URGENCY_TITLES.get(urgency, urgency)}[/]")
    err_console.print(str(result.message))
    what = result.what_to_do
    for line in what if isinstance(what, list | tuple) else [what]:
        err_console.print(f"- {line}")


def register(app: typer.Typer) -> None:
    @app.command("checkin")
    @handle_errors
    def checkin_command(
        ctx: typer.Context,
        pain: Annotated[int | None, typer.Option(help="Average pain in the past week, 0-10.")] = None,
        enjoyment: Annotated[
            int | None, typer.Option(help="How much pain interfered with enjoyment of life, 0-10.")
        ] = None,
        activity: Annotated[
            int | None, typer.Option(help="How much pain interfered with general activity, 0-10.")
        ] = None,
        red_flag: Annotated[
            list[str] | None, typer.Option("--red-flag", help="A red-flag question answered yes (its id).")
        ] = None,
        no_red_flags: Annotated[
            bool, typer.Option("--no-red-flags", help="Every red-flag question answered no.")
        ] = False,
        notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Weekly check-in: PEG pain score and the red-flag screen (answers are kept)."""
        st = state(ctx)
        values = [
            need(value, f"--{key}", f"{text} ({anchors})", int)
            for value, (key, text, anchors) in zip((pain, enjoyment, activity), PEG_ITEMS, strict=True)
        ]
        answers = _answers(red_flag, no_red_flags)
        with st.engine.begin() as conn:
            result = record_checkin(
                conn,
                st.user_id,
                pain=values[0],
                enjoyment=values[1],
                activity=values[2],
                red_flags=answers,
                notes=notes,
            )
        if as_json:
            print_json(result.as_dict())
        else:
            console.print(f"PEG score {result.peg_score:.1f} / 10 (a change of about 1 point matters)")
        # A positive screen is shown at once, even with --json (on stderr, so the JSON stays clean).
        if result.screen is not None and (not as_json or str(result.screen.urgency) != "none"):
            _show_screen(result.screen)
