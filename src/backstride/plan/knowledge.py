"""The knowledge base: data files in ``plan/data`` loaded and validated with pydantic.

``sources.yaml`` lists every source (from DOMAIN.md) a file may cite; ``red_flags.yaml`` the screen;
``self_tests.yaml`` the self-tests, their norms and flags; ``remedies.yaml`` the remedies, each with what
the forum says, what the evidence says (strength, why that grade, sources), dose, progression, what it
targets, contraindications, what would count as harm, and how to test it as an n-of-1 experiment (with
its expected carry-over, from which the washout is sized: :meth:`ExperimentDef.design`).
:func:`knowledge_base` loads them once and checks the cross-references (unknown sources, flags or
finding kinds fail loudly).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from backstride.errors import ValidationError

Urgency = Literal["emergency", "urgent"]
EvidenceStrength = Literal["moderate", "low", "very_low", "against"]
SignalStrength = Literal["strong", "moderate", "weak"]

#: Rank of a remedy's evidence: higher is stronger. "against" means trials found no benefit.
EVIDENCE_RANK: dict[str, int] = {"moderate": 3, "low": 2, "very_low": 1, "against": 0}
#: The one mapping from an evidence grade to the words shown to people (CLI, web, report).
EVIDENCE_WORDS: dict[str, str] = {
    "moderate": "moderate",
    "low": "low",
    "very_low": "very low",
    "against": "against it (trials found no benefit)",
}
#: Days analysed in every experiment period after its washout (7-day periods with a 2-day washout, the
#: design the verdict thresholds were calibrated on, analyse 5).
ANALYSED_DAYS = 5
#: The shortest period suggested, so that periods follow the week when the carry-over allows it.
MIN_PERIOD_DAYS = 7
#: Rank of how strongly a runner's data point at something (a finding or a self-test flag).
SIGNAL_RANK: dict[str, int] = {"strong": 3, "moderate": 2, "weak": 1}

#: Analysis findings the plan understands (``Finding.kind``), with what each means.
FINDING_KINDS: dict[str, str] = {
    "descent_effect": "pain starts sooner on or after descents (terrain descent rate ratio above 1)",
    "lifting_lag": "back-loading lifts in the 24-72 h before a run are associated with earlier pain",
    "max_effort_lifting": "max-effort lower-body days are associated with earlier pain",
    "spike": "a run more than 10% longer than the longest of the previous 30 days",
    "weekly_jump": "weekly distance up more than 30% on the week before",
    "trend_flat": "pain-free distance is not improving",
    "trend_worsening": "pain-free distance is getting shorter",
    "speed_effect": "faster runs are associated with earlier pain",
    "low_step_rate": "lower cadence is associated with earlier pain",
    "body_mass_high": "body mass index over about 24, or rising body weight",
    "cramping": "cramps reported during runs",
    "short_pain_free_distance": "median pain-free distance is well short of the goal",
    "shoe_effect": "one pair of shoes is associated with earlier pain",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedFlagGroup(_Strict):
    urgency: Urgency
    label: str
    message: str
    what_to_do: str
    sources: list[str] = Field(min_length=1)


class QuestionDef(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    group: str
    urgency: Urgency
    text: str = Field(min_length=10)


class RedFlagFile(_Strict):
    groups: dict[str, RedFlagGroup]
    questions: list[QuestionDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _groups_match(self) -> RedFlagFile:
        for q in self.questions:
            group = self.groups.get(q.group)
            if group is None:
                raise ValueError(f"question {q.id}: unknown group {q.group}")
            if group.urgency != q.urgency:
                raise ValueError(f"question {q.id}: urgency {q.urgency} differs from its group's")
        _unique([q.id for q in self.questions], "red-flag question")
        return self


class FieldDef(_Strict):
    """One value the runner enters. ``yesno`` fields are stored as 1.0 (yes) or 0.0 (no)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    unit: str
    kind: Literal["number", "yesno"] = "number"
    min: float = 0.0
    max: float = 1.0


Op = Literal[">=", ">", "<", "<="]


class Condition(_Strict):
    metric: str
    op: Op
    threshold: float


class FlagRule(_Strict):
    """The flag is raised when ANY of ``metrics`` (field keys or derived metrics) satisfies op threshold
    and every condition in ``requires`` holds too. ``threshold_female`` replaces ``threshold`` when the
    test's ``female`` answer is yes (norms that differ by sex)."""

    metrics: list[str] = Field(min_length=1)
    op: Op
    threshold: float
    threshold_female: float | None = None
    requires: list[Condition] = []


