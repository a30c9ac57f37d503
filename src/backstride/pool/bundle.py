"""The anonymised opt-in bundle: what one runner contributes to a pool, and nothing else.

A bundle is one JSON file (readable, so a runner can see exactly what is shared)::

    {"format": "backstride-pool-bundle", "version": 3,
     "contributor_id": "<32 hex>", "revision": 3,
     "profile": {"age_band": "30-39", ...},
     "runs": {"week": [...], "distance_m": [...], ...},      # column-wise
     "remedies": [{"remedy": "glute", "weeks": 12, "adherence": 0.6}, ...],
     "experiments": [{"remedy": "hip_flexor_stretching", "design": "ab-pairs", ...,
                      "finished": true}, ...]}

Version 2 added ``finished`` to the experiments (the export writes finished experiments only).
Version 3 added ``onset_low_m`` and ``onset_high_m`` to the runs: an onset known only to a lap, or
"unknown", stays an interval (``onset_m`` null) instead of an exact onset at its middle.
Older bundles are still read, and keep their content and hash: a version 1 bundle's experiments have
no ``finished`` flag, so the pooled meta-analysis leaves them out (version 1 exported running
experiments too); the runs of versions 1 and 2 carry exact onsets only, so their bounds are the onset.

Every field is declared in :mod:`backstride.pool.schema` (bands, grid numbers, flags): no names, no
GPS, no device ids, no free text, no dates (runs carry whole weeks since the runner's first run).
The contributor id is random (:func:`secrets.token_hex`), kept in the runner's settings so that a
later bundle supersedes the earlier one in the pool; ``revision`` counts the runner's exports.
The bundle hash is the SHA-256 of the canonical JSON of everything above.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backstride.errors import ValidationError
from backstride.pool.schema import (
    EXPERIMENT_V2_FIELDS,
    HEX32,
    PROFILE,
    PROFILE_FIELDS,
    RUN,
    RUN_V3_FIELDS,
    SECTIONS,
    check_value,
)

FORMAT = "backstride-pool-bundle"
VERSION = 3
VERSIONS = (1, 2, 3)
RUN_COLUMNS: tuple[str, ...] = tuple(f.name for f in RUN)


def run_columns(version: int) -> tuple[str, ...]:
    """The run columns a bundle of ``version`` holds."""
    return RUN_COLUMNS if version >= 3 else tuple(c for c in RUN_COLUMNS if c not in RUN_V3_FIELDS)


@dataclass
class Bundle:
    """One runner's contribution. ``runs`` is column-wise: a list per :data:`RUN_COLUMNS` name."""

    contributor_id: str
    revision: int
    profile: dict[str, str]
    runs: dict[str, list[Any]]
    remedies: list[dict[str, Any]] = field(default_factory=list)
    experiments: list[dict[str, Any]] = field(default_factory=list)
    #: The format version it was made in (a version 1 bundle read from a file stays version 1).
    version: int = VERSION

    @property
    def n_runs(self) -> int:
        return len(self.runs.get("week", []))

    def content(self) -> dict[str, Any]:
        """The JSON-ready content (what is hashed and written)."""
        return {
            "format": FORMAT,
            "version": self.version,
            "contributor_id": self.contributor_id,
            "revision": self.revision,
            "profile": {k: self.profile[k] for k in PROFILE_FIELDS},
            "runs": {k: list(self.runs[k]) for k in run_columns(self.version)},
            "remedies": self.remedies,
            "experiments": self.experiments,
        }

    def to_json(self) -> str:
        return json.dumps(self.content(), sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.content(), sort_keys=True, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bundle:
        """A bundle from its JSON content, after :func:`validate` (raises ValidationError)."""
        problems = validate(data)
        if problems:
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise ValidationError("not a valid pool bundle: " + "; ".join(problems[:5]) + more)
        version = int(data["version"])
        runs = {k: list(data["runs"][k]) for k in run_columns(version)}
        for name in RUN_V3_FIELDS:  # older bundles: every onset is exact, so its bounds are the onset
            runs.setdefault(name, list(runs["onset_m"]))
        return cls(
            contributor_id=data["contributor_id"],
            revision=int(data["revision"]),
            profile=dict(data["profile"]),
            runs=runs,
            remedies=[dict(r) for r in data["remedies"]],
            experiments=[dict(e) for e in data["experiments"]],
            version=version,
        )

    @classmethod
    def read(cls, path: str | Path) -> Bundle:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"{path}: cannot read a pool bundle ({exc})") from exc
        if not isinstance(data, dict):
            raise ValidationError(f"{path}: not a pool bundle")
        return cls.from_dict(data)


