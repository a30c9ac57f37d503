"""The knowledge base: every data file validates, cross-references resolve, and coverage is complete."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticError

from backstride.plan.knowledge import FINDING_KINDS, build_knowledge_base, knowledge_base, read_data
from tests.conftest import missing

DOMAIN = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"


def raw() -> dict[str, Any]:
    return {
        "sources": read_data("sources.yaml"),
        "red_flags": read_data("red_flags.yaml"),
        "self_tests": read_data("self_tests.yaml"),
        "remedies": read_data("remedies.yaml"),
    }


def test_every_data_file_validates() -> None:
    kb = build_knowledge_base(raw())
    assert len(kb.remedies.remedies) >= 20
    assert len(kb.red_flags.questions) >= 15
    assert {t.id for t in kb.self_tests.tests} == {
        "mcgill",
        "thomas",
        "knee_extension",
        "hamstring_bridge",
        "glute_med",
    }


@pytest.mark.parametrize("remedy", knowledge_base().remedies.remedies, ids=lambda r: r.id)
def test_each_remedy_is_complete(remedy: Any) -> None:
    assert remedy.forum_says and remedy.evidence.summary and remedy.dose and remedy.progression
    assert remedy.evidence.sources, "every remedy cites a source from DOMAIN.md"
    assert remedy.contraindications
    assert remedy.experiment.how
    # No remedy is worded as treatment.
    text = " ".join([remedy.name, remedy.dose, remedy.evidence.summary]).lower()
    assert not re.search(r"\b(cures?|treats?|heals?|diagnos\w*)\b", text)


def test_every_flag_and_finding_leads_somewhere() -> None:
    kb = knowledge_base()
    targeted_flags = {f for r in kb.remedies.remedies for f in r.targets.self_test_flags}
    targeted_findings = {f for r in kb.remedies.remedies for f in r.targets.findings}
    assert kb.flag_ids <= targeted_flags
    assert set(FINDING_KINDS) <= targeted_findings


def test_issue_topics_are_covered() -> None:
    """Everything the issue lists has a remedy (by id)."""
    ids = {r.id for r in knowledge_base().remedies.remedies}
    expected = {
        "core_motor_control", "glute_hip_strengthening", "back_extensor_endurance", "hanging_knee_raises",
        "pilates", "yoga", "hamstring_stretching", "hip_flexor_stretching", "foam_rolling", "run_tall",
        "step_rate", "no_overstriding", "spike_rule", "weekly_increase", "lifting_timing", "shoes",
        "body_weight", "hydration_electrolytes", "bananas_potassium", "run_more_often",
    }  # fmt: skip
    assert expected <= ids


#: For each source key, a phrase DOMAIN.md uses for it (so no source is invented).
DOMAIN_PHRASES = {
    "bass2018": "british association of spine surgeons 2018",
    "nice_ng59": "nice ng59",
    "jmcr2020": "s13256-020-02535-1",
    "lagreca2024": "lagreca, jocr 2024",
    "styf1987": "spine 1987;12:680",
    "xu2009": "jbjs br 2009;91:1628",
    "hart2009": "hart, j athl train 2009;44:475",
    "levine2007": "levine, j athl train 2007;42:29",
    "schwellnus2009": "schwellnus, bjsm 2009",
    "schwellnus2011": "ironman n=210, bjsm 2011",
    "miller2012": "miller, j athl train 2012;47:648",
    "mcgill1999": "arch phys med rehabil 1999;80:941",
    "latimer1999": "latimer, spine 1999",
    "execp2021": "s13102-021-00242-y",
    "vigotsky2016": "vigotsky, peerj 2016",
    "freckleton2014": "freckleton, bjsm 2014;48:713",
    "dimattia2005": "dimattia, j sport rehabil 2005",
    "krebs2009": "krebs, jgim 2009;24:733",
    "reed2024": "reed, j pain 2024",
    "farrar2001": "farrar, pain 2001",
    "immpact": "immpact",
    "ostelo2008": "ostelo, spine 2008",
    "hayden2021": "cochrane, hayden 2021",
    "owen2020": "owen, bjsm 2020;54:1279",
    "dejesus2020": "de jesus, clin rehabil 2020;34:1368",
    "raabe2018": "raabe & chaudhari, j biomech 2018",
    "teng2015": "teng & powers, msse 2015",
    "heiderscheit2011": "heiderscheit, msse 2011;43:296",
    "shiri2010": "shiri, am j epidemiol 2010;171:135",
    "maselli2020": "maselli, bmc msd 2020;21:343",
    "frandsen2025": "frandsen, bjsm 2025",
    "lolli2019": "lolli, bjsm 2019",
    "impellizzeri2020": "impellizzeri, sports med 2020",
    "nielsen2014": "nielsen, jospt 2014",
    "runsafe": "garmin-runsafe",
    "kravitz2014": "kravitz & duan 2014",
    "cent2015": "bmj 2015;350:h1738",
    "preempt2018": "preempt, jama intern med 2018",
    "chen2014": "chen, plos one 2014",
}


#: Sources added beyond DOMAIN.md, each with its DOI (checked in the citation).
ADDED_SOURCES = {"juanrecio2022": "10.3390/biology11071043"}


def test_sources_come_from_domain_md() -> None:
    """Every source key is one DOMAIN.md names (no invented sources), or an added one with its DOI."""
    if not DOMAIN.is_file():
        missing(f"../shared/DOMAIN.md is absent ({DOMAIN})")
    domain = DOMAIN.read_text(encoding="utf-8").lower()
    sources = knowledge_base().sources
    assert set(sources) == set(DOMAIN_PHRASES) | set(ADDED_SOURCES)
    for key, doi in ADDED_SOURCES.items():
        assert doi in sources[key] and "beyond DOMAIN.md" in sources[key]
    for key, phrase in DOMAIN_PHRASES.items():
        assert phrase in domain, key


def test_unknown_source_is_rejected() -> None:
    data = raw()
    data["remedies"]["remedies"][0]["evidence"]["sources"] = ["made_up_2099"]
    with pytest.raises(PydanticError, match="unknown sources"):
        build_knowledge_base(data)


def test_unknown_flag_or_finding_is_rejected() -> None:
    data = raw()
    bad_flag = copy.deepcopy(data)
    bad_flag["remedies"]["remedies"][0]["targets"]["self_test_flags"] = ["tight_everything"]
    with pytest.raises(PydanticError, match="unknown self-test flags"):
        build_knowledge_base(bad_flag)
    data["remedies"]["remedies"][0]["targets"]["findings"] = ["moon_phase"]
    with pytest.raises(PydanticError, match="unknown finding kinds"):
        build_knowledge_base(data)


def test_bad_strength_and_missing_fields_are_rejected() -> None:
    data = raw()
    data["remedies"]["remedies"][0]["evidence"]["strength"] = "strong-ish"
    with pytest.raises(PydanticError):
        build_knowledge_base(data)
    data = raw()
    del data["remedies"]["remedies"][1]["contraindications"]
    with pytest.raises(PydanticError):
        build_knowledge_base(data)
    data = raw()
    data["remedies"]["remedies"] = data["remedies"]["remedies"][:19]
    with pytest.raises(PydanticError):
        build_knowledge_base(data)


def test_question_urgency_must_match_group() -> None:
    data = raw()
    data["red_flags"]["questions"][0]["urgency"] = "urgent"  # bladder is in an emergency group
    with pytest.raises(PydanticError, match="urgency"):
        build_knowledge_base(data)


def test_unverified_norms_are_marked() -> None:
    """DOMAIN.md marks the McGill means and the hamstring bridge bands unverified."""
    kb = knowledge_base()
    assert kb.test("mcgill").norm_verified is False
    assert kb.test("hamstring_bridge").norm_verified is False
    assert any("unverified" in line for line in kb.test("mcgill").norm)


STRAIGHT_LEG_RAISE = re.compile(r"straight[- ]leg(ged)?\s+(raise|lift)s?", re.IGNORECASE)


def test_no_back_pain_remedy_prescribes_straight_leg_raises() -> None:
    """Issue 13 item 6: straight-leg raises load the lumbar spine heavily; no remedy advises them."""
    for remedy in knowledge_base().remedies.remedies:
        advice = " ".join([remedy.name, remedy.dose, remedy.progression, remedy.experiment.how])
        assert not STRAIGHT_LEG_RAISE.search(advice), remedy.id
    # The checker itself finds them.
    assert STRAIGHT_LEG_RAISE.search("Slower lowering, then straight-leg raises.")


def test_hip_flexor_heavy_work_is_not_advised_when_the_hip_flexors_screen_short() -> None:
    raises = knowledge_base().remedy("hanging_knee_raises")
    assert {"short_hip_flexors", "short_rectus_femoris"} <= set(raises.avoid_if_flags)
    assert "dead bug" in raises.instead
    # No remedy both targets a flag and is to be avoided under it.
    for remedy in knowledge_base().remedies.remedies:
        assert not set(remedy.targets.self_test_flags) & set(remedy.avoid_if_flags), remedy.id


def test_indirect_evidence_is_graded_low_and_says_why() -> None:
    """Issue 13 item 7."""
    kb = knowledge_base()
    for remedy_id in ("side_bridge_progression", "back_extensor_endurance"):
        evidence = kb.remedy(remedy_id).evidence
        assert evidence.strength == "low", remedy_id
        assert "indirect" in evidence.grade_note.lower()
    spike = kb.remedy("spike_rule").evidence
    assert "running injuries in general" in spike.grade_note
    assert "not evidence about back pain" in spike.grade_note
    assert "back pain was not studied" in spike.summary


def test_evidence_words_cover_every_grade() -> None:
    from typing import get_args

    from backstride.plan.knowledge import EVIDENCE_RANK, EVIDENCE_WORDS, EvidenceStrength, evidence_words

    assert set(EVIDENCE_WORDS) == set(EVIDENCE_RANK) == set(get_args(EvidenceStrength))
    assert evidence_words("very_low") == "very low"
    assert all("_" not in words for words in EVIDENCE_WORDS.values())


@pytest.mark.parametrize("remedy", knowledge_base().remedies.remedies, ids=lambda r: r.id)
def test_each_remedy_has_carry_over_and_harm_and_a_design_that_separates_them(remedy: Any) -> None:
    """Issue 13 item 8 and issue 12 item 9: one home for the carry-over; the washout covers it and
    5 days of every period are left to analyse."""
    from backstride.plan.knowledge import ANALYSED_DAYS

    assert remedy.harm
    period, washout = remedy.experiment.design()
    assert washout == remedy.experiment.carryover_days
    assert period - washout >= ANALYSED_DAYS
    assert period >= 7
    if remedy.experiment.testable:
        assert period <= 14, "a testable remedy should fit in periods of at most two weeks"
    else:
        assert remedy.experiment.carryover_days >= 7 or remedy.category == "load"


def test_a_design_is_sized_from_the_carry_over() -> None:
    from backstride.plan.knowledge import ExperimentDef

    def design(carry: int, period: int = 7) -> tuple[int, int]:
        return ExperimentDef(
            testable=True, period_days=period, carryover_days=carry, outcome="o", how="h"
        ).design()

    assert design(0) == (7, 0)
    assert design(2) == (7, 2)
    assert design(5) == (10, 5)
    assert design(3, period=14) == (14, 3)
