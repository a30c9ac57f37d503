"""Storing one decoded activity, and the record of what became of every file of an import.

:func:`store_one` is the one path into the store for an activity read from a file, an Apple Health
export or Strava: the sport filter, the plausibility check, de-duplication and merging
(:func:`backstride.store.activities.save_activity`) and the lap-button hook, in one transaction per
activity. :class:`ImportSummary` collects one :class:`Outcome` per file (or session).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Connection, Engine

from backstride.errors import BackstrideError
from backstride.importers.model import Activity
from backstride.importers.plausible import not_a_run
from backstride.store.activities import save_activity

logger = logging.getLogger(__name__)


def log_failure(
    name: str, reason: str, cause: BaseException | str | None, *, unexpected: bool = False
) -> None:
    """Record a file (or run) that failed, whose outcome line tells the user: the error with its causes
    and traceback (``cause``: the exception, or its text from a worker process), at ``INFO``, or at
    ``WARNING`` when ``unexpected`` (a decoder or store bug rather than a bad file)."""
    level = logging.WARNING if unexpected else logging.INFO
    if isinstance(cause, BaseException):
        logger.log(level, "%s: %s", name, reason, exc_info=cause)
    elif cause:
        logger.log(level, "%s: %s\n%s", name, reason, cause)
    else:
        logger.log(level, "%s: %s", name, reason)


Status = Literal["imported", "merged", "duplicate", "skipped", "failed"]
#: ``on_saved(conn, activity_id, activity)``: runs in the activity's own transaction (inside a
#: savepoint) after it was saved; returns a note on what it added, or ``None``.
SavedHook = Callable[[Connection, int, Activity], "str | None"]


@dataclass
class Outcome:
    """What became of one file (or one session of a multisport file)."""

    name: str
    status: Status
    reason: str = ""
    activity_id: int | None = None
    sport: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    #: What was imported besides activities (body weights from an Apple Health export ...), one line each.
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(o.status for o in self.outcomes)
        return {
            status: counts.get(status, 0)
            for status in ("imported", "merged", "duplicate", "skipped", "failed")
        }

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "files": [
                {
                    "name": o.name,
                    "status": o.status,
                    "reason": o.reason or None,
                    "activity_id": o.activity_id,
                    "sport": o.sport,
                    "warnings": o.warnings,
                }
                for o in self.outcomes
            ],
            "notes": list(self.notes),
        }


def store_one(
    engine: Engine,
    label: str,
    activity: Activity,
    user_id: int,
    sports: Sequence[str] | None,
    on_saved: SavedHook | None,
) -> Outcome:
    if sports is not None and activity.sport not in sports:
        return Outcome(
            label,
            "skipped",
            f"{activity.sport}, not a run (use --sport {activity.sport} or --sport all to import it)",
            sport=activity.sport,
        )
    if activity.samples == 0 and not activity.distance_m:
        return Outcome(label, "failed", "holds no samples and no distance", sport=activity.sport)
    why_not = not_a_run(activity)
    if why_not is not None:
        return Outcome(label, "skipped", why_not, sport=activity.sport)
    warnings = list(activity.warnings)
    notes: list[str] = []
    try:
        with engine.begin() as conn:
            saved = save_activity(conn, activity, user_id)
            notes.extend(saved.restored)
            if on_saved is not None:
                note = _run_hook(conn, on_saved, saved.activity_id, activity, warnings)
                if note:
                    notes.append(note)
    except Exception as exc:  # a store error fails this run only: told on its line, logged
        reason = f"could not be stored ({type(exc).__name__}: {exc})"
        log_failure(label, reason, exc, unexpected=True)
        return Outcome(label, "failed", reason, sport=activity.sport)
    reason = ""
    if saved.status == "duplicate":
        reason = "already imported" + (f"; added what it lacked: {', '.join(notes)}" if notes else "")
    elif notes:
        reason = "; ".join(notes)
    return Outcome(label, saved.status, reason, saved.activity_id, activity.sport, warnings)


def _run_hook(
    conn: Connection, hook: SavedHook, activity_id: int, activity: Activity, warnings: list[str]
) -> str | None:
    """The hook in a savepoint: its failure rolls back what it wrote, never the run, and is a warning."""
    savepoint = conn.begin_nested()
    try:
        note = hook(conn, activity_id, activity)
    except BackstrideError as exc:
        savepoint.rollback()
        warnings.append(f"no lap-button pain draft: {exc}")
        log_failure(f"run {activity_id}", warnings[-1], exc)
        return None
    except Exception as exc:  # a bug in the hook must not lose the run: told as a warning, logged
        savepoint.rollback()
        warnings.append(f"no lap-button pain draft ({type(exc).__name__}: {exc})")
        log_failure(f"run {activity_id}", warnings[-1], exc, unexpected=True)
        return None
    savepoint.commit()
    return note
