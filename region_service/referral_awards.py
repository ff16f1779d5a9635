"""Referral awards, the referee's side (M5, docs/adr/0044): the referee's home region announces what
earns (or takes back) points for the referrer, as a ReferralPointsEarned event in the act's own
transaction, keyed by the referrer. The referrer's home region posts the points
(region_service.referral_points), wherever it is: the same region goes through the same event.

Each event's id is derived from the act (the referee for a first card opening, the spend's or the
refund's transaction id), so an act announced twice is written once (the outbox's event_id is
unique) and consumed once (the inbox's (consumer, event_id)).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.db.dialects import insert_for
from chaincard.db.outbox import outbox_row
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.referrals import referral_points
from chaincard.v1 import events_pb2
from region_service.context import RegionContext
from region_service.models import Card, LedgerTransaction, Member, OutboxMessage

# Fixed for good: the ids of events already written are derived from it.
_EVENT_NAMESPACE = uuid.UUID("5d0e8f4e-2b61-4c1e-9a55-0c4a5e9f7a19")
# The key a spend's row keeps its award under (details), read back by its refunds.
DETAILS_KEY = "referral"
Kind = events_pb2.ReferralPointsEarned.Kind


def event_id_of(kind: str, key: str) -> str:
    """The deterministic event id of an act: ``kind`` ("opening", "spend", "clawback") and its key."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"referral-{kind}:{key}"))


def _referrer_of(session: Session, member_id: str | None) -> tuple[str, str, datetime] | None:
    """(referrer member id, referrer's home region, referee's registration) of a live referred member."""
    if not member_id:
        return None
    row = session.execute(
        select(Member.referrer_member_id, Member.referrer_home_region, Member.registered_at)
        .where(Member.member_id == member_id, Member.erased_at.is_(None))
    ).first()
    if row is None or not row.referrer_member_id or not row.referrer_home_region:
        return None
    return row.referrer_member_id, row.referrer_home_region, row.registered_at


def _publish(ctx: RegionContext, session: Session, event_id: str, payload: events_pb2.ReferralPointsEarned) -> None:
    envelope = wrap(payload, producer=ctx.producer_name, aggregate_id=payload.referrer_member_id)
    envelope.event_id = event_id
    session.execute(insert_for(session)(OutboxMessage).values(
        **outbox_row(envelope, topic=topics.REFERRALS, key=payload.referrer_member_id)).on_conflict_do_nothing())


def _moment(now: datetime) -> Timestamp:
    moment = Timestamp()
    moment.FromDatetime(now)
    return moment


def on_card_opened(ctx: RegionContext, session: Session, card: Card, now: datetime) -> None:
    """The referee's first card (no other card of theirs, in any state): the programme's opening points."""
    programme = ctx.program.snapshot().referral_program
    referral = _referrer_of(session, card.member_id) if programme.active and programme.points_on_card_opening > 0 else None
    if referral is None or card.member_id is None:
        return
    other = session.execute(select(Card.card_number).where(
        Card.member_id == card.member_id, Card.card_number != card.card_number).limit(1)).first()
    if other is not None:
        return
    referrer, home, _ = referral
    _publish(ctx, session, event_id_of("opening", card.member_id), events_pb2.ReferralPointsEarned(
        kind=Kind.KIND_CARD_OPENING, referrer_member_id=referrer, referrer_home_region=home,
        referee_member_id=card.member_id, referee_home_region=ctx.region_code, points=programme.points_on_card_opening,
        card_number=card.card_number, occurred_at=_moment(now)))


def on_spend(ctx: RegionContext, session: Session, *, member_id: str | None, card_number: str, transaction_id: str,
             amount_fen: int, now: datetime) -> dict[str, Any]:
    """A referee's spend within the programme's period after their registration: its share as points
    for the referrer. Returns what the spend's row keeps in its details (empty: no award), which its
    refunds read to claw back the same share."""
    programme = ctx.program.snapshot().referral_program
    if not programme.active or programme.spend_points_bp <= 0:
        return {}
    points = referral_points(amount_fen, programme.spend_points_bp)
    referral = _referrer_of(session, member_id) if points > 0 else None
    if referral is None or member_id is None:
        return {}
    referrer, home, registered_at = referral
    if now >= registered_at + timedelta(days=programme.period_days):
        return {}
    event_id = event_id_of("spend", transaction_id)
    _publish(ctx, session, event_id, events_pb2.ReferralPointsEarned(
        kind=Kind.KIND_SPEND, referrer_member_id=referrer, referrer_home_region=home, referee_member_id=member_id,
        referee_home_region=ctx.region_code, points=points, transaction_id=transaction_id, card_number=card_number,
        amount_fen=amount_fen, spend_points_bp=programme.spend_points_bp, occurred_at=_moment(now)))
    return {DETAILS_KEY: {"event_id": event_id, "referrer_member_id": referrer, "referrer_home_region": home,
                          "spend_points_bp": programme.spend_points_bp, "points": points}}


def on_refund(ctx: RegionContext, session: Session, *, original: LedgerTransaction, member_id: str | None,
              refund_transaction_id: str, refund_fen: int, now: datetime) -> int:
    """A refund or void of an awarded spend: the award's share of what it returns is taken back
    (whatever the programme says now). Returns the points asked back (0: none)."""
    award = (original.details or {}).get(DETAILS_KEY)
    if not award:
        return 0
    points = referral_points(refund_fen, int(award["spend_points_bp"]))
    if points <= 0:
        return 0
    # Each refund takes floor(its amount × bp): their sum never exceeds the award's floor of the whole.
    _publish(ctx, session, event_id_of("clawback", refund_transaction_id), events_pb2.ReferralPointsEarned(
        kind=Kind.KIND_CLAWBACK, referrer_member_id=award["referrer_member_id"],
        referrer_home_region=award["referrer_home_region"], referee_member_id=member_id or "",
        referee_home_region=ctx.region_code, points=points, transaction_id=refund_transaction_id,
        card_number=original.card_number, amount_fen=refund_fen, spend_points_bp=int(award["spend_points_bp"]),
        award_event_id=award["event_id"], occurred_at=_moment(now)))
    return points
