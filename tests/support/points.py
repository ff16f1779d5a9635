"""Points lots and redemption in tests (P2, P3): HQ's points programme for a test chain, and the
lots a card holds in its region, read straight from the region's database."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import program_config_pb2_grpc, transactions_pb2
from region_service.context import RegionContext
from tests.support.regions import CONFIG_MAX_AGE_SECONDS, RunningRegions

EXPIRY_DAYS = 30
REMINDER_DAYS = 45  # longer than a lot lives: every lot is within its reminder window at once

OFFERS = [
    pc.PointsRedemptionRule(code="GIFT-UMBRELLA", name="Umbrella", kind=pc.POINTS_REDEMPTION_KIND_GIFT, points_cost=300,
                            gift_sku="UMBRELLA-01", active=True),
    pc.PointsRedemptionRule(code="SV-10", name="¥10 bonus", kind=pc.POINTS_REDEMPTION_KIND_STORED_VALUE, points_cost=100,
                            stored_value_fen=1_000, active=True),
    pc.PointsRedemptionRule(code="COUNT-WASH", name="Car wash", kind=pc.POINTS_REDEMPTION_KIND_COUNT_USES, points_cost=50,
                            count_item_code="WASH", count_uses=1, active=True),
    pc.PointsRedemptionRule(code="COUPON-5", name="¥5 voucher", kind=pc.POINTS_REDEMPTION_KIND_COUPON, points_cost=80,
                            coupon_template_code="PTS-CASH-5", active=True),
    pc.PointsRedemptionRule(code="SV-OFF", name="Switched off", kind=pc.POINTS_REDEMPTION_KIND_STORED_VALUE, points_cost=10,
                            stored_value_fen=100, active=False),
    pc.PointsRedemptionRule(code="SV-E2", name="Only at Hangzhou", kind=pc.POINTS_REDEMPTION_KIND_STORED_VALUE, points_cost=10,
                            stored_value_fen=100, store_ids=["S-E-002"], active=True),
]


def set_points_programme(regions: RunningRegions) -> None:
    """1 point per ¥1 spent, lots expiring 30 days after earning with reminders, the test offers;
    then wait until the region servers' copies of the configuration are refreshed."""
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        program.UpsertEarnRule(pc.UpsertEarnRuleRequest(request_id=new_id(), earn_rule=pc.EarnRule(
            code="BASE", name="1 point per yuan", points_per_unit=1, spend_unit_fen=100, active=True)), timeout=10)
        program.SetPointsExpiryPolicy(pc.SetPointsExpiryPolicyRequest(request_id=new_id(), policy=pc.PointsExpiryPolicy(
            rule=pc.POINTS_EXPIRY_RULE_DAYS_AFTER_EARNING, days=EXPIRY_DAYS, reminder_days_before_expiry=REMINDER_DAYS)),
            timeout=10)
        program.UpsertCouponTemplate(pc.UpsertCouponTemplateRequest(request_id=new_id(), coupon_template=pc.CouponTemplate(
            code="PTS-CASH-5", name="¥5 off", kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=500, validity_days=30,
            active=True)), timeout=10)
        # The count item COUNT-WASH offers, first: HQ refuses an offer of an item it does not know.
        from tests.support.count_uses import ITEMS  # here: that module reads this one's cache age

        program.UpsertCountItem(pc.UpsertCountItemRequest(request_id=new_id(), count_item=ITEMS[0]), timeout=10)
        for offer in OFFERS:
            program.UpsertPointsRedemptionRule(pc.UpsertPointsRedemptionRuleRequest(request_id=new_id(), rule=offer), timeout=10)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see the programme


@dataclass(frozen=True)
class LotRow:
    lot_id: str
    earned: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None
    source_transaction_id: str | None


def lots_of(ctx: RegionContext, card_number: str) -> list[LotRow]:
    with ctx.session_factory() as session:
        return [LotRow(*row) for row in session.execute(text(
            "SELECT lot_id, points_earned, points_remaining, earned_at, expires_at, source_transaction_id FROM points_lots "
            "WHERE card_number = :card ORDER BY earned_at, lot_id"), {"card": card_number})]


def points_balance(ctx: RegionContext, card_number: str) -> int:
    with ctx.session_factory() as session:
        return int(session.execute(text(
            "SELECT balance FROM ledger_accounts WHERE card_number = :card AND purpose = 'CARD' AND asset = 'POINTS'"),
            {"card": card_number}).scalar_one())


def assert_lots_hold_the_balance(ctx: RegionContext, card_number: str) -> None:
    held = sum(lot.remaining for lot in lots_of(ctx, card_number))
    assert held == points_balance(ctx, card_number), f"card {card_number}: lots hold {held}, POINTS balance {points_balance(ctx, card_number)}"


def adjust(card_number: str, delta: int, store_id: str = "S-E-001") -> transactions_pb2.AdjustPointsRequest:
    return transactions_pb2.AdjustPointsRequest(request_id=new_id(), store_id=store_id, card_number=card_number,
                                                points_delta=delta, reason="test", operator_id="SM-TEST")


def redeem(card_number: str, rule_code: str, quantity: int = 1, store_id: str = "S-E-001") -> transactions_pb2.RedeemPointsRequest:
    return transactions_pb2.RedeemPointsRequest(request_id=new_id(), store_id=store_id, card_number=card_number,
                                                rule_code=rule_code, quantity=quantity, operator_id="C-TEST")


def sale(card_number: str, price_fen: int, *, points_to_redeem: int = 0, store_id: str = "S-E-001") -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=store_id, card_number=card_number, points_to_redeem=points_to_redeem,
        lines=[transactions_pb2.BasketLine(sku="TEA-001", name="Longjing", category="tea", quantity=1, unit_price_fen=price_fen)])


def refund_all(sale_response: transactions_pb2.CheckoutResponse, store_id: str = "S-E-001") -> transactions_pb2.RefundSaleRequest:
    transaction = sale_response.transaction
    return transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id=store_id, card_number=transaction.card_number,
        original_transaction_id=transaction.transaction_id, lines=[transactions_pb2.RefundLine(sku="TEA-001", quantity=1)],
        reason="test")
