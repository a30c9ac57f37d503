"""What the log commands share: a group with a default command, and prompts for missing flags."""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from backstride.errors import ValidationError

T = TypeVar("T")


def interactive() -> bool:
    """Prompt only when a person is at the terminal (tests patch this)."""
    return sys.stdin.isatty()


def need(value: T | None, flag: str, text: str, kind: Any = str, default: Any = None) -> T:
    """``value`` if given; else a prompt at a terminal; else an error naming the missing flag."""
    if value is not None:
        return value
    if interactive():
        answer: T = typer.prompt(text, type=kind, default=default)
        return answer
    raise ValidationError(f"missing {flag} (no terminal to ask at: give {flag} ...)")


def maybe(value: T | None, text: str, kind: Any = str) -> T | None:
    """An optional field: asked at a terminal (empty = skip), else left out."""
    if value is not None or not interactive():
        return value
    answer = typer.prompt(text, type=kind, default="", show_default=False)
    return answer if answer != "" else None


def default_group(command: str) -> type[TyperGroup]:
    """A group that runs ``command`` when the first word is not one of its commands.

    ``backstride pain 12 --onset 1mi`` is ``backstride pain record 12 --onset 1mi``, while
    ``backstride pain import FILE`` stays the import.
    """

    class DefaultGroup(TyperGroup):
        def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: typer's click Context
            if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
                args = [command, *args]
            return super().parse_args(ctx, args)

    return DefaultGroup
