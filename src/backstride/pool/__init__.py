"""Pooled evidence across runners: anonymised bundles, the Parquet pool, portable Ibis queries
(DuckDB here, Spark on a cluster), life tables, random-effects meta-analysis and "runners like me".

Modules: :mod:`~.schema` (the allow-list of shared fields), :mod:`~.bundle` (the bundle file),
:mod:`~.export` (a runner's bundle from the store; server contributions), :mod:`~.store` (the pool
folder), :mod:`~.queries` (Ibis expressions), :mod:`~.lifetable`, :mod:`~.meta`,
:mod:`~.neighbours`, :mod:`~.report`, :mod:`~.cohort` (a simulated cohort with a known truth).
"""
