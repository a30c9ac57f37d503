"""The command line: thin commands that call the library and print. ``main`` is the console script."""

from __future__ import annotations

from backstride.cli import (
    analyze,
    body,
    checkin,
    data,
    demo,
    experiment,
    imports,
    lift,
    pain,
    plan,
    pool,
    report,
    routine,
    run_context,
    runs,
    screen,
    selftest,
    serve,
    shoe,
    strava,
    watch,
)
from backstride.cli.app import app

for _module in (
    imports,
    runs,
    demo,
    pain,
    lift,
    routine,
    body,
    shoe,
    run_context,
    checkin,
    data,
    screen,
    selftest,
    plan,
    serve,
    analyze,
    report,
    experiment,
    pool,
    strava,
    watch,
):
    _module.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
