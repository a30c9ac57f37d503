"""The command line: thin commands that call the library and print. ``main`` is the console script.

Importing this package loads no command module and no heavy library: see :mod:`backstride.cli.app`.
"""

from __future__ import annotations

import time

_IMPORTED = time.perf_counter()  # the console script imports this first: about when it started

from backstride.cli.app import COMMANDS, app  # noqa: E402


def main() -> None:
    import gc

    from backstride.cli import invocation, lazy

    invocation.started = _IMPORTED
    lazy.freeze_after_load = True
    try:
        app()
    finally:
        gc.freeze()  # the process ends now: spare the collector a last walk over every object (~1 s)


__all__ = ["COMMANDS", "app", "main"]
