"""The quick log: what the phone form shows of a run's stored report, and what its Save writes.

The form opens on the stored report (:func:`form_of`): its kind of pain, where it started (as the
runner typed it), severity, locations and notes; a draft from the lap button opens as that draft.
Save compares what comes back with what the form showed: nothing changed means nothing is written
(a draft is confirmed as it stands), so opening "Change" and saving never alters a report. When
something changed, what the form does not show is carried over from the stored report: other
qualities, stages, how long it lasted, and the exact onset when its field was left as it was.

Choices: ``none`` (pain-free), ``pump``, ``cramp``, ``ache`` (dull ache), ``stopped`` (pain that
made the runner stop or walk) and ``other`` (pain of another kind). Built on
:func:`backstride.log.pain.record_pain` and :func:`~backstride.log.pain.confirm_pain`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from backstride.errors import ValidationError
from backstride.log.onset import first_manual_press
from backstride.log.pain import LOCATIONS, confirm_pain, get_pain, record_pain
from backstride.store.activities import load_laps
from backstride.units import format_distance_input

CHOICES = ("none", "pump", "cramp", "ache", "stopped", "other")
#: The quality each choice records.
CHOICE_QUALITY = {"pump": "pump", "cramp": "cramp", "ache": "dull-ache"}
#: The stages each choice stands for (the quick log writes the first of them).
CHOICE_STAGES: dict[str, tuple[str, ...]] = {
    "pump": ("pump", "tightness"),
    "cramp": ("cramp",),
    "stopped": ("stopped", "walked"),
}
#: Locations offered as chips (a stored report's other locations are shown too).
LOCATION_CHIPS = ("lower-back", "upper-glute", "hamstring", "hip-flexor", "other")
_BARE_NUMBER = re.compile(r"^\s*\d+(?:[.,]\d+)?\s*$")
_NO_POINT = re.compile(r"^\s*(unknown|\?|during\b.*|between\b.*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class QuickForm:
    """The quick log's fields, as shown or as sent back."""

    choice: str = "none"
    onset: str = ""
    severity: int | None = None
    locations: tuple[str, ...] = ()
    notes: str = ""

    def same_as(self, other: QuickForm) -> bool:
        """True when saving ``other`` would say nothing new about the run (the hidden pain fields
        of a pain-free answer do not count)."""
        if self.choice != other.choice or self.notes.strip() != other.notes.strip():
            return False
        if self.choice == "none":
            return True
        return (
            self.onset.strip() == other.onset.strip()
            and self.severity == other.severity
            and set(self.locations) == set(other.locations)
        )


def choice_of(report: dict[str, Any] | None) -> str | None:
    """The quick-log choice a stored report reads as (``None`` without a report)."""
    if report is None:
        return None
    if report["status"] == "none":
        return "none"
    stages = {s["stage"] for s in report.get("stages") or []}
    qualities = set(report.get("qualities") or [])
    if stages & set(CHOICE_STAGES["stopped"]):
        return "stopped"
    if "cramp" in qualities or "cramp" in stages:
        return "cramp"
    if "pump" in qualities or stages & set(CHOICE_STAGES["pump"]):
        return "pump"
    if "dull-ache" in qualities:
        return "ache"
    return "other"


def onset_text(report: dict[str, Any], unit: str) -> str:
    """The onset as the form shows it: what the runner typed (``lap 2``, ``14:30``, ``1.2mi``), or
    the distance in the display unit when that was a bare number or the lap button."""
    typed = report.get("onset_input")
    if typed and not _BARE_NUMBER.match(typed) and typed != "first manual lap":
        return str(typed)
    if report.get("onset_m") is not None:
        return format_distance_input(report["onset_m"], unit)
    return str(typed or "")


def metres_text(value: float) -> str:
    """``value`` metres as text that parses back to the same number (``4055.04m``)."""
    return "0m" if value < 1e-3 else f"{float(value)!r}m"


def exact_onset(report: dict[str, Any]) -> str | None:
    """Text that places the stored onset exactly where it is (for an onset field left as it was)."""
    typed = report.get("onset_input")
    if typed and not _BARE_NUMBER.match(typed):
        return str(typed)
    if report.get("onset_m") is not None:
        return metres_text(float(report["onset_m"]))
    return None


def form_of(report: dict[str, Any], unit: str) -> QuickForm:
    """What the form shows for a stored report."""
    if report["status"] == "none":
        return QuickForm("none", notes=report.get("notes") or "")
    return QuickForm(
        choice_of(report) or "other",
        onset_text(report, unit),
        report.get("severity"),
        tuple(report.get("locations") or ()),
        report.get("notes") or "",
    )


