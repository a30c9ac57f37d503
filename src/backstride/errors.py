"""The project's own exceptions. Each keeps the original cause (``__cause__``)."""

from __future__ import annotations


class BackstrideError(Exception):
    """Base class for every error backstride raises on purpose."""


class BadFileError(BackstrideError):
    """A file could not be read as an activity (or as the export it claims to be).

    ``name`` names the file (path, or ``archive.zip!inner/path``); ``reason`` says why in plain words.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason

    def __reduce__(self) -> tuple[type[BadFileError], tuple[str, str]]:
        # Errors raised in a worker process travel back whole (the default pickling would call
        # ``__init__`` with the message alone and fail).
        return (type(self), (self.name, self.reason))


class SkippedFile(BadFileError):
    """A file deliberately not imported, which is no failure: a FIT file that is not an activity (a
    watch's monitoring or settings file), an entry that holds no activity. The import counts it as
    skipped, with the reason."""


class ValidationError(BackstrideError):
    """User input that cannot be accepted (an unknown run, a severity of 11, a future date ...)."""


class NotFoundError(ValidationError):
    """A run, shoe, session or other entry that does not exist (for this user)."""
