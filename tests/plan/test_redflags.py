"""Every red flag maps to its urgency (DOMAIN.md section 1); combinations and messages."""

from __future__ import annotations

import pytest

from backstride.errors import ValidationError
from backstride.plan import redflags

#: From DOMAIN.md section 1, written out independently of the data file.
EMERGENCY = {
    "bladder", "bowel", "saddle_numbness", "sexual_dysfunction", "both_legs",  # cauda equina
    "rock_hard_muscles", "dark_urine",  # after exertion
}  # fmt: skip
URGENT = {
    "age_onset", "past_cancer", "weight_loss", "night_pain", "no_improvement",  # cancer
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
