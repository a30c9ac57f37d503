"""The project's own exceptions, all of them, in one place. Each keeps the original cause
(``raise ... from exc``: ``__cause__``), so ``--verbose`` and a debugger see what went wrong below.

- :class:`BackstrideError` and its subclasses are the errors a user can cause or meet: the CLI prints
  their message on one line, the web app answers with a 4xx (:mod:`backstride.web.errors`).
- The ``Fit*Error`` classes are the FIT decoder's own; :func:`backstride.importers.fit.read_fit` turns
  each into a :class:`BadFileError` naming the file.
- :class:`ImportInterrupted` is Ctrl-C during an import, with what was done so far.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

E = TypeVar("E", bound=BaseException)


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


class SkippedEntry(SkippedFile):
    """Something listed for import that is deliberately not imported (not a failure), with the reason:
    a zip inside a zip, a Strava export row without its file (:mod:`backstride.importers.sources`)."""


class ValidationError(BackstrideError):
    """User input that cannot be accepted (an unknown run, a severity of 11, a future date ...)."""


class NotFoundError(ValidationError):
    """A run, shoe, session or other entry that does not exist (for this user)."""


class ConvergenceError(BackstrideError):
    """The Cox fit did not converge (usually perfect separation or collinear covariates)."""


class StravaError(BackstrideError):
    """Strava answered with an error (the message says what, never a token)."""


class NotAuthorised(StravaError):
    """401: the access token is invalid, expired or revoked."""


class RateLimited(StravaError):
    """A rate limit is reached and waiting is not allowed (or it is the daily limit)."""

    def __init__(self, message: str, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class LoginRequired(BackstrideError):
    """No live session (multi-user mode): pages redirect to the login, the API answers 401."""


class Forbidden(BackstrideError):
    """The request may not do this (a read-only viewer writing, a failed CSRF or origin check)."""


class TooManyAttempts(BackstrideError):
    """Too many failed logins for this username from this address, or from this address: wait
    :attr:`retry_after` seconds and try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FitHeaderError(ValueError):
    """The data does not start with a FIT file header."""


class FitTooLargeError(ValueError):
    """The file holds more messages than any recording could (see
    :data:`backstride.importers.fit.scan.MAX_MESSAGES`)."""


class FitTimeError(ValueError):
    """A FIT time that no calendar holds (a corrupt ``date_time``)."""


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl-C during an import: ``summary`` (an :class:`backstride.ingest.saving.ImportSummary`) holds what
    was done; ``files_done`` of ``files_total`` files were read and stored (each in its own
    transaction), the rest were not touched."""

    def __init__(self, summary: Any, files_done: int, files_total: int) -> None:
        super().__init__(files_done, files_total)
        self.summary = summary
        self.files_done = files_done
        self.files_total = files_total

    @property
    def message(self) -> str:
        counts = self.summary.counts
        stored = counts["imported"] + counts["merged"]
        rest = self.files_total - self.files_done
        if not self.files_total:
            return "interrupted while looking for files: nothing was imported"
        return (
            f"interrupted: {self.files_done} of {self.files_total} files were read "
            f"({stored} runs imported or merged, {counts['duplicate']} already there); the other {rest} "
            f"{'file was' if rest == 1 else 'files were'} not imported. Run the same import again to "
            "finish: files already imported count as duplicates."
        )


def caused_by(error: E, cause: BaseException) -> E:
    """``error`` with ``cause`` as its ``__cause__``: for an error that is recorded (a problem of an
    import's list) rather than raised, as ``raise error from cause`` would keep it."""
    error.__cause__ = cause
    return error
