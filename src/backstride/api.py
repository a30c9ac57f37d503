"""The functions of the public API (``import backstride``): open a store, read its tables, analyse.

Argument names follow one convention (``docs/notebook.md`` lists it): ``store`` is what
:func:`open_store` returns (or a connection of it); ``user_id`` the runner (default: the local user of
a single-user store); ``unit`` the display unit, ``"mi"`` or ``"km"`` (default: the runner's stored
preference, as the CLI and the report use); a name ending in ``_m`` is a distance in metres
(``target_m``); DataFrame column arguments end in ``_col``. Everything is loaded when called, so that
``import backstride`` stays light.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from backstride.errors import ValidationError
from backstride.store.schema import LOCAL_USER_ID
from backstride.units import DEFAULT_TARGETS

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection, Engine

    from backstride.report.summary import Analysis


def open_store(db: str | os.PathLike[str] | None = None) -> Engine:
    """Open a store, by the rules of ``backstride --db``: ``db`` is an SQLite file's path or a
    database URL (``postgresql://user@host/name``); without it, ``BACKSTRIDE_DB``, else the store in
    the user's data folder. The schema is brought to the newest version. A path in a folder that does
    not exist is refused (:class:`~backstride.errors.ValidationError`); a new file in an existing
    folder becomes a new, empty store. Returns an SQLAlchemy engine; ``engine.dispose()`` closes it."""
    from backstride.config import load_settings
    from backstride.store.engine import open_store as open_url

    settings = load_settings(db=None if db is None else os.fspath(db))
    return open_url(settings.db_url, create_folders=not settings.db_given)


def feature_table(store: Engine | Connection, *, user_id: int = LOCAL_USER_ID) -> pd.DataFrame:
    """The per-run feature table of ``user_id``: one row per run, oldest first, SI units (metres,
    seconds, kilograms; a column's name says its unit). Every column is described in
    ``docs/features.md``; NaN means "not known", never zero."""
    from backstride.analysis.features import feature_table as build

    return build(store, user_id)


def survival_table(table: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """The runs of a feature table that the survival models may use, with ``duration_m`` and
    ``event`` columns for :class:`~backstride.analysis.regression.CoxRegression` and
    :class:`~backstride.analysis.survival.KaplanMeier`.

    Runs with a confirmed pain report only: a run with no report is unknown, not pain-free, and a
    lap-button draft not yet confirmed is left out (as in the analysis). ``duration_m`` is the onset
    distance for a run with pain (``event`` 1) and the run's length for a pain-free run (``event``
    0). An onset known only to a lap is neither put at the lap's middle nor dropped: it is drawn from
    the runner's pain-free curve within that lap (``onset_drawn`` true), one completed data set of the
    multiple imputation the analysis pools (``seed`` picks the draw)."""
    from backstride.analysis.features import reported_runs
    from backstride.analysis.imputation import impute_onsets
    from backstride.analysis.survival import survival_columns

    runs = reported_runs(table)
    left, right = survival_columns(runs)
    imputed = impute_onsets(left, right, m=1, seed=seed)
    return runs.assign(
        duration_m=imputed.exits[0], event=imputed.events.astype(int), onset_drawn=imputed.interval
    )


def analyze(
    store: Engine | Connection,
    *,
    user_id: int = LOCAL_USER_ID,
    unit: str | None = None,
    target_m: float | None = None,
) -> Analysis:
    """Every finding for ``user_id`` (what ``backstride analyze`` shows), as an
    :class:`~backstride.report.summary.Analysis`: ``summary`` tables, text, HTML in notebooks.

    ``unit``: ``"mi"`` or ``"km"`` for the text and tables (default: the runner's preference);
    ``target_m``: the distance whose chance of being run pain-free is reported (default 3 mi, or
    5 km when the unit is km)."""
    from sqlalchemy import Engine

    from backstride.analysis.findings import analyze_user
    from backstride.report.summary import Analysis
    from backstride.store.prefs import get_pref

    if unit is None:
        if isinstance(store, Engine):
            with store.connect() as conn:
                unit = get_pref(conn, user_id, "units")
        else:
            unit = get_pref(store, user_id, "units")
    if unit not in DEFAULT_TARGETS:
        raise ValidationError(f"unit must be 'mi' or 'km', not {unit!r}")
    target = DEFAULT_TARGETS[unit] if target_m is None else float(target_m)
    return Analysis(analyze_user(store, user_id, target), unit=unit)


__all__ = ["DEFAULT_TARGETS", "analyze", "feature_table", "open_store", "survival_table"]
