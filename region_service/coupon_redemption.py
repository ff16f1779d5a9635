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
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from chaincard.coupons.rules import AppliedCouponTerms, HeldCoupon
from chaincard.errors import NotFound
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.v1 import common_pb2, events_pb2, transactions_pb2
from region_service.context import RegionContext
from region_service.ledger_store import system_account_id
from region_service.models import Coupon, LedgerTransaction, OutboxMessage
from region_service.repository import lock_coupons
from region_service.translate import enum_value

AVAILABLE, REDEEMED, EXPIRED = "AVAILABLE", "REDEEMED", "EXPIRED"
# The key of a sale's details (and of its refund's or void's) listing its coupons as
# :func:`coupon_record` writes them.
DETAILS_KEY = "coupons"

_coupons = Coupon.__table__
# One statement per changed coupon, built once (a sale uses one or two).
_SET_STATE = (
    update(_coupons)
    .where(_coupons.c.coupon_code == bindparam("code"))
    .values(state=bindparam("new_state"), redeemed_transaction_id=bindparam("redeemed_by"),
            redeemed_at=bindparam("redeemed_moment"), updated_at=bindparam("moment"))
)


def held_coupon(row: Any) -> HeldCoupon:
    return HeldCoupon(coupon_code=row.coupon_code, template_code=row.template_code, card_number=row.card_number,
                      state=row.state, valid_from=row.valid_from, valid_until=row.valid_until)


def lock_sale_coupons(session: Session, coupon_codes: Sequence[str], *, for_update: bool = True) -> list[HeldCoupon]:
    """The sale's coupons as held, in the request's order, locked until the sale commits (a quote's
    are read without ``for_update``); NOT_FOUND naming the first code this region does not hold.
    Whose they are, and whether they may be used, is the pricing engine's to say."""
    rows = lock_coupons(session, coupon_codes, for_update=for_update)
    held = []
    for index, code in enumerate(coupon_codes):
        row = rows.get(code)
        if row is None:
            raise NotFound(f"coupon_codes[{index}]: no coupon {code}")
        held.append(held_coupon(row))
    return held


# ---- what a sale records of its coupons ------------------------------------------------------------

def coupon_record(applied: AppliedCouponTerms) -> dict[str, Any]:
    """A used coupon as a transaction's details keep it (read back by :func:`applied_message`)."""
    return {"coupon_code": applied.coupon_code, "template_code": applied.template_code,
            "discount_fen": applied.discount_fen, "issuer_franchisee_id": applied.issuer_franchisee_id}


def applied_message(record: Mapping[str, Any]) -> transactions_pb2.AppliedCoupon:
    return transactions_pb2.AppliedCoupon(
        coupon_code=record["coupon_code"], template_code=record["template_code"], discount_fen=record["discount_fen"],
        issuer_franchisee_id=record["issuer_franchisee_id"],
    )


def recorded_coupons(row: LedgerTransaction) -> list[dict[str, Any]]:
    return list((row.details or {}).get(DETAILS_KEY, []))


def coupon_postings(session: Session, records: Sequence[Mapping[str, Any]], acquiring_franchisee_id: str, *,
                    reverse: bool = False) -> list[Posting]:
    """Each coupon's discount from its cost bearer's coupon expense to the acquirer's redeemed
    coupons (back again with ``reverse``); nothing for a coupon that took nothing off."""
    postings: list[Posting] = []
    redeemed = system_account_id(session, acquiring_franchisee_id, SystemAccount.COUPON_REDEEMED, Asset.COUPON_VALUE)
    for record in records:
        expense = system_account_id(session, record["issuer_franchisee_id"], SystemAccount.COUPON_EXPENSE, Asset.COUPON_VALUE)
        debit, credit = (redeemed, expense) if reverse else (expense, redeemed)
        postings += transfer(Asset.COUPON_VALUE, record["discount_fen"], debit=debit, credit=credit)
    return postings


# ---- state changes ---------------------------------------------------------------------------------

def _change(ctx: RegionContext, session: Session, *, code: str, card_number: str, previous: str, state: str,
            transaction_id: str, moment: datetime, redeemed_by: str | None) -> None:
    """Move one locked coupon to ``state``, with its CouponStateChanged event in the same transaction."""
    session.execute(_SET_STATE, {"code": code, "new_state": state, "redeemed_by": redeemed_by,
                                 "redeemed_moment": moment if redeemed_by else None, "moment": moment})
    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=card_number, producer=ctx.producer_name,
        payload=events_pb2.CouponStateChanged(
            coupon_code=code, card_number=card_number, transaction_id=transaction_id,
            previous_state=enum_value(common_pb2.CouponState, "COUPON_STATE_", previous),
            state=enum_value(common_pb2.CouponState, "COUPON_STATE_", state),
        ),
    )


def mark_redeemed(ctx: RegionContext, session: Session, applied: Sequence[AppliedCouponTerms], *, card_number: str,
                  transaction_id: str, moment: datetime) -> None:
    """The coupons the sale used are REDEEMED by it (the engine only uses AVAILABLE ones)."""
    for coupon in applied:
        _change(ctx, session, code=coupon.coupon_code, card_number=card_number, previous=AVAILABLE, state=REDEEMED,
                transaction_id=transaction_id, moment=moment, redeemed_by=transaction_id)


def restore(ctx: RegionContext, session: Session, original: LedgerTransaction, *, transaction_id: str,
            moment: datetime) -> list[str]:
    """Give back the coupons ``original`` redeemed and still holds: AVAILABLE while still valid at
    ``moment``, else EXPIRED (the nightly job would have expired them). The card is locked by the
    caller (so are its accounts), the coupons here. Answers the codes made AVAILABLE again."""
    records = recorded_coupons(original)
    rows = lock_coupons(session, [record["coupon_code"] for record in records])
    restored = []
    for record in records:
        row = rows.get(record["coupon_code"])
        if row is None or row.state != REDEEMED or row.redeemed_transaction_id != original.transaction_id:
            continue  # no longer this sale's to give back (e.g. voided with its card)
        state = AVAILABLE if moment < row.valid_until else EXPIRED
        _change(ctx, session, code=row.coupon_code, card_number=row.card_number, previous=REDEEMED, state=state,
                transaction_id=transaction_id, moment=moment, redeemed_by=None)
        if state == AVAILABLE:
            restored.append(row.coupon_code)
    return restored
