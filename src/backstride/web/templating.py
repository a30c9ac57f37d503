"""The Jinja2 environment of the pages: filters for units, and the context every page gets."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from backstride.units import distance_in, format_distance, format_duration, format_pace
from backstride.web.context import CSRF_FIELD, Viewer, form_token, units_for, web_state
from backstride.web.services import red_flag_banner

TEMPLATES = Path(__file__).with_name("templates")


def _local(value: datetime | None, offset_s: int | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "-"
    return (value + timedelta(seconds=offset_s or 0)).strftime(fmt)


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.filters["dist"] = lambda m, unit, digits=2: format_distance(m, unit, digits)
    env.filters["dist_value"] = lambda m, unit: "" if m is None else f"{distance_in(m, unit):.2f}"
    env.filters["duration"] = format_duration
    env.filters["local"] = _local
    env.filters["num"] = _number
    env.globals["pace"] = format_pace
    env.globals["csrf_field"] = CSRF_FIELD
    return templates


def render(
    request: Request, who: Viewer, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """Render a page with what every page shows: who is looking, units, CSRF token, red-flag banner."""
    state = web_state(request)
    base: dict[str, Any] = {
        "who": who,
        "units": units_for(state, who),
        "csrf": form_token(request),
        "multi_user": state.multi_user,
        "banner": red_flag_banner(state.engine, who.user_id),
    }
    base.update(context or {})
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, base, status_code=status)
