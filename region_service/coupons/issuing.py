"""Issuing coupons to a card and changing their state, each with its event through the outbox, in
the caller's transaction (STYLE rule 6). Every issuing cause (a recharge tier, registration, a
birthday, a manual or bulk issue, a transfer) names its issue with a key; the row's unique
``issue_key`` makes a retried or resumed issue exactly once (docs/adr/0020)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chaincard.coupons.codes import new_coupon_code
from chaincard.coupons.templates import CouponTemplateTerms, validity
from chaincard.db.base import utc_now
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.v1 import common_pb2, events_pb2
from region_service.context import RegionContext
from region_service.models import Coupon, OutboxMessage
from region_service.translate import enum_value, timestamp

AVAILABLE, REDEEMED, EXPIRED, VOIDED = "AVAILABLE", "REDEEMED", "EXPIRED", "VOIDED"
STATES = frozenset({AVAILABLE, REDEEMED, EXPIRED, VOIDED})
MAX_ISSUE_KEY = 160
MAX_REASON = 128
# A fresh code colliding with an existing one is a 1 in 10^13 chance; a few tries are plenty.
_CODE_ATTEMPTS = 5


class HoldingCard(Protocol):
    """What issuing reads of a card: an ORM Card and a payment's LockedCard both have it."""

    @property
    def card_number(self) -> str: ...


def coupon_message(row: Coupon) -> common_pb2.Coupon:
    return common_pb2.Coupon(
        coupon_code=row.coupon_code,
        template_code=row.template_code,
        card_number=row.card_number,
        state=enum_value(common_pb2.CouponState, "COUPON_STATE_", row.state),
        valid_from=timestamp(row.valid_from),
        valid_until=timestamp(row.valid_until),
        issued_at=timestamp(row.issued_at),
        issued_reason=row.issued_reason,
        redeemed_transaction_id=row.redeemed_transaction_id or "",
    )


def issue_coupons(
    ctx: RegionContext,
    session: Session,
    card: HoldingCard,
    terms: CouponTemplateTerms,
    *,
    count: int,
    reason: str,
    issue_key: str,
    operator_id: str = "",
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> list[Coupon]:
    """Issue ``count`` coupons of ``terms`` to ``card``, with issue keys ``f"{issue_key}:{n}"``
    (n = 0..count-1), each with its CouponIssued event, in the caller's transaction. A key already
    used issues nothing again: the coupons it issued before are returned (in key order), so a
    retried or resumed issue is exactly once. ``window``: the validity to give instead of the
    template's (a transferred coupon keeps the giver's). FAILED_PRECONDITION (chaincard.coupons.
    templates.validity) when the template's validity has already ended."""
    if count < 1:
        raise ValueError("count must be at least 1")
    keys = [f"{issue_key}:{n}" for n in range(count)]
    if len(keys[-1]) > MAX_ISSUE_KEY:
        raise ValueError(f"issue key {keys[-1]!r} is longer than {MAX_ISSUE_KEY} characters")
    now = now or utc_now()
    issued = _by_keys(session, keys)
    if len(issued) < len(keys):
        valid_from, valid_until = window or validity(terms, now)
        prefix = ctx.program.region(ctx.region_code).card_prefix
        for _ in range(_CODE_ATTEMPTS):
            missing = [key for key in keys if key not in issued]
            if not missing:
                break
            rows = [{
                "coupon_code": new_coupon_code(prefix), "template_code": terms.code, "card_number": card.card_number,
                "state": AVAILABLE, "valid_from": valid_from, "valid_until": valid_until, "issued_at": now,
                "issued_reason": reason[:MAX_REASON], "issue_key": key, "updated_at": now,
            } for key in missing]
            # No conflict target: a key another transaction holds (this waits for it to commit) and
            # a code that collides both insert nothing; the read-back finds the former, and the
            # latter is tried again with a new code.
            inserted = set(session.execute(
                insert(Coupon).values(rows).on_conflict_do_nothing().returning(Coupon.issue_key)
            ).scalars())
            found = _by_keys(session, missing)
            for key in missing:
                if key in inserted:
                    _announce_issued(ctx, session, found[key], operator_id)
            issued.update(found)
        if len(issued) < len(keys):
            raise RuntimeError(f"no free coupon code found for {sorted(set(keys) - set(issued))}")
    return [issued[key] for key in keys]


def _by_keys(session: Session, keys: Iterable[str]) -> dict[str, Coupon]:
    keys = list(keys)
    if not keys:
        return {}
    rows = session.execute(select(Coupon).where(Coupon.issue_key.in_(keys))).scalars()
    return {row.issue_key: row for row in rows}


def _announce_issued(ctx: RegionContext, session: Session, row: Coupon, operator_id: str) -> None:
    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=row.card_number, producer=ctx.producer_name,
        payload=events_pb2.CouponIssued(coupon=coupon_message(row), operator_id=operator_id),
    )


