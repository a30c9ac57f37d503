"""Plan rules on constructed profiles: flags and findings lead to their remedies, ordering by strength
of evidence, the emergency gate, what was already tried, and the experiment. (The demo runner's plan,
built from the analysis: ``tests/plan/test_demo_plan.py``.)"""

from __future__ import annotations

import pytest

from backstride.plan.engine import build_plan
from backstride.plan.knowledge import EVIDENCE_RANK, FINDING_KINDS, knowledge_base
from backstride.plan.profile import Finding
from tests.plan.profiles import flag, profile

#: Expected remedies per self-test flag, written from DOMAIN.md and the issue (not read from the data).
FLAG_REMEDIES = {
    "flexor_extensor_ratio_high": {"back_extensor_endurance", "core_motor_control"},
    "side_bridge_asymmetry": {"side_bridge_progression", "core_motor_control"},
    "side_bridge_extensor_ratio_high": {"side_bridge_progression", "back_extensor_endurance"},
    "short_hip_flexors": {"hip_flexor_stretching"},
    "short_rectus_femoris": {"hip_flexor_stretching"},
    "short_hamstrings": {"hamstring_bridge_strength", "hamstring_stretching"},
    "hamstring_endurance_low": {"hamstring_bridge_strength", "glute_hip_strengthening"},
    "glute_med_weak_screen": {"glute_hip_strengthening"},
}
FINDING_REMEDIES = {
    "descent_effect": {"downhill_technique", "step_rate", "run_tall"},
    "lifting_lag": {"lifting_timing"},
    "max_effort_lifting": {"reduce_max_effort_lower", "lifting_timing"},
    "spike": {"spike_rule"},
    "weekly_jump": {"weekly_increase"},
    "trend_flat": {"core_motor_control", "pilates"},
    "trend_worsening": {"core_motor_control", "run_more_often"},
    "speed_effect": {"slower_easy_pace"},
    "low_step_rate": {"step_rate"},
    "body_mass_high": {"body_weight"},
    "cramping": {"hydration_electrolytes", "bananas_potassium"},
    "short_pain_free_distance": {"back_extensor_endurance", "run_more_often"},
    "shoe_effect": {"shoes"},
}


def all_ids(plan: object) -> set[str]:
    return {i.remedy for i in plan.items} | {i.remedy for i in plan.set_aside}  # type: ignore[attr-defined]


def test_expectation_tables_cover_every_flag_and_finding() -> None:
    assert set(FLAG_REMEDIES) == knowledge_base().flag_ids
    assert set(FINDING_REMEDIES) == set(FINDING_KINDS)


@pytest.mark.parametrize("flag_id", sorted(FLAG_REMEDIES))
def test_each_self_test_flag_leads_to_its_remedies(flag_id: str) -> None:
    plan = build_plan(profile(flags=[flag(flag_id)]))
    assert plan.status == "ok"
    assert FLAG_REMEDIES[flag_id] <= all_ids(plan)
    for item in plan.items + plan.set_aside:
        if item.remedy in FLAG_REMEDIES[flag_id]:
            assert f"{flag_id} (constructed)" in item.reason  # the reason is always shown


@pytest.mark.parametrize("kind", sorted(FINDING_REMEDIES))
def test_each_finding_leads_to_its_remedies(kind: str) -> None:
    plan = build_plan(profile(findings=[Finding(kind, "strong", f"{kind} seen in your runs")]))
    assert FINDING_REMEDIES[kind] <= all_ids(plan)
    for item in plan.items + plan.set_aside:
        if item.remedy in FINDING_REMEDIES[kind]:
            assert f"{kind} seen in your runs" in item.reason


def test_no_signals_gives_only_the_rules_for_everyone() -> None:
    plan = build_plan(profile())
    assert [i.remedy for i in plan.items] == ["spike_rule"]
    assert plan.set_aside == []


