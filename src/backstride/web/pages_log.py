"""The log pages: lifting, routines, body weight, shoes and the weekly check-in (PEG + red flags)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from backstride.errors import ValidationError
from backstride.log.body import body_weights, record_weight
from backstride.log.checkin import PEG_ITEMS, record_checkin, red_flag_questions
from backstride.log.lifting import EFFORTS, SET_EXAMPLE, add_session, list_sessions
from backstride.log.routines import list_routines, log_routine
from backstride.log.shoes import add_shoe, list_shoes, retire_shoe
from backstride.web.csrf import check_csrf
from backstride.web.request_models import no_nul_text, optional_day
from backstride.web.state import State
from backstride.web.templating import render
from backstride.web.viewer import Who, Writer

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

Short = Annotated[str | None, Form(max_length=200)]
Long = Annotated[str | None, Form(max_length=5000)]


def _text(value: str | None) -> str | None:
    return no_nul_text(value).strip() or None if value else None


def _local_time(value: str | None) -> datetime | None:
    """``2025-03-01T07:30`` (an HTML datetime-local field) as a naive local time."""
    if not value or not value.strip():
        return None
    try:
        return datetime.fromisoformat(no_nul_text(value).strip()).replace(tzinfo=None)
    except ValueError as exc:
        raise ValidationError(f"not a date and time: {value!r}") from exc


def _saved(what: str) -> Response:
    return RedirectResponse(f"/log?saved={what}#{what}", status_code=303)


@router.get("/log")
def log_page(request: Request, who: Who, state: State, saved: str | None = None) -> Response:
    with state.engine.connect() as conn:
        sessions = list_sessions(conn, who.user_id)[-5:][::-1]
        routines = list_routines(conn, who.user_id)
        weights = body_weights(conn, who.user_id).tail(5).iloc[::-1].to_dict("records")
        shoes = list_shoes(conn, who.user_id)
    return render(
        request,
        who,
        "log.html",
        {
            "saved": saved if saved in ("lift", "routine", "body", "shoe", "checkin") else None,
            "sessions": sessions,
            "routines": routines,
            "weights": weights,
            "shoes": shoes,
            "efforts": EFFORTS,
            "set_example": SET_EXAMPLE,
            "peg_items": PEG_ITEMS,
            "questions": red_flag_questions(),
            "today": date.today().isoformat(),
        },
    )


@router.post("/log/lift")
def save_lift(
    who: Writer,
    state: State,
    sets: Annotated[str, Form(max_length=20_000)],
    started_at: Short = None,
    effort: Short = None,
    name: Short = None,
    notes: Long = None,
    unit: Annotated[str, Form(max_length=3)] = "kg",
) -> Response:
    """One session by hand: one set line per line, e.g. ``Deadlift (Barbell): 3x5@140kg rpe 8``."""
    lines = [line.strip() for line in no_nul_text(sets).splitlines() if line.strip()]
    if not lines:
        raise ValidationError(f"give at least one set, e.g. {SET_EXAMPLE!r}")
    if unit not in ("kg", "lb"):
        raise ValidationError("unit must be kg or lb")
    with state.engine.begin() as conn:
        add_session(
            conn,
            who.user_id,
            started_at=_local_time(started_at) or datetime.now(),
            sets=lines,
            effort=_text(effort),
            name=_text(name),
            notes=_text(notes),
            unit=unit,
        )
    return _saved("lift")


@router.post("/log/routine")
def save_routine(
    who: Writer,
    state: State,
    routine: Annotated[str, Form(max_length=200)],
    done_at: Short = None,
    before_run: Annotated[str | None, Form(max_length=5)] = None,
    minutes: Annotated[float | None, Form(ge=0, le=24 * 60)] = None,
    notes: Long = None,
) -> Response:
    with state.engine.begin() as conn:
        log_routine(
            conn,
            who.user_id,
            no_nul_text(routine),
            done_at=_local_time(done_at),
            before_run=True if before_run == "yes" else (False if before_run == "no" else None),
            duration_s=None if minutes is None else minutes * 60.0,
            notes=_text(notes),
        )
    return _saved("routine")


@router.post("/log/body")
def save_body(
    who: Writer,
    state: State,
    weight: Annotated[str, Form(max_length=20)],
    day: Short = None,
) -> Response:
    """Body weight: ``82.5kg``, ``180lb`` or a number in kilograms."""
    with state.engine.begin() as conn:
        record_weight(conn, who.user_id, no_nul_text(weight), optional_day(day, "day"))
    return _saved("body")


@router.post("/log/shoe")
def save_shoe(
    who: Writer,
    state: State,
    name: Annotated[str, Form(max_length=200)],
    brand: Short = None,
    model: Short = None,
    started_on: Short = None,
    retire: Annotated[str | None, Form(max_length=5)] = None,
) -> Response:
    with state.engine.begin() as conn:
        if retire == "yes":
            retire_shoe(conn, who.user_id, no_nul_text(name))
        else:
            add_shoe(
                conn,
                who.user_id,
                no_nul_text(name),
                brand=_text(brand),
                model=_text(model),
                started_on=optional_day(started_on, "first worn"),
            )
    return _saved("shoe")


@router.post("/log/checkin")
async def save_checkin(request: Request, who: Writer, state: State) -> Response:
    """PEG (three 0-10 answers) and, when the screen is available, every red-flag question yes/no."""
    form = await request.form()

    def score(key: str) -> int:
        raw = form.get(key)
        try:
            return int(str(raw))
        except ValueError as exc:
            raise ValidationError(f"{key}: give a number from 0 to 10") from exc

    questions = red_flag_questions()
    answers: dict[str, bool] | None = None
    if questions:
        answers = {}
        for q in questions:
            value = form.get(f"flag_{q.id}")
            if value not in ("yes", "no"):
                raise ValidationError(f"answer every red-flag question (yes or no): {q.text}")
            answers[q.id] = value == "yes"
    notes = form.get("notes")
    with state.engine.begin() as conn:
        result = record_checkin(
            conn,
            who.user_id,
            pain=score("pain"),
            enjoyment=score("enjoyment"),
            activity=score("activity"),
            red_flags=answers,
            notes=_text(notes) if isinstance(notes, str) else None,
        )
    if result.screen is not None and result.screen.positive:
        return RedirectResponse("/?screen=1", status_code=303)
    return _saved("checkin")
