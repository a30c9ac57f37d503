"""What every command prints: the consoles, JSON on stdout, and the library's errors as one line."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from backstride.errors import BackstrideError
from backstride.jsonready import json_ready

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
logger = logging.getLogger(__name__)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the library's errors into one clean message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BackstrideError as exc:
            logger.debug("%s failed", getattr(func, "__name__", "the command"), exc_info=exc)
            fail(str(exc))

    return wrapper


def print_json(data: Any) -> None:
    """JSON on stdout, nothing else (scripts and tests parse it)."""
    sys.stdout.write(json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n")


#: The ``--json`` option of a list command.
JsonList = Annotated[bool, typer.Option("--json", help="Print a JSON array.")]


def print_list(
    rows: Sequence[T],
    as_json: bool,
    columns: Sequence[str],
    cells: Callable[[T], Sequence[str]],
    *,
    json_rows: Any = None,
    justify: Literal["left", "right"] = "left",
) -> None:
    """What a list command prints: ``rows`` as a JSON array with ``--json`` (``json_rows`` instead,
    when given), else a table of ``columns`` with one row of ``cells(row)`` per row."""
    if as_json:
        print_json(list(rows) if json_rows is None else json_rows)
        return
    table = Table(box=None, header_style="bold")
    for col in columns:
        table.add_column(col, justify=justify)
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)
