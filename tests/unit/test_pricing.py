import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard.pricing import (
    BasketLine,
    ExternalTender,
    LevelTerms,
    PricingError,
    StoredValue,
    price_checkout,
)

TEA = BasketLine(sku="T", name="tea", category="tea", quantity=1, unit_price_fen=12_000)


def test_plain_spend_from_principal():
    plan = price_checkout([TEA], level=LevelTerms(), stored_value=StoredValue(50_000, 0), external_tenders=[])
    assert (plan.total_due_fen, plan.principal_fen, plan.bonus_fen, plan.points_earned) == (12_000, 12_000, 0, 120)


def test_principal_and_bonus_consumed_in_proportion():
    plan = price_checkout([TEA], level=LevelTerms(), stored_value=StoredValue(40_000, 10_000), external_tenders=[])
    assert (plan.principal_fen, plan.bonus_fen) == (9_600, 2_400)


def test_level_discount_and_points_multiplier():
    plan = price_checkout([TEA], level=LevelTerms(discount_bp=1000, points_multiplier_bp=15_000), stored_value=StoredValue(50_000, 0), external_tenders=[])
    assert (plan.discount_fen, plan.total_due_fen, plan.points_earned) == (1_200, 10_800, 162)


def test_external_tender_covers_part():
    plan = price_checkout([TEA], level=LevelTerms(), stored_value=StoredValue(5_000, 0), external_tenders=[ExternalTender("CASH", 7_000)])
    assert (plan.stored_value_fen, plan.principal_fen) == (5_000, 5_000)


def test_insufficient_balance_is_a_precondition():
    with pytest.raises(PricingError) as refused:
        price_checkout([TEA], level=LevelTerms(), stored_value=StoredValue(100, 0), external_tenders=[])
    assert refused.value.precondition and refused.value.field == "card_number"


def test_bad_line_names_its_field():
    with pytest.raises(PricingError) as refused:
        price_checkout([BasketLine("a", "a", "c", 0, 1)], level=LevelTerms(), stored_value=StoredValue(0, 0), external_tenders=[])
    assert refused.value.field == "lines[0].quantity"


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**9))
def test_split_never_overdraws_either_side(principal, bonus, price):
    if principal + bonus < price:
        return
    line = BasketLine("x", "x", "c", 1, price)
    plan = price_checkout([line], level=LevelTerms(), stored_value=StoredValue(principal, bonus), external_tenders=[])
    assert plan.principal_fen + plan.bonus_fen == price
    assert 0 <= plan.principal_fen <= principal and 0 <= plan.bonus_fen <= bonus
