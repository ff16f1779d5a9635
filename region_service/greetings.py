"""The region's greeting and count-use reminder jobs (N2, M6, K1; docs/adr/0056).

- ``send_member_date_greetings``: for each active ChainSettings.member_date_greetings entry, the
  members whose date (the profile's birthday, or a wedding anniversary or child's birthday from
  ``member_dates``) falls ``days_before`` days after today's business day get one MemberDateComing
  event (HQ's notices send it) and the greeting's coupon, on the card that would receive a gift
  (the active card opened last, of the greeting's card type when it names one). Once per
  greeting, member, date and year: the ``member_date_greetings`` key is inserted in the same
  transaction as the event and the coupon, and a second insert of it does nothing. A 29 February
  date is greeted as 28 February in other years.
- ``send_count_use_reminders``: a CountUsesExpiring event once per count-use pack with uses left
  that expires within ChainSettings.count_uses_reminder_days_before days (``count_use_pack_reminders``).

Both run every few minutes (region_service.bootstrap) and from ``chaincard region coupons greetings``
(or ``count-reminders``);
running twice, or on two replicas at once, sends nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import extract, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from chaincard.coupons.templates import coupon_templates
from chaincard.db.base import utc_now
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.v1 import events_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import card_states
from region_service.context import RegionContext
from region_service.coupons.rules_issue import issue_listed
from region_service.models import (
    Card,
    CountUsePack,
    CountUsePackReminder,
    Member,
    MemberDateGreetingSent,
    MemberDateRow,
    OutboxMessage,
)
from region_service.translate import timestamp

log = logging.getLogger(__name__)
BATCH = 200
GREETING_NAMESPACE = uuid.UUID("0b8a8f4e-56f1-4d7e-9b0e-3c1d2a5f0e56")
BIRTHDAY = "BIRTHDAY"


@dataclass(frozen=True)
class _Due:
    member_id: str
    label: str


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_of(target: date) -> list[int]:
    """The stored days that fall on ``target``: 29 February is kept on 28 February in other years."""
    if target.month == 2 and target.day == 28 and not _leap(target.year):
        return [28, 29]
    return [target.day]


def _members_with_date(session: Session, kind: str, target: date) -> list[_Due]:
    days = _days_of(target)
    if kind == BIRTHDAY:
        ids = session.execute(select(Member.member_id).where(
            extract("month", Member.birthday) == target.month, extract("day", Member.birthday).in_(days),
            Member.erased_at.is_(None)).order_by(Member.member_id)).scalars()
        return [_Due(member_id, "") for member_id in ids]
    rows = session.execute(
        select(MemberDateRow.member_id, MemberDateRow.label).join(Member, Member.member_id == MemberDateRow.member_id)
        .where(MemberDateRow.kind == kind, MemberDateRow.month == target.month, MemberDateRow.day.in_(days),
               Member.erased_at.is_(None))
        .order_by(MemberDateRow.member_id, MemberDateRow.label)).all()
    return [_Due(member_id, label) for member_id, label in rows]


def _greeted_card(session: Session, member_id: str, card_type_code: str) -> Card | None:
    """The member's active card opened last (of ``card_type_code`` when given); None: no greeting."""
    statement = select(Card).where(Card.member_id == member_id, Card.state == card_states.ACTIVE)
    if card_type_code:
        statement = statement.where(Card.card_type_code == card_type_code)
    return session.execute(statement.order_by(Card.opened_at.desc(), Card.card_number.desc()).limit(1)).scalar_one_or_none()


def greeting_key(greeting: pc.MemberDateGreeting, kind: str, member_id: str, label: str, year: int) -> str:
    return f"{greeting.code}:{member_id}:{kind}:{label}:{year}"


def _greet(ctx: RegionContext, session: Session, greeting: pc.MemberDateGreeting, kind: str, due: _Due,
           target: date, now: datetime) -> bool:
    card = _greeted_card(session, due.member_id, greeting.card_type_code)
    if card is None:
        return False
    key = greeting_key(greeting, kind, due.member_id, due.label, target.year)
    inserted = session.execute(
        pg_insert(MemberDateGreetingSent).values(greeting_key=key, member_id=due.member_id, card_number=card.card_number,
                                                 sent_at=now)
        .on_conflict_do_nothing().returning(MemberDateGreetingSent.greeting_key)
    ).first()
    if inserted is None:
        return False  # sent by an earlier run, or by another replica's just now
    coupon_name = ""
    if greeting.coupon_template_code:
        coupons = issue_listed(ctx, session, card, [greeting.coupon_template_code],
                               key_prefix=f"greeting:{uuid.uuid5(GREETING_NAMESPACE, key)}", reason=f"greeting {greeting.code}",
                               now=now)
        terms = coupon_templates(ctx.program.snapshot()).get(greeting.coupon_template_code)
        if coupons:
            coupon_name = terms.name if terms is not None else greeting.coupon_template_code
    add_event(session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
              payload=events_pb2.MemberDateComing(
                  member_id=due.member_id, card_number=card.card_number, issuing_store_id=card.issuing_store_id,
                  greeting_code=greeting.code, kind=greeting.kind, date=target.isoformat(),
                  days_before=greeting.days_before, notification_template_code=greeting.notification_template_code,
                  coupon_name=coupon_name))
    return True


