"""The one Jinja2 environment behind every HTML the library writes (the report, its sections, the
notebook summary): templates from ``backstride/report/templates``, autoescaping on, so whatever a
runner typed is escaped unless a section marks it as already-safe HTML (``Markup``)."""

from __future__ import annotations

import functools

import jinja2

from backstride.units import format_distance, localize
from backstride.words import plural


@functools.cache
def environment() -> jinja2.Environment:
    """The environment (built once): the package's templates and the report's filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("backstride.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "svg", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["distance"] = format_distance  # {{ metres | distance(unit) }}
    env.filters["say"] = localize  # {{ sentence | say(unit) }}: the library's SI prose in the runner's unit
    env.filters["plural"] = plural  # {{ count | plural("run") }}
    return env


def render(template: str, **context: object) -> str:
    """The package template ``template`` rendered with ``context``."""
    return environment().get_template(template).render(**context)


__all__ = ["environment", "render"]
