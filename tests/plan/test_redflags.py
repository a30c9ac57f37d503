"""Every red flag maps to its urgency (DOMAIN.md section 1); combinations and messages."""

from __future__ import annotations

import pytest

from backstride.errors import ValidationError
from backstride.plan import redflags

#: From DOMAIN.md section 1, written out independently of the data file.
EMERGENCY = {
    "bladder", "urine_sensation", "bowel", "saddle_numbness", "sexual_dysfunction",  # cauda equina
    "both_legs",
    "rock_hard_muscles", "dark_urine",  # after exertion
}  # fmt: skip
URGENT = {
    "age_onset", "past_cancer", "weight_loss", "night_pain", "rest_pain_not_improving",  # cancer
    "fever", "immunosuppressed", "recent_infection",  # infection
    "major_trauma", "fragile_bones",  # fracture
    "one_leg_weakness", "below_knee",  # nerves
    "inflammatory",  # inflammatory back pain
    "flank_blood", "pulsating_abdomen",  # organs, not spine
}  # fmt: skip


def test_question_set_is_exactly_the_domain_list() -> None:
    assert set(redflags.QUESTION_IDS) == EMERGENCY | URGENT


@pytest.mark.parametrize("qid", sorted(EMERGENCY | URGENT))
def test_each_red_flag_maps_to_its_urgency(qid: str) -> None:
    result = redflags.evaluate({qid: True})
    assert result.urgency == ("emergency" if qid in EMERGENCY else "urgent")
    assert result.flags == (qid,)
    assert result.message and result.what_to_do
    if qid in EMERGENCY:
        assert "emergency" in result.what_to_do.lower()


def test_all_no_is_none() -> None:
    result = redflags.evaluate({q: False for q in redflags.QUESTION_IDS})
    assert result.urgency == "none"
    assert result.flags == ()
    assert not result.positive
    assert redflags.evaluate({}).urgency == "none"


def test_emergency_wins_and_comes_first() -> None:
    result = redflags.evaluate({"fever": True, "saddle_numbness": True})
    assert result.urgency == "emergency"
    assert result.flags == ("saddle_numbness", "fever")  # question order
    assert result.groups[0] == "cauda_equina"
    assert result.message.startswith("These answers can be signs of cauda equina")
    assert "fever" in result.message


def test_exertion_messages_warn_against_overdrinking() -> None:
    result = redflags.evaluate({"dark_urine": True})
    assert "rhabdomyolysis" in result.message
    assert "water" in result.what_to_do


def test_unknown_question_is_an_error() -> None:
    with pytest.raises(ValidationError, match="unknown"):
        redflags.evaluate({"sore_toe": True})


def test_as_dict_has_the_json_fields() -> None:
    d = redflags.evaluate({"night_pain": True}).as_dict()
    assert d["urgency"] == "urgent"
    assert d["flags"] == ["night_pain"]
    assert {"message", "what_to_do"} <= set(d)


def test_urinary_sensory_change_is_an_emergency() -> None:
    """Issue 13 item 11: reduced sensation when passing urine, particularly significant in guidance."""
    result = redflags.evaluate({"urine_sensation": True})
    assert result.urgency == "emergency" and result.groups == ("cauda_equina",)
    assert "particularly significant" in result.message
    assert "pass urine" in redflags.question("urine_sensation").text


def test_not_improving_asks_about_rest_pain_not_exercise_pain() -> None:
    """Issue 13 item 10: a years-long exertional pump must not answer yes at every check-in."""
    text = redflags.question("rest_pain_not_improving").text.lower()
    assert "at rest or at night" in text and "not only when you run" in text
    assert "no_improvement" not in redflags.QUESTION_IDS
    result = redflags.evaluate({"rest_pain_not_improving": True})
    assert result.urgency == "urgent" and "only with running" in result.message


def test_a_stored_screen_with_the_old_question_stays_readable() -> None:
    old = redflags.result_from_stored("urgent", ["no_improvement"], {"no_improvement": True})
    assert old.urgency == "urgent" and old.flags == ("no_improvement",)


def test_dark_urine_explains_what_matters_for_runners() -> None:
    """Issue 13 item 12: runners' words, and rhabdomyolysis after unusual effort, heat, NSAIDs."""
    assert "blood or brown stuff in the urine" in redflags.question("dark_urine").text
    message = redflags.evaluate({"dark_urine": True}).message
    for phrase in ("unusual effort", "heat", "dehydrated", "NSAIDs", "kidneys"):
        assert phrase in message
