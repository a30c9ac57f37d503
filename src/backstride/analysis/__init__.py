"""Analysis: pain-free distance (survival), factors (Cox), terrain (piecewise exponential); result objects."""

from backstride.analysis.cox import CoxFit, fit_cox
from backstride.analysis.factors import (
    Factor,
    FactorAnalysis,
    FactorResult,
    analyze_factors,
    benjamini_hochberg,
    data_check,
)
from backstride.analysis.interval import Turnbull
from backstride.analysis.poisson import PoissonFit, fit_poisson
from backstride.analysis.result_format import Result
from backstride.analysis.survival import (
    MIN_RUNS,
    Estimate,
    KaplanMeier,
    LogRankResult,
    PainFreeResult,
    logrank_test,
    pain_free_distance,
    survival_columns,
)
from backstride.analysis.terrain import (
    DEFAULT_TERMS,
    RateRatio,
    TerrainResult,
    TerrainTerm,
    analyze_terrain,
    segment_runs,
)
from backstride.analysis.terrain_runs import terrain_of_runs
from backstride.analysis.trend import Trend, WindowResult, compare_periods, period_trend, rolling_pain_free
from backstride.errors import ConvergenceError

__all__ = [
    "DEFAULT_TERMS",
    "MIN_RUNS",
    "ConvergenceError",
    "CoxFit",
    "Estimate",
    "Factor",
    "FactorAnalysis",
    "FactorResult",
    "KaplanMeier",
    "LogRankResult",
    "PainFreeResult",
    "PoissonFit",
    "RateRatio",
    "Result",
    "TerrainResult",
    "TerrainTerm",
    "Trend",
    "Turnbull",
    "WindowResult",
    "analyze_factors",
    "analyze_terrain",
    "benjamini_hochberg",
    "compare_periods",
    "data_check",
    "fit_cox",
    "fit_poisson",
    "logrank_test",
    "pain_free_distance",
    "period_trend",
    "rolling_pain_free",
    "segment_runs",
    "survival_columns",
    "terrain_of_runs",
]
