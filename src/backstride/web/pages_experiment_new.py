"""Starting an n-of-1 experiment from the web: the form, the design to confirm, and storing it.

- ``GET /experiments/new``: the form (remedy, pairs, period, washout, start, outcome), the remedy
  suggested by the plan filled in.
- ``POST /experiments/preview``: the design it would make (the randomised order), its warnings and
  the power helper's answer; nothing is stored.
- ``POST /experiments``: the confirmed design, with the seed the preview showed, so the order stored is
  the one the runner saw (:func:`backstride.experiments.service.new_experiment`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection
from starlette.responses import Response

from backstride.errors import BackstrideError, ValidationError
from backstride.web.csrf import check_csrf
from backstride.web.request_models import no_nul_text, optional_day
from backstride.web.state import State, run_slow
from backstride.web.templating import page_basics, render
from backstride.web.viewer import Writer

logger = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def next_monday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


@dataclass(frozen=True)
class Design:
    """The creation form's fields, checked."""

    title: str
    remedy: str
    pairs: int
    period_days: int
    start: date
    outcome: str
    washout_days: int
    seed: int | None = None

    def fields(self) -> dict[str, Any]:
        """The design as the confirm form carries it (hidden fields)."""
        return {
            "title": self.title,
            "remedy": self.remedy,
            "pairs": self.pairs,
            "period": f"{self.period_days}d",
            "start": self.start.isoformat(),
            "outcome": self.outcome,
            "washout": self.washout_days,
            "seed": "" if self.seed is None else self.seed,
        }


def read_design(
    title: str, remedy: str, pairs: int, period: str, start: str, outcome: str, washout: int, seed: str | None
) -> Design:
    from backstride.experiments.design import MAX_PAIRS, MIN_PAIRS, OUTCOMES, parse_period

    if not MIN_PAIRS <= pairs <= MAX_PAIRS:
        raise ValidationError(f"pairs: {MIN_PAIRS} to {MAX_PAIRS}, not {pairs}")
    if outcome not in OUTCOMES:
        raise ValidationError(f"outcome: one of {', '.join(OUTCOMES)}, not {outcome!r}")
    first = optional_day(start, "start")
    if first is None:
        raise ValidationError("start: give the first day, e.g. 2025-03-03")
    chosen_seed = None
    if seed is not None and seed.strip():
        try:
            chosen_seed = int(seed)
        except ValueError as exc:
            raise ValidationError(f"seed: a whole number, not {seed!r}") from exc
    return Design(
        " ".join(no_nul_text(title).split()),
        no_nul_text(remedy).strip(),
        pairs,
        parse_period(no_nul_text(period)),
        first,
        outcome,
        washout,
        chosen_seed,
    )


def _remedy_choices() -> list[tuple[str, str]]:
    """(id, name) of the knowledge base's remedies that can be tested in periods."""
    from backstride.plan.knowledge import knowledge_base

    remedies = knowledge_base().remedies.remedies
    return [(r.id, r.name) for r in remedies if r.experiment.testable]


def _suggested_remedy(conn: Connection, user_id: int) -> str:
    """The remedy the plan suggests testing first, if it can say."""
    from backstride.plan.from_analysis import plan_for_user

    try:
        found = plan_for_user(conn, user_id).as_dict().get("experiment") or {}
    except BackstrideError as exc:  # no plan to suggest from: the runner chooses
        logger.info("no remedy to suggest for runner %s: %s", user_id, exc, exc_info=exc)
        return ""
    return str(found.get("remedy") or "")


@router.get("/experiments/new")
def new_experiment_page(request: Request, who: Writer, state: State, remedy: str | None = None) -> Response:
    """The form: what to test, how many pairs of how long periods, from when, measured how."""
    from backstride.experiments.design import DEFAULT_WASHOUT_DAYS, MAX_PAIRS, MIN_PAIRS, OUTCOMES
    from backstride.experiments.follow import now_local_day

    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        chosen = no_nul_text(remedy)[:100] if remedy else _suggested_remedy(conn, who.user_id)
    form = {
        "title": "",
        "remedy": chosen,
        "pairs": MIN_PAIRS,
        "period": "7d",
        "start": next_monday(now_local_day()).isoformat(),
        "outcome": "onset",
        "washout": DEFAULT_WASHOUT_DAYS,
    }
    context = {
        "form": form,
        "remedies": _remedy_choices(),
        "outcomes": OUTCOMES,
        "min_pairs": MIN_PAIRS,
        "max_pairs": MAX_PAIRS,
    }
    return render(request, who, "experiment_new.html", context, basics=basics)


Title = Annotated[str, Form(max_length=200)]
Remedy = Annotated[str, Form(max_length=100)]
Pairs = Annotated[int, Form(ge=1, le=100)]
Period = Annotated[str, Form(max_length=20)]
Start = Annotated[str, Form(max_length=20)]
Outcome = Annotated[str, Form(max_length=20)]
Washout = Annotated[int, Form(ge=0, le=60)]
Seed = Annotated[str | None, Form(max_length=12)]


def design_form(
    title: Title,
    remedy: Remedy,
    pairs: Pairs,
    period: Period,
    start: Start,
    outcome: Outcome = "onset",
    washout: Washout = 2,
    seed: Seed = None,
) -> Design:
    """The creation form's fields, read and checked once for the preview and the creation."""
    return read_design(title, remedy, pairs, period, start, outcome, washout, seed)


DesignForm = Annotated[Design, Depends(design_form)]


def _preview(state: Any, user_id: int, design: Design) -> dict[str, Any]:
    """What :func:`new_experiment` would store, its warnings and power, without storing anything."""
    from backstride.experiments import service
    from backstride.experiments.design import build_schedule, draw_sequence, new_seed
    from backstride.experiments.follow import now_local_day
    from backstride.experiments.power import power_helper

    info = service.resolve_remedy(design.remedy)
    seed = new_seed() if design.seed is None else design.seed
    sequence = draw_sequence(design.pairs, seed)
    schedule = build_schedule(design.start, sequence, design.period_days, design.washout_days)
    with state.engine.connect() as conn:
        warnings = service.design_warnings(
            conn, user_id, info, design.start, schedule[-1].end, design.period_days, now_local_day()
        )
        power = None
        if design.outcome == "onset":
            power = power_helper(
                conn, user_id, design.start, design.pairs, design.period_days, design.washout_days
            )
    return {
        "design": Design(**{**design.__dict__, "seed": seed}),
        "remedy": info,
        "schedule": schedule,
        "warnings": warnings,
        "power": power,
    }


@router.post("/experiments/preview")
async def preview_experiment(request: Request, who: Writer, state: State, design: DesignForm) -> Response:
    """The design it would make and the power helper's answer, to confirm (nothing is stored yet)."""
    if not design.title:
        raise ValidationError("title: say what you test, e.g. 'hip flexor stretch before runs'")
    shown = await run_slow(state, _preview, state, who.user_id, design)
    return render(request, who, "experiment_preview.html", shown)


@router.post("/experiments")
def create_experiment(who: Writer, state: State, design: DesignForm) -> Response:
    """Store the confirmed design (the seed of the preview gives the order the runner saw)."""
    from backstride.experiments import service

    with state.engine.begin() as conn:
        made = service.new_experiment(
            conn,
            who.user_id,
            design.title,
            design.remedy,
            pairs=design.pairs,
            period_days=design.period_days,
            start=design.start,
            seed=design.seed,
            outcome=design.outcome,
            washout_days=design.washout_days,
            power=False,
        )
    return RedirectResponse(f"/experiments/{made.experiment.id}?created=1", status_code=303)
