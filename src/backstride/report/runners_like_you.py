""" "Runners like you": the section of a runner's own report drawn from the pooled evidence.

:func:`runners_like_you_html` finds the runners in the pool most like this one
(:func:`backstride.pool.neighbours.runners_like_me`) and renders what their own randomised experiments
found through the template ``runners_like_you.html.j2``; nothing leaves the machine.
"""

from __future__ import annotations

from pathlib import Path

from backstride.pool.bundle import Bundle
from backstride.pool.lifetable import MIN_RUNNERS
from backstride.pool.neighbours import DEFAULT_K, LikeMe, runners_like_me
from backstride.pool.queries import open_pool
from backstride.pool.store import Pool
from backstride.report.templating import render


def render_runners_like_you(like: LikeMe) -> str:
    """The HTML ``<section>`` of ``like`` (remedy ids shown as words, every name escaped)."""
    remedies = [{**r, "label": r["remedy"].replace("_", " ").replace("-", " ")} for r in like.remedies]
    return render("runners_like_you.html.j2", like=like, remedies=remedies, min_runners=MIN_RUNNERS)


def runners_like_you_html(pool_dir: str | Path, bundle: Bundle, k: int = DEFAULT_K) -> str:
    """An HTML ``<section>`` "Runners like you" for the runner whose (unsaved) ``bundle`` is given
    (:func:`backstride.pool.export.build_bundle`); empty string when the pool is missing or empty."""
    if not Path(pool_dir).is_dir() or Pool(pool_dir).is_empty():
        return ""
    return render_runners_like_you(runners_like_me(open_pool(pool_dir), bundle, k))


__all__ = ["render_runners_like_you", "runners_like_you_html"]