@dataclass(frozen=True)
class QuickView:
    """The quick log page: the form's values and where the onset came from."""

    form: QuickForm
    onset_origin: str
    location_chips: tuple[str, ...]
    draft: bool
    offer_pain_free: bool


def view_for(conn: Connection, run: dict[str, Any], unit: str, lap_is_pain: bool) -> QuickView:
    """The form for ``run``: its stored report, else the first lap press as the onset to confirm."""
    report = run.get("pain")
    if report is not None:
        form = form_of(report, unit)
        origin = "your first lap press" if report.get("source") == "lap" else "your report"
        extra = tuple(x for x in form.locations if x not in LOCATION_CHIPS)
        return QuickView(
            form, origin if form.onset else "", LOCATION_CHIPS + extra, not report["confirmed"], False
        )
    press = first_manual_press(load_laps(conn, run["id"]))
    if press is not None and press.end_m is not None:
        return QuickView(
            QuickForm("none", format_distance_input(press.end_m, unit)),
            "your first lap press",
            LOCATION_CHIPS,
            False,
            False,
        )
    return QuickView(QuickForm("none"), "", LOCATION_CHIPS, False, lap_is_pain)


def read_form(
    choice: str, onset: str | None, severity: str | None, locations: Sequence[str] | None, notes: str | None
) -> QuickForm:
    """The submitted fields, checked: one line naming the field for anything wrong."""
    if choice not in CHOICES:
        raise ValidationError(f"Pain?: choose one of {', '.join(CHOICES)}")
    level: int | None = None
    if severity is not None and severity.strip():
        try:
            level = int(severity.strip())
        except ValueError as exc:
            raise ValidationError(f"How bad: a number from 0 to 10, not {severity!r}") from exc
        if not 0 <= level <= 10:
            raise ValidationError(f"How bad: a number from 0 to 10, not {level}")
    for where in locations or ():
        if where not in LOCATIONS:
            raise ValidationError(f"Where: unknown location {where!r}")
    for text, what in ((onset, "Started at"), (notes, "Notes")):
        if text and "\x00" in text:
            raise ValidationError(f"{what}: must not contain NUL characters")
    return QuickForm(choice, (onset or "").strip(), level, tuple(dict.fromkeys(locations or ())), notes or "")


def save(conn: Connection, user_id: int, run: dict[str, Any], sent: QuickForm, unit: str) -> str:
    """Save the quick log for ``run`` (its ``run_detail``); returns ``saved``, ``confirmed`` (a
    draft kept as it was) or ``unchanged`` (nothing written)."""
    stored = get_pain(conn, user_id, int(run["id"]))
    if stored is not None and form_of(stored, unit).same_as(sent):
        if not stored["confirmed"]:
            confirm_pain(conn, user_id, int(run["id"]))
            return "confirmed"
        return "unchanged"
    notes = sent.notes.strip() or None
    if sent.choice == "none":
        record_pain(conn, user_id, int(run["id"]), status="none", notes=notes, source="web")
        return "saved"
    before = choice_of(stored) if stored is not None and stored["status"] == "pain" else None
    kept = stored if before is not None else None
    same_onset = kept is not None and sent.onset == onset_text(kept, unit)
    onset = exact_onset(kept) if kept is not None and same_onset else (sent.onset or None)
    qualities = list(kept["qualities"]) if kept is not None else []
    stages = [(s["stage"], metres_text(s["distance_m"])) for s in kept["stages"]] if kept is not None else []
    if sent.choice != before:
        qualities = [q for q in qualities if q != CHOICE_QUALITY.get(before or "")]
        wanted = CHOICE_QUALITY.get(sent.choice)
        if wanted and wanted not in qualities:
            qualities.append(wanted)
    if sent.choice != before or not same_onset:
        owned = set(CHOICE_STAGES.get(before or "", ())) | set(CHOICE_STAGES.get(sent.choice, ()))
        stages = [s for s in stages if s[0] not in owned]
        if sent.choice in ("pump", "cramp") and onset and not _NO_POINT.match(onset):
            stages.append((sent.choice, onset))
        if sent.choice == "stopped" and run.get("distance_m"):
            stages.append(("stopped", metres_text(float(run["distance_m"]))))
    known = list(stored["locations"]) if stored is not None else []  # keep the stored order
    locations = [x for x in known if x in sent.locations] + [x for x in sent.locations if x not in known]
    record_pain(
        conn,
        user_id,
        int(run["id"]),
        onset=onset,
        severity=sent.severity,
        locations=locations,
        qualities=qualities,
        stages=stages,
        lasted_after=kept["lasted_after_s"] if kept is not None else None,
        notes=notes,
        source="web",
        default_unit=unit,
    )
    return "saved"
