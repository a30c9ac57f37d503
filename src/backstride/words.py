"""Counts in words: ``1 run``, ``2 runs``, ``1 activity``, ``3 activities``."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the noun in the right number (``plural_form`` when adding an s is wrong)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


__all__ = ["plural"]
