"""backstride: runs, lifting and low-back pain, with honest statistics.

The package is a library first; the CLI (``backstride.cli``) and the web app only translate.
"""

from backstride.errors import BackstrideError, BadFileError, ValidationError

__version__ = "0.1.0"

__all__ = ["BackstrideError", "BadFileError", "ValidationError", "__version__"]
