"""``python -m backstride.simulate.health_export OUT.zip [SCALE]``: write an export (the fixture's maker)."""

from __future__ import annotations

from backstride.simulate.health_export.runs import default_runs
from backstride.simulate.health_export.writer import write_health_export


def main() -> None:  # pragma: no cover - the fixture's maker, run by hand
    """``python -m backstride.simulate.health_export OUT.zip [SCALE]``: write an export."""
    import sys

    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    runs, others, weighings = default_runs(scale)
    write_health_export(sys.argv[1], runs, others, weighings)


if __name__ == "__main__":  # pragma: no cover
    main()
