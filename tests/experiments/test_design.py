"""The design: reproducible block-pair randomisation, periods, washout."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backstride.errors import ValidationError
from backstride.experiments.design import build_schedule, draw_sequence, parse_period, period_on


def test_same_seed_same_sequence_and_every_pair_is_ab_or_ba() -> None:
    assert draw_sequence(5, 42) == draw_sequence(5, 42)
    for seed in range(50):
        seq = draw_sequence(4, seed)
        assert all({seq[i], seq[i + 1]} == {"A", "B"} for i in range(0, 8, 2))


def test_orders_are_a_fair_coin() -> None:
    firsts = [draw_sequence(3, seed)[0] for seed in range(400)]
    share_b = firsts.count("B") / len(firsts)
    assert 0.42 < share_b < 0.58  # binomial(400, 0.5): 0.5 +- 4 SD


def test_schedule_periods_back_to_back_with_washout() -> None:
    sched = build_schedule(date(2025, 3, 3), "ABBA", 7, 2)
    assert [p.start for p in sched] == [date(2025, 3, 3) + timedelta(days=7 * i) for i in range(4)]
    assert sched[-1].end == date(2025, 3, 30)
    assert [p.pair for p in sched] == [0, 0, 1, 1]
    assert sched[1].in_washout(date(2025, 3, 11)) and not sched[1].in_washout(date(2025, 3, 12))
    assert period_on(sched, date(2025, 3, 31)) is None
    with pytest.raises(ValidationError):
        build_schedule(date(2025, 3, 3), "AABB", 7, 2)
    with pytest.raises(ValidationError):
        build_schedule(date(2025, 3, 3), "AB", 7, 7)


@pytest.mark.parametrize(("text", "days"), [("7d", 7), ("7", 7), ("2w", 14), ("10 days", 10)])
def test_parse_period(text: str, days: int) -> None:
    assert parse_period(text) == days


def test_too_few_pairs_rejected() -> None:
    with pytest.raises(ValidationError):
        draw_sequence(2, 1)
