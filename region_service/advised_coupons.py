"""The coupons of an offline advice (X4, docs/adr/0025): each coupon the store let the sale use is
redeemed now, as an online checkout redeems it, or — when the region finds it used by another sale
meanwhile, voided, or expired before the store approved the sale — it is a *coupon conflict*: the
sale is posted anyway (it happened), without that coupon's redemption and clearing flow, and the
discount the member got is the acquiring store's loss, posted and flagged (never silent).

Decided under the coupon's row lock, in the advice's own transaction: an advice and an online
checkout racing for one coupon cannot both redeem it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from chaincard.coupons.rules import AppliedCouponTerms
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.v1 import common_pb2, transactions_pb2
from region_service.context import RegionContext
from region_service.coupon_redemption import SaleCoupons, coupon_postings, mark_redeemed
from region_service.coupons.issuing import lock_coupons
from region_service.ledger_store import system_account_id
from region_service.models import Coupon
from region_service.translate import COUPON_CONFLICTS, conflict_messages

__all__ = ["COUPON_CONFLICTS", "AdvisedCoupons", "advised_terms", "conflict_messages", "settle_advised_coupons"]


@dataclass
class AdvisedCoupons:
    """What the advice's coupons came to: those redeemed now, the conflicts, and their ledger postings."""

    redeemed: list[AppliedCouponTerms] = field(default_factory=list)
    conflicts: list[common_pb2.CouponConflict] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)

    @property
    def conflict_fen(self) -> int:
        return sum(conflict.discount_fen for conflict in self.conflicts)

    def details(self) -> list[dict[str, object]]:
        return [{"coupon_code": c.coupon_code, "template_code": c.template_code, "discount_fen": c.discount_fen,
                 "reason": c.reason} for c in self.conflicts]


def advised_terms(applied: Sequence[transactions_pb2.AppliedCoupon]) -> list[AppliedCouponTerms]:
    """The coupons of the store's offline answer, with the discount it gave on each."""
    return [AppliedCouponTerms(c.coupon_code, c.template_code, c.discount_fen, c.issuer_franchisee_id) for c in applied]


def _why_not(coupon: Coupon | None, code: str, card_numbers: tuple[str, ...], approved_at: datetime) -> str:
    """Why the region cannot redeem the coupon for this advice; "" when it can."""
    if coupon is None:
        return f"no coupon {code} in this region"
    if coupon.card_number not in card_numbers:
        return f"coupon {code} is held by card ...{coupon.card_number[-4:]}, not this sale's card"
    if coupon.state == "REDEEMED":
        return f"coupon {code} was already redeemed by transaction {coupon.redeemed_transaction_id or '?'}"
    if coupon.state == "VOIDED":
        return f"coupon {code} was voided"
    if not coupon.valid_from <= approved_at < coupon.valid_until:
        return (f"coupon {code} was not valid when the store approved the sale ({approved_at:%Y-%m-%d %H:%M} UTC; "
                f"valid {coupon.valid_from:%Y-%m-%d %H:%M} to {coupon.valid_until:%Y-%m-%d %H:%M} UTC)")
    # AVAILABLE, or EXPIRED by the nightly job after the store used it while still valid: redeemed.
    return ""


def settle_advised_coupons(
    ctx: RegionContext,
    session: Session,
    applied: Sequence[AppliedCouponTerms],
    *,
    card_numbers: tuple[str, ...],
    transaction_id: str,
    approved_at: datetime,
    acquiring_franchisee_id: str,
) -> AdvisedCoupons:
    """Redeem or flag each coupon the store applied (``applied``, with the discount it gave on each).
    ``card_numbers``: the advised card and the card posted to (its successor after a replacement).
    Redeemed as the online checkout redeems (region_service.coupon_redemption): REDEEMED by
    ``transaction_id`` as of the approval, with its event and the cost bearer's flow."""
    outcome = AdvisedCoupons()
    rows = lock_coupons(session, [coupon.coupon_code for coupon in applied])
    for coupon in applied:
        reason = _why_not(rows.get(coupon.coupon_code), coupon.coupon_code, card_numbers, approved_at)
        if not reason:
            outcome.redeemed.append(coupon)
            continue
        outcome.conflicts.append(common_pb2.CouponConflict(
            coupon_code=coupon.coupon_code, template_code=coupon.template_code, discount_fen=coupon.discount_fen,
            reason=reason))
        # The discount was given at the acquiring store and nobody clears it to that store: the store
        # bears it (docs/adr/0025). Same shape as a redemption, the store itself the cost bearer.
        outcome.postings += transfer(
            Asset.COUPON_VALUE, coupon.discount_fen,
            debit=system_account_id(session, acquiring_franchisee_id, SystemAccount.COUPON_CONFLICT_EXPENSE, Asset.COUPON_VALUE),
            credit=system_account_id(session, acquiring_franchisee_id, SystemAccount.COUPON_REDEEMED, Asset.COUPON_VALUE),
        )
    mark_redeemed(ctx, session, SaleCoupons(rows=rows), outcome.redeemed, transaction_id=transaction_id, moment=approved_at)
    outcome.postings = coupon_postings(session, outcome.redeemed, acquiring_franchisee_id) + outcome.postings
    return outcome
