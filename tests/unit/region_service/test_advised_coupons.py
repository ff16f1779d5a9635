"""region_service.advised_coupons: when an offline advice's coupon is redeemed and when it is a
coupon conflict (docs/adr/0025), and the conflicts kept in a transaction's details read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaincard.v1 import common_pb2
from region_service.advised_coupons import AdvisedCoupons, _why_not, conflict_messages
from region_service.models import Coupon

CARD, SUCCESSOR, OTHER = "881100000123451", "881100000123469", "881100000999990"
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