def lock_coupons(session: Session, codes: Iterable[str]) -> dict[str, Coupon]:
    """The coupons with ``codes`` that exist here, row-locked in code order (so two transactions
    never wait on each other); a caller locks the card first (region_service.repository)."""
    ordered = sorted(set(codes))
    if not ordered:
        return {}
    rows = session.execute(
        select(Coupon).where(Coupon.coupon_code.in_(ordered)).order_by(Coupon.coupon_code).with_for_update()
        .execution_options(populate_existing=True)
    ).scalars()
    return {row.coupon_code: row for row in rows}


def change_state(
    ctx: RegionContext,
    session: Session,
    coupon: Coupon,
    state: str,
    *,
    transaction_id: str = "",
    reason: str = "",
    operator_id: str = "",
    now: datetime | None = None,
) -> None:
    """Move a (locked) coupon to ``state`` with its CouponStateChanged event, in the caller's
    transaction: REDEEMED by a checkout (``transaction_id``), AVAILABLE again when that sale is
    refunded or voided, EXPIRED by the expiry job, VOIDED by an operator, a closure or a transfer.
    The caller decides whether the move is allowed (chaincard.coupons.rules)."""
    if state not in STATES:
        raise ValueError(f"unknown coupon state {state!r}")
    now = now or utc_now()
    previous = coupon.state
    coupon.state = state
    coupon.updated_at = now
    if state == REDEEMED:
        coupon.redeemed_transaction_id = transaction_id or None
        coupon.redeemed_at = now
    elif state == AVAILABLE:
        coupon.redeemed_transaction_id = None
        coupon.redeemed_at = None
    session.flush()
    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=coupon.card_number, producer=ctx.producer_name,
        payload=events_pb2.CouponStateChanged(
            coupon_code=coupon.coupon_code, card_number=coupon.card_number,
            previous_state=enum_value(common_pb2.CouponState, "COUPON_STATE_", previous),
            state=enum_value(common_pb2.CouponState, "COUPON_STATE_", state),
            transaction_id=transaction_id, reason=reason, operator_id=operator_id,
        ),
    )


def move_to_card(ctx: RegionContext, session: Session, coupon: Coupon, new_card_number: str, *, reason: str,
                 now: datetime | None = None) -> None:
    """Move a (locked) AVAILABLE coupon, code and all, to the card that replaced its card, with a
    CouponStateChanged naming the card it left (previous_card_number)."""
    previous_card = coupon.card_number
    coupon.card_number = new_card_number
    coupon.updated_at = now or utc_now()
    session.flush()
    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=new_card_number, producer=ctx.producer_name,
        payload=events_pb2.CouponStateChanged(
            coupon_code=coupon.coupon_code, card_number=new_card_number,
            previous_state=enum_value(common_pb2.CouponState, "COUPON_STATE_", coupon.state),
            state=enum_value(common_pb2.CouponState, "COUPON_STATE_", coupon.state),
            reason=reason, previous_card_number=previous_card,
        ),
    )