def test_conflicting_findings_are_ordered_by_strength_of_evidence() -> None:
    """A strong descent association points at very-low-evidence form cues; a side-bridge imbalance
    points at moderate-evidence exercise. Evidence strength decides the order."""
    plan = build_plan(
        profile(
            findings=[Finding("descent_effect", "strong", "pain starts 1.8x sooner on descents")],
            flags=[flag("side_bridge_asymmetry")],
        )
    )
    ranks = [EVIDENCE_RANK[i.evidence_strength] for i in plan.items]
    assert ranks == sorted(ranks, reverse=True)
    order = [i.remedy for i in plan.items]
    assert order.index("side_bridge_progression") < order.index("downhill_technique")
    assert order.index("glute_hip_strengthening") < order.index("step_rate")  # low before very low


def test_within_equal_evidence_the_stronger_signal_comes_first() -> None:
    plan = build_plan(
        profile(
            findings=[
                Finding("cramping", "weak", "cramps on 2 runs"),
                Finding("speed_effect", "strong", "faster runs: earlier pain"),
                Finding("lifting_lag", "moderate", "deadlifts within 48 h: earlier pain"),
            ]
        )
    )
    order = [i.remedy for i in plan.items if i.evidence_strength == "very_low"]
    assert order.index("slower_easy_pace") < order.index("lifting_timing")


def test_evidence_against_is_set_aside_with_its_reason() -> None:
    plan = build_plan(profile(findings=[Finding("cramping", "moderate", "cramps on 4 runs")]))
    aside = {i.remedy: i for i in plan.set_aside}
    assert set(aside) == {"hydration_electrolytes", "bananas_potassium"}
    assert "hyponatraemia" in aside["hydration_electrolytes"].reason
    assert all(i.evidence_strength != "against" for i in plan.items)


@pytest.mark.parametrize("qid", ["bladder", "saddle_numbness", "dark_urine", "rock_hard_muscles"])
def test_an_emergency_withholds_the_plan(qid: str) -> None:
    plan = build_plan(profile(answers={qid: True}, flags=[flag("side_bridge_asymmetry")], goal_m=4828))
    assert plan.status == "withheld" and plan.withheld
    assert plan.items == [] and plan.schedule is None and plan.experiment is None
    assert "emergency" in plan.message.lower()
    assert plan.banner.startswith("RED FLAG (emergency)")
    d = plan.as_dict()
    assert d["withheld"] is True and d["items"] == []


def test_an_urgent_flag_keeps_the_plan_with_a_banner() -> None:
    plan = build_plan(profile(answers={"night_pain": True}, flags=[flag("side_bridge_asymmetry")]))
    assert plan.status == "ok" and plan.items
    assert plan.banner.startswith("RED FLAG (urgent)")
    assert any("clinician" in n for n in plan.notes)


def test_no_screen_no_advice() -> None:
    plan = build_plan(profile(screened=False, flags=[flag("side_bridge_asymmetry")]))
    assert plan.status == "needs_screen" and plan.items == []


def test_tried_without_improvement_comes_after_untried() -> None:
    findings = [Finding("trend_flat", "moderate", "pain-free distance flat over 8 weeks")]
    plan = build_plan(profile(findings=findings, tried=frozenset({"core_motor_control"})))
    order = [i.remedy for i in plan.items]
    assert order.index("pilates") < order.index("core_motor_control")
    item = next(i for i in plan.items if i.remedy == "core_motor_control")
    assert item.tried and "not improving" in item.note


def test_tried_remedy_without_signal_is_listed_and_tested() -> None:
    plan = build_plan(profile(tried=frozenset({"foam_rolling"})))
    item = next(i for i in plan.items if i.remedy == "foam_rolling")
    assert "already do this" in item.reason
    assert plan.experiment is not None and plan.experiment.remedy == "foam_rolling"


