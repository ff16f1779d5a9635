"""A priced sale as the CheckoutResponse the till gets, online or from the offline stand-in alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from chaincard.coupons.rules import AppliedCouponTerms
from chaincard.pricing import AppliedTender, CheckoutPlan, PricedLine, TenderKind
from chaincard.v1 import common_pb2, transactions_pb2


def tender_type_value(kind: TenderKind | str) -> common_pb2.TenderType:
    """The pricing engine's tender kind as the proto's TenderType number."""
    return cast(common_pb2.TenderType, common_pb2.TenderType.Value("TENDER_TYPE_" + str(kind)))


def applied_message(tender: AppliedTender) -> transactions_pb2.AppliedTender:
    return transactions_pb2.AppliedTender(
        type=tender_type_value(tender.kind), amount_fen=tender.amount_fen, principal_fen=tender.principal_fen,
        bonus_fen=tender.bonus_fen, card_number=tender.card_number,
    )


def tender_record(tender: AppliedTender) -> dict[str, Any]:
    """A tender as a transaction's details keep it (read back by region_service.posting.applied_tender)."""
    return {"type": str(tender.kind), "amount_fen": tender.amount_fen, "principal_fen": tender.principal_fen,
            "bonus_fen": tender.bonus_fen, "card_number": tender.card_number}


def applied_coupon_message(coupon: AppliedCouponTerms) -> transactions_pb2.AppliedCoupon:
    return transactions_pb2.AppliedCoupon(
        coupon_code=coupon.coupon_code, template_code=coupon.template_code, discount_fen=coupon.discount_fen,
        issuer_franchisee_id=coupon.issuer_franchisee_id,
    )


def coupon_record(coupon: AppliedCouponTerms) -> dict[str, Any]:
    """A used coupon as a transaction's details keep it (read back by :func:`applied_coupon_terms`)."""
    return {"coupon_code": coupon.coupon_code, "template_code": coupon.template_code, "discount_fen": coupon.discount_fen,
            "issuer_franchisee_id": coupon.issuer_franchisee_id}


def applied_coupon_terms(record: dict[str, Any]) -> AppliedCouponTerms:
    return AppliedCouponTerms(str(record["coupon_code"]), str(record["template_code"]), int(record["discount_fen"]),
                              str(record.get("issuer_franchisee_id", "")))


def priced_line_message(line: PricedLine) -> transactions_pb2.PricedLine:
    return transactions_pb2.PricedLine(
        sku=line.sku, quantity=line.quantity, gross_fen=line.gross_fen, level_discount_fen=line.level_discount_fen,
        coupon_discount_fen=line.coupon_discount_fen, points_deduction_fen=line.points_deduction_fen,
        net_fen=line.net_fen, points_earned=line.points_earned,
    )


def checkout_response(
    plan: CheckoutPlan,
    *,
    transaction: common_pb2.Transaction,
    balances_after: common_pb2.Balances,
    receipt: Sequence[common_pb2.ReceiptLine],
    offline: bool,
) -> transactions_pb2.CheckoutResponse:
    """The answer to a checkout priced as ``plan`` and recorded as ``transaction`` (by the region,
    or by the store agent alone when ``offline``)."""
    return transactions_pb2.CheckoutResponse(
        transaction=transaction, subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen,
        points_deduction_fen=plan.points_deduction_fen, total_due_fen=plan.total_due_fen,
        tenders=[applied_message(tender) for tender in plan.tenders], points_earned=plan.points_earned,
        points_redeemed=plan.points_redeemed, balances_after=balances_after, receipt=list(receipt), offline=offline,
        lines=[priced_line_message(line) for line in plan.lines],
        coupons=[applied_coupon_message(coupon) for coupon in plan.applied_coupons],
    )