class FlagDef(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    rule: FlagRule
    strength: SignalStrength
    verified: bool


class SelfTestDef(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    how: list[str] = Field(min_length=2)
    fields: list[FieldDef] = Field(min_length=1)
    norm: list[str] = Field(min_length=1)
    norm_verified: bool
    caution: str = ""
    sources: list[str] = Field(min_length=1)
    flags: list[FlagDef] = Field(min_length=1)


class SelfTestFile(_Strict):
    tests: list[SelfTestDef] = Field(min_length=1)


class Evidence(_Strict):
    summary: str = Field(min_length=20)
    strength: EvidenceStrength
    #: Why this grade: in particular when the evidence is indirect (another condition or population).
    grade_note: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)

    @property
    def words(self) -> str:
        return evidence_words(self.strength)


def evidence_words(strength: str) -> str:
    """An evidence grade in words (``very_low`` -> ``very low``), from :data:`EVIDENCE_WORDS`."""
    return EVIDENCE_WORDS.get(strength, strength.replace("_", " "))


class Targets(_Strict):
    self_test_flags: list[str] = []
    findings: list[str] = []
    always: bool = False


class ExperimentDef(_Strict):
    """How to test a remedy in one runner. ``period_days`` 0 means it is too slow for short periods.

    ``carryover_days`` is how long the remedy's effect is expected to last after stopping: the washout
    (days left out at the start of every period) covers it, and each period keeps
    :data:`ANALYSED_DAYS` days after the washout (:meth:`design`)."""

    testable: bool
    period_days: int = Field(ge=0, le=42)
    carryover_days: int = Field(ge=0, le=60)
    outcome: str
    how: str

    @property
    def washout_days(self) -> int:
        return self.carryover_days

    def design(self) -> tuple[int, int]:
        """(period days, washout days) that separate the carry-over: the washout covers it and
        :data:`ANALYSED_DAYS` days of each period are left to analyse."""
        washout = self.carryover_days
        return max(self.period_days, MIN_PERIOD_DAYS, washout + ANALYSED_DAYS), washout


class SessionDef(_Strict):
    kind: Literal["exercise", "run", "habit", "lifting"]
    minutes: int = Field(ge=0, le=120)
    per_week: int = Field(ge=0, le=7)


class Remedy(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    category: Literal[
        "core",
        "hip",
        "extensor",
        "flexibility",
        "recovery",
        "form",
        "load",
        "lifting",
        "equipment",
        "body",
        "nutrition",
        "class",
    ]
    forum_says: str = Field(min_length=10)
    evidence: Evidence
    dose: str
    progression: str
    targets: Targets
    contraindications: list[str] = Field(min_length=1)
    #: What would count as harm while trying it (stop; in an experiment it counts against the remedy).
    harm: str = Field(min_length=10)
    #: Self-test flags under which this remedy is not advised, and what to do instead.
    avoid_if_flags: list[str] = []
    instead: str = ""
    experiment: ExperimentDef
    session: SessionDef | None = None
    routines: list[str] = []


class RemedyFile(_Strict):
    remedies: list[Remedy] = Field(min_length=20)


class KnowledgeBase(_Strict):
    sources: dict[str, str]
    red_flags: RedFlagFile
    self_tests: SelfTestFile
    remedies: RemedyFile

    @model_validator(mode="after")
    def _cross_references(self) -> KnowledgeBase:
        cited = [s for g in self.red_flags.groups.values() for s in g.sources]
        cited += [s for t in self.self_tests.tests for s in t.sources]
        cited += [s for r in self.remedies.remedies for s in r.evidence.sources]
        unknown = sorted(set(cited) - set(self.sources))
        if unknown:
            raise ValueError(f"unknown sources cited: {', '.join(unknown)}")
        _unique([t.id for t in self.self_tests.tests], "self-test")
        flags = self.flag_ids
        _unique([r.id for r in self.remedies.remedies], "remedy")
        for r in self.remedies.remedies:
            bad = sorted((set(r.targets.self_test_flags) | set(r.avoid_if_flags)) - flags)
            if bad:
                raise ValueError(f"remedy {r.id}: unknown self-test flags {bad}")
            bad = sorted(set(r.targets.findings) - set(FINDING_KINDS))
            if bad:
                raise ValueError(f"remedy {r.id}: unknown finding kinds {bad}")
            if r.experiment.testable and r.experiment.period_days == 0:
                raise ValueError(f"remedy {r.id}: a testable experiment needs period_days")
            if r.avoid_if_flags and not r.instead:
                raise ValueError(f"remedy {r.id}: avoid_if_flags needs 'instead' (what to do instead)")
        return self

    @property
    def flag_ids(self) -> set[str]:
        ids = [f.id for t in self.self_tests.tests for f in t.flags]
        _unique(ids, "self-test flag")
        return set(ids)

    def remedy(self, remedy_id: str) -> Remedy:
        for r in self.remedies.remedies:
            if r.id == remedy_id:
                return r
        raise ValidationError(f"unknown remedy {remedy_id!r}")

    def test(self, test_id: str) -> SelfTestDef:
        for t in self.self_tests.tests:
            if t.id == test_id:
                return t
        known = ", ".join(t.id for t in self.self_tests.tests)
        raise ValidationError(f"unknown self-test {test_id!r} (known: {known})")

    def cite(self, keys: list[str]) -> list[dict[str, str]]:
        """Sources as ``{"key", "citation"}`` dicts, in the order given."""
        return [{"key": k, "citation": self.sources[k]} for k in keys]


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)


def read_data(name: str) -> Any:
    """A YAML file from ``backstride/plan/data``, parsed."""
    text = resources.files("backstride.plan").joinpath("data", name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
    return yaml.load(text, Loader=loader)  # a safe loader (no arbitrary objects)


def build_knowledge_base(raw: dict[str, Any]) -> KnowledgeBase:
    """Validate already-parsed data (keys ``sources``, ``red_flags``, ``self_tests``, ``remedies``)."""
    return KnowledgeBase.model_validate(raw)


@functools.cache
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, validated (loaded once per process)."""
    return build_knowledge_base(
        {
            "sources": read_data("sources.yaml"),
            "red_flags": read_data("red_flags.yaml"),
            "self_tests": read_data("self_tests.yaml"),
            "remedies": read_data("remedies.yaml"),
        }
    )
