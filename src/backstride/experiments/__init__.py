"""N-of-1 experiments: test one remedy at a time, randomised, and get a verdict with its uncertainty.

Modules: :mod:`~backstride.experiments.design` (block pairs, seed, washout), :mod:`~.store` (queries),
:mod:`~.model` (outcome data and the terms of the model), :mod:`~.bayes` (censored Bayesian
regression), :mod:`~.analysis` and :mod:`~.verdict` (effect, probabilities, verdict),
:mod:`~.randomisation` (exact randomisation test), :mod:`~.simulate` and :mod:`~.power` (simulation
with a known truth; pairs needed), :mod:`~.follow` (today's condition, adherence, calendar export),
:mod:`~.service` (what the CLI and web call) and :mod:`~.report` (CENT-style report).
"""
