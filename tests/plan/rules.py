"""The single-run spike rule, checked independently of the planner: no run more than 10% longer than
the longest run of the 30 days before it (DOMAIN.md section 5: Frandsen, BJSM 2025)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

SPIKE_LIMIT = 0.10
SPIKE_WINDOW_DAYS = 30


def spike_violations(runs: Sequence[tuple[date, float]]) -> list[tuple[date, float, float]]:
    """Runs more than 10% longer than the longest of the 30 days before them (with nothing before them
    in the window, any run passes): ``(day, distance, longest before)``."""
    ordered = sorted(runs)
    out: list[tuple[date, float, float]] = []
    for day, metres in ordered:
        before = [m for d, m in ordered if 0 < (day - d).days <= SPIKE_WINDOW_DAYS]
        if before and metres > max(before) * (1 + SPIKE_LIMIT) + 1e-6:
            out.append((day, metres, max(before)))
    return out
