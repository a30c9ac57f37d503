"""A Typer group that loads a command's module only when that command runs.

``backstride --help`` lists every command from the table in :mod:`backstride.cli.app` (name, module,
one-line help, panel) without importing a single command module; ``backstride pain ...`` imports
``backstride.cli.pain`` and nothing else. A command module exposes ``register(app)``, which adds its
commands (or its sub-app) to the Typer ``app`` it is given, as before.

The root group also accepts the global options after the subcommand (``backstride runs --units km``,
``backstride import x.fit --verbose``): :meth:`LazyGroup.parse_args` moves them in front of the command
name before Click parses anything.
"""

from __future__ import annotations

import functools
import gc
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """One command of the table: its name, the module whose ``register(app)`` adds it, the one-line
    help shown by ``backstride --help`` (the first paragraph of the command's own help; a test keeps
    the two equal) and the panel it is listed under."""

    name: str
    module: str
    help: str
    panel: str


#: Set by the console script only: once a command's module is loaded, the objects made so far (the
#: modules of start-up, which live as long as the process) are frozen out of the garbage collector's
#: sight (:func:`gc.freeze`), so it stops walking them again and again while the command runs; about
#: a tenth of a small command's CPU time. Library and test use leave the collector alone.
freeze_after_load = False


@functools.cache
def load_module_commands(module: str) -> dict[str, Any]:
    """The Click commands a command module registers, by name (each module is imported once)."""
    mod = importlib.import_module(module)
    holder = typer.Typer(rich_markup_mode="rich", add_completion=False)
    mod.register(holder)
    group = typer.main.get_group(holder)
    if freeze_after_load:
        gc.freeze()
    return dict(group.commands)


def load_command(entry: LazyCommand) -> Any:
    commands = load_module_commands(entry.module)
    if entry.name not in commands:
        raise LookupError(f"{entry.module}.register() adds no command named {entry.name!r}")
    return commands[entry.name]


def _command_index(args: Sequence[str], valued: set[str]) -> int | None:
    """Where the command name is: the first word that is neither an option nor a root option's value."""
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            return None
        if token in valued:
            i += 2
        elif token.startswith("-"):
            i += 1
        else:
            return i
    return None


def hoist_options(args: Sequence[str], options: Iterable[str], flags: Iterable[str] = ()) -> list[str]:
    """Move ``--opt VALUE`` / ``--opt=VALUE`` of the root ``options`` and the root ``flags`` (options
    without a value, such as ``--verbose``) found after the command name to the front, so the root
    group parses them. Nothing after ``--`` is touched."""
    args = list(args)
    valued = set(options)
    switches = set(flags)
    start = _command_index(args, valued)
    if start is None:
        return args
    front: list[str] = []
    rest: list[str] = []
    i = start
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        name = token.split("=", 1)[0]
        if i > start and token in switches:
            front.append(token)
            i += 1
            continue
        if i > start and name in valued:
            if "=" in token or i + 1 >= len(args):
                front.append(token)
                i += 1
            else:
                front.extend(args[i : i + 2])
                i += 2
            continue
        rest.append(token)
        i += 1
    return args[:start] + front + rest


def lazy_group(
    table: Sequence[LazyCommand], global_options: Sequence[str], global_flags: Sequence[str] = ()
) -> type[TyperGroup]:
    """A root group class listing ``table`` and loading each command when it is resolved; the root's
    ``global_options`` (with a value) and ``global_flags`` are also taken after the command."""
    by_name = {entry.name: entry for entry in table}
    if len(by_name) != len(table):
        raise ValueError("two commands of the table share a name")

    class LazyGroup(TyperGroup):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            for entry in table:  # stand-ins with the table's help, for listing and suggestions
                self.commands.setdefault(
                    entry.name,
                    TyperCommand(
                        entry.name, help=entry.help, rich_help_panel=entry.panel, rich_markup_mode="rich"
                    ),
                )

        def list_commands(self, ctx: Any) -> list[str]:
            return [*by_name, *(n for n in super().list_commands(ctx) if n not in by_name)]

        def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
            entry = by_name.get(args[0]) if args else None
            if entry is None:
                return super().resolve_command(ctx, args)
            return entry.name, load_command(entry), args[1:]

        def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
            return super().parse_args(ctx, hoist_options(args, global_options, global_flags))

    return LazyGroup
