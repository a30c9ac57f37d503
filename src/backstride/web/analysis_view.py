"""What the analysis page and ``GET /api/analysis`` show (:func:`analysis_view`): the findings of
:func:`backstride.analysis.findings.analyze_user` and the dashboard's pain-free overview
(:mod:`backstride.analysis.overview`)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from backstride.lru import LRU
from backstride.units import default_target_m

logger = logging.getLogger(__name__)


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass
class AnalysisView:
    """What the analysis page and ``GET /api/analysis`` show: the findings of
    :func:`backstride.analysis.findings.analyze_user` (``None`` with a ``reason`` when they could not
    be computed) and the dashboard's pain-free overview
    (:func:`backstride.analysis.overview.pain_free_overview`)."""

    findings: Any | None
    overview: dict[str, Any]
    reason: str | None = None

    @property
    def status(self) -> str:
        if self.findings is None:
            return "not available"
        return "ok" if self.findings.enough_data else "not enough data"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "findings": None if self.findings is None else self.findings.to_dict(),
            "overview": self.overview,
        }


def analysis_view(
    engine: Engine, user_id: int, overviews: LRU[dict[str, Any]], unit: str, target_m: float | None = None
) -> AnalysisView:
    """Findings are computed afresh on each call (they read every log table); the overview is cached."""
    from backstride.analysis.findings import analyze_user
    from backstride.analysis.overview import cached_overview
    from backstride.errors import BackstrideError

    with engine.connect() as conn:
        overview = cached_overview(conn, user_id, overviews)
    target = default_target_m(unit) if target_m is None else target_m
    try:
        return AnalysisView(analyze_user(engine, user_id, target), overview)
    except BackstrideError as exc:
        logger.info("no findings for runner %s: %s", user_id, exc, exc_info=exc)
        return AnalysisView(None, overview, str(exc))
