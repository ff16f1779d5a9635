"""Points expiry (P3): the job that expires due lots, and the reminders before (docs/adr/0022).

Both are periodic jobs of the region (region_service.bootstrap) and CLI commands (``chaincard
region points expire|remind``). Running them often, twice, or again after a crash is harmless:

- **expiry** posts one POINTS_EXPIRY ledger transaction per card, in that card's own database
  transaction, under its locks: the card's POINTS go down by what its due lots still hold, to the
  issuing franchisee's EXPIRED_POINTS_INCOME, and the posting consumes exactly those lots (they
  sort first: oldest expiry). A lot it expired holds nothing any more, so a second run finds
  nothing to do; a crash loses at most the card in flight, rolled back whole. The request id
  ``points-expiry:<card>:<expiry date>`` (unique on the ledger) is a second guard.
- **outlooks** tell HQ what each card's lots expire in the next 30 and 90 days, when it changes
  (the liability report, V7), instead of an event on every sale that moves points.
- **reminders** go out once per card and expiry moment (the ``points_expiry_reminders`` row and the
  PointsExpiring event are written in one transaction; the row's key refuses a second).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.receipts import ReceiptItem
from chaincard.v1 import events_pb2
from region_service.context import RegionContext
from region_service.ledger_store import system_account_id
from region_service.models import (
    LedgerTransaction,
    OutboxMessage,
    PointsExpiryOutlookSent,
    PointsExpiryReminder,
    PointsLot,
)
from region_service.points_lots import expiry_policy
from region_service.posting import record_transaction
from region_service.repository import load_card, lock_card_accounts
from region_service.translate import timestamp

log = logging.getLogger(__name__)

BATCH_SIZE = 200
TRANSACTION_TYPE = "POINTS_EXPIRY"


@dataclass(frozen=True)
class ExpiryRun:
    cards: int
    points: int


def _due(now: datetime) -> ColumnElement[bool]:
    return (PointsLot.points_remaining > 0) & (PointsLot.expires_at <= now)


def cards_with_points_due(session: Session, now: datetime, *, after: str = "", limit: int = BATCH_SIZE) -> list[str]:
    """Cards (in number order, after ``after``) holding lots whose expiry has come by ``now``."""
    return list(session.execute(
        select(PointsLot.card_number).where(_due(now), PointsLot.card_number > after)
        .group_by(PointsLot.card_number).order_by(PointsLot.card_number).limit(limit)
    ).scalars())


def expiry_request_id(card_number: str, expires_at: datetime, time_zone: str) -> str:
    return f"points-expiry:{card_number}:{expires_at.astimezone(ZoneInfo(time_zone)).date().isoformat()}"


def expire_card_points(ctx: RegionContext, card_number: str, now: datetime) -> int:
    """Expire what is due on one card, in one transaction; returns the points expired (0: none due)."""
    with ctx.session_factory.begin() as session:
        card = load_card(session, card_number, for_update=True)
        locked = lock_card_accounts(session, [card_number])
        points, last_expiry = session.execute(
            select(func.coalesce(func.sum(PointsLot.points_remaining), 0), func.max(PointsLot.expires_at))
            .where(PointsLot.card_number == card_number, _due(now))
        ).one()
        points = int(points)  # SUM of a BIGINT is NUMERIC in PostgreSQL: a Decimal
        if not points or last_expiry is None:
            return 0
        request_id = expiry_request_id(card_number, last_expiry, ctx.settings.business_time_zone)
        if session.execute(select(LedgerTransaction.transaction_id).where(LedgerTransaction.request_id == request_id)).first():
            log.warning("points of card %s due again under %s: left for the next day's run", card_number, request_id)
            return 0
        income = system_account_id(session, card.issuing_franchisee_id, SystemAccount.EXPIRED_POINTS_INCOME, Asset.POINTS)
        postings = transfer(Asset.POINTS, points, debit=locked.ids(card_number)[Asset.POINTS], credit=income)
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request_id, type=TRANSACTION_TYPE, card_number=card_number,
            store_id=card.issuing_store_id, acquiring_franchisee_id=card.issuing_franchisee_id,
            business_date=ctx.store_business_day("", now), amount_fen=0, principal_delta_fen=0, bonus_delta_fen=0,
            points_delta=-points, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=now,
            details={"points_expired": points, "last_expiry": last_expiry.isoformat()},
        )
        record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=card.issuing_franchisee_id,
            receipt_title="POINTS EXPIRED", receipt_items=[ReceiptItem("Points expired", str(points))], locked=locked,
        )
        return int(points)


def expire_due_points(ctx: RegionContext, *, now: datetime | None = None,
                      after_card: Callable[[str, int], None] | None = None) -> ExpiryRun:
    """Expire every due lot of the region, card by card. ``after_card(card, points)`` runs after each
    card's transaction commits (tests use it to crash the run part-way)."""
    now = now or utc_now()
    cards = points = 0
    last = ""
    while True:
        with ctx.session_factory() as session:
            due = cards_with_points_due(session, now, after=last)
        for card_number in due:
            expired = expire_card_points(ctx, card_number, now)
            cards, points = cards + bool(expired), points + expired
            if after_card is not None:
                after_card(card_number, expired)
        if len(due) < BATCH_SIZE:
            return ExpiryRun(cards, points)
        last = due[-1]


