"""The plan (with the goal form) and the pooled report (experiments: :mod:`backstride.web.pages_experiments`).

- ``GET /plan``: :func:`backstride.plan.from_analysis.plan_for_user` with every item's reason;
  ``POST /plan/goal`` stores the goal through :func:`backstride.plan.profile.set_goal`.
- ``GET /pool``: :func:`backstride.pool.report.report_for` of the settings' pool folder
  (:attr:`backstride.config.Settings.pool_dir`).

Distances are metres throughout and shown in the runner's unit by the templates.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from backstride.errors import BackstrideError, ValidationError
from backstride.web.csrf import check_csrf
from backstride.web.request_models import optional_day, optional_distance
from backstride.web.state import State, WebState
from backstride.web.templating import page_basics, render
from backstride.web.viewer import Who, Writer, units_for

logger = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

# --- the plan -------------------------------------------------------------------------------------


@router.get("/plan")
def plan_page(request: Request, who: Who, state: State, saved: str | None = None) -> Response:
    from backstride.plan.from_analysis import plan_for_user
    from backstride.plan.profile import get_goal

    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        goal_m, goal_date = get_goal(conn, who.user_id)
        try:
            unit = units_for(state, who, conn)
            plan: dict[str, Any] | None = plan_for_user(conn, who.user_id, unit=unit).as_dict()
            reason = None
        except BackstrideError as exc:
            logger.info("no plan for runner %s: %s", who.user_id, exc, exc_info=exc)
            plan, reason = None, str(exc)
    names = {} if plan is None else {i["remedy"]: i["name"] for i in plan["items"]}
    return render(
        request,
        who,
        "plan.html",
        {
            "plan": plan,
            "reason": reason,
            "remedy_names": names,
            "goal_m": goal_m,
            "goal_date": goal_date,
            "saved": saved == "1",
        },
        basics=basics,
    )


@router.post("/plan/goal")
def save_goal(
    who: Writer,
    state: State,
    distance: Annotated[str, Form(max_length=50)],
    by: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The goal: run ``distance`` (a bare number is in the runner's unit) pain-free, by ``by`` if given."""
    from backstride.plan.profile import set_goal

    metres = optional_distance(distance, units_for(state, who))
    if metres is None:
        raise ValidationError("give the goal distance, for example 5km or 3mi")
    target = optional_day(by, "goal date")
    with state.engine.begin() as conn:
        set_goal(conn, who.user_id, metres, target)
    return RedirectResponse("/plan?saved=1", status_code=303)


# --- the pool -------------------------------------------------------------------------------------


def _pool_signature(pool_dir: Path) -> tuple[Any, ...]:
    """Changes when a file of the pool is added, replaced or removed."""
    files = sorted(pool_dir.rglob("*.parquet"))
    stats = [f.stat() for f in files]
    return (
        str(pool_dir),
        len(files),
        max((s.st_mtime_ns for s in stats), default=0),
        sum(s.st_size for s in stats),
    )


def pool_view(state: WebState, pool_dir: Path) -> dict[str, Any] | None:
    """The pooled report of ``pool_dir`` (``None`` when there is no pool or it is empty), kept until
    the pool's files change."""
    from backstride.pool.report import report_for
    from backstride.pool.store import Pool

    if not pool_dir.is_dir() or Pool(pool_dir).is_empty():
        return None
    key = _pool_signature(pool_dir)
    return state.pool_reports.get_or_make(key, lambda: report_for(pool_dir))


@router.get("/pool")
def pool_page(request: Request, who: Who, state: State) -> Response:
    from backstride.pool.lifetable import MIN_RUNNERS

    pool_dir = state.settings.pool_dir
    try:
        report = pool_view(state, pool_dir)
        reason = None
    except (BackstrideError, OSError) as exc:
        logger.warning("the pool at %s could not be read", pool_dir, exc_info=exc)
        report, reason = None, str(exc)
    groups: dict[str, list[dict[str, Any]]] = {}
    for group in [] if report is None else report["groups"]:
        groups.setdefault(str(group["field"]), []).append(group)
    return render(
        request,
        who,
        "pool.html",
        {
            "report": report,
            "reason": reason,
            "groups": groups,
            "min_runners": MIN_RUNNERS,
            "configured": pool_dir.is_dir(),
        },
    )
