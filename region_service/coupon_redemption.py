"""Coupons at the region's checkout, refunds and voids (Q3, V6; docs/adr/0021).

A checkout locks the coupons it names (after its cards and their accounts: region_service.repository's
lock order), hands them to the pricing engine as they are held, and — in the sale's own transaction —
marks those the plan used REDEEMED, announces each change (CouponStateChanged) and posts their face
value between franchisees: ``COUPON_VALUE`` from the cost bearer's ``COUPON_EXPENSE`` to the store's
franchisee's ``COUPON_REDEEMED``. A void, or the refund that leaves nothing of the sale to refund,
gives the coupons back (AVAILABLE while still valid, else EXPIRED) and reverses that flow, once; a
partial refund gives none back (docs/adr/0019).

The card's home region owns its coupons: a code not in this region's table is NOT_FOUND, whichever
region its prefix names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from chaincard.checkout.response import applied_coupon_message, applied_coupon_terms, coupon_record
from chaincard.coupons.rules import AppliedCouponTerms, HeldCoupon
from chaincard.errors import NotFound
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.v1 import transactions_pb2
from region_service.context import RegionContext
from region_service.coupons.issuing import AVAILABLE, EXPIRED, REDEEMED, change_state, lock_coupons
from region_service.ledger_store import system_account_id
from region_service.models import Coupon, LedgerTransaction

# The key of a sale's details (and of its refund's or void's) listing its coupons, each as
# chaincard.checkout.response.coupon_record writes it.
DETAILS_KEY = "coupons"


def held_coupon(row: Coupon) -> HeldCoupon:
    return HeldCoupon(coupon_code=row.coupon_code, template_code=row.template_code, card_number=row.card_number,
                      state=row.state, valid_from=row.valid_from, valid_until=row.valid_until)


@dataclass(frozen=True)
class SaleCoupons:
    """A checkout's coupons, locked: as the engine reads them (``held``, in the request's order) and
    the locked rows by code (to mark those it used)."""

    held: tuple[HeldCoupon, ...] = ()
    rows: Mapping[str, Coupon] = field(default_factory=dict)


def lock_sale_coupons(session: Session, coupon_codes: Sequence[str]) -> SaleCoupons:
    """The sale's coupons, locked until the sale commits; NOT_FOUND naming the first code this region
    does not hold. Whose they are, and whether they may be used, is the pricing engine's to say."""
    if not coupon_codes:
        return SaleCoupons()
    rows = lock_coupons(session, coupon_codes)
    held = []
    for index, code in enumerate(coupon_codes):
        row = rows.get(code)
        if row is None:
            raise NotFound(f"coupon_codes[{index}]: no coupon {code}")
        held.append(held_coupon(row))
    return SaleCoupons(tuple(held), rows)


# ---- what a sale records of its coupons ------------------------------------------------------------

def details_of(applied: Sequence[AppliedCouponTerms]) -> dict[str, Any]:
    """What a transaction's details keep of its coupons (nothing when there are none)."""
    return {DETAILS_KEY: [coupon_record(coupon) for coupon in applied]} if applied else {}


def recorded_coupons(row: LedgerTransaction) -> list[AppliedCouponTerms]:
    """The coupons a transaction's details name: a sale's used, a refund's or void's reversed."""
    return [applied_coupon_terms(record) for record in (row.details or {}).get(DETAILS_KEY, [])]


def coupon_messages(applied: Sequence[AppliedCouponTerms]) -> list[transactions_pb2.AppliedCoupon]:
    return [applied_coupon_message(coupon) for coupon in applied]


def coupon_postings(session: Session, applied: Sequence[AppliedCouponTerms], acquiring_franchisee_id: str, *,
                    reverse: bool = False) -> list[Posting]:
    """Each coupon's discount from its cost bearer's coupon expense to the acquirer's redeemed
    coupons (back again with ``reverse``); nothing for a coupon that took nothing off."""
    postings: list[Posting] = []
    if not applied:
        return postings
    redeemed = system_account_id(session, acquiring_franchisee_id, SystemAccount.COUPON_REDEEMED, Asset.COUPON_VALUE)
    for coupon in applied:
        expense = system_account_id(session, coupon.issuer_franchisee_id, SystemAccount.COUPON_EXPENSE, Asset.COUPON_VALUE)
        debit, credit = (redeemed, expense) if reverse else (expense, redeemed)
        postings += transfer(Asset.COUPON_VALUE, coupon.discount_fen, debit=debit, credit=credit)
    return postings


# ---- state changes ---------------------------------------------------------------------------------

def mark_redeemed(ctx: RegionContext, session: Session, coupons: SaleCoupons, applied: Sequence[AppliedCouponTerms], *,
                  transaction_id: str, moment: datetime) -> None:
    """The coupons the sale used are REDEEMED by it (the engine uses only AVAILABLE ones, locked by
    :func:`lock_sale_coupons`), each with its CouponStateChanged."""
    for coupon in applied:
        change_state(ctx, session, coupons.rows[coupon.coupon_code], REDEEMED, transaction_id=transaction_id,
                     reason="checkout", now=moment)


def restore(ctx: RegionContext, session: Session, original: LedgerTransaction, *, transaction_id: str,
            moment: datetime) -> list[str]:
    """Give back the coupons ``original`` redeemed and still holds: AVAILABLE while still valid at
    ``moment``, else EXPIRED (the nightly job would have expired them by now). The caller holds the
    card's lock and its accounts'; the coupons are locked here. Answers the codes made AVAILABLE."""
    used = recorded_coupons(original)
    if not used:
        return []
    rows = lock_coupons(session, [coupon.coupon_code for coupon in used])
    restored = []
    for coupon in used:
        row = rows.get(coupon.coupon_code)
        if row is None or row.state != REDEEMED or row.redeemed_transaction_id != original.transaction_id:
            continue  # no longer this sale's to give back (e.g. voided with its card)
        state = AVAILABLE if moment < row.valid_until else EXPIRED
        change_state(ctx, session, row, state, transaction_id=transaction_id,
                     reason=f"{original.transaction_id} reversed", now=moment)
        if state == EXPIRED:  # no longer the sale's either (issuing's change_state keeps it for REDEEMED only)
            row.redeemed_transaction_id, row.redeemed_at = None, None
            session.flush()
        if state == AVAILABLE:
            restored.append(row.coupon_code)
    return restored
