"""The plan rule engine: from the screen, self-test flags, findings, goal and routines to a ranked list
of what to try (each with its reason and evidence), a weekly schedule and one n-of-1 experiment.

Rules, in order:

1. No screen yet: nothing is advised (``status="needs_screen"``). An open emergency screen withholds the
   plan (``status="withheld"``) until the user confirms they have been assessed.
2. Every self-test flag and every finding calls the remedies that target it; remedies marked ``always``
   apply to everyone building distance.
3. Remedies whose evidence is ``against`` are set aside, with the reason shown (the forum proposes them;
   trials did not support them), never silently dropped.
4. The rest are ranked by strength of evidence first, then by how strongly the runner's own data point at
   them, then by how many signals point at them; a remedy already being done without improvement
   comes after an untried one of the same rank.
5. The experiment is a remedy that can be tested in periods of at most two weeks (its washout sized
   from its expected carry-over) and which the runner's data point at most; among those, the quickest
   design; a remedy already being done is a good candidate (does it help?).
6. A remedy the knowledge base advises against under one of the runner's self-test flags (for example
   hanging knee raises when the hip flexors screen short) comes after the others, with what to do
   instead.
7. The referral finding (:mod:`backstride.plan.referral`) travels with the plan: a severe or
   persistent exertional pump deserves a sports physician's opinion.

Nothing is treatment: the wording is "try", "associated with", and every item says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from backstride.plan.knowledge import EVIDENCE_RANK, SIGNAL_RANK, Remedy, evidence_words, knowledge_base
from backstride.plan.profile import PlanInputs
from backstride.plan.referral import Referral
from backstride.plan.schedule import Schedule, SessionSpec, build_schedule
from backstride.plan.screens import banner

PlanStatus = Literal["ok", "withheld", "needs_screen"]

DISCLAIMER = (
    "This is not a diagnosis or a treatment. It lists what to try, why, and how strong the evidence is; "
    "findings from your data are associations with uncertainty. Check new exercise with a clinician if "
    "you are unsure."
)
EXPERIMENT_PAIRS = 3
EXPERIMENT_DESIGN = (
    "{pairs} pairs of {period}-day periods; within each pair the order A (as usual) and B (with it) is "
    "random (for example AB|BA|AB); {washout}compare {outcome} between A and B, and report the "
    "probability of a meaningful improvement."
)
#: The longest period the plan suggests for its experiment.
MAX_EXPERIMENT_PERIOD = 14
NEEDS_SCREEN = "Answer the red-flag screen first (backstride screen): advice comes after the safety check."
TRENDS_NOT_IMPROVING = frozenset({"trend_flat", "trend_worsening"})


@dataclass(frozen=True)
class Trigger:
    type: Literal["self_test", "finding", "always", "tried"]
    id: str
    strength: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "strength": self.strength, "reason": self.reason}


@dataclass(frozen=True)
class PlanItem:
    remedy: str
    name: str
    reason: str
    triggers: list[Trigger]
    evidence_strength: str
    evidence_summary: str
    sources: list[dict[str, str]]
    forum_says: str
    dose: str
    progression: str
    contraindications: list[str]
    tried: bool
    note: str = ""
    grade_note: str = ""
    harm: str = ""

    @property
    def evidence_words(self) -> str:
        return evidence_words(self.evidence_strength)

    def as_dict(self) -> dict[str, Any]:
        return {
            "remedy": self.remedy,
            "name": self.name,
            "reason": self.reason,
            "triggers": [t.as_dict() for t in self.triggers],
            "evidence": {
                "strength": self.evidence_strength,
                "words": self.evidence_words,
                "grade_note": self.grade_note,
                "summary": self.evidence_summary,
                "sources": self.sources,
            },
            "forum_says": self.forum_says,
            "dose": self.dose,
            "progression": self.progression,
            "contraindications": self.contraindications,
            "harm": self.harm,
            "tried": self.tried,
            "note": self.note,
        }


@dataclass(frozen=True)
class Experiment:
    remedy: str
    name: str
    why: str
    design: str
    period_days: int
    washout_days: int
    pairs: int
    outcome: str
    how: str
    carryover_days: int = 0
    harm: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "remedy": self.remedy,
            "name": self.name,
            "why": self.why,
            "design": self.design,
            "pairs": self.pairs,
            "period_days": self.period_days,
            "washout_days": self.washout_days,
            "carryover_days": self.carryover_days,
            "outcome": self.outcome,
            "how": self.how,
            "harm": self.harm,
        }


@dataclass(frozen=True)
class Plan:
    status: PlanStatus
    message: str
    banner: str
    screen: dict[str, Any] | None
    items: list[PlanItem] = field(default_factory=list)
    set_aside: list[PlanItem] = field(default_factory=list)
    schedule: Schedule | None = None
    experiment: Experiment | None = None
    notes: list[str] = field(default_factory=list)
    referral: Referral | None = None
    unit: str = "km"

    @property
    def withheld(self) -> bool:
        return self.status != "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "withheld": self.withheld,
            "message": self.message,
            "banner": self.banner,
            "screen": self.screen,
            "disclaimer": DISCLAIMER,
            "items": [i.as_dict() for i in self.items],
            "set_aside": [i.as_dict() for i in self.set_aside],
            "schedule": None if self.schedule is None else self.schedule.as_dict(),
            "experiment": None if self.experiment is None else self.experiment.as_dict(),
            "notes": list(self.notes),
            "referral": None if self.referral is None else self.referral.as_dict(),
            "unit": self.unit,
        }


def _triggers(inputs: PlanInputs) -> dict[str, list[Trigger]]:
    """Remedy id -> the signals that call it, in input order."""
    out: dict[str, list[Trigger]] = {}
    for remedy in knowledge_base().remedies.remedies:
        found: list[Trigger] = []
        for flag in inputs.self_test_flags:
            if flag.id in remedy.targets.self_test_flags:
                found.append(Trigger("self_test", flag.id, flag.strength, flag.reason))
        for finding in inputs.findings:
            if finding.kind in remedy.targets.findings:
                found.append(Trigger("finding", finding.kind, finding.strength, finding.detail))
        if not found and remedy.targets.always:
            found.append(Trigger("always", "always", "weak", "applies to everyone building distance"))
        if not found and remedy.id in inputs.tried_routines:
            reason = "you already do this (routine log); none of your self-tests or findings point to it"
            found.append(Trigger("tried", "tried", "weak", reason))
        if found:
            out[remedy.id] = found
    return out


def _signal(triggers: list[Trigger]) -> int:
    return max((SIGNAL_RANK[t.strength] for t in triggers if t.type in ("self_test", "finding")), default=0)


def _item(remedy: Remedy, triggers: list[Trigger], tried: bool, note: str) -> PlanItem:
    kb = knowledge_base()
    ordered = sorted(triggers, key=lambda t: -SIGNAL_RANK[t.strength])
    reason = "; ".join(dict.fromkeys(t.reason for t in ordered))
    if remedy.evidence.strength == "against":
        reason += f". Set aside: {remedy.evidence.summary}"
    return PlanItem(
        remedy=remedy.id,
        name=remedy.name,
        reason=reason,
        triggers=ordered,
        evidence_strength=remedy.evidence.strength,
        evidence_summary=remedy.evidence.summary,
        sources=kb.cite(remedy.evidence.sources),
        forum_says=remedy.forum_says,
        dose=remedy.dose,
        progression=remedy.progression,
        contraindications=list(remedy.contraindications),
        tried=tried,
        note=note,
        grade_note=remedy.evidence.grade_note,
        harm=remedy.harm,
    )


def rank_items(inputs: PlanInputs) -> tuple[list[PlanItem], list[PlanItem]]:
    """(recommended, set aside), each in rank order (see the module docstring)."""
    kb = knowledge_base()
    not_improving = any(f.kind in TRENDS_NOT_IMPROVING for f in inputs.findings)
    flags = {f.id: f for f in inputs.self_test_flags}
    keyed: list[tuple[tuple[int, int, int, int, int, str], PlanItem]] = []
    for remedy_id, triggers in _triggers(inputs).items():
        remedy = kb.remedy(remedy_id)
        tried = remedy_id in inputs.tried_routines
        stale = tried and not_improving
        note = (
            "You already do this and your pain-free distance is not improving: keep it if an experiment "
            "or your own records say it helps."
            if stale
            else ("You already do this: keep going." if tried else "")
        )
        avoid = [flags[f] for f in remedy.avoid_if_flags if f in flags]
        if avoid:
            note = (
                f"Not advised for you now: {avoid[0].reason}. Do {remedy.instead} instead. " + note
            ).strip()
        key = (
            1 if avoid else 0,
            -EVIDENCE_RANK[remedy.evidence.strength],
            -_signal(triggers),
            -len(triggers),
            1 if stale else 0,
            remedy_id,
        )
        keyed.append((key, _item(remedy, triggers, tried, note)))
    keyed.sort(key=lambda kv: kv[0])
    items = [i for _, i in keyed if i.evidence_strength != "against"]
    aside = [i for _, i in keyed if i.evidence_strength == "against"]
    return items, aside


def choose_experiment(inputs: PlanInputs, items: list[PlanItem], aside: list[PlanItem]) -> Experiment | None:
    """One n-of-1 experiment: a quick-acting, testable remedy the data point at (tried ones preferred)."""
    kb = knowledge_base()
    candidates: list[tuple[tuple[int, int, int, int, int], PlanItem]] = []
    for position, item in enumerate(items + aside):
        spec = kb.remedy(item.remedy).experiment
        period, _ = spec.design()
        if not spec.testable or period > MAX_EXPERIMENT_PERIOD:
            continue
        finding = max((SIGNAL_RANK[t.strength] for t in item.triggers if t.type == "finding"), default=0)
        candidates.append(
            (
                (-finding, 0 if item.tried else 1, period, -EVIDENCE_RANK[item.evidence_strength], position),
                item,
            )
        )
    if not candidates:
        return None
    item = min(candidates, key=lambda kv: kv[0])[1]
    remedy = kb.remedy(item.remedy)
    spec = remedy.experiment
    period, washout = spec.design()
    why = item.reason
    if item.tried:
        why = f"you already do it, so find out whether it helps you; {why}"
    if washout:
        carry = (
            f"its effect may last about {spec.carryover_days} day{'s' if spec.carryover_days != 1 else ''} "
            f"after stopping, so ignore the first {washout} day{'s' if washout != 1 else ''} of each period "
            "(washout); "
        )
    else:
        carry = "it acts at once and wears off the same day, so no washout is needed; "
    return Experiment(
        remedy=item.remedy,
        name=item.name,
        why=why,
        design=EXPERIMENT_DESIGN.format(
            pairs=EXPERIMENT_PAIRS, period=period, washout=carry, outcome=spec.outcome
        ),
        period_days=period,
        washout_days=washout,
        pairs=EXPERIMENT_PAIRS,
        outcome=spec.outcome,
        how=spec.how,
        carryover_days=spec.carryover_days,
        harm=remedy.harm,
    )


def _sessions(items: list[PlanItem], limit: int = 3) -> list[SessionSpec]:
    kb = knowledge_base()
    out: list[SessionSpec] = []
    for item in items:
        session = kb.remedy(item.remedy).session
        if session is not None and session.kind == "exercise" and session.per_week > 0:
            out.append(SessionSpec(item.remedy, item.name, session.minutes, session.per_week))
        if len(out) == limit:
            break
    return out


def build_plan(inputs: PlanInputs, *, unit: str = "km", referral: Referral | None = None) -> Plan:
    """The plan for one runner (see the module docstring for the rules); distances in its text are in
    ``unit`` (``mi`` or ``km``). The referral finding travels with the plan, withheld or not."""
    screen = inputs.screen
    screen_dict = None if screen is None else screen.as_dict()
    if screen is None:
        return Plan("needs_screen", NEEDS_SCREEN, "", None, referral=referral, unit=unit)
    open_banner = banner(screen) if screen.assessed_at is None else ""
    if screen.urgency == "emergency" and screen.assessed_at is None:
        message = f"{screen.message} {screen.what_to_do}"
        return Plan("withheld", message, open_banner, screen_dict, referral=referral, unit=unit)
    items, aside = rank_items(inputs)
    notes: list[str] = []
    if screen.urgency == "urgent" and screen.assessed_at is None:
        notes.append("You reported an urgent red flag: see a clinician and check this plan with them.")
    schedule = None
    if inputs.goal_distance_m:
        schedule = build_schedule(
            inputs.recent_runs,
            inputs.goal_distance_m,
            inputs.today,
            goal_date=inputs.goal_date,
            pain_free_median_m=inputs.pain_free_median_m,
            sessions=_sessions(items),
            unit=unit,
        )
    else:
        example = "3mi" if unit == "mi" else "5km"
        notes.append(
            f"Set a goal (backstride plan --goal {example} --by YYYY-MM-DD) to get a weekly schedule."
        )
    if not inputs.self_test_flags:
        notes.append("No self-test flags yet: backstride test shows the tests that sharpen this plan.")
    message = "What to try, in order of evidence, with the reason for each."
    return Plan(
        "ok",
        message,
        open_banner,
        screen_dict,
        items,
        aside,
        schedule,
        choose_experiment(inputs, items, aside),
        notes,
        referral,
        unit,
    )
