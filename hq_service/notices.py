"""Transaction notices (N1, N5) at HQ: planned from events, delivered by a dispatcher.

- ``NoticePlanner.apply`` is the handler of the ``<deployment>.hq-notifications`` consumer: for a
  card opening, recharge, spend, points redemption, refund or void of a member's card, a coupon
  about to expire (CouponExpiring), points about to expire (PointsExpiring, P3), or a level change
  of a member's card (MemberLevelChanged, L2), a member date coming (MemberDateComing) or a count
  card's uses about to expire (CountUsesExpiring; docs/adr/0056), it writes a
  ``notices`` row per active template, in the transaction that records the event as applied
  (STYLE rule 7), so a redelivered event plans nothing twice.
- ``NoticeDispatcher`` sends due notices through their channel and records the outcome per
  notice (status, attempts, last error). Sending and recording cannot be one transaction: the
  notice is committed as SENDING first, so a crash in between never sends it twice (resent only
  through a gateway that drops repeats by the notice id; docs/adr/0053).

Quiet hours delay a notice to the end of the window; an opted-out member gets nothing (checked
when sending, so an opt-out also stops notices already waiting): opted out of all notices here at
HQ (``set_opt_out``), or of one channel at the home region, which then refuses the address.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.erasure import MEMBER_ERASED, is_erased
from chaincard.money import format_fen
from chaincard.notifications.channels import (
    ContactResolver,
    DeliveryError,
    EmailChannel,
    HttpGateway,
    LogChannel,
    NotificationChannel,
    OptedOut,
    OutgoingNotice,
    SmsGatewayChannel,
    SmtpSettings,
    UndeliverableNotice,
    WeChatTemplateChannel,
)
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.notifications.templates import DATE_KIND_NAMES, DEFAULT_TEMPLATES, render
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
# A claimed notice is SENDING this long at most; past it, a stopped dispatcher's claim is recovered.
SEND_LEASE = timedelta(minutes=10)


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
            if not card.member_id or payload.imported:  # an imported card is not news to its member
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
        elif isinstance(payload, events_pb2.MemberDateComing):
            # A greeting before a member date (N2, M6, docs/adr/0056); the region sends one a year.
            if not payload.member_id:
                return
            self._plan(session, envelope, E.NOTIFICATION_EVENT_MEMBER_DATE, member_id=payload.member_id,
                       card_number=payload.card_number, store_id=payload.issuing_store_id, moment=utc_now(), amount_fen=0,
                       balances=common_pb2.Balances(), points=0, only_template=payload.notification_template_code,
                       extra={"date_kind": DATE_KIND_NAMES.get(payload.kind, ""), "date": payload.date,
                              "days": str(payload.days_before), "coupon_name": payload.coupon_name})
        elif isinstance(payload, events_pb2.CountUsesExpiring):
            if not payload.member_id:
                return
            last_day = (payload.expires_at.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo(self.time_zone))
                        - timedelta(microseconds=1)).date()
            self._plan(session, envelope, E.NOTIFICATION_EVENT_COUNT_USES_EXPIRING, member_id=payload.member_id,
                       card_number=payload.card_number, store_id=payload.issuing_store_id, moment=utc_now(), amount_fen=0,
                       balances=common_pb2.Balances(), points=0,
                       extra={"item": payload.item_name or payload.item_code, "uses_left": str(payload.uses_left),
                              "expires_on": last_day.isoformat()})
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
              points: int, extra: Mapping[str, str] | None = None, only_template: str = "") -> None:
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
        templates = self.templates_for(session, notice_event)
        if only_template:  # the one a greeting names (docs/adr/0056); none when HQ switched it off
            templates = [template for template in self._templates.get(notice_event, [])
                         if template.code == only_template and template.active]
        for template in templates:
            session.add(Notice(
                notice_id=notice_id_for(envelope.event_id, template.code), event_id=envelope.event_id, member_id=member_id,
                card_number=card_number, notification_event=short_name(pc.NotificationEvent, "NOTIFICATION_EVENT_", notice_event),
                channel=short_name(pc.NotificationChannel, "NOTIFICATION_CHANNEL_", template.channel),
                template_code=template.code, template_body=template.body, variables=variables, status="PENDING",
                created_at=now, send_after=send_after, rendered="", attempts=0, last_error="",
            ))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 600))


@dataclass(frozen=True)
class _Claimed:
    notice_id: str
    outgoing: OutgoingNotice
    attempts: int


class NoticeDispatcher(Worker):
    """Sends due notices: claim a batch, send each, record each outcome (docs/adr/0053).

    A notice is never sent twice. Claiming commits it as SENDING (attempts + 1, a lease) before
    anything goes out; the outcome is committed after. A crash in between leaves it SENDING past
    its lease: on a channel whose gateway drops repeats by the notice id (``deduplicates``: the
    HTTP gateways) it is sent again with the same id; on any other (SMTP, the log) it is marked
    FAILED with an unknown outcome and never resent: at most once. Rows are claimed with SKIP
    LOCKED, so HQ replicas share the work. The loop sends batches back to back while they come
    full, then pauses ``interval_seconds``; a failed batch (the database restarting) is tried
    again after ``RETRY_SECONDS``."""

    def __init__(self, session_factory: sessionmaker[Session], channels: Mapping[str, NotificationChannel], *,
                 interval_seconds: float = 0.5, batch_size: int = 100) -> None:
        super().__init__("notice-dispatcher", idle_seconds=interval_seconds, backoff=Backoff(RETRY_SECONDS, RETRY_SECONDS))
        self.session_factory = session_factory
        self.channels = dict(channels)
        self.batch_size = batch_size
        self.sent_total = 0

    def step(self) -> bool:
        return self.dispatch_due() >= self.batch_size

    def _channel(self, name: str) -> NotificationChannel | None:
        return self.channels.get(name) or self.channels.get("*")

    def dispatch_due(self) -> int:
        """Send up to ``batch_size`` due notices; returns how many were handled."""
        self.recover_interrupted()
        handled, claimed = self._claim(utc_now())
        deadline = time.monotonic() + SEND_LEASE.total_seconds() / 2
        for item in claimed:
            if time.monotonic() > deadline:
                self._release(item)  # slow gateways: hand the rest back before the lease runs out
            else:
                self._send(item)
        return handled

    def recover_interrupted(self) -> int:
        """Notices left SENDING past their lease by a process that stopped while sending."""
        now = utc_now()
        with self.session_factory() as session, session.begin():
            stuck = session.execute(
                select(Notice).where(Notice.status == "SENDING", Notice.send_after <= now)
                .limit(self.batch_size).with_for_update(skip_locked=True)
            ).scalars().all()
            for notice in stuck:
                if getattr(self._channel(notice.channel), "deduplicates", False):
                    notice.status, notice.send_after = "PENDING", now
                    notice.last_error = "interrupted while sending: sent again with the same idempotency key"
                else:
                    notice.status = "FAILED"
                    notice.last_error = "outcome unknown: interrupted while sending; not resent (at most once)"
        return len(stuck)

    def _claim(self, now: datetime) -> tuple[int, list[_Claimed]]:
        claimed: list[_Claimed] = []
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
                view = views.get(notice.member_id)
                if notice.member_id in opted_out:
                    notice.status = "OPTED_OUT"
                elif view is not None and is_erased(common_pb2.Member.FromString(view.member)):
                    # Planned from an event read after the erasure (HQ's consumer groups race).
                    notice.status, notice.last_error = "OPTED_OUT", MEMBER_ERASED
                elif view is None and now - notice.created_at < MEMBER_WAIT:
                    notice.send_after = now + timedelta(seconds=1)
                else:
                    notice.status, notice.send_after = "SENDING", now + SEND_LEASE
                    notice.attempts += 1
                    claimed.append(_Claimed(notice.notice_id, _outgoing(notice, view), notice.attempts))
        return len(due), claimed

    def _send(self, item: _Claimed) -> None:
        channel = self._channel(item.outgoing.channel)
        try:
            if channel is None:
                raise UndeliverableNotice(f"no channel {item.outgoing.channel} is configured")
            channel.send(item.outgoing)
        except OptedOut:
            self._record(item, "OPTED_OUT", "opted out of this channel at the home region")
        except UndeliverableNotice as error:
            self._record(item, "FAILED", str(error))
        except (DeliveryError, OSError) as error:
            if item.attempts >= MAX_ATTEMPTS:
                self._record(item, "FAILED", str(error))
            else:
                self._record(item, "PENDING", str(error), send_after=utc_now() + retry_delay(item.attempts))
        else:
            self._record(item, "SENT", "", rendered=item.outgoing.text)
            self.sent_total += 1

    def _record(self, item: _Claimed, status: str, error: str, *, send_after: datetime | None = None,
                rendered: str | None = None) -> None:
        with self.session_factory() as session, session.begin():
            notice = session.get(Notice, item.notice_id, with_for_update=True)
            if notice is None or notice.status != "SENDING":
                return
            erased_meanwhile = notice.last_error == MEMBER_ERASED
            if erased_meanwhile and status == "PENDING":
                status = "OPTED_OUT"  # no retry to an erased member
            notice.status, notice.last_error = status, MEMBER_ERASED if erased_meanwhile else error[:500]
            if send_after is not None:
                notice.send_after = send_after
            if rendered is not None:
                # The text was rendered before the erasure and names the member: keep only the fact.
                notice.rendered, notice.sent_at = "" if erased_meanwhile else rendered, utc_now()

    def _release(self, item: _Claimed) -> None:
        with self.session_factory() as session, session.begin():
            notice = session.get(Notice, item.notice_id, with_for_update=True)
            if notice is not None and notice.status == "SENDING":
                notice.status, notice.send_after, notice.attempts = "PENDING", utc_now(), notice.attempts - 1


def _outgoing(notice: Notice, view: MemberView | None) -> OutgoingNotice:
    member = common_pb2.Member.FromString(view.member) if view is not None else common_pb2.Member(member_id=notice.member_id)
    text = render(notice.template_body, {**notice.variables, "member_name": member.name or "会员"})
    return OutgoingNotice(
        notice_id=notice.notice_id, member_id=notice.member_id, home_region=member.home_region,
        phone_masked=member.phone_masked, card_number=notice.card_number, event=notice.notification_event,
        channel=notice.channel, template_code=notice.template_code, text=text,
    )


def default_channels(settings: Settings, resolve_contact: ContactResolver | None = None) -> dict[str, NotificationChannel]:
    """The configured channels (docs/adr/0053); every other channel goes to the log channel (and
    to ``notification_log_path`` when set). SMS, WeChat and e-mail need ``resolve_contact``, which
    asks the member's home region for the address at send time (hq_service.notice_contacts)."""
    channels: dict[str, NotificationChannel] = {"*": LogChannel("notices", settings.notification_log_path or None)}
    if resolve_contact is None:
        return channels
    if settings.notification_smtp_host:
        channels["EMAIL"] = EmailChannel(SmtpSettings(
            host=settings.notification_smtp_host, port=settings.notification_smtp_port,
            sender=settings.notification_smtp_from, starttls=settings.notification_smtp_starttls,
            username=settings.notification_smtp_username, password=settings.notification_smtp_password,
        ), resolve_contact)
    if settings.notification_sms_url:
        channels["SMS"] = SmsGatewayChannel(HttpGateway(
            settings.notification_sms_url, settings.notification_sms_auth_header,
            attempts=settings.notification_http_attempts), resolve_contact)
    if settings.notification_wechat_url:
        channels["WECHAT"] = WeChatTemplateChannel(HttpGateway(
            settings.notification_wechat_url, attempts=settings.notification_http_attempts),
            settings.notification_wechat_template_id, resolve_contact)
    return channels


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
