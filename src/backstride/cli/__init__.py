"""The command line: thin commands that call the library and print. ``main`` is the console script.

Importing this package loads no command module and no heavy library: see :mod:`backstride.cli.app`.
"""

from __future__ import annotations

from backstride.cli.app import COMMANDS, app


def main() -> None:
    from backstride.cli import lazy

    lazy.freeze_after_load = True
    app()


__all__ = ["COMMANDS", "app", "main"]
