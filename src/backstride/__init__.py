"""backstride: runs, lifting and low-back pain, with honest statistics.

The package is a library first; the CLI (``backstride.cli``) and the web app only translate. The
public API, for notebooks and scripts (``docs/notebook.md`` walks through it):

* :func:`open_store` - a store from a path or URL, by the rules of ``backstride --db``;
* :func:`feature_table` - the per-run feature table as a pandas DataFrame;
* :func:`survival_table` - its runs with a pain report, with ``duration_m`` and ``event`` columns;
* :func:`analyze` - every finding as an :class:`Analysis`: ``summary`` DataFrames (pain-free
  distance, trend, factors, terrain), ``str()`` for text, HTML in a notebook;
* :class:`KaplanMeier`, :class:`CoxRegression`, :class:`PoissonRegression` - estimators in
  lifelines' style: ``fit()`` returns the estimator, fitted attributes end in ``_``, ``summary``;
* :class:`BackstrideError` and its subclasses :class:`ValidationError` (input that cannot be
  accepted), :class:`BadFileError` (a file that cannot be read) and :class:`ConvergenceError` (a
  model that cannot be fitted).

Argument names: ``store`` (what :func:`open_store` returns), ``user_id``, ``unit`` (``"mi"`` or
``"km"``), distances in metres with names ending in ``_m`` (``target_m``), DataFrame columns with
names ending in ``_col``. Importing ``backstride`` loads none of the heavy libraries: each name is
loaded when first used.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from backstride.errors import BackstrideError, BadFileError, ConvergenceError, ValidationError

if TYPE_CHECKING:
    from backstride.analysis.regression import CoxRegression, PoissonRegression
    from backstride.analysis.survival import KaplanMeier
    from backstride.api import analyze, feature_table, open_store, survival_table
    from backstride.report.summary import Analysis

# A library records what it catches and carries on (logging.getLogger(__name__) in each module) and
# leaves showing it to the application: ``backstride --verbose``, the web server's log, a notebook's
# logging.basicConfig(). Without a handler of its own, Python would print warnings to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

#: Public names loaded on first use, and the module each comes from.
_LAZY = {
    "open_store": "backstride.api",
    "feature_table": "backstride.api",
    "survival_table": "backstride.api",
    "analyze": "backstride.api",
    "Analysis": "backstride.report.summary",
    "KaplanMeier": "backstride.analysis.survival",
    "CoxRegression": "backstride.analysis.regression",
    "PoissonRegression": "backstride.analysis.regression",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'backstride' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Analysis",
    "BackstrideError",
    "BadFileError",
    "ConvergenceError",
    "CoxRegression",
    "KaplanMeier",
    "PoissonRegression",
    "ValidationError",
    "__version__",
    "analyze",
    "feature_table",
    "open_store",
    "survival_table",
]
