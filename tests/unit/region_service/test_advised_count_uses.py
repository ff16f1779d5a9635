"""An offline advice's count-card uses (docs/adr/0036): what validate_advice accepts and refuses
(naming the field), and the shortfall kept in a posted advice's details read back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaincard.errors import InvalidArgument
from chaincard.v1 import common_pb2, store_sync_pb2, transactions_pb2
from region_service.advised_count_uses import DETAILS_SHORTFALL, AdvisedUses, shortfall_of
from region_service.handlers.advices import validate_advice

CARD = "881100000123457"
ADVICE_ID = "01938f2e-1111-7000-8000-000000000001"
APPROVED = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _advice(uses: int = 3, *, item: str = "WASH", named: bool = True) -> store_sync_pb2.OfflineAdvice:
    """A sale of 3 washes at ¥30 paid by count uses, as the stand-in queues it."""
    tenders = [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=item, uses=uses)]
    advice = store_sync_pb2.OfflineAdvice(
        advice_id=ADVICE_ID, sequence=1, store_id="S-E-001",
        checkout=transactions_pb2.CheckoutRequest(request_id=ADVICE_ID, card_number=CARD, tenders=tenders if named else []),
        offline_result=transactions_pb2.CheckoutResponse(
            subtotal_fen=9_000, total_due_fen=9_000,
            tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_COUNT_USES, amount_fen=9_000,
                                                    count_item_code=item, uses=uses)]))
    advice.approved_at.FromDatetime(APPROVED)
    return advice


def test_an_advice_paid_by_count_uses_alone_is_well_formed() -> None:
    validate_advice(0, _advice(), "S-E-001")


@pytest.mark.parametrize(("advice", "field"), [
    (_advice(0), "advices[0].checkout.tenders[0].uses"),
    (_advice(item=""), "advices[0].checkout.tenders[0].count_item_code"),
    (_advice(named=False), "advices[0].offline_result.tenders[0].type"),  # uses paid, none named
])
def test_an_advices_count_uses_are_checked_naming_the_field(advice: store_sync_pb2.OfflineAdvice, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_advice(0, advice, "S-E-001")
    assert refused.value.field == field


def test_the_shortfall_is_kept_in_the_details_and_read_back() -> None:
    posted = AdvisedUses(shortfall={"WASH": 2})
    assert posted.details()[DETAILS_SHORTFALL] == {"WASH": 2}
    assert shortfall_of(posted.details()) == posted.shortfall_messages() == [
        common_pb2.CountUseChange(item_code="WASH", uses_delta=-2)]
    assert shortfall_of(None) == [] and AdvisedUses().details() == {}
