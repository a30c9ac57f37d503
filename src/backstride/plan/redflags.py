"""The red-flag screen (DOMAIN.md section 1): questions, and what a set of answers means.

:data:`QUESTIONS` come from ``data/red_flags.yaml``. :func:`evaluate` turns yes/no answers into a
:class:`ScreenResult`: ``emergency`` if any emergency question is yes, else ``urgent`` if any urgent
question is yes, else ``none``; with the exact message and what to do for every group that was hit.
The screen never diagnoses: it says what the answers can be signs of, and where to go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from backstride.errors import ValidationError
from backstride.plan.knowledge import knowledge_base

ScreenUrgency = Literal["emergency", "urgent", "none"]

NONE_MESSAGE = (
    "No red flags reported. This screen is not a diagnosis; answer it again if anything changes, "
    "and at each weekly check-in."
)
NONE_WHAT_TO_DO = "Carry on. If any of these signs appears later, stop and answer the screen again."


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    urgency: Literal["emergency", "urgent"]
    group: str


@dataclass(frozen=True)
class ScreenResult:
    """The outcome of one screen. ``flags`` are the ids answered yes, in question order."""

    urgency: ScreenUrgency
    flags: tuple[str, ...]
    message: str
    what_to_do: str
    groups: tuple[str, ...] = ()
    answers: dict[str, bool] = field(default_factory=dict)
    taken_at: datetime | None = None
    assessed_at: datetime | None = None
    screen_id: int | None = None

    @property
    def positive(self) -> bool:
        return bool(self.flags)

    def as_dict(self) -> dict[str, Any]:
        return {
            "urgency": self.urgency,
            "flags": list(self.flags),
            "groups": list(self.groups),
            "message": self.message,
            "what_to_do": self.what_to_do,
            "taken_at": None if self.taken_at is None else self.taken_at.isoformat(),
            "assessed_at": None if self.assessed_at is None else self.assessed_at.isoformat(),
        }


def _questions() -> list[Question]:
    return [
        Question(id=q.id, text=q.text, urgency=q.urgency, group=q.group)
        for q in knowledge_base().red_flags.questions
    ]


QUESTIONS: list[Question] = _questions()
QUESTION_IDS: tuple[str, ...] = tuple(q.id for q in QUESTIONS)


def question(question_id: str) -> Question:
    for q in QUESTIONS:
        if q.id == question_id:
            return q
    raise ValidationError(f"unknown red-flag question {question_id!r} (known: {', '.join(QUESTION_IDS)})")


def evaluate(answers: dict[str, bool]) -> ScreenResult:
    """Classify yes/no answers. Unanswered questions count as no; unknown ids are an error."""
    unknown = sorted(set(answers) - set(QUESTION_IDS))
    if unknown:
        raise ValidationError(f"unknown red-flag questions: {', '.join(unknown)}")
    flags = tuple(q.id for q in QUESTIONS if answers.get(q.id))
    hit = [q for q in QUESTIONS if q.id in flags]
    groups = tuple(dict.fromkeys(q.group for q in hit))
    full = {q.id: bool(answers.get(q.id, False)) for q in QUESTIONS}
    if not hit:
        return ScreenResult("none", (), NONE_MESSAGE, NONE_WHAT_TO_DO, (), full)
    urgency: ScreenUrgency = "emergency" if any(q.urgency == "emergency" for q in hit) else "urgent"
    defs = knowledge_base().red_flags.groups
    # The most urgent groups first, so the first sentence is the one that matters most.
    ordered = sorted(groups, key=lambda g: 0 if defs[g].urgency == "emergency" else 1)
    message = " ".join(defs[g].message for g in ordered)
    what_to_do = " ".join(defs[g].what_to_do for g in ordered)
    return ScreenResult(urgency, flags, message, what_to_do, tuple(ordered), full)


def result_from_stored(
    urgency: str,
    flags: list[str],
    answers: dict[str, bool],
    *,
    taken_at: datetime | None = None,
    assessed_at: datetime | None = None,
    screen_id: int | None = None,
) -> ScreenResult:
    """Rebuild a stored screen; messages come from today's data file, urgency as it was recorded."""
    known = {k: v for k, v in answers.items() if k in QUESTION_IDS}
    fresh = evaluate(known)
    extra = tuple(f for f in flags if f not in fresh.flags)  # questions since renamed: keep the record
    level: ScreenUrgency = urgency if urgency in ("emergency", "urgent", "none") else fresh.urgency  # type: ignore[assignment]
    return ScreenResult(
        level,
        fresh.flags + extra,
        fresh.message,
        fresh.what_to_do,
        fresh.groups,
        fresh.answers,
        taken_at=taken_at,
        assessed_at=assessed_at,
        screen_id=screen_id,
    )