def _check_rows(section: str, rows: Any, problems: list[str], version: int = VERSION) -> None:
    fields = {f.name: f for f in SECTIONS[section]}
    if section == "experiments" and version == 1:
        fields = {k: f for k, f in fields.items() if k not in EXPERIMENT_V2_FIELDS}
    if not isinstance(rows, list):
        problems.append(f"{section}: not a list")
        return
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or set(row) != set(fields):
            problems.append(f"{section}[{i}]: fields must be exactly {sorted(fields)}")
            continue
        problems.extend(f"{section}[{i}].{p}" for f in fields.values() if (p := check_value(f, row[f.name])))


def validate(data: dict[str, Any]) -> list[str]:
    """Every reason ``data`` is not a bundle made only of allowed fields (empty when it is)."""
    top = {"format", "version", "contributor_id", "revision", "profile", "runs", "remedies", "experiments"}
    if set(data) != top:
        return [f"top-level fields must be exactly {sorted(top)}, not {sorted(data)}"]
    problems: list[str] = []
    version = data["version"]
    if data["format"] != FORMAT or isinstance(version, bool) or version not in VERSIONS:
        problems.append(f"format must be {FORMAT} version {' or '.join(map(str, VERSIONS))}")
        version = VERSION
    if not isinstance(data["contributor_id"], str) or not HEX32.match(data["contributor_id"]):
        problems.append("contributor_id must be 32 lowercase hex characters")
    rev = data["revision"]
    if isinstance(rev, bool) or not isinstance(rev, int) or not 1 <= rev < 2**31:
        problems.append("revision must be a positive whole number")
    profile = data["profile"]
    if not isinstance(profile, dict) or set(profile) != set(PROFILE_FIELDS):
        problems.append(f"profile fields must be exactly {list(PROFILE_FIELDS)}")
    else:
        problems.extend(f"profile.{p}" for f in PROFILE if (p := check_value(f, profile[f.name])))
    runs = data["runs"]
    columns = run_columns(version)
    if not isinstance(runs, dict) or set(runs) != set(columns):
        problems.append(f"runs columns must be exactly {list(columns)}")
    else:
        lengths = {len(v) if isinstance(v, list) else -1 for v in runs.values()}
        if len(lengths) != 1 or -1 in lengths:
            problems.append("runs columns must be lists of one length")
        else:
            for f in RUN:
                if f.name in columns:
                    bad = [p for v in runs[f.name] if (p := check_value(f, v))]
                    problems.extend(f"runs.{p}" for p in bad[:3])
            if version < 3:
                runs = {**runs, **{name: runs["onset_m"] for name in RUN_V3_FIELDS}}
            problems.extend(_run_consistency(runs))
    _check_rows("remedies", data["remedies"], problems)
    _check_rows("experiments", data["experiments"], problems, version)
    return problems


def _run_consistency(runs: dict[str, list[Any]]) -> list[str]:
    out = []
    for i, (pain, onset, low, high, dist) in enumerate(
        zip(
            runs["pain"],
            runs["onset_m"],
            runs["onset_low_m"],
            runs["onset_high_m"],
            runs["distance_m"],
            strict=True,
        )
    ):
        if pain and (low is None or high is None or not low <= high <= dist):
            out.append(f"runs[{i}]: a pain run needs onset bounds within its distance (low <= high)")
        elif pain and onset is not None and not (onset == low == high):
            out.append(f"runs[{i}]: an exact onset has onset_low_m = onset_high_m = onset_m")
        if not pain and (onset is not None or low is not None or high is not None):
            out.append(f"runs[{i}]: a pain-free run has no onset")
        if len(out) >= 3:
            break
    return out


def round_to(value: float | None, step: float, low: float, high: float) -> float | None:
    """``value`` clipped to ``[low, high]`` and snapped to the grid; ``None`` for missing or NaN."""
    if value is None or not math.isfinite(value):
        return None
    k = round(min(max(value, low), high) / step)
    return round(k * step, 6)


__all__ = ["FORMAT", "RUN_COLUMNS", "VERSION", "VERSIONS", "Bundle", "round_to", "run_columns", "validate"]