def send_expiry_reminders(ctx: RegionContext, *, now: datetime | None = None) -> int:
    """A PointsExpiring event per card and expiry moment within the policy's reminder window, once
    each; returns how many were sent."""
    now = now or utc_now()
    days = expiry_policy(ctx.program.snapshot().points_expiry).reminder_days_before_expiry
    if days <= 0:
        return 0
    sent = 0
    with ctx.session_factory.begin() as session:
        reminded = select(PointsExpiryReminder.card_number).where(
            PointsExpiryReminder.card_number == PointsLot.card_number, PointsExpiryReminder.expires_at == PointsLot.expires_at)
        due = session.execute(
            select(PointsLot.card_number, PointsLot.expires_at, func.sum(PointsLot.points_remaining))
            .where(PointsLot.points_remaining > 0, PointsLot.expires_at > now, PointsLot.expires_at <= now + timedelta(days=days),
                   ~reminded.exists())
            .group_by(PointsLot.card_number, PointsLot.expires_at).order_by(PointsLot.card_number, PointsLot.expires_at)
        ).all()
        for card_number, expires_at, points in due:
            inserted = session.execute(
                pg_insert(PointsExpiryReminder).values(card_number=card_number, expires_at=expires_at, points=points, sent_at=now)
                .on_conflict_do_nothing().returning(PointsExpiryReminder.card_number)
            ).first()
            if inserted is None:
                continue  # another replica's run sent it
            card = load_card(session, card_number)
            balance = session.execute(select(func.coalesce(func.sum(PointsLot.points_remaining), 0))
                                      .where(PointsLot.card_number == card_number)).scalar_one()
            add_event(session, OutboxMessage, topic=topics.CARDS, key=card_number, producer=ctx.producer_name,
                      payload=events_pb2.PointsExpiring(
                          card_number=card_number, member_id=card.member_id or "", issuing_franchisee_id=card.issuing_franchisee_id,
                          issuing_store_id=card.issuing_store_id, points=int(points), expires_at=timestamp(expires_at),
                          points_balance=int(balance)))
            sent += 1
    return sent


OUTLOOK_DAYS = (30, 90)


def send_expiry_outlooks(ctx: RegionContext, *, now: datetime | None = None) -> int:
    """A PointsExpiryOutlook for every card whose points expiring within 30 and 90 days changed
    since the last one sent (HQ's liability report, V7); returns how many were sent. Cards whose
    lots no longer expire soon get a last one with zeros."""
    now = now or utc_now()
    near, far = (now + timedelta(days=days) for days in OUTLOOK_DAYS)
    due_by = func.coalesce(func.sum(PointsLot.points_remaining).filter(PointsLot.expires_at <= near), 0)
    current = (
        select(PointsLot.card_number.label("card_number"), due_by.label("near"),
               func.sum(PointsLot.points_remaining).label("far"))
        .where(PointsLot.points_remaining > 0, PointsLot.expires_at <= far)
        .group_by(PointsLot.card_number).subquery()
    )
    sent = PointsExpiryOutlookSent
    changed = (
        select(func.coalesce(current.c.card_number, sent.card_number), func.coalesce(current.c.near, 0),
               func.coalesce(current.c.far, 0))
        .select_from(current.join(sent, sent.card_number == current.c.card_number, full=True))
        .where(or_(sent.card_number.is_(None), current.c.card_number.is_(None),
                   sent.expiring_30_days != current.c.near, sent.expiring_90_days != current.c.far))
        .where(or_(current.c.card_number.is_not(None), sent.expiring_90_days != 0))
    )
    count = 0
    with ctx.session_factory.begin() as session:
        for card_number, near_points, far_points in session.execute(changed).all():
            card = load_card(session, card_number)
            session.execute(
                pg_insert(sent).values(card_number=card_number, expiring_30_days=near_points, expiring_90_days=far_points,
                                       as_of=now)
                .on_conflict_do_update(index_elements=["card_number"], set_={
                    "expiring_30_days": near_points, "expiring_90_days": far_points, "as_of": now}))
            add_event(session, OutboxMessage, topic=topics.CARDS, key=card_number, producer=ctx.producer_name,
                      payload=events_pb2.PointsExpiryOutlook(
                          card_number=card_number, issuing_franchisee_id=card.issuing_franchisee_id,
                          points_expiring_30_days=int(near_points), points_expiring_90_days=int(far_points),
                          as_of=timestamp(now)))
            count += 1
    return count


def run_points_jobs(ctx: RegionContext) -> None:
    """The periodic job: expire what is due, remind of what comes due, tell HQ what expires soon."""
    run = expire_due_points(ctx)
    reminders = send_expiry_reminders(ctx)
    outlooks = send_expiry_outlooks(ctx)
    if run.cards or reminders or outlooks:
        log.info("points expiry", extra={"fields": {"cards": run.cards, "points": run.points, "reminders": reminders,
                                                    "outlooks": outlooks}})
