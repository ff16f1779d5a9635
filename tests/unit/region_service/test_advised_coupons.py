"""region_service.advised_coupons: when an offline advice's coupon is redeemed and when it is a
coupon conflict (docs/adr/0025), and the conflicts kept in a transaction's details read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaincard.v1 import common_pb2
from region_service.advised_coupons import AdvisedCoupons, _why_not, conflict_messages
from region_service.models import Coupon

CARD, SUCCESSOR, OTHER = "881100000123457", "881100000123469", "881100000999990"
CODE = "10000000000000001"
APPROVED = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _coupon(state: str = "AVAILABLE", *, card: str = CARD, start: timedelta = timedelta(days=-1),
            end: timedelta = timedelta(days=30), redeemed_by: str | None = None) -> Coupon:
    return Coupon(coupon_code=CODE, template_code="CASH-10", card_number=card, state=state, valid_from=APPROVED + start,
                  valid_until=APPROVED + end, redeemed_transaction_id=redeemed_by)


@pytest.mark.parametrize("coupon", [
    _coupon(),
    _coupon(card=SUCCESSOR),  # moved to the card that replaced it
    _coupon("EXPIRED", end=timedelta(hours=1)),  # expired by the nightly job after the store used it in time
])
def test_a_coupon_usable_when_the_store_approved_the_sale_is_redeemed(coupon: Coupon) -> None:
    assert _why_not(coupon, CODE, (CARD, SUCCESSOR), APPROVED) == ""


@pytest.mark.parametrize(("coupon", "reason"), [
    (None, "no coupon"),
    (_coupon("REDEEMED", redeemed_by="T-ONLINE"), "already redeemed by transaction T-ONLINE"),
    (_coupon("VOIDED"), "voided"),
    (_coupon(card=OTHER), "held by card ...9990"),
    (_coupon("EXPIRED", end=timedelta(0)), "not valid when the store approved"),
    (_coupon(start=timedelta(hours=1)), "not valid when the store approved"),
])
def test_any_other_coupon_is_a_conflict_with_its_reason(coupon: Coupon | None, reason: str) -> None:
    assert reason in _why_not(coupon, CODE, (CARD, SUCCESSOR), APPROVED)


def test_conflicts_are_kept_in_the_details_and_read_back() -> None:
    outcome = AdvisedCoupons(conflicts=[common_pb2.CouponConflict(coupon_code=CODE, template_code="CASH-10", discount_fen=1_000,
                                                                  reason="already redeemed")])
    assert outcome.conflict_fen == 1_000
    assert conflict_messages(outcome.details()) == list(outcome.conflicts)
    assert conflict_messages(None) == [] and conflict_messages({"x": 1}) == []


def _advice_with(coupons: list[tuple[str, int]], codes: list[str]):  # type: ignore[no-untyped-def]
    from chaincard.v1 import store_sync_pb2, transactions_pb2

    advice = store_sync_pb2.OfflineAdvice(
        advice_id="01938f2e-1111-7000-8000-000000000001", sequence=1, store_id="S-E-001",
        checkout=transactions_pb2.CheckoutRequest(request_id="01938f2e-1111-7000-8000-000000000001", card_number=CARD,
                                                  coupon_codes=codes),
        offline_result=transactions_pb2.CheckoutResponse(
            subtotal_fen=5_000, total_due_fen=4_000, points_earned=40,
            tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=4_000, principal_fen=4_000)],
            coupons=[transactions_pb2.AppliedCoupon(coupon_code=code, discount_fen=discount) for code, discount in coupons]))
    advice.approved_at.FromDatetime(APPROVED)
    return advice


@pytest.mark.parametrize(("coupons", "codes", "field"), [
    ([("9880000000000000", 1_000)], [], "advices[0].offline_result.coupons[0].coupon_code"),  # not one the checkout named
    ([(CODE, 1_000), (CODE, 1_000)], [CODE], "advices[0].offline_result.coupons[1].coupon_code"),  # twice
    ([(CODE, -1)], [CODE], "advices[0].offline_result.coupons[0].discount_fen"),
    ([(CODE, 5_001)], [CODE], "advices[0].offline_result.coupons[0].discount_fen"),  # more than the basket
])
def test_an_advices_coupons_are_checked_naming_the_field(coupons, codes, field) -> None:  # type: ignore[no-untyped-def]
    from chaincard.errors import InvalidArgument
    from region_service.handlers.advices import validate_advice

    validate_advice(0, _advice_with([(CODE, 1_000)], [CODE]), "S-E-001")  # well-formed
    with pytest.raises(InvalidArgument) as refused:
        validate_advice(0, _advice_with(coupons, codes), "S-E-001")
    assert refused.value.field == field
