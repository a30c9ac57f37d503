"""``backstride test``: the self-tests, how to do them, recording a result, and the history."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from backstride.cli.invocation import state
from backstride.cli.output import console, fail, handle_errors, print_json
from backstride.errors import ValidationError
from backstride.plan import selftests
from backstride.plan.knowledge import FieldDef, SelfTestDef

test_app = typer.Typer(
    help="Self-tests with norms: McGill battery, modified Thomas, passive knee extension, single-leg "
    "hamstring bridge, Trendelenburg and single-leg squat.",
    invoke_without_command=True,
    no_args_is_help=False,
)

_YES = {"y", "yes", "1", "true", "positive"}
_NO = {"n", "no", "0", "false", "negative"}


def _parse_value(spec: FieldDef, text: str) -> float:
    raw = text.strip().lower()
    if spec.kind == "yesno":
        if raw in _YES:
            return 1.0
        if raw in _NO:
            return 0.0
        raise ValidationError(f"{spec.key}: answer yes or no, not {text!r}")
    try:
        return float(raw.rstrip("s°"))
    except ValueError as exc:
        raise ValidationError(f"{spec.key}: not a number: {text!r}") from exc


def parse_values(test: SelfTestDef, pairs: list[str]) -> dict[str, float]:
    """``key=value`` pairs into numbers (yes/no fields accept yes, no, y, n)."""
    fields = {f.key: f for f in test.fields}
    out: dict[str, float] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in fields:
            raise ValidationError(f"expected KEY=VALUE with KEY one of {', '.join(fields)}; got {pair!r}")
        out[key.strip()] = _parse_value(fields[key.strip()], value)
    return out


def describe(test: SelfTestDef) -> dict[str, Any]:
    return {
        "id": test.id,
        "name": test.name,
        "how": list(test.how),
        "fields": [f.model_dump() for f in test.fields],
        "norm": list(test.norm),
        "norm_verified": test.norm_verified,
        "caution": test.caution,
        "flags": [{"id": f.id, "rule": f.rule.model_dump(), "verified": f.verified} for f in test.flags],
        "sources": list(test.sources),
    }


def _print_how(test: SelfTestDef) -> None:
    console.print(f"[bold]{test.name}[/] ({test.id})")
    for line in test.how:
        console.print(f"  - {line}")
    console.print("[bold]Enter:[/] " + "; ".join(f"{f.key}={f.label} ({f.unit})" for f in test.fields))
    tag = "" if test.norm_verified else " [yellow](provisional: unverified figures)[/]"
    console.print(f"[bold]Norm{tag}:[/]")
    for line in test.norm:
        console.print(f"  {line}")
    if test.caution:
        console.print(f"[yellow]{test.caution}[/]")


def _print_result(result: selftests.TestResult) -> None:
    values = ", ".join(f"{k} {v:g}" for k, v in result.values.items())
    derived = ", ".join(f"{k} {v:.2f}" for k, v in result.derived.items())
    when = "" if result.taken_at is None else result.taken_at.strftime("%Y-%m-%d") + "  "
    console.print(f"{when}{values}" + (f"  ({derived})" if derived else ""))
    for flag in result.flags:
        console.print(f"  [yellow]flag[/] {flag.id}: {flag.reason}")
    if not result.flags:
        console.print("  no flags")


@test_app.callback()
@handle_errors
def test_summary(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Without a subcommand: every test with your latest result and its flags."""
    if ctx.invoked_subcommand is not None:
        return
    st = state(ctx)
    with st.engine.connect() as conn:
        latest = selftests.latest_results(conn, st.user_id)
    if as_json:
        print_json(
            [
                {**describe(t), "latest": None if t.id not in latest else latest[t.id].as_dict()}
                for t in selftests.definitions()
            ]
        )
        return
    table = Table(box=None, header_style="bold")
    for col in ("test", "name", "last done", "flags"):
        table.add_column(col)
    for t in selftests.definitions():
        r = latest.get(t.id)
        table.add_row(
            t.id,
            t.name,
            "-" if r is None or r.taken_at is None else r.taken_at.strftime("%Y-%m-%d"),
            "" if r is None else (", ".join(f.id for f in r.flags) or "none"),
        )
    console.print(table)
    console.print("How to do one: backstride test how ID; record: backstride test record ID KEY=VALUE ...")


@test_app.command("how")
@handle_errors
def how_command(
    test_id: Annotated[str, typer.Argument(help="A test id (see: backstride test).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How to do a test, what to enter, the norm and the flags."""
    test = selftests.definition(test_id)
    if as_json:
        print_json(describe(test))
    else:
        _print_how(test)


@test_app.command("record")
@handle_errors
def record_command(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="A test id (see: backstride test).")],
    values: Annotated[list[str] | None, typer.Argument(help="KEY=VALUE pairs, e.g. flexor_s=120.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="When (YYYY-MM-DD); default now.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="A note.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record a result (asks for each value at a terminal when none are given)."""
    st = state(ctx)
    test = selftests.definition(test_id)
    if values:
        parsed = parse_values(test, values)
    elif sys.stdin.isatty() and not as_json:
        _print_how(test)
        parsed = {}
        for f in test.fields:
            text = typer.prompt(f"{f.label} ({f.unit}, blank to skip)", default="", show_default=False)
            if text.strip():
                parsed[f.key] = _parse_value(f, text)
    else:
        fail("give the values as KEY=VALUE (see: backstride test how " + test.id + ")")
    when = None
    if on:
        try:
            when = datetime.strptime(on, "%Y-%m-%d").replace(hour=12, tzinfo=UTC)
        except ValueError:
            fail(f"not a date: {on!r} (use YYYY-MM-DD)")
    with st.engine.begin() as conn:
        result = selftests.record_test(conn, st.user_id, test.id, parsed, taken_at=when, notes=notes)
    if as_json:
        print_json(result.as_dict())
    else:
        _print_result(result)


@test_app.command("history")
@handle_errors
def history_command(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="A test id (see: backstride test).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every recorded result of one test, oldest first, with its flags."""
    st = state(ctx)
    with st.engine.connect() as conn:
        rows = selftests.history(conn, st.user_id, test_id)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    if not rows:
        console.print(f"No results for {test_id} yet.")
    for r in rows:
        _print_result(r)


def register(app: typer.Typer) -> None:
    app.add_typer(test_app, name="test")