def _not_yet_greeted(session: Session, greeting: pc.MemberDateGreeting, kind: str, due: list[_Due], year: int) -> list[_Due]:
    """``due`` without those already greeted (the job runs every few minutes: most are, after the
    first run of the day). Only a shortcut: the key's insert still decides."""
    left: list[_Due] = []
    for chunk in _chunks(due, 1000):
        keys = {greeting_key(greeting, kind, item.member_id, item.label, year): item for item in chunk}
        sent = set(session.execute(select(MemberDateGreetingSent.greeting_key)
                                   .where(MemberDateGreetingSent.greeting_key.in_(list(keys)))).scalars())
        left += [item for key, item in keys.items() if key not in sent]
    return left


def _chunks(items: list[_Due], size: int) -> Iterable[list[_Due]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def send_member_date_greetings(ctx: RegionContext, *, today: date | None = None, now: datetime | None = None,
                               batch_size: int = BATCH) -> int:
    """One greeting per active greeting, member, date and year whose date is due; how many were sent
    (0 on a second run)."""
    now = now or utc_now()
    today = today or ctx.store_business_day(ctx.settings.business_time_zone, now)
    sent = 0
    for greeting in ctx.program.snapshot().settings.member_date_greetings:
        if not greeting.active or greeting.kind == pc.MEMBER_DATE_KIND_UNSPECIFIED:
            continue
        kind = pc.MemberDateKind.Name(greeting.kind).removeprefix("MEMBER_DATE_KIND_")
        target = today + timedelta(days=greeting.days_before)
        with ctx.session_factory() as session:
            due = _not_yet_greeted(session, greeting, kind, _members_with_date(session, kind, target), target.year)
        for chunk in _chunks(due, batch_size):  # a transaction per chunk: a crash redoes only what did not commit
            with ctx.session_factory() as session, session.begin():
                sent += sum(_greet(ctx, session, greeting, kind, item, target, now) for item in chunk)
    return sent


def send_count_use_reminders(ctx: RegionContext, *, now: datetime | None = None, batch_size: int = BATCH) -> int:
    """A CountUsesExpiring event once per pack with uses left expiring within the configured days; how many."""
    now = now or utc_now()
    snapshot = ctx.program.snapshot()
    days = snapshot.settings.count_uses_reminder_days_before
    if days <= 0:
        return 0
    names = {item.code: item.name for item in snapshot.count_items}
    reminded = select(CountUsePackReminder.pack_id).where(CountUsePackReminder.pack_id == CountUsePack.pack_id)
    sent = 0
    while True:
        with ctx.session_factory() as session, session.begin():
            due = session.execute(
                select(CountUsePack, Card).join(Card, Card.card_number == CountUsePack.card_number)
                .where(CountUsePack.uses_left > 0, CountUsePack.expires_at > now,
                       CountUsePack.expires_at <= now + timedelta(days=days), ~reminded.exists())
                .order_by(CountUsePack.expires_at, CountUsePack.pack_id).limit(batch_size)
                .with_for_update(of=CountUsePack, skip_locked=True)
            ).all()
            for pack, card in due:
                inserted = session.execute(
                    pg_insert(CountUsePackReminder).values(pack_id=pack.pack_id, uses_left=pack.uses_left, sent_at=now)
                    .on_conflict_do_nothing().returning(CountUsePackReminder.pack_id)
                ).first()
                if inserted is None or not card.member_id:
                    continue  # another replica's run sent it; a bearer card gets no notices
                add_event(session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
                          payload=events_pb2.CountUsesExpiring(
                              card_number=card.card_number, member_id=card.member_id, pack_id=pack.pack_id,
                              item_code=pack.item_code, item_name=names.get(pack.item_code, pack.item_code),
                              uses_left=pack.uses_left, expires_at=timestamp(pack.expires_at),
                              issuing_store_id=card.issuing_store_id))
                sent += 1
        if len(due) < batch_size:
            return sent


def run_greeting_jobs(ctx: RegionContext) -> None:
    """The periodic run (region_service.bootstrap): greetings, then count-use reminders."""
    greetings = send_member_date_greetings(ctx)
    reminders = send_count_use_reminders(ctx)
    if greetings or reminders:
        log.info("greeting jobs", extra={"fields": {"greetings": greetings, "count_use_reminders": reminders}})
