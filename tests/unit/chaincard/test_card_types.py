"""Card types honoured (C1, chaincard.card_types): each flag's rule, and the checkout core following
it for the region and the store's offline stand-in alike (chaincard.checkout.request.pricing_input)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaincard import card_types
from chaincard.card_types import CardTypeRefused
from chaincard.checkout.request import checkout_fields, price, pricing_input
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.pricing import StoredValue
from chaincard.v1 import common_pb2, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc

CARD = "881234567890123"
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TYPES = [
    pc.CardType(code="FULL", stored_value=True, points=True, discount=True),
    pc.CardType(code="PTS", points=True, discount=True),
    pc.CardType(code="SV", stored_value=True, discount=True),
    pc.CardType(code="PLAIN", stored_value=True, points=True),
    pc.CardType(code="TRIAL", stored_value=True, points=True, discount=True, trial=True, validity_days=7),
]
SNAPSHOT = pc.ConfigSnapshot(
    card_types=TYPES,
    levels=[pc.Level(code="GOLD", discount_bp=1_000, points_multiplier_bp=20_000)],
    earn_rules=[pc.EarnRule(code="BASE", points_per_unit=1, spend_unit_fen=100, active=True)],
    points_deduction=pc.PointsDeductionPolicy(enabled=True, points_per_unit=100, unit_value_fen=100, max_bill_share_bp=5_000),
)


def _sale(card_type: str, *, tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_STORED_VALUE,
          points: int = 0):  # type: ignore[no-untyped-def]
    request = transactions_pb2.CheckoutRequest(
        request_id="r-1", store_id="S-E-001", card_number=CARD, points_to_redeem=points,
        lines=[transactions_pb2.BasketLine(sku="TEA", name="Tea", category="tea", quantity=1, unit_price_fen=10_000)],
        tenders=[transactions_pb2.TenderRequest(type=tender, amount_fen=0)],
    )
    return price(pricing_input(checkout_fields(request), SNAPSHOT, store_id="S-E-001", local_time=NOON, level_code="GOLD",
                               stored_value=StoredValue(100_000, 0), points_balance=10_000, card_type_code=card_type))


def test_a_full_card_gets_discount_points_and_pays_by_stored_value():
    plan = _sale("FULL")
    assert (plan.discount_fen, plan.total_due_fen, plan.points_earned) == (1_000, 9_000, 180)


def test_without_stored_value_a_card_cannot_pay_by_it():
    with pytest.raises(CardTypeRefused) as refused:
        _sale("PTS")
    assert refused.value.flag == "stored_value"
    assert "card type PTS" in str(refused.value) and "stored_value" in str(refused.value)
    assert _sale("PTS", tender=common_pb2.TENDER_TYPE_CASH).points_earned == 180
    request = transactions_pb2.CheckoutRequest(card_number=CARD, lines=[transactions_pb2.BasketLine(
        sku="TEA", quantity=1, unit_price_fen=100)])  # no tenders: stored value is implied
    with pytest.raises(CardTypeRefused, match="stored_value"):
        pricing_input(checkout_fields(request), SNAPSHOT, store_id="S-E-001", local_time=NOON, level_code="",
                      stored_value=StoredValue(0, 0), points_balance=0, card_type_code="PTS")


def test_without_points_a_card_earns_none_and_uses_none():
    assert _sale("SV").points_earned == 0
    with pytest.raises(CardTypeRefused) as refused:
        _sale("SV", points=100)
    assert refused.value.flag == "points" and "card type SV" in str(refused.value)


def test_without_discount_the_level_gives_no_discount_but_keeps_its_points_multiplier():
    plan = _sale("PLAIN")
    assert (plan.discount_fen, plan.total_due_fen, plan.points_earned) == (0, 10_000, 200)


def test_a_type_the_snapshot_does_not_list_is_not_restricted():
    assert _sale("UNKNOWN").discount_fen == 1_000
    assert card_types.rules_of(SNAPSHOT, "UNKNOWN").rechargeable


@pytest.mark.parametrize(("code", "flag"), [("PTS", "stored_value"), ("TRIAL", "trial")])
def test_recharge_refused_without_stored_value_and_for_a_trial_card(code: str, flag: str):
    with pytest.raises(CardTypeRefused) as refused:
        card_types.rules_of(SNAPSHOT, code).require_rechargeable()
    assert refused.value.flag == flag and f"card type {code}" in str(refused.value)
    card_types.rules_of(SNAPSHOT, "FULL").require_rechargeable()


# ---- renewal ------------------------------------------------------------------------------------------
YEAR = pc.CardType(code="YEAR", validity_days=365)


@pytest.mark.parametrize(("ends_in", "renewed_after"), [
    (timedelta(days=-40), timedelta(days=365)),  # ended long ago: a year from now
    (timedelta(0), timedelta(days=365)),
    (timedelta(days=10), timedelta(days=375)),  # ending soon: a year after its old end
    (timedelta(days=30), timedelta(days=395)),  # the first day of the window
])
def test_renewal_adds_validity_days_to_the_later_of_now_and_the_old_end(ends_in: timedelta, renewed_after: timedelta):
    assert card_types.renewed_expiry(YEAR, CARD, NOON + ends_in, NOON) == NOON + renewed_after


def test_renewal_refused_too_early_for_a_card_that_never_expires_a_trial_and_an_endless_type():
    with pytest.raises(FailedPrecondition, match="can be renewed from 2026-12-02"):
        card_types.renewed_expiry(YEAR, CARD, NOON + timedelta(days=30, seconds=1), NOON)
    with pytest.raises(FailedPrecondition, match="never expires"):
        card_types.renewed_expiry(YEAR, CARD, None, NOON)
    for card_type, flag in ((pc.CardType(code="T", trial=True, validity_days=7), "trial"), (pc.CardType(code="E"), "validity_days")):
        with pytest.raises(CardTypeRefused) as refused:
            card_types.renewed_expiry(card_type, CARD, NOON, NOON)
        assert refused.value.flag == flag and f"card type {card_type.code}" in str(refused.value)


@pytest.mark.parametrize(("flag", "check"), [("count_uses", "require_count_uses"), ("time_limited", "require_time_limited")])
def test_count_and_time_card_refusals_name_the_type_and_the_flag(flag: str, check: str):
    with pytest.raises(CardTypeRefused) as refused:
        getattr(card_types.rules_of(SNAPSHOT, "FULL"), check)("uses cannot be sold onto it")
    assert refused.value.flag == flag and "card type FULL" in str(refused.value)
    getattr(card_types.rules(pc.CardType(code="K", count_uses=True, time_limited=True, validity_days=30)), check)("x")


# ---- trial conversion and bearer cards (docs/adr/0034) ----------------------------------------------------

_PAID = pc.CardType(code="PAID", stored_value=True, points=True, validity_days=365)
_TASTE = pc.CardType(code="TASTE", trial=True, validity_days=7, converts_to_card_type_code="PAID",
                     conversion_min_recharge_fen=10_000)
_CONVERSIONS = pc.ConfigSnapshot(card_types=[
    _PAID, _TASTE, pc.CardType(code="DEAD-END", trial=True, validity_days=7, converts_to_card_type_code="GONE"),
    pc.CardType(code="PLAIN-TRIAL", trial=True, validity_days=7)])


def test_a_trial_card_converts_on_a_recharge_of_at_least_its_minimum():
    assert card_types.conversion_target(_CONVERSIONS, "TASTE", 10_000) == _PAID
    with pytest.raises(CardTypeRefused) as refused:
        card_types.conversion_target(_CONVERSIONS, "TASTE", 9_999)
    assert refused.value.flag == "conversion_min_recharge_fen" and "PAID" in str(refused.value)
    # No conversion rule, a target this copy lacks, a non-trial type: the card's own rules apply.
    for code in ("PLAIN-TRIAL", "DEAD-END", "PAID", "UNKNOWN"):
        assert card_types.conversion_target(_CONVERSIONS, code, 10_000) is None
    assert card_types.converted_expiry(_PAID, NOON) == NOON + timedelta(days=365)
    assert card_types.converted_expiry(pc.CardType(code="FOREVER"), NOON) is None


def test_a_bearer_type_takes_no_member_and_every_other_type_needs_one():
    bearer, named = pc.CardType(code="GIFT", anonymous=True), pc.CardType(code="NAMED")
    card_types.require_member_rule(bearer, "")
    card_types.require_member_rule(named, "M-1")
    for card_type, member in ((bearer, "M-1"), (named, "")):
        with pytest.raises(InvalidArgument) as refused:
            card_types.require_member_rule(card_type, member)
        assert refused.value.field == "member_id" and "anonymous" in str(refused.value)
    # A bearer card has no member to earn for: its type's rules carry no points.
    assert not card_types.rules(pc.CardType(code="GIFT", anonymous=True, stored_value=True, points=True)).points
