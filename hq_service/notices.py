"""Transaction notices (N1, N5) at HQ: planned from events, delivered by a dispatcher.

- ``NoticePlanner.apply`` is the handler of the ``<deployment>.hq-notifications`` consumer: for a
  card opening, recharge, spend, points redemption, refund or void of a member's card, a coupon
  about to expire (CouponExpiring), points about to expire (PointsExpiring, P3), or a level change
  of a member's card (MemberLevelChanged, L2), it writes a
  ``notices`` row per active template, in the transaction that records the event as applied
  (STYLE rule 7), so a redelivered event plans nothing twice.
- ``NoticeDispatcher`` sends due notices through their channel and records the outcome. Sending
  and recording cannot be one transaction, so a crash in between sends a notice again (at least
  once); the notice id travels with it for gateways to drop the repeat.

Quiet hours delay a notice to the end of the window; an opted-out member gets nothing (checked
when sending, so an opt-out also stops notices already waiting).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.money import format_fen
from chaincard.notifications.channels import (
    DeliveryError,
    LogChannel,
    NotificationChannel,
    OutgoingNotice,
    UndeliverableNotice,
)
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.notifications.templates import DEFAULT_TEMPLATES, render
from chaincard.v1 import common_pb2, events_pb2
from chaincard.v1 import program_config_pb2 as pc
from chaincard.workers import Backoff, Worker
from hq_service.models import ConfigItem, MemberView, Notice, NotificationPreference, Store

log = logging.getLogger(__name__)

NOTICE_NAMESPACE = uuid.UUID("5b0f6c1e-2a1d-4c55-9a57-0d7c3f1e8a42")
T = common_pb2.TransactionType
E = pc.NotificationEvent
NOTICE_EVENT_OF_TRANSACTION = {
    T.TRANSACTION_TYPE_RECHARGE: E.NOTIFICATION_EVENT_RECHARGE,
    T.TRANSACTION_TYPE_SPEND: E.NOTIFICATION_EVENT_SPEND,
    T.TRANSACTION_TYPE_OFFLINE_ADVICE: E.NOTIFICATION_EVENT_SPEND,
    T.TRANSACTION_TYPE_POINTS_REDEMPTION: E.NOTIFICATION_EVENT_REDEMPTION,
    T.TRANSACTION_TYPE_REFUND: E.NOTIFICATION_EVENT_REFUND,
    T.TRANSACTION_TYPE_VOID: E.NOTIFICATION_EVENT_REFUND,
}
TEMPLATE_CACHE_SECONDS = 10.0
# How long a notice waits for its member's profile (another topic) before going out without a name.
MEMBER_WAIT = timedelta(seconds=30)
MAX_ATTEMPTS = 8
# A dispatch that failed (the database restarting) is tried again this much later.
RETRY_SECONDS = 2.0


def short_name(enum_wrapper: EnumTypeWrapper, prefix: str, number: int) -> str:
    return enum_wrapper.Name(number).removeprefix(prefix)


def notice_id_for(event_id: str, template_code: str) -> str:
    return str(uuid.uuid5(NOTICE_NAMESPACE, f"{event_id}:{template_code}"))


class NoticePlanner:
    def __init__(self, settings: Settings) -> None:
        self.time_zone = settings.business_time_zone
        self.quiet_hours = QuietHours.parse(settings.notification_quiet_hours, settings.business_time_zone)
        self._templates: dict[int, list[pc.NotificationTemplate]] = {}
        self._templates_read_at = 0.0
        self._store_names: dict[str, str] = {}

    def _refresh(self, session: Session) -> None:
        """Templates and store names, re-read every few seconds (they change rarely)."""
        if time.monotonic() - self._templates_read_at > TEMPLATE_CACHE_SECONDS:
            self._store_names = dict(session.execute(select(Store.store_id, Store.name)).all())
            configured: dict[int, list[pc.NotificationTemplate]] = {}
            for definition in session.execute(
                select(ConfigItem.definition).where(ConfigItem.kind == "notification_template").order_by(ConfigItem.item_key)
            ).scalars():
                template = pc.NotificationTemplate.FromString(definition)
                configured.setdefault(template.event, []).append(template)
            self._templates, self._templates_read_at = configured, time.monotonic()

    def templates_for(self, session: Session, notice_event: int) -> list[pc.NotificationTemplate]:
        """Active templates for the event; the default one when HQ configured none for it."""
        self._refresh(session)
        if notice_event in self._templates:
            return [template for template in self._templates[notice_event] if template.active]
        return [DEFAULT_TEMPLATES[notice_event]]

    def apply(self, session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        if isinstance(payload, events_pb2.TransactionPosted):
            transaction = payload.transaction
            notice_event = NOTICE_EVENT_OF_TRANSACTION.get(transaction.type)
            if notice_event is None or not payload.member_id:
                return
            balances = transaction.balances_after
            points = {
                E.NOTIFICATION_EVENT_REDEMPTION: payload.points_redeemed or max(-transaction.points_delta, 0),
            }.get(notice_event, payload.points_earned)
            self._plan(session, envelope, notice_event, member_id=payload.member_id, card_number=transaction.card_number,
                       store_id=transaction.store_id, moment=transaction.occurred_at.ToDatetime(tzinfo=UTC),
                       amount_fen=transaction.amount_fen, balances=balances, points=points)
        elif isinstance(payload, events_pb2.PointsExpiring):
            if not payload.member_id:
                return
            expires_at = payload.expires_at.ToDatetime(tzinfo=UTC)
            # The last day they can be spent: the lot stops being spendable at the start of expires_at's day.
            last_day = (expires_at.astimezone(ZoneInfo(self.time_zone)) - timedelta(microseconds=1)).date()
            self._plan(session, envelope, E.NOTIFICATION_EVENT_POINTS_EXPIRING, member_id=payload.member_id,
                       card_number=payload.card_number, store_id=payload.issuing_store_id, moment=utc_now(), amount_fen=0,
                       balances=common_pb2.Balances(points=payload.points_balance), points=payload.points,
                       extra={"expires_on": last_day.isoformat()})
        elif isinstance(payload, events_pb2.CardOpened):
            card = payload.card
            if not card.member_id:
                return
            moment = card.opened_at.ToDatetime(tzinfo=UTC) if card.HasField("opened_at") else utc_now()
            self._plan(session, envelope, E.NOTIFICATION_EVENT_CARD_OPENED, member_id=card.member_id,
                       card_number=card.card_number, store_id=card.issuing_store_id, moment=moment, amount_fen=0,
                       balances=card.balances, points=0)
        elif isinstance(payload, events_pb2.MemberLevelChanged):
            # A level change of a member's card (L2, docs/adr/0034); a bearer card's sends none.
            if not payload.member_id:
                return
            moment = payload.changed_at.ToDatetime(tzinfo=UTC) if payload.HasField("changed_at") else utc_now()
            self._plan(session, envelope, E.NOTIFICATION_EVENT_LEVEL_CHANGED, member_id=payload.member_id,
                       card_number=payload.card_number, store_id=payload.store_id, moment=moment, amount_fen=0,
                       balances=common_pb2.Balances(), points=0,
                       extra={"level": payload.level_name, "previous_level": payload.previous_level_name})
        elif isinstance(payload, events_pb2.CouponExpiring):
            coupon = payload.coupon
            if not payload.member_id:
                return
            # valid_until is exclusive: the last day it can be used is the day before it ends.
            last_moment = coupon.valid_until.ToDatetime(tzinfo=UTC) - timedelta(microseconds=1)
            self._plan(session, envelope, E.NOTIFICATION_EVENT_COUPON_EXPIRING, member_id=payload.member_id,
                       card_number=coupon.card_number, store_id="", moment=envelope.occurred_at.ToDatetime(tzinfo=UTC),
                       amount_fen=0, balances=common_pb2.Balances(), points=0,
                       extra={"coupon_name": payload.coupon_name or coupon.template_code,
                              "expires_on": last_moment.astimezone(ZoneInfo(self.time_zone)).date().isoformat()})

    def _plan(self, session: Session, envelope: events_pb2.EventEnvelope, notice_event: int, *, member_id: str,
              card_number: str, store_id: str, moment: datetime, amount_fen: int, balances: common_pb2.Balances,
              points: int, extra: Mapping[str, str] | None = None) -> None:
        self._refresh(session)
        store_name = self._store_names.get(store_id)
        variables = {
            "card_last4": card_number[-4:],
            "amount": format_fen(amount_fen),
            "balance": format_fen(balances.principal_fen + balances.bonus_fen),
            "points": points,
            "points_balance": balances.points,
            "store_name": store_name or store_id or "总部",
            "time": moment.astimezone(ZoneInfo(self.time_zone)).strftime("%Y-%m-%d %H:%M"),
            **(extra or {}),
        }
        now = utc_now()
        send_after = self.quiet_hours.release_time(now) if self.quiet_hours else now
        for template in self.templates_for(session, notice_event):
            session.add(Notice(
                notice_id=notice_id_for(envelope.event_id, template.code), event_id=envelope.event_id, member_id=member_id,
                card_number=card_number, notification_event=short_name(pc.NotificationEvent, "NOTIFICATION_EVENT_", notice_event),
                channel=short_name(pc.NotificationChannel, "NOTIFICATION_CHANNEL_", template.channel),
                template_code=template.code, template_body=template.body, variables=variables, status="PENDING",
                created_at=now, send_after=send_after, rendered="", attempts=0, last_error="",
            ))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 600))


class NoticeDispatcher(Worker):
    """Sends due notices, a batch per transaction (rows locked with SKIP LOCKED, so HQ replicas share).

    The loop sends batches back to back while they come full, then pauses ``interval_seconds``; a
    failed batch (the database restarting) is tried again after ``RETRY_SECONDS``."""

    def __init__(self, session_factory: sessionmaker[Session], channels: Mapping[str, NotificationChannel], *,
                 interval_seconds: float = 0.5, batch_size: int = 100) -> None:
        super().__init__("notice-dispatcher", idle_seconds=interval_seconds, backoff=Backoff(RETRY_SECONDS, RETRY_SECONDS))
        self.session_factory = session_factory
        self.channels = dict(channels)
        self.batch_size = batch_size
        self.sent_total = 0

    def step(self) -> bool:
        return self.dispatch_due() >= self.batch_size

    def dispatch_due(self) -> int:
        """Send up to ``batch_size`` due notices; returns how many were handled."""
        now = utc_now()
        with self.session_factory() as session, session.begin():
            due = session.execute(
                select(Notice)
                .where(Notice.status == "PENDING", Notice.send_after <= now)
                .order_by(Notice.send_after, Notice.created_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).scalars().all()
            members = {notice.member_id for notice in due}
            opted_out = set(session.execute(select(NotificationPreference.member_id).where(
                NotificationPreference.member_id.in_(members), NotificationPreference.opted_out.is_(True))).scalars())
            views = {view.member_id: view for view in session.execute(
                select(MemberView).where(MemberView.member_id.in_(members))).scalars()}
            for notice in due:
                if notice.member_id in opted_out:
                    notice.status = "OPTED_OUT"
                else:
                    self._dispatch_one(notice, views.get(notice.member_id), now)
        return len(due)

    def _dispatch_one(self, notice: Notice, view: MemberView | None, now: datetime) -> None:
        if view is None and now - notice.created_at < MEMBER_WAIT:
            notice.send_after = now + timedelta(seconds=1)
            return
        member = common_pb2.Member.FromString(view.member) if view is not None else common_pb2.Member(member_id=notice.member_id)
        text = render(notice.template_body, {**notice.variables, "member_name": member.name or "会员"})
        channel = self.channels.get(notice.channel) or self.channels.get("*")
        outgoing = OutgoingNotice(
            notice_id=notice.notice_id, member_id=notice.member_id, home_region=member.home_region,
            phone_masked=member.phone_masked, card_number=notice.card_number, event=notice.notification_event,
            channel=notice.channel, template_code=notice.template_code, text=text,
        )
        notice.attempts += 1
        try:
            if channel is None:
                raise UndeliverableNotice(f"no channel {notice.channel} is configured")
            channel.send(outgoing)
        except UndeliverableNotice as error:
            notice.status, notice.last_error = "FAILED", str(error)[:500]
            return
        except (DeliveryError, OSError) as error:
            notice.last_error = str(error)[:500]
            if notice.attempts >= MAX_ATTEMPTS:
                notice.status = "FAILED"
            else:
                notice.send_after = now + retry_delay(notice.attempts)
            return
        notice.status, notice.rendered, notice.sent_at = "SENT", text, utc_now()
        self.sent_total += 1


def default_channels(settings: Settings) -> dict[str, NotificationChannel]:
    """Every channel goes to the log channel (and to ``notification_log_path`` when set).

    The SMS, WeChat and e-mail adapters (chaincard.notifications.channels) need a contact resolver
    backed by the home regions, which hold the raw phone and e-mail; until regions serve one
    (docs/adr/0012), a deployment wires them here.
    """
    log_channel = LogChannel("notices", settings.notification_log_path or None)
    return {"*": log_channel}


def set_opt_out(session: Session, member_id: str, opted_out: bool, note: str = "") -> None:
    preference = session.get(NotificationPreference, member_id)
    if preference is None:
        session.add(NotificationPreference(member_id=member_id, opted_out=opted_out, note=note[:200], updated_at=utc_now()))
    else:
        preference.opted_out, preference.note, preference.updated_at = opted_out, note[:200], utc_now()


def recent_notices(session: Session, *, limit: int = 50, status: str | None = None) -> list[Notice]:
    statement = select(Notice).order_by(Notice.created_at.desc(), Notice.notice_id).limit(limit)
    if status:
        statement = statement.where(Notice.status == status)
    return list(session.execute(statement).scalars())
