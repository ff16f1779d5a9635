"""What a refund of a count-use purchase gives back (docs/adr/0035): a pass's unused whole days (from
tomorrow when it was used today) and the purchase's stored value in its own principal/bonus split,
counted cumulatively so that refunds one at a time never return more than the purchase took."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from chaincard.count_purchase_refunds import stored_value_back, unused_pass_days

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
END = START + timedelta(days=30)


@pytest.mark.parametrize(("now", "used_today", "days"), [
    (START - timedelta(days=3), False, 30),  # not begun: all of it
    (START + timedelta(hours=1), False, 30),  # bought today, unused: all of it
    (START + timedelta(hours=1), True, 29),  # used today: from tomorrow
    (START + timedelta(days=10, hours=5), False, 20),
    (START + timedelta(days=10, hours=5), True, 19),
    (END - timedelta(minutes=1), True, 0),
    (END + timedelta(days=2), False, 0),  # over
])
def test_unused_whole_days(now, used_today, days):  # type: ignore[no-untyped-def]
    assert unused_pass_days(START, END, now, used_today=used_today) == days


def test_stored_value_goes_back_in_the_purchases_split():
    assert stored_value_back(20_000, 10_000, 0, 30_000) == (20_000, 10_000)
    assert stored_value_back(20_000, 10_000, 0, 21_000) == (14_000, 7_000)
    assert stored_value_back(0, 0, 0, 0) == (0, 0)
    with pytest.raises(ValueError, match="cannot refund"):
        stored_value_back(20_000, 10_000, 21_000, 9_001)


def test_refunds_one_at_a_time_sum_to_the_split_and_never_go_negative():
    rng = random.Random(35)
    for _ in range(500):
        principal, bonus = rng.randint(0, 50_000), rng.randint(0, 50_000)
        paid, before, back_principal, back_bonus = principal + bonus, 0, 0, 0
        while before < paid:
            refund = rng.randint(1, paid - before)
            p, b = stored_value_back(principal, bonus, before, refund)
            assert p >= 0 and b >= 0 and p + b == refund
            back_principal, back_bonus, before = back_principal + p, back_bonus + b, before + refund
            assert back_principal <= principal and back_bonus <= bonus
        assert (back_principal, back_bonus) == (principal, bonus)
