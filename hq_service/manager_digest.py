"""Store managers' morning digest (N4, docs/adr/0056): the previous business day's figures of their
store by e-mail, compared with the same weekday a week before.

Each active staff member with the store-manager role and an e-mail gets one digest per business
day, from HQ's daily store figures (``store_daily_figures``, the read model reports use). Never
twice: a ``manager_digests`` row per manager and day is inserted PENDING (its key refuses a second),
then claimed SENDING in its own transaction before the e-mail goes out, and recorded SENT after.
An SMTP failure worth retrying puts it back PENDING for the next run; a crash between claiming and
recording leaves it SENDING, never resent (an SMTP server cannot drop a repeat: at most once, as
notices, docs/adr/0053). The address is read from ``staff`` at send time and is never logged or
kept elsewhere; error texts name SMTP codes, never addresses.

Runs every few minutes in HQ's process (hq_service.bootstrap) and does something once the chain's
local time is past ``manager_digest_after`` on a business day whose previous day has no digest yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from chaincard.business_day import business_date
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.money import format_fen
from chaincard.notifications.channels import (
    DeliveryError,
    EmailChannel,
    NotificationChannel,
    OutgoingNotice,
    SmtpSettings,
    UndeliverableNotice,
)
from hq_service.models import ManagerDigest, StaffMember, Store, StoreDailyFigures

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 300.0
STORE_MANAGER = "STORE_MANAGER"
# A channel for one address: the SMTP channel of chaincard.notifications, given the manager's e-mail.
MailerFactory = Callable[[str], NotificationChannel]


@dataclass(frozen=True)
class DayFigures:
    revenue_fen: int = 0
    checkouts: int = 0
    recharges: int = 0
    recharge_fen: int = 0
    new_members: int = 0


def store_figures(session: Session, store_id: str, day: date) -> DayFigures:
    row = session.get(StoreDailyFigures, (day, store_id))
    if row is None:
        return DayFigures()
    # Revenue: net sales after discounts, refunds and voids of sales (the reports' "sales_net").
    return DayFigures(revenue_fen=row.sales_net_fen, checkouts=row.sales_count, recharges=row.recharge_count,
                      recharge_fen=row.recharge_fen, new_members=row.new_members)


def _change(now: int, before: int, *, money: bool = False) -> str:
    shown = format_fen(now - before) if money else f"{now - before:+d}"
    if money and now >= before:
        shown = "+" + shown
    if before == 0:
        return shown
    return f"{shown}, {(now - before) * 100 / abs(before):+.1f}%"


def compose(store_name: str, day: date, figures: DayFigures, week_before: DayFigures) -> tuple[str, str]:
    """The subject and the plain-text body of one digest."""
    subject = f"{store_name} {day.isoformat()} 营业日报 Daily summary"
    previous = (day - timedelta(days=7)).isoformat()
    lines = [
        f"{store_name} · {day.isoformat()} ({day.strftime('%A')})",
        f"Compared with {previous}, the same weekday last week.",
        "",
        f"Revenue (net sales) 营业额: {format_fen(figures.revenue_fen)}  "
        f"(last week {format_fen(week_before.revenue_fen)}; {_change(figures.revenue_fen, week_before.revenue_fen, money=True)})",
        f"Checkouts 结账笔数: {figures.checkouts}  "
        f"(last week {week_before.checkouts}; {_change(figures.checkouts, week_before.checkouts)})",
        f"Recharges 充值: {figures.recharges}, {format_fen(figures.recharge_fen)}  "
        f"(last week {week_before.recharges}, {format_fen(week_before.recharge_fen)}; "
        f"{_change(figures.recharge_fen, week_before.recharge_fen, money=True)})",
        f"New members 新会员: {figures.new_members}  "
        f"(last week {week_before.new_members}; {_change(figures.new_members, week_before.new_members)})",
    ]
    return subject, "\n".join(lines) + "\n"


def digest_day(settings: Settings, now: datetime) -> date | None:
    """The business day to report, or None before ``manager_digest_after`` (or when switched off)."""
    if not settings.manager_digest_after:
        return None
    hours, minutes = (int(part) for part in settings.manager_digest_after.split(":"))
    local = now.astimezone(ZoneInfo(settings.business_time_zone))
    if local.time() < time(hours, minutes):
        return None
    return business_date(now, settings.business_time_zone, settings.business_day_cutoff) - timedelta(days=1)


def plan_digests(session_factory: sessionmaker[Session], day: date) -> int:
    """A PENDING digest for each store manager with an e-mail who has none for ``day``; how many new."""
    planned = 0
    with session_factory() as session, session.begin():
        managers = session.execute(
            select(StaffMember, Store.name).join(Store, Store.store_id == StaffMember.store_id)
            .where(StaffMember.role == STORE_MANAGER, StaffMember.active.is_(True), StaffMember.email != "",
                   Store.active.is_(True))
            .order_by(StaffMember.staff_id)).all()
        for staff, store_name in managers:
            subject, body = compose(store_name, day, store_figures(session, staff.store_id, day),
                                    store_figures(session, staff.store_id, day - timedelta(days=7)))
            inserted = session.execute(
                pg_insert(ManagerDigest).values(staff_id=staff.staff_id, business_date=day, store_id=staff.store_id,
                                                status="PENDING", body=f"{subject}\n\n{body}", last_error="",
                                                created_at=utc_now())
                .on_conflict_do_nothing().returning(ManagerDigest.staff_id)).first()
            planned += inserted is not None
    return planned


def _claim(session_factory: sessionmaker[Session], staff_id: str, day: date) -> tuple[str, str] | None:
    """Mark one PENDING digest SENDING (committed before sending); its address and text, or None
    when another run holds or sent it, or the manager has no e-mail any more."""
    with session_factory() as session, session.begin():
        claimed = session.execute(
            update(ManagerDigest).where(ManagerDigest.staff_id == staff_id, ManagerDigest.business_date == day,
                                        ManagerDigest.status == "PENDING")
            .values(status="SENDING").returning(ManagerDigest.body)).scalar_one_or_none()
        if claimed is None:
            return None
        staff = session.get(StaffMember, staff_id)
        if staff is None or not staff.email or not staff.active:
            _set(session, staff_id, day, "FAILED", "no e-mail on file any more")
            return None
        return staff.email, claimed


def _set(session: Session, staff_id: str, day: date, status: str, error: str) -> None:
    session.execute(update(ManagerDigest).where(ManagerDigest.staff_id == staff_id, ManagerDigest.business_date == day)
                    .values(status=status, last_error=error[:500], sent_at=utc_now() if status == "SENT" else None))


def send_digests(session_factory: sessionmaker[Session], mailer: MailerFactory, day: date) -> int:
    """Send every PENDING digest of ``day``; how many went out."""
    with session_factory() as session:
        pending = list(session.execute(select(ManagerDigest.staff_id).where(
            ManagerDigest.business_date == day, ManagerDigest.status == "PENDING").order_by(ManagerDigest.staff_id)).scalars())
    sent = 0
    for staff_id in pending:
        claimed = _claim(session_factory, staff_id, day)
        if claimed is None:
            continue
        address, text = claimed
        subject, _, body = text.partition("\n\n")
        notice = OutgoingNotice(notice_id=f"digest-{staff_id}-{day.isoformat()}", member_id="", home_region="",
                                phone_masked="", card_number="", event="MANAGER_DIGEST", channel="EMAIL",
                                template_code="MANAGER-DIGEST", text=body, subject=subject)
        status, error = "SENT", ""
        try:
            mailer(address).send(notice)
        except UndeliverableNotice as failure:
            status, error = "FAILED", str(failure)
        except (DeliveryError, OSError) as failure:
            status, error = "PENDING", str(failure)  # the next run tries again
        with session_factory() as session, session.begin():
            _set(session, staff_id, day, status, error)
        sent += status == "SENT"
    return sent


def smtp_mailer(settings: Settings) -> MailerFactory | None:
    """The SMTP channel to one address, or None when no SMTP server is configured."""
    if not settings.notification_smtp_host:
        return None
    smtp = SmtpSettings(host=settings.notification_smtp_host, port=settings.notification_smtp_port,
                        sender=settings.notification_smtp_from, starttls=settings.notification_smtp_starttls,
                        username=settings.notification_smtp_username, password=settings.notification_smtp_password)
    return lambda address: EmailChannel(smtp, lambda _notice: address)


def run_due(session_factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None,
            mailer: MailerFactory | None = None) -> int:
    """The morning job's step: plan and send the digests of the previous business day; how many sent."""
    mailer = mailer or smtp_mailer(settings)
    day = digest_day(settings, now or utc_now())
    if mailer is None or day is None:
        return 0
    planned = plan_digests(session_factory, day)
    sent = send_digests(session_factory, mailer, day)
    if planned or sent:
        log.info("manager digests", extra={"fields": {"business_date": day.isoformat(), "planned": planned, "sent": sent}})
    return sent
