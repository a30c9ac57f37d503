"""The command line: thin commands that call the library and print. ``main`` is the console script."""

from __future__ import annotations

from backstride.cli import imports, runs
from backstride.cli.app import app

for _module in (imports, runs):
    _module.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
