"""Hand-made bundles with a chosen pain pattern (for pools whose answer is known)."""

from __future__ import annotations

import secrets

import numpy as np

from backstride.pool.bundle import VERSION, Bundle
from backstride.pool.schema import PROFILE_FIELDS

PROFILE = dict(
    zip(PROFILE_FIELDS, ("30-39", "male", "25-30", "1-3", "yes", "westside", "25-50km"), strict=True)
)


def make_bundle(
    rng: np.random.Generator,
    *,
    onset_m: float = 2000.0,
    descent_pain: float = 0.8,
    flat_pain: float = 0.2,
    n: int = 40,
    profile: dict[str, str] | None = None,
    experiments: list[dict[str, object]] | None = None,
    revision: int = 1,
    contributor_id: str | None = None,
    version: int = VERSION,
) -> Bundle:
    """A runner with ``n`` runs of about 6 km: pain with probability ``descent_pain`` on hilly runs
    (descent share 0.2) and ``flat_pain`` on flat ones, onset near ``onset_m``."""
    hilly = np.arange(n) % 2 == 1
    pain = rng.random(n) < np.where(hilly, descent_pain, flat_pain)
    dist = (np.round(rng.uniform(5500, 6500, n) / 10) * 10).astype(int)
    onset = np.clip(np.round(rng.normal(onset_m, 100, n) / 10) * 10, 10, dist).astype(int)
    return Bundle(
        contributor_id=contributor_id or secrets.token_hex(16),
        revision=revision,
        profile=dict(profile or PROFILE),
        runs={
            "week": [int(i // 3) for i in range(n)],
            "distance_m": [int(d) for d in dist],
            "pain": [bool(p) for p in pain],
            "onset_m": [int(o) if p else None for o, p in zip(onset, pain, strict=True)],
            "onset_low_m": [int(o) if p else None for o, p in zip(onset, pain, strict=True)],
            "onset_high_m": [int(o) if p else None for o, p in zip(onset, pain, strict=True)],
            "severity": [4 if p else None for p in pain],
            "descent_share": [0.2 if h else 0.05 for h in hilly],
            "lift_48h": [bool(i % 4 == 0) for i in range(n)],
            "spike": [0.0] * n,
            "surface": ["road"] * n,
        },
        experiments=list(experiments or []),
        version=version,
    )


def experiment(
    remedy: str, effect: float, se: float = 0.1, verdict: str = "benefit", finished: bool | None = True
) -> dict[str, object]:
    """An experiment row; ``finished=None`` leaves the flag out (a version 1 bundle's row)."""
    row: dict[str, object] = {
        "remedy": remedy,
        "design": "ab-pairs",
        "outcome": "onset",
        "pairs": 4,
        "period_days": 7,
        "effect": round(effect, 3),
        "se": round(se, 3),
        "verdict": verdict,
    }
    if finished is not None:
        row["finished"] = finished
    return row
