"""What the runner still has to answer: lap-button drafts to confirm, and runs offered as "pain-free?".

Runners log painful runs more often than good ones. Left alone, the pain-free runs go missing and the
pain-free distance looks shorter than it is. With ``lap_is_pain`` on, the lap button is the pain
button: a run imported with a manual lap press gets a draft report (:mod:`backstride.log.pain`), and a
run **without** one most likely had no pain. :func:`pain_free_candidates` lists those runs so the
runner can confirm each with one tap (:func:`confirm_pain_free`, used by ``backstride pain confirm``,
the web and the quick log); :func:`unconfirmed_drafts` lists the drafts still waiting. Nothing is
recorded without the runner's answer: an unanswered run stays *unknown*.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from backstride.errors import ValidationError
from backstride.log.pain import confirm_pain, get_pain, record_pain
from backstride.store import log_schema as ls
from backstride.store.activities import resolve_run
from backstride.store.prefs import get_pref
from backstride.store.schema import activities, laps


def _pressed(conn: Connection, ids: Sequence[int]) -> set[int]:
    """The runs among ``ids`` with a manual lap press (the final lap never counts: stopping the watch
    closes it, see :func:`backstride.log.onset.first_manual_press`)."""
    pressed: set[int] = set()
    chunk = 500
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        rows = conn.execute(
            select(laps.c.activity_id, laps.c.idx, laps.c.trigger)
            .where(laps.c.activity_id.in_(part))
            .order_by(laps.c.activity_id, laps.c.idx)
        ).all()
        last: dict[int, int] = {}
        manual: dict[int, list[int]] = {}
        for r in rows:
            last[r.activity_id] = r.idx
            if r.trigger == "manual":
                manual.setdefault(r.activity_id, []).append(r.idx)
        pressed |= {a for a, idx in manual.items() if any(i < last[a] for i in idx)}
    return pressed


def offered_pain_free(conn: Connection, unreported: Iterable[int]) -> frozenset[int]:
    """Which of ``unreported`` (runs with no pain report) to offer as "pain-free?" when the lap button
    is the pain button: those without a manual lap press. The one rule behind
    :func:`pain_free_candidates`, the web's runs list and its dashboard."""
    ids = list(dict.fromkeys(int(run) for run in unreported))
    pressed = _pressed(conn, ids)
    return frozenset(run for run in ids if run not in pressed)


def pain_free_candidates(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """Runs to offer as "pain-free?": with ``lap_is_pain`` on, the runs with no pain report and no
    manual lap press, newest first (``activity_id``, ``start_utc``, ``distance_m``, ``name``). Empty
    when ``lap_is_pain`` is off (then a run without a press says nothing about pain)."""
    if get_pref(conn, user_id, "lap_is_pain") != "true":
        return []
    pr = ls.pain_reports
    rows = conn.execute(
        select(activities.c.id, activities.c.start_utc, activities.c.distance_m, activities.c.name)
        .select_from(activities.outerjoin(pr, pr.c.activity_id == activities.c.id))
        .where(activities.c.user_id == user_id, activities.c.sport == "running", pr.c.id.is_(None))
        .order_by(activities.c.start_utc.desc(), activities.c.id.desc())
    ).all()
    offered = offered_pain_free(conn, [int(r.id) for r in rows])
    return [
        {"activity_id": int(r.id), "start_utc": r.start_utc, "distance_m": r.distance_m, "name": r.name}
        for r in rows
        if int(r.id) in offered
    ]


def unconfirmed_drafts(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """Lap-button drafts not yet confirmed, newest first (``activity_id``, ``start_utc``,
    ``distance_m``, ``onset_m``). They stay out of the headline pain-free distance until confirmed."""
    pr = ls.pain_reports
    rows = conn.execute(
        select(activities.c.id, activities.c.start_utc, activities.c.distance_m, pr.c.onset_m)
        .join(pr, pr.c.activity_id == activities.c.id)
        .where(pr.c.user_id == user_id, pr.c.confirmed.is_(False))
        .order_by(activities.c.start_utc.desc(), activities.c.id.desc())
    ).all()
    return [
        {"activity_id": int(r.id), "start_utc": r.start_utc, "distance_m": r.distance_m, "onset_m": r.onset_m}
        for r in rows
    ]


def confirm_pain_free(
    conn: Connection, user_id: int, run: str | int, source: str = "manual"
) -> dict[str, Any]:
    """The runner's one tap: record an offered run as pain-free (in the caller's transaction).

    Refused, with the reason, for a run that already has a report or that has a lap press (its onset
    is a draft to confirm or correct, not a pain-free run)."""
    row = resolve_run(conn, user_id, run)
    activity_id = int(row["id"])
    if get_pain(conn, user_id, activity_id) is not None:
        raise ValidationError(
            f"run {activity_id} already has a pain report: change it with 'backstride pain'"
        )
    if get_pref(conn, user_id, "lap_is_pain") == "true" and _pressed(conn, [activity_id]):
        raise ValidationError(
            f"run {activity_id} has a lap press, which marks a pain onset when the lap button is the pain "
            "button: record its pain (--from-lap) or --none"
        )
    return record_pain(conn, user_id, activity_id, status="none", source=_source(source))


def confirm_run(conn: Connection, user_id: int, run: str | int, source: str = "manual") -> dict[str, Any]:
    """One tap on a pending run: an unconfirmed draft is confirmed as it stands; an offered run is
    recorded as pain-free (:func:`confirm_pain_free`). Returns the report."""
    row = resolve_run(conn, user_id, run)
    report = get_pain(conn, user_id, int(row["id"]))
    if report is not None and not report["confirmed"]:
        return confirm_pain(conn, user_id, int(row["id"]))
    return confirm_pain_free(conn, user_id, int(row["id"]), source)


def confirm_all_pain_free(conn: Connection, user_id: int, runs: Iterable[int] | None = None) -> list[int]:
    """Record every offered run (or those of ``runs`` that are offered) as pain-free; their ids."""
    offered = [c["activity_id"] for c in pain_free_candidates(conn, user_id)]
    wanted = offered if runs is None else [r for r in offered if r in set(runs)]
    for activity_id in wanted:
        record_pain(conn, user_id, activity_id, status="none")
    return wanted


def _source(source: str) -> Any:
    if source not in ("manual", "web", "csv"):
        raise ValidationError(f"source must be manual, web or csv, not {source!r}")
    return source


__all__ = [
    "confirm_all_pain_free",
    "confirm_pain_free",
    "confirm_run",
    "offered_pain_free",
    "pain_free_candidates",
    "unconfirmed_drafts",
]
