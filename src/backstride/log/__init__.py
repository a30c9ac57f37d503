"""The log: what happens around runs, entered by the runner or imported from lifting apps.

One module per concept: :mod:`~backstride.log.pain` (one pain report per run, the lap button as pain
button), :mod:`~backstride.log.lifting` and :mod:`~backstride.log.lifting_csv` (Strong and Hevy
exports), :mod:`~backstride.log.catalogue` (back loading of exercises), :mod:`~backstride.log.routines`,
:mod:`~backstride.log.body`, :mod:`~backstride.log.shoes`, :mod:`~backstride.log.run_tags` (per-run
tags), :mod:`~backstride.log.checkin` (weekly PEG and red flags) and :mod:`~backstride.log.archive`
(export, restore, delete everything).

Every entry is validated (pydantic) before anything is written, and each command writes in one
transaction, so a rejected entry leaves nothing behind.
"""
