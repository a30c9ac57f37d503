"""``backstride screen``: the red-flag screen, interactive at a terminal or from flags (scriptable)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from backstride.cli.invocation import state
from backstride.cli.output import console, err_console, fail, handle_errors, print_json
from backstride.plan import redflags, screens


def interactive() -> bool:
    """Ask the questions only when a person is at a terminal (scripts must pass --yes or --none)."""
    return sys.stdin.isatty()


def print_banner(text: str) -> None:
    """The red-flag banner on stderr, so that ``--json`` output on stdout stays clean."""
    if text:
        err_console.print(f"[bold white on red] {text} [/]")


def register(app: typer.Typer) -> None:
    @app.command("screen")
    @handle_errors
    def screen_command(
        ctx: typer.Context,
        yes: Annotated[
            list[str] | None,
            typer.Option("--yes", help="A question id answered yes (repeatable); all others are no."),
        ] = None,
        none: Annotated[bool, typer.Option("--none", help="Answer no to every question.")] = False,
        assessed: Annotated[
            bool,
            typer.Option("--assessed", help="Confirm a clinician has assessed you: resolves open red flags."),
        ] = False,
        questions: Annotated[bool, typer.Option("--questions", help="List the questions and ids.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    ) -> None:
        """Red-flag screen: signs that need a clinician before any running advice.

        At a terminal it asks each question; in scripts use --yes ID (repeatable) or --none. Any yes shows
        a banner; an emergency withholds the plan until you run: backstride screen --assessed.
        """
        st = state(ctx)
        if questions:
            rows = [
                {"id": q.id, "urgency": q.urgency, "group": q.group, "text": q.text}
                for q in redflags.QUESTIONS
            ]
            if as_json:
                print_json(rows)
            else:
                for q in redflags.QUESTIONS:
                    console.print(f"{q.id:<20} {q.urgency:<9} {q.text}")
            return
        if assessed:
            with st.engine.begin() as conn:
                resolved = screens.confirm_assessed(conn, st.user_id)
            if as_json:
                print_json({"resolved": resolved})
            else:
                console.print(f"Recorded that you have been assessed ({resolved} open screen(s) resolved).")
            return
        if yes and none:
            fail("use either --yes ID or --none, not both")
        if yes or none:
            answers = {redflags.question(qid).id: True for qid in (yes or [])}
        elif interactive() and not as_json:
            console.print(
                "Red-flag screen: answer y or n. These are about your back pain and the past weeks."
            )
            answers = {q.id: typer.confirm(q.text, default=False) for q in redflags.QUESTIONS}
        else:
            fail("not a terminal: answer with --yes ID (repeatable) or --none (see --questions)")
        result = redflags.evaluate(answers)
        with st.engine.begin() as conn:
            screens.record_screen(conn, st.user_id, result, source="screen")
        if as_json:
            print_json(result.as_dict())
        else:
            console.print(f"[bold]Outcome:[/] {result.urgency}")
            console.print(result.message)
            console.print(f"[bold]What to do:[/] {result.what_to_do}")
        print_banner(screens.banner(result))
