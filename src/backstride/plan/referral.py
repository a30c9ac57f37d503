"""A referral finding: a severe or persistent exertional pump deserves a sports physician's opinion.

DOMAIN.md section 2: a pump that starts at a repeatable distance and eases with rest fits lumbar
extensor fatigue far better than chronic exertional compartment syndrome of the paraspinal muscles,
which is "extremely uncommon" (Styf & Lysell 1987: raised pressure in 1 of 12 selected patients with
exercise-only back pain; a weightlifter's case: Xu 2009). It is mentioned only as "if severe or
persistent, see a sports physician". This module says that, always, and says it plainly when the
runner's own confirmed pain reports show it:

- **severe**: in the last :data:`WINDOW_DAYS` days, at least :data:`MIN_SEVERE` runs on which the pain
  made the runner stop and then lasted at least :data:`LASTED_S` seconds after stopping, or peaked at
  :data:`SEVERE_PEAK` /10 or more;
- **getting worse over months**: with painful runs in both of the last two :data:`WINDOW_DAYS`-day
  windows (at least :data:`MIN_PER_WINDOW` each), the median onset distance fell by 30% or more
  (IMMPACT's moderate change), or the median peak pain rose by 2 points or more (Farrar 2001).

It is not a diagnosis and not an emergency: severe pain with rock-hard back muscles, or dark urine
after a session, is the red-flag screen's emergency instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

WINDOW_DAYS = 90
MIN_SEVERE = 2
LASTED_S = 30 * 60
SEVERE_PEAK = 7
MIN_PER_WINDOW = 3
ONSET_DROP = 0.30
SEVERITY_RISE = 2
SOURCES = ("styf1987", "xu2009", "farrar2001", "immpact")

STANDING = (
    "If the pump ever forces you to stop and lasts, or keeps getting worse over months, see a sports "
    "physician: a pump like that deserves a clinical opinion (rarely, it is a chronic exertional "
    "compartment syndrome of the back muscles)."
)
ADVICE = (
    "See a sports physician (or a sports medicine clinic) about the pump, and take this record with you. "
    "Most exertional back pumps are extensor fatigue, but one that stops you and lasts, or gets worse "
    "over months, deserves an opinion: rarely it is a chronic exertional compartment syndrome of the "
    "back muscles, described in a few case reports. This is not a diagnosis and not an emergency; severe "
    "pain with rock-hard back muscles, or dark urine after a session, is an emergency instead (see the "
    "red-flag screen)."
)


@dataclass(frozen=True)
class PainEpisode:
    """One confirmed painful run, as the referral reads it (metres, seconds, 0-10)."""

    day: date
    onset_m: float | None
    severity: int | None
    lasted_after_s: float | None
    stopped: bool

    @property
    def severe(self) -> bool:
        lasted = self.lasted_after_s is not None and self.lasted_after_s >= LASTED_S
        peak = self.severity is not None and self.severity >= SEVERE_PEAK
        return self.stopped and (lasted or peak)


@dataclass(frozen=True)
class Referral:
    """The finding: ``refer`` when the runner's reports show it, with the reasons; ``text`` is what to
    do (the standing advice when not referred)."""

    refer: bool
    reasons: list[str]
    text: str
    sources: list[dict[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return "See a sports physician about the pump" if self.refer else "When to see a sports physician"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "exertional_pump_referral",
            "refer": self.refer,
            "title": self.title,
            "reasons": list(self.reasons),
            "text": self.text,
            "sources": list(self.sources),
        }


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def assess(episodes: Sequence[PainEpisode], today: date, fmt_distance: Any = None) -> Referral:
    """The referral finding from painful runs (any order); ``fmt_distance`` formats metres for the
    reasons (the runner's unit), metres when not given."""
    from backstride.plan.knowledge import knowledge_base

    show = fmt_distance or (lambda m: f"{m:,.0f} m")
    recent = [e for e in episodes if 0 <= (today - e.day).days < WINDOW_DAYS]
    earlier = [e for e in episodes if WINDOW_DAYS <= (today - e.day).days < 2 * WINDOW_DAYS]
    reasons: list[str] = []
    severe = [e for e in recent if e.severe]
    if len(severe) >= MIN_SEVERE:
        reasons.append(
            f"on {len(severe)} runs in the last {WINDOW_DAYS} days the pain made you stop and then lasted "
            f"{LASTED_S // 60} minutes or more, or peaked at {SEVERE_PEAK}/10 or more "
            f"(last on {max(e.day for e in severe).isoformat()})"
        )
    if len(recent) >= MIN_PER_WINDOW and len(earlier) >= MIN_PER_WINDOW:
        now_onset = _median([e.onset_m for e in recent if e.onset_m is not None])
        then_onset = _median([e.onset_m for e in earlier if e.onset_m is not None])
        if now_onset is not None and then_onset and now_onset <= (1 - ONSET_DROP) * then_onset:
            reasons.append(
                f"the pump now starts sooner: median onset {show(now_onset)} in the last {WINDOW_DAYS} "
                f"days against {show(then_onset)} in the {WINDOW_DAYS} days before"
            )
        now_peak = _median([float(e.severity) for e in recent if e.severity is not None])
        then_peak = _median([float(e.severity) for e in earlier if e.severity is not None])
        if now_peak is not None and then_peak is not None and now_peak - then_peak >= SEVERITY_RISE:
            reasons.append(
                f"the pain is getting worse: median peak {now_peak:g}/10 in the last {WINDOW_DAYS} days "
                f"against {then_peak:g}/10 in the {WINDOW_DAYS} days before"
            )
    refer = bool(reasons)
    return Referral(refer, reasons, ADVICE if refer else STANDING, knowledge_base().cite(list(SOURCES)))


def load_episodes(conn: Connection, user_id: int, today: date) -> list[PainEpisode]:
    """Confirmed painful runs of the last two windows (one query for reports, one for stops)."""
    from backstride.store import log_schema as ls
    from backstride.store.schema import activities

    since = datetime.combine(today - timedelta(days=2 * WINDOW_DAYS), datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    pr = ls.pain_reports
    rows = conn.execute(
        select(
            pr.c.id,
            activities.c.start_utc,
            pr.c.onset_m,
            pr.c.onset_low_m,
            pr.c.severity,
            pr.c.lasted_after_s,
        )
        .select_from(pr.join(activities, pr.c.activity_id == activities.c.id))
        .where(
            pr.c.user_id == user_id,
            pr.c.status == "pain",
            pr.c.confirmed.is_(True),
            activities.c.start_utc >= since,
            activities.c.start_utc < until,
        )
    ).all()
    ids = [int(r.id) for r in rows]
    stopped: set[int] = set()
    if ids:
        found = conn.execute(
            select(ls.pain_stages.c.report_id).where(
                ls.pain_stages.c.report_id.in_(ids), ls.pain_stages.c.stage == "stopped"
            )
        )
        stopped = {int(i) for (i,) in found}
    out = []
    for r in rows:
        start = r.start_utc if r.start_utc.tzinfo else r.start_utc.replace(tzinfo=UTC)
        onset = r.onset_m if r.onset_m is not None else r.onset_low_m
        out.append(
            PainEpisode(
                start.astimezone(UTC).date(),
                None if onset is None else float(onset),
                None if r.severity is None else int(r.severity),
                None if r.lasted_after_s is None else float(r.lasted_after_s),
                int(r.id) in stopped,
            )
        )
    return out


def referral_for_user(
    conn: Connection, user_id: int, today: date | None = None, unit: str = "km"
) -> Referral:
    """The referral finding from the runner's stored pain reports."""
    from backstride.units import format_distance

    day = today or datetime.now(UTC).date()
    return assess(load_episodes(conn, user_id, day), day, lambda m: format_distance(m, unit))
