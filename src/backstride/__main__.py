"""``python -m backstride``: the command line, as the ``backstride`` console script runs it."""

from backstride.cli import main

main()
