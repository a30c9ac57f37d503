"""The plan (with the goal form), the n-of-1 experiments (calendar, analysis, .ics) and the pooled report.

- ``GET /plan``: :func:`backstride.plan.from_analysis.plan_for_user` with every item's reason;
  ``POST /plan/goal`` stores the goal through :func:`backstride.plan.inputs.set_goal`.
- ``GET /experiments``, ``GET /experiments/{id}``, ``GET /experiments/{id}.ics``: the runner's
  experiments from :mod:`backstride.experiments` (every query scoped to the runner: another runner's id
  is a 404).
- ``GET /pool``: :func:`backstride.pool.report.report_for` of :func:`backstride.pool.store.default_pool_dir`.

Distances are metres throughout and shown in the runner's unit by the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from backstride.errors import BackstrideError, NotFoundError, ValidationError
from backstride.experiments.store import Experiment
from backstride.web.context import State, WebState, Who, Writer, check_csrf, units_for
from backstride.web.inputs import MAX_ID, optional_day, optional_distance
from backstride.web.templating import page_basics, render

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

#: Reports of one pool folder kept per app (keyed by the folder's parquet files), at most this many.
POOL_CACHE_SIZE = 4


def _experiment_id(experiment_id: int) -> int:
    if not 1 <= experiment_id <= MAX_ID:
        raise NotFoundError(f"no experiment with id {experiment_id}")
    return experiment_id


# --- the plan -------------------------------------------------------------------------------------


@router.get("/plan")
def plan_page(request: Request, who: Who, state: State, saved: str | None = None) -> Response:
    from backstride.plan.from_analysis import plan_for_user
    from backstride.plan.inputs import get_goal

    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        goal_m, goal_date = get_goal(conn, who.user_id)
        try:
            unit = units_for(state, who, conn)
            plan: dict[str, Any] | None = plan_for_user(conn, who.user_id, unit=unit).as_dict()
            reason = None
        except BackstrideError as exc:
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
    from backstride.plan.inputs import set_goal

    metres = optional_distance(distance, units_for(state, who))
    if metres is None:
        raise ValidationError("give the goal distance, for example 5km or 3mi")
    target = optional_day(by, "goal date")
    with state.engine.begin() as conn:
        set_goal(conn, who.user_id, metres, target)
    return RedirectResponse("/plan?saved=1", status_code=303)


# --- experiments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    """One day of an experiment's calendar: its period's condition (``None`` outside the schedule)."""

    day: date
    condition: str | None
    period: int | None  # 1-based
    washout: bool
    today: bool


def calendar_weeks(exp: Experiment, today: date) -> list[list[CalendarDay]]:
    """The experiment's days as weeks Monday to Sunday, from the week of its start to that of its end."""
    by_day: dict[date, tuple[str, int, bool]] = {}
    for p in exp.schedule:
        for offset in range((p.end - p.start).days + 1):
            day = p.start + timedelta(days=offset)
            by_day[day] = (p.condition, p.index + 1, p.in_washout(day))
    first = exp.start_date - timedelta(days=exp.start_date.weekday())
    last = exp.end_date + timedelta(days=6 - exp.end_date.weekday())
    weeks: list[list[CalendarDay]] = []
    day = first
    while day <= last:
        found = by_day.get(day)
        cell = CalendarDay(
            day,
            None if found is None else found[0],
            None if found is None else found[1],
            False if found is None else found[2],
            day == today,
        )
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(cell)
        day += timedelta(days=1)
    return weeks


@router.get("/experiments")
def experiments_page(request: Request, who: Who, state: State) -> Response:
    from backstride.experiments import follow, service, store

    day = follow.now_local_day()
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        found = store.list_experiments(conn, who.user_id)
    rows = []
    for exp in found:
        now = None
        if exp.status == "running" and exp.start_date <= day <= exp.end_date:
            now = follow.today(exp, service.resolve_remedy(exp.remedy), day)
        rows.append({"exp": exp, "today": now})
    return render(request, who, "experiments.html", {"rows": rows, "day": day}, basics=basics)


@router.get("/experiments/today")
def experiments_today(who: Who, state: State) -> Response:
    """A fragment for the dashboard (loaded by HTMX, so the cached dashboard stays valid): what each
    running experiment asks for today, or nothing when none runs."""
    from backstride.experiments import follow, service, store

    day = follow.now_local_day()
    with state.engine.connect() as conn:
        found = store.list_experiments(conn, who.user_id)
    items = []
    for exp in found:
        if exp.status == "running" and exp.start_date <= day <= exp.end_date:
            now = follow.today(exp, service.resolve_remedy(exp.remedy), day)
            items.append(
                Markup('<li><a href="/experiments/{}">{}</a>: {}</li>').format(exp.id, exp.title, now["do"])
            )
    if not items:
        return Response("", media_type="text/html")
    body = Markup('<section class="card" data-testid="dashboard-experiment"><h2>Experiment today</h2><ul>')
    return Response(body + Markup("").join(items) + Markup("</ul></section>"), media_type="text/html")


@router.get("/experiments/{experiment_id}.ics")
def experiment_ics(who: Who, state: State, experiment_id: int) -> Response:
    """The schedule as an iCalendar file (one all-day event per day, with a morning reminder)."""
    from backstride.experiments import follow, service, store

    with state.engine.connect() as conn:
        exp = store.get_experiment(conn, who.user_id, _experiment_id(experiment_id))
    text = follow.to_ics(exp, service.resolve_remedy(exp.remedy))
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="backstride-experiment-{exp.id}.ics"'},
    )


@router.get("/experiments/{experiment_id}")
def experiment_page(request: Request, who: Who, state: State, experiment_id: int) -> Response:
    from backstride.experiments import follow, service, store
    from backstride.experiments.report import report_html

    day = follow.now_local_day()
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        exp = store.get_experiment(conn, who.user_id, _experiment_id(experiment_id))
        remedy = service.resolve_remedy(exp.remedy)
        logged = store.logged_days(conn, who.user_id, exp.id)
        obs, _, _ = service.experiment_observations(conn, who.user_id, exp)
        analysis = report = None
        if len(obs):
            _, result = service.analyze_experiment(conn, who.user_id, exp.id, as_of=day)
            analysis = result.to_dict()
            report = Markup(report_html(exp, result, obs))  # the library escapes what it quotes
    context = {
        "exp": exp,
        "remedy": remedy,
        "weeks": calendar_weeks(exp, day),
        "periods": exp.schedule,
        "day": day,
        "today": follow.today(exp, remedy, day),
        "adherence": follow.adherence(exp, logged, day),
        "analysis": analysis,
        "report": report,
    }
    return render(request, who, "experiment.html", context, basics=basics)


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
    kept: dict[Any, dict[str, Any]] = state.cache.setdefault("pool-reports", {})
    found = kept.get(key)
    if found is None:
        found = report_for(pool_dir)
        if len(kept) >= POOL_CACHE_SIZE:
            kept.clear()
        kept[key] = found
    return found


@router.get("/pool")
def pool_page(request: Request, who: Who, state: State) -> Response:
    from backstride.pool.lifetable import MIN_RUNNERS
    from backstride.pool.store import default_pool_dir

    pool_dir = default_pool_dir()
    try:
        report = pool_view(state, pool_dir)
        reason = None
    except (BackstrideError, ImportError, OSError) as exc:
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
