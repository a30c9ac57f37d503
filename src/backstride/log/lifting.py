"""Lifting sessions: exercises, sets, reps, load (kg) and RPE, with effort tags; per-day derived load.

Sessions keep the local wall-clock start that the runner or the lifting app gave (Strong and Hevy
export no time zone). ``effort`` tags a day's method: ``max-effort``, ``dynamic-effort`` or
``repetition``. Sets are ``normal``, ``warmup``, ``drop`` or ``failure``.

:func:`daily_lifting` gives, per day: the back-loading tonnage (kg x reps of working sets of exercises
whose back loading is ``high`` in the catalogue), the total tonnage, the number of lower-body working
sets, a max-effort lower flag, and the number of sessions. Warm-up sets count in none of these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, func, insert, select, update

from backstride.errors import NotFoundError, ValidationError
from backstride.log.aliases import user_aliases
from backstride.log.catalogue import LOWER_REGIONS, classify, normalise
from backstride.log.validate import build, not_future_time
from backstride.store import log_schema as ls
from backstride.units import KG_PER_LB

SetType = Literal["normal", "warmup", "drop", "failure"]
Effort = Literal["max-effort", "dynamic-effort", "repetition"]
LiftSource = Literal["manual", "strong", "hevy"]
EFFORTS: tuple[str, ...] = ("max-effort", "dynamic-effort", "repetition")
#: A working lower-body set this heavy counts as max effort even when the day is not tagged.
MAX_EFFORT_REPS = 3
MAX_EFFORT_RPE = 9.0
#: ... and so does one at this share of the runner's own estimated one-rep max for that lift.
MAX_EFFORT_SHARE = 0.90
#: Estimated one-rep maxes come from sets of at most this many reps (Epley's formula drifts beyond).
E1RM_MAX_REPS = 10
#: A workout title that names a max-effort day ("Max Effort Lower", "ME Lower", "max-effort legs").
_ME_TITLE = re.compile(r"(?i:\bmax[\s_-]*effort\b)|\bME\b")
_LOWER_TITLE = re.compile(r"(?i)\b(?:lower|legs?|squats?|deadlifts?|posterior)\b")
_SUBMAX_TITLE = re.compile(r"(?i:\bdynamic[\s_-]*effort\b|\bspeed\b|\brepetition\b)|\bDE\b")
_UPPER_TITLE = re.compile(r"(?i)\b(?:upper|bench|press|arms?|chest)\b")


class SetIn(BaseModel):
    """One set. Load in kilograms (added load for body-weight exercises); distance in metres."""

    exercise: str = Field(min_length=1, max_length=200)
    set_type: SetType = "normal"
    weight_kg: float | None = Field(default=None, ge=0, le=1000)
    reps: int | None = Field(default=None, ge=0, le=1000)
    rpe: float | None = Field(default=None, ge=0, le=10)
    distance_m: float | None = Field(default=None, ge=0)
    duration_s: float | None = Field(default=None, ge=0)
    notes: str | None = None


class SessionIn(BaseModel):
    """One session; ``started_at`` is a naive local time, not in the future."""

    started_at: datetime
    sets: list[SetIn] = Field(min_length=1)
    duration_s: float | None = Field(default=None, ge=0)
    name: str | None = None
    notes: str | None = None
    effort: Effort | None = None
    source: LiftSource = "manual"
    import_key: str | None = None

    @field_validator("started_at")
    @classmethod
    def _not_future(cls, value: datetime) -> datetime:
        return not_future_time(value.replace(tzinfo=None))


_SET_RE = re.compile(
    r"^(?:(?P<sets>\d+)\s*[x×]\s*)?(?P<reps>\d+)"
    r"(?:\s*@\s*(?P<load>-?\d+(?:[.,]\d+)?)\s*(?P<unit>kg|kgs|lb|lbs)?)?"
    r"(?:\s*rpe\s*(?P<rpe>-?\d+(?:\.\d+)?))?"
    r"(?:\s*(?P<kind>warm-?up|drop|failure))?$",
    re.IGNORECASE,
)
SET_EXAMPLE = "Deadlift (Barbell): 3x5@140kg rpe 8"


def parse_sets(text: str, unit: str = "kg") -> list[SetIn]:
    """``NAME: [N x] REPS [@ LOAD[kg|lb]] [rpe R] [warmup|drop|failure]`` -> N identical sets."""
    name, sep, spec = text.rpartition(":")
    match = _SET_RE.match(spec.strip())
    if not sep or not name.strip() or not match:
        raise ValidationError(f"not a set: {text!r} (try {SET_EXAMPLE!r})")
    weight = None
    if match["load"] is not None:
        weight = float(match["load"].replace(",", "."))
        if (match["unit"] or unit).lower().startswith("lb"):
            weight *= KG_PER_LB
    kind = (match["kind"] or "normal").lower().replace("-", "")
    one = build(
        SetIn,
        exercise=name.strip(),
        set_type=kind,
        weight_kg=weight,
        reps=int(match["reps"]),
        rpe=float(match["rpe"]) if match["rpe"] else None,
    )
    return [one.model_copy() for _ in range(int(match["sets"] or 1))]


def save_session(conn: Connection, user_id: int, session: SessionIn) -> int | None:
    """Store a validated session in the caller's transaction; ``None`` if its import key is known."""
    if session.import_key is not None:
        seen = conn.execute(
            select(ls.lift_sessions.c.id).where(
                ls.lift_sessions.c.user_id == user_id, ls.lift_sessions.c.import_key == session.import_key
            )
        ).first()
        if seen is not None:
            return None
    session_id = int(
        conn.execute(
            insert(ls.lift_sessions).values(
                user_id=user_id,
                started_at=session.started_at.replace(tzinfo=None),
                duration_s=session.duration_s,
                name=session.name,
                notes=session.notes,
                effort=session.effort,
                source=session.source,
                import_key=session.import_key,
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    conn.execute(
        insert(ls.lift_sets),
        [{"session_id": session_id, "idx": i, **s.model_dump()} for i, s in enumerate(session.sets)],
    )
    return session_id


def add_session(
    conn: Connection,
    user_id: int,
    *,
    started_at: datetime,
    sets: Sequence[str | SetIn],
    effort: str | None = None,
    name: str | None = None,
    notes: str | None = None,
    duration_s: float | None = None,
    unit: str = "kg",
) -> int:
    """Record a session by hand; ``sets`` are :class:`SetIn` or strings for :func:`parse_sets`."""
    parsed: list[SetIn] = []
    for item in sets:
        parsed.extend(parse_sets(item, unit) if isinstance(item, str) else [item])
    session = build(
        SessionIn,
        started_at=started_at,
        sets=parsed,
        effort=effort,
        name=name,
        notes=notes,
        duration_s=duration_s,
    )
    session_id = save_session(conn, user_id, session)
    assert session_id is not None
    return session_id


def tag_session(conn: Connection, user_id: int, session_id: int, effort: str | None) -> None:
    """Set (or clear, with ``None``) a session's effort tag."""
    if effort is not None and effort not in EFFORTS:
        raise ValidationError(f"effort must be one of {', '.join(EFFORTS)}, not {effort!r}")
    result = conn.execute(
        update(ls.lift_sessions)
        .where(ls.lift_sessions.c.user_id == user_id, ls.lift_sessions.c.id == session_id)
        .values(effort=effort)
    )
    if not result.rowcount:
        raise NotFoundError(f"no lifting session with id {session_id}")


def list_sessions(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """Sessions, oldest first, with their number of sets and exercises."""
    s, t = ls.lift_sessions, ls.lift_sets
    rows = conn.execute(
        select(
            s.c.id,
            s.c.started_at,
            s.c.name,
            s.c.effort,
            s.c.source,
            s.c.duration_s,
            func.count(t.c.id).label("sets"),
            func.count(func.distinct(t.c.exercise)).label("exercises"),
        )
        .join(t, t.c.session_id == s.c.id)
        .where(s.c.user_id == user_id)
        .group_by(s.c.id)
        .order_by(s.c.started_at, s.c.id)
    )
    return [dict(r._mapping) for r in rows]


def session_sets(conn: Connection, user_id: int) -> pd.DataFrame:
    """Every set of the user: session columns, set columns, and the exercise's catalogue class."""
    s, t = ls.lift_sessions, ls.lift_sets
    rows = conn.execute(
        select(
            s.c.id.label("session_id"),
            s.c.started_at,
            s.c.effort,
            s.c.name.label("session_name"),
            t.c.idx,
            t.c.exercise,
            t.c.set_type,
            t.c.weight_kg,
            t.c.reps,
            t.c.rpe,
        )
        .join(t, t.c.session_id == s.c.id)
        .where(s.c.user_id == user_id)
        .order_by(s.c.started_at, s.c.id, t.c.idx)
    ).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=[c for c in _SET_COLUMNS])
    aliases = user_aliases(conn, user_id)
    classes = {name: classify(name, aliases) for name in frame["exercise"].unique()}
    frame["back_loading"] = [getattr(classes[n], "back_loading", "unknown") for n in frame["exercise"]]
    frame["region"] = [getattr(classes[n], "region", "unknown") for n in frame["exercise"]]
    return frame


_SET_COLUMNS = (
    "session_id",
    "started_at",
    "effort",
    "session_name",
    "idx",
    "exercise",
    "set_type",
    "weight_kg",
    "reps",
    "rpe",
)
DAILY_COLUMNS = ("date", "back_tonnage_kg", "lower_sets", "max_effort_lower", "total_tonnage_kg", "sessions")


def estimated_one_rep_max(weight_kg: pd.Series, reps: pd.Series) -> pd.Series:
    """Epley's estimate of the one-rep max (kg): the load itself for a single, ``w (1 + reps / 30)``
    for 2 to :data:`E1RM_MAX_REPS` reps, NaN otherwise."""
    w = weight_kg.astype("float64")
    r = reps.astype("float64")
    est = w.where(r == 1, w * (1 + r / 30.0))
    return est.where((r >= 1) & (r <= E1RM_MAX_REPS) & (w > 0))


def max_effort_sets(sets: pd.DataFrame) -> pd.Series:
    """Per set of :func:`session_sets`: does it make its session a max-effort lower-body session?

    Lifters mark such days in different ways, and most log no RPE, so any of these counts:

    * the session is tagged ``max-effort`` (``backstride lift tag``) and the set is lower-body work;
    * the workout's title names a max-effort lower day ("Max Effort Lower", "ME Lower", "ME legs");
      a title that names max effort but neither lower nor upper work counts for its lower-body sets;
    * a working lower-body set of at most :data:`MAX_EFFORT_REPS` reps at RPE :data:`MAX_EFFORT_RPE`
      or more;
    * a working lower-body set at :data:`MAX_EFFORT_SHARE` (90%) or more of the runner's own estimated
      one-rep max for that lift: the best :func:`estimated_one_rep_max` of the lift in this and all
      earlier sessions, once the lift has been logged in at least one earlier session. Sessions the
      runner tagged or titled as dynamic-effort, speed or repetition work, and "speed" exercises, are
      left out of this rule (a lift done only as speed work would otherwise look like a max each time).
    """
    if sets.empty:
        return pd.Series(dtype=bool)
    working = sets["set_type"] != "warmup"
    lower = working & sets["region"].isin(LOWER_REGIONS)
    reps = sets["reps"].astype("float64")
    weight = sets["weight_kg"].astype("float64")
    by_rpe = lower & (reps <= MAX_EFFORT_REPS) & (sets["rpe"].astype("float64") >= MAX_EFFORT_RPE)
    names = sets["session_name"] if "session_name" in sets else pd.Series(None, index=sets.index)
    title = names.fillna("").astype(str)
    me_title = title.str.contains(_ME_TITLE)
    lower_title = me_title & title.str.contains(_LOWER_TITLE)
    plain_title = me_title & ~lower_title & ~title.str.contains(_UPPER_TITLE)
    by_title = lower_title | (plain_title & lower)
    by_tag = lower & (sets["effort"] == "max-effort")
    lift = sets["exercise"].astype(str).map(normalise)
    e1rm = estimated_one_rep_max(weight, reps).where(lower)
    frame = pd.DataFrame(
        {"lift": lift, "session": sets["session_id"], "at": pd.to_datetime(sets["started_at"]), "e": e1rm}
    )
    per_session = (
        frame.dropna(subset=["e"])
        .groupby(["lift", "session"], sort=False)
        .agg(at=("at", "first"), e=("e", "max"))
        .reset_index()
        .sort_values(["lift", "at", "session"], kind="stable")
    )
    per_session["best"] = per_session.groupby("lift")["e"].cummax()
    per_session["earlier"] = per_session.groupby("lift").cumcount()
    ref = per_session.set_index(["lift", "session"])
    keys = pd.MultiIndex.from_arrays([lift, sets["session_id"]])
    best = ref["best"].reindex(keys).to_numpy(float)
    earlier = ref["earlier"].reindex(keys).to_numpy(float)
    submax = (
        title.str.contains(_SUBMAX_TITLE)
        | sets["effort"].isin(["dynamic-effort", "repetition"])
        | sets["exercise"].astype(str).str.contains("speed", case=False)
    )
    heavy = weight.to_numpy(float) >= MAX_EFFORT_SHARE * best - 1e-9
    by_share = lower & ~submax & (earlier >= 1) & heavy
    return (by_tag | by_title | by_rpe | by_share).astype(bool)


def daily_lifting(conn: Connection, user_id: int) -> pd.DataFrame:
    """Per local day with lifting (:data:`DAILY_COLUMNS`); days without lifting are absent.

    ``max_effort_lower`` follows :func:`max_effort_sets` (tag, title, RPE, or 90% of the lift's
    estimated one-rep max).
    """
    sets = session_sets(conn, user_id)
    if sets.empty:
        return pd.DataFrame({c: pd.Series(dtype=_DAILY_DTYPES[c]) for c in DAILY_COLUMNS})
    sets["date"] = pd.to_datetime(sets["started_at"]).dt.date
    working = sets["set_type"] != "warmup"
    tonnage = sets["weight_kg"].astype("float64").fillna(0.0) * sets["reps"].astype("float64").fillna(0.0)
    lower = working & sets["region"].isin(LOWER_REGIONS)
    sets = sets.assign(
        back=tonnage.where(working & (sets["back_loading"] == "high"), 0.0),
        total=tonnage.where(working, 0.0),
        lower=lower.astype(int),
        me=max_effort_sets(sets),
    )
    daily = sets.groupby("date", sort=True).agg(
        back_tonnage_kg=("back", "sum"),
        lower_sets=("lower", "sum"),
        max_effort_lower=("me", "any"),
        total_tonnage_kg=("total", "sum"),
        sessions=("session_id", "nunique"),
    )
    daily = daily.reset_index()
    return daily.astype(_DAILY_DTYPES)[list(DAILY_COLUMNS)]


_DAILY_DTYPES = {
    "date": "object",
    "back_tonnage_kg": "float64",
    "lower_sets": "int64",
    "max_effort_lower": "bool",
    "total_tonnage_kg": "float64",
    "sessions": "int64",
}


def unknown_exercises(names: Sequence[str], aliases: Mapping[str, str] | None = None) -> list[str]:
    """The names that neither the catalogue nor the runner's ``aliases`` know (they count in no
    back-loading figure)."""
    return sorted({n for n in names if classify(n, aliases) is None})
