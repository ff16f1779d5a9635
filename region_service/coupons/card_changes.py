"""What a card's closure or replacement does to its coupons (C3 with Q3): closing a card voids its
AVAILABLE coupons (forfeited, as its bonus is); replacing or reissuing it moves them, codes and
all, to the new card. Both run in the card command's own transaction, under its card lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from region_service.context import RegionContext
from region_service.coupons.issuing import AVAILABLE, VOIDED, change_state, move_to_card
from region_service.models import Coupon


def _available(session: Session, card_number: str) -> list[Coupon]:
    return list(session.execute(
        select(Coupon).where(Coupon.card_number == card_number, Coupon.state == AVAILABLE)
        .order_by(Coupon.coupon_code).with_for_update()
    ).scalars())


def void_for_closure(ctx: RegionContext, session: Session, card_number: str, *, operator_id: str, now: datetime) -> list[str]:
    """Void the closed card's AVAILABLE coupons; their codes."""
    coupons = _available(session, card_number)
    for coupon in coupons:
        change_state(ctx, session, coupon, VOIDED, reason="card closed", operator_id=operator_id, now=now)
    return [coupon.coupon_code for coupon in coupons]


def move_for_replacement(ctx: RegionContext, session: Session, old_number: str, new_number: str, *, now: datetime) -> list[str]:
    """Move the replaced card's AVAILABLE coupons to its successor; their codes."""
    coupons = _available(session, old_number)
    for coupon in coupons:
        move_to_card(ctx, session, coupon, new_number, reason=f"card replaced by {new_number}", now=now)
    return [coupon.coupon_code for coupon in coupons]
