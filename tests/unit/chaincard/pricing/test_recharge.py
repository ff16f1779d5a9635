"""Recharge promotions (V2): which promotion and tier a recharge gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard.pricing import (
    PricingError,
    RechargeBonus,
    RechargePromotionTerms,
    RechargeTierTerms,
    select_recharge_bonus,
)

UTC8 = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 15, 10, 0, tzinfo=UTC8)


def select(amount_fen, promotions, **where):
    return select_recharge_bonus(amount_fen, promotions, card_type_code=where.get("card_type_code", "GOLD-SV"),
                                 store_id=where.get("store_id", "S1"), now=where.get("now", NOW))


def test_no_promotions_no_bonus():
    assert select(10_000, ()) == RechargeBonus("", 0, 0, ())


def test_equal_priority_goes_to_the_lowest_code():
    a = RechargePromotionTerms(code="A", tiers=(RechargeTierTerms(100, 1),))
    b = RechargePromotionTerms(code="B", tiers=(RechargeTierTerms(100, 2),))
    assert select(100, (b, a)).promotion_code == "A"


def test_tiers_in_any_order_and_exact_minimum_reaches_the_tier():
    promotion = RechargePromotionTerms(code="P", tiers=(RechargeTierTerms(30_000, 3), RechargeTierTerms(10_000, 1),
                                                        RechargeTierTerms(20_000, 2)))
    assert [select(amount, (promotion,)).bonus_fen for amount in (9_999, 10_000, 19_999, 20_000, 30_000, 10**9)] == [
        0, 1, 1, 2, 3, 3]


def test_valid_from_is_inclusive_and_compares_instants():
    starts = datetime(2025, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 at UTC+8
    promotion = RechargePromotionTerms(code="P", valid_from=starts, tiers=(RechargeTierTerms(1, 5),))
    assert select(1, (promotion,)).bonus_fen == 5
    assert select(1, (promotion,), now=NOW - timedelta(seconds=1)).bonus_fen == 0


@pytest.mark.parametrize("amount", [0, -100])
def test_amount_must_be_positive(amount):
    with pytest.raises(PricingError) as refused:
        select(amount, ())
    assert (refused.value.field, refused.value.precondition) == ("amount_fen", False)


@pytest.mark.parametrize(
    "build",
    [
        lambda: select(100, (), now=datetime(2025, 3, 15)),
        lambda: RechargePromotionTerms(code="P", valid_until=datetime(2025, 3, 15)),
        lambda: RechargePromotionTerms(code="P", tiers=(RechargeTierTerms(100, 1), RechargeTierTerms(100, 2))),
        lambda: RechargeTierTerms(-1),
    ],
)
def test_configuration_defects_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


TIERS = st.lists(st.builds(RechargeTierTerms, st.integers(1, 10**6), st.integers(0, 10**5)), max_size=5,
                 unique_by=lambda tier: tier.min_amount_fen)


@given(st.integers(1, 2 * 10**6), st.lists(st.tuples(TIERS, st.integers(-3, 3), st.booleans()), max_size=5))
def test_chosen_tier_is_the_highest_reached_of_the_best_promotion(amount, specs):
    promotions = [RechargePromotionTerms(code=f"P{index}", tiers=tuple(tiers), priority=priority, active=active)
                  for index, (tiers, priority, active) in enumerate(specs)]
    bonus = select(amount, promotions)
    eligible = [p for p in promotions if p.active and any(t.min_amount_fen <= amount for t in p.tiers)]
    if not eligible:
        assert bonus == RechargeBonus()
        return
    best = max(p.priority for p in eligible)
    chosen = next(p for p in promotions if p.code == bonus.promotion_code)
    assert chosen.priority == best and chosen in eligible
    reached = max(t.min_amount_fen for t in chosen.tiers if t.min_amount_fen <= amount)
    assert bonus.bonus_fen == next(t.bonus_fen for t in chosen.tiers if t.min_amount_fen == reached)
