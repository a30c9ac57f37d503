"""backstride: runs, lifting and low-back pain, with honest statistics.

The package is a library first; the CLI (``backstride.cli``) and the web app only translate.
"""

import logging

from backstride.errors import BackstrideError, BadFileError, ValidationError

# A library records what it catches and carries on (logging.getLogger(__name__) in each module) and
# leaves showing it to the application: ``backstride --verbose``, the web server's log, a notebook's
# logging.basicConfig(). Without a handler of its own, Python would print warnings to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = ["BackstrideError", "BadFileError", "ValidationError", "__version__"]
