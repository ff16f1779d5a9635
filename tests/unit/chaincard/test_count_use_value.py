"""What count uses are worth (docs/adr/0031): floor shares of a pack's value left, so a pack's uses
sum to its price exactly however they are taken, and reversals give back what the sale took."""

from __future__ import annotations

import random

import pytest

from chaincard.ledger.count_use_value import value_returned, value_taken


def _consume(price: int, uses: int, takes: list[int]) -> list[int]:
    value_left, left, values = price, uses, []
    for n in takes:
        value = value_taken(value_left, left, n)
        value_left, left = value_left - value, left - n
        values.append(value)
    return values


def test_the_last_use_of_a_pack_takes_what_the_floors_left():
    assert _consume(10_000, 3, [1, 1, 1]) == [3_333, 3_333, 3_334]
    assert _consume(5_000, 7, [1] * 7) == [714, 714, 714, 714, 714, 715, 715]
    assert _consume(2_001, 2, [2]) == [2_001]
    assert _consume(0, 5, [2, 3]) == [0, 0]


def test_a_pack_sums_to_its_price_however_its_uses_are_taken():
    rng = random.Random(31)
    for _ in range(500):
        price, uses = rng.randint(0, 1_000_000), rng.randint(1, 60)
        takes, left = [], uses
        while left:
            takes.append(rng.randint(1, left))
            left -= takes[-1]
        values = _consume(price, uses, takes)
        assert sum(values) == price and all(value >= 0 for value in values)


def test_giving_uses_back_one_refund_at_a_time_returns_what_the_sale_took():
    assert [value_returned(1_000, 3, before, 1) for before in range(3)] == [333, 333, 334]
    assert value_returned(9_000, 3, 0, 3) == 9_000
    assert value_returned(0, 0, 0, 0) == 0


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        value_taken(100, 2, 3)
    with pytest.raises(ValueError):
        value_taken(100, 2, 0)
    with pytest.raises(ValueError):
        value_returned(100, 2, 1, 2)