def test_experiment_targets_the_strongest_finding() -> None:
    plan = build_plan(
        profile(
            findings=[
                Finding("lifting_lag", "strong", "back-loading lifts within 48 h: HR 2.1 (1.4-3.2)"),
                Finding("descent_effect", "weak", "descents: rate ratio 1.2 (0.8-1.7)"),
            ],
            flags=[flag("side_bridge_extensor_ratio_high")],
        )
    )
    exp = plan.experiment
    assert exp is not None
    assert exp.remedy in FINDING_REMEDIES["lifting_lag"]
    assert exp.pairs == 3 and exp.period_days == 7
    # The washout covers the remedy's expected carry-over (2 days for lifting fatigue).
    assert exp.washout_days == exp.carryover_days == 2 and "ignore the first 2 days" in exp.design
    assert exp.design.startswith("3 pairs of 7-day periods")
    assert "HR 2.1" in exp.why


def test_json_shape_of_items() -> None:
    plan = build_plan(profile(flags=[flag("side_bridge_asymmetry")], goal_m=4828.0))
    d = plan.as_dict()
    item = d["items"][0]
    assert {"remedy", "reason", "evidence"} <= set(item)
    assert item["evidence"]["strength"] in EVIDENCE_RANK
    assert item["evidence"]["sources"] and all("citation" in s for s in item["evidence"]["sources"])
    assert d["schedule"]["weeks"]
    assert d["experiment"] is None  # only slow-acting exercise is called for: nothing to test in 7 days
    assert "not a diagnosis or a treatment" in d["disclaimer"]


def test_evidence_grades_are_words_with_the_reason_for_the_grade() -> None:
    """Issue 13 items 3 and 7: no ids such as 'very_low' reach people; each grade says why."""
    from backstride.plan.knowledge import EVIDENCE_WORDS

    plan = build_plan(profile(findings=[Finding("descent_effect", "strong", "descents")]))
    for item in plan.as_dict()["items"] + plan.as_dict()["set_aside"]:
        evidence = item["evidence"]
        assert evidence["words"] == EVIDENCE_WORDS[evidence["strength"]] and "_" not in evidence["words"]
        assert evidence["grade_note"] and item["harm"]


def test_hip_flexor_heavy_work_is_not_advised_when_the_hip_flexors_screen_short() -> None:
    """Issue 13 item 6: the contradiction resolved; the runner is told what to do instead."""
    tried = frozenset({"hanging_knee_raises", "foam_rolling"})
    plain = build_plan(profile(tried=tried))
    short = build_plan(profile(tried=tried, flags=[flag("short_hip_flexors", "weak")]))
    assert (
        next(i for i in plain.items if i.remedy == "hanging_knee_raises").note
        == "You already do this: keep going."
    )
    item = next(i for i in short.items if i.remedy == "hanging_knee_raises")
    assert item.note.startswith("Not advised for you now") and "dead bugs" in item.note
    assert short.items[-1].remedy == "hanging_knee_raises"  # after everything else


def test_schedule_text_is_in_the_runners_unit() -> None:
    from datetime import timedelta

    from backstride.plan.history import RecentRun
    from tests.plan.profiles import TODAY

    base = profile(goal_m=3 * 1609.344)
    recent = [RecentRun(TODAY - timedelta(days=d), 1609.344) for d in (2, 5, 9)]
    inputs = base.__class__(**{**base.__dict__, "recent_runs": recent, "pain_free_median_m": 1609.344})
    miles = build_plan(inputs, unit="mi").as_dict()
    km = build_plan(inputs, unit="km").as_dict()
    assert miles["unit"] == "mi" and "3.00 mi" in miles["schedule"]["message"]
    assert "4.83 km" in km["schedule"]["message"]
    assert all(" km" not in r for r in miles["schedule"]["rules"])


def test_the_referral_finding_travels_with_the_plan_even_when_withheld() -> None:
    from datetime import timedelta

    from backstride.plan.referral import PainEpisode, assess
    from tests.plan.profiles import TODAY

    bad = [PainEpisode(TODAY - timedelta(days=d), 1500.0, 8, 3600.0, True) for d in (3, 10)]
    referral = assess(bad, TODAY)
    plan = build_plan(profile(), referral=referral).as_dict()
    assert plan["referral"]["refer"] is True and plan["referral"]["sources"]
    withheld = build_plan(profile(answers={"saddle_numbness": True}), referral=referral).as_dict()
    assert withheld["status"] == "withheld" and withheld["referral"]["refer"] is True
