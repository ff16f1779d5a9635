"""The region's coupon jobs (Q2, Q5): expiry, expiry reminders and birthday coupons.

Each works in batches, one transaction per batch, and is exactly once however often it runs, on
however many replicas, and after a crash: a batch's rows are claimed with SKIP LOCKED (a replica
never waits on another, nor on a checkout holding a coupon), and what a batch writes (the state or
``reminded_at``, with its event through the outbox) commits together or not at all, so a run after
a crash redoes only what did not commit. Birthday coupons are keyed
``birthday:<card>:<year>:<template>``, so a second run that day issues nothing again. The region
runs them every few minutes (region_service.bootstrap); ``chaincard region coupons expire|remind|
birthdays`` runs one now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from chaincard.coupons.templates import coupon_templates
from chaincard.db.base import utc_now
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.v1 import events_pb2
from region_service import card_states
from region_service.context import RegionContext
from region_service.coupons.issuing import AVAILABLE, EXPIRED, change_state, coupon_message
from region_service.coupons.rules_issue import issue_listed
from region_service.models import Card, Coupon, Member, OutboxMessage

log = logging.getLogger(__name__)
BATCH = 200


def _in_batches(ctx: RegionContext, step: Callable[[Session], int], batch_size: int) -> int:
    """Run ``step`` (one batch, returns how many it handled) in its own transaction until a batch is short."""
    done = 0
    while True:
        with ctx.session_factory() as session, session.begin():
            handled = step(session)
        done += handled
        if handled < batch_size:
            return done


# ---- expiry -----------------------------------------------------------------------------------------

def expire_due_coupons(ctx: RegionContext, *, now: datetime | None = None, batch_size: int = BATCH) -> int:
    """Mark AVAILABLE coupons whose validity ended by ``now`` EXPIRED (CouponStateChanged, reason
    "expired"); how many."""
    now = now or utc_now()

    def batch(session: Session) -> int:
        due = list(session.execute(
            select(Coupon).where(Coupon.state == AVAILABLE, Coupon.valid_until <= now)
            .order_by(Coupon.valid_until, Coupon.coupon_code).limit(batch_size).with_for_update(skip_locked=True)
        ).scalars())
        for coupon in due:
            change_state(ctx, session, coupon, EXPIRED, reason="expired", now=now)
        return len(due)

    return _in_batches(ctx, batch, batch_size)


# ---- reminders --------------------------------------------------------------------------------------

def remind_expiring_coupons(ctx: RegionContext, *, now: datetime | None = None, batch_size: int = BATCH) -> int:
    """Announce CouponExpiring once for each AVAILABLE coupon whose template's
    reminder_days_before_expiry reaches ``now`` (HQ's notices send it); how many."""
    now = now or utc_now()
    reminded = 0
    for terms in coupon_templates(ctx.program.snapshot()).values():
        if terms.reminder_days_before_expiry <= 0:
            continue
        horizon = now + timedelta(days=terms.reminder_days_before_expiry)

        def batch(session: Session, code: str = terms.code, name: str = terms.name, horizon: datetime = horizon) -> int:
            due = list(session.execute(
                select(Coupon, Card.member_id).join(Card, Card.card_number == Coupon.card_number)
                .where(Coupon.template_code == code, Coupon.state == AVAILABLE, Coupon.reminded_at.is_(None),
                       Coupon.valid_until > now, Coupon.valid_until <= horizon)
                .order_by(Coupon.valid_until, Coupon.coupon_code).limit(batch_size).with_for_update(of=Coupon, skip_locked=True)
            ).all())
            for coupon, member_id in due:
                coupon.reminded_at = now
                add_event(
                    session, OutboxMessage, topic=topics.CARDS, key=coupon.card_number, producer=ctx.producer_name,
                    payload=events_pb2.CouponExpiring(coupon=coupon_message(coupon), coupon_name=name, member_id=member_id or ""),
                )
            return len(due)

        reminded += _in_batches(ctx, batch, batch_size)
    return reminded


# ---- birthdays --------------------------------------------------------------------------------------

def issue_birthday_coupons(ctx: RegionContext, *, today: date | None = None, now: datetime | None = None,
                           batch_size: int = BATCH) -> int:
    """Issue ChainSettings.birthday_coupon_template_codes to each member whose birthday is ``today``
    (the chain's business day; a 29 February birthday is kept on 28 February in other years), on
    their card that would receive a gift (the only active card, else the one opened last); how many
    coupons were issued (0 on a second run)."""
    now = now or utc_now()
    today = today or ctx.store_business_day(ctx.settings.business_time_zone, now)
    codes = list(ctx.program.snapshot().settings.birthday_coupon_template_codes)
    if not codes:
        return 0
    days = [today.day]
    if today.month == 2 and today.day == 28 and not _leap(today.year):
        days.append(29)
    issued = 0
    last_member = ""
    while True:
        with ctx.session_factory() as session, session.begin():
            rows = list(session.execute(
                select(Card, Member.member_id).join(Member, Member.member_id == Card.member_id)
                .where(extract("month", Member.birthday) == today.month, extract("day", Member.birthday).in_(days),
                       Member.erased_at.is_(None), Card.state == card_states.ACTIVE, Member.member_id > last_member)
                .order_by(Member.member_id, Card.opened_at.desc(), Card.card_number.desc())
                .limit(batch_size)
            ).all())
            chosen: dict[str, Card] = {}
            for card, member_id in rows:
                chosen.setdefault(member_id, card)  # the first of a member's rows is the card opened last
            if len(rows) == batch_size and len(chosen) > 1:
                chosen.pop(rows[-1][1])  # that member's cards may go on in the next batch
            for member_id, card in sorted(chosen.items()):
                coupons = issue_listed(ctx, session, card, codes, key_prefix=f"birthday:{card.card_number}:{today.year}",
                                       reason=f"birthday {today.year}", now=now)
                issued += sum(1 for coupon in coupons if coupon.issued_at == now)  # not those of an earlier run
                last_member = member_id
        if len(rows) < batch_size:
            return issued


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def run_coupon_jobs(ctx: RegionContext) -> None:
    """The periodic run (region_service.bootstrap): expiry, reminders, birthdays."""
    expired = expire_due_coupons(ctx)
    reminded = remind_expiring_coupons(ctx)
    birthdays = issue_birthday_coupons(ctx)
    if expired or reminded or birthdays:
        log.info("coupon jobs", extra={"fields": {"expired": expired, "reminded": reminded, "birthday_coupons": birthdays}})
