"""Safety first, then a plan: the red-flag screen, self-tests with norms, the evidence-graded knowledge
base (data files in ``data/``) and the plan rule engine. Nothing here diagnoses or treats: findings are
associations, and every recommendation carries its reason and its evidence.
"""
