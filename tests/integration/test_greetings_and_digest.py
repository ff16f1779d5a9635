"""Greetings, count-use reminders and the store manager's digest (N2, N4, M6; docs/adr/0056), over
real PostgreSQL, the broker, HQ and the regions, and a real SMTP server (aiosmtpd) this module
starts: a member whose birthday is N days away gets exactly one greeting e-mail (and one coupon)
however often the job runs; a count card's packs near expiry get one reminder each; a store
manager gets the previous day's figures once; bad dates and settings are INVALID_ARGUMENT naming
the field; the dates and the staff e-mail stay out of events, audit entries and the config snapshot."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.ids import new_id
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from chaincard.money import format_fen
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    directory_pb2,
    directory_pb2_grpc,
    events_pb2,
    members_pb2,
    program_config_pb2_grpc,
    transactions_pb2,
)
from chaincard.v1 import program_config_pb2 as pc
from hq_service import manager_digest
from hq_service.models import ManagerDigest, StoreDailyFigures
from region_service import greetings
from region_service.context import RegionContext
from region_service.models import CountUsePackReminder, MemberDateGreetingSent
from tests.support.cards import DEADLINE, assert_refused, random_phone, recharge_card
from tests.support.count_uses import COUNT_CARD, purchase, set_count_programme
from tests.support.coupons import coupon_rows, outbox_events, upsert_template
from tests.support.regions import RunningRegions, run_regions
from tests.support.templates import MigratedTemplates

OWN_BROKER = True  # HQ's figures and notices in this module come from its own events only
DIGEST_STORE = "S-E-002"  # no other test here acts at this store: its day's figures are the digest test's


class _Mailbox:
    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [message_from_bytes(content) for recipients, content in self.messages if address in recipients]


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.fixture(scope="module")
def mailbox() -> Iterator[_Mailbox]:
    box = _Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def regions(postgres: PostgresServer, migrated: MigratedTemplates, regions_broker: LocalBroker,
            mailbox: _Mailbox) -> Iterator[RunningRegions]:
    hq_settings = {"notification_smtp_host": "127.0.0.1", "notification_smtp_port": mailbox.port,
                   "notification_smtp_from": "notices@chain.example"}
    running = run_regions(postgres, regions_broker.bootstrap, migrated, hq_settings=hq_settings)
    chain = next(running)
    upsert_template(chain.hq_endpoint, "GR-BDAY", validity_days=14, name="Birthday treat")
    with open_channel(chain.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        for template in (
            pc.NotificationTemplate(code="MAIL-DATE", event=pc.NOTIFICATION_EVENT_MEMBER_DATE, active=True,
                                    channel=pc.NOTIFICATION_CHANNEL_EMAIL,
                                    body="{member_name}: your {date_kind} is on {date}, in {days} days. {coupon_name}"),
            pc.NotificationTemplate(code="MAIL-COUNT", event=pc.NOTIFICATION_EVENT_COUNT_USES_EXPIRING, active=True,
                                    channel=pc.NOTIFICATION_CHANNEL_EMAIL,
                                    body="{item}: {uses_left} uses left, last day {expires_on}"),
        ):
            program.UpsertNotificationTemplate(pc.UpsertNotificationTemplateRequest(request_id=new_id(), template=template),
                                               timeout=DEADLINE)
    set_count_programme(chain)
    yield chain
    next(running, None)


@pytest.fixture(scope="module")
def programme(regions: RunningRegions, region_context: RegionContext) -> RegionContext:
    with open_channel(regions.hq_endpoint) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        settings = config.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot.settings
        settings.member_date_greetings.extend([
            pc.MemberDateGreeting(code="BDAY-7", kind=pc.MEMBER_DATE_KIND_BIRTHDAY, days_before=7, active=True,
                                  notification_template_code="MAIL-DATE", coupon_template_code="GR-BDAY"),
            pc.MemberDateGreeting(code="WED-3", kind=pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY, days_before=3, active=True,
                                  notification_template_code="MAIL-DATE"),
        ])
        settings.count_uses_reminder_days_before = 31  # the test programme's WASH packs last 30 days
        config.SetChainSettings(pc.SetChainSettingsRequest(request_id=new_id(), settings=settings), timeout=DEADLINE)
    region_context.program.snapshot(force=True)
    return region_context


def _register(chain: RunningRegions, email: str, *, birthday: str = "", store: str = "S-E-001") -> str:
    return chain.clients["E"].members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=store, name="韩梅梅", phone=random_phone("139"), email=email, birthday=birthday,
        channel=common_pb2.REGISTRATION_CHANNEL_STORE), timeout=DEADLINE).member.member_id


def _open_card(chain: RunningRegions, member_id: str, *, card_type: str = "SV", store: str = "S-E-001") -> str:
    return chain.clients["E"].cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id=store, member_id=member_id, card_type_code=card_type), timeout=DEADLINE).card.card_number


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _rows(ctx: RegionContext, model: Any, *criteria: Any) -> list[Any]:
    with ctx.session_factory() as session:
        return list(session.execute(select(model).where(*criteria)).scalars())


def _today(ctx: RegionContext) -> date:
    return ctx.store_business_day(ctx.settings.business_time_zone)


def _settle(mailbox: _Mailbox) -> None:
    time.sleep(2.0)  # not an assertion: a few more dispatcher rounds, so a second e-mail would have arrived


# ---- greetings ------------------------------------------------------------------------------------

def test_a_member_whose_birthday_is_seven_days_away_gets_one_greeting_and_one_coupon_however_often_the_job_runs(
        regions: RunningRegions, programme: RegionContext, mailbox: _Mailbox) -> None:
    ctx = programme
    birthday = _today(ctx) + timedelta(days=7)
    member_id = _register(regions, "mei.han@member.example", birthday=birthday.replace(year=1990).isoformat())
    card = _open_card(regions, member_id)
    not_yet = _register(regions, "not.yet@member.example",
                        birthday=(birthday + timedelta(days=1)).replace(year=1991).isoformat())
    _open_card(regions, not_yet)

    greetings.send_member_date_greetings(ctx)
    assert greetings.send_member_date_greetings(ctx) == 0  # the second run of the day sends nothing
    [sent] = _rows(ctx, MemberDateGreetingSent, MemberDateGreetingSent.member_id == member_id)
    assert sent.greeting_key == f"BDAY-7:{member_id}:BIRTHDAY::{birthday.year}" and sent.card_number == card
    assert not _rows(ctx, MemberDateGreetingSent, MemberDateGreetingSent.member_id == not_yet)
    [event] = [events_pb2.MemberDateComing.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
               for raw in outbox_events(ctx, card, "chaincard.v1.MemberDateComing")]
    assert (event.kind, event.date, event.days_before, event.coupon_name) == (
        pc.MEMBER_DATE_KIND_BIRTHDAY, birthday.isoformat(), 7, "Birthday treat")
    assert [coupon.template_code for coupon in coupon_rows(ctx, card)] == ["GR-BDAY"]

    [mail] = _wait(lambda: mailbox.to("mei.han@member.example"), "the greeting e-mail")
    assert _body(mail).strip() == f"韩梅梅: your 生日 is on {birthday.isoformat()}, in 7 days. Birthday treat"
    greetings.send_member_date_greetings(ctx)
    _settle(mailbox)
    assert len(mailbox.to("mei.han@member.example")) == 1
    assert not mailbox.to("not.yet@member.example")


def test_a_wedding_anniversary_set_at_the_till_is_greeted_once_and_its_date_never_leaves_the_region(
        regions: RunningRegions, programme: RegionContext, mailbox: _Mailbox) -> None:
    ctx = programme
    anniversary = _today(ctx) + timedelta(days=3)
    member_id = _register(regions, "wed@member.example")
    card = _open_card(regions, member_id)
    wedding = anniversary.replace(year=2015).isoformat()
    answer = regions.clients["E"].members.SetMemberDates(members_pb2.SetMemberDatesRequest(
        request_id=new_id(), store_id="S-E-001", member_id=member_id, operator_id="C-TEST", dates=[
            members_pb2.MemberDate(kind=pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY, date=wedding),
            members_pb2.MemberDate(kind=pc.MEMBER_DATE_KIND_CHILD_BIRTHDAY, date="--06-01", label="小明"),
        ]), timeout=DEADLINE)
    assert [(item.kind, item.date, item.label) for item in answer.dates] == [
        (pc.MEMBER_DATE_KIND_CHILD_BIRTHDAY, "--06-01", "小明"), (pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY, wedding, "")]

    greetings.send_member_date_greetings(ctx)
    greetings.send_member_date_greetings(ctx)
    assert len(_rows(ctx, MemberDateGreetingSent, MemberDateGreetingSent.member_id == member_id)) == 1
    [mail] = _wait(lambda: mailbox.to("wed@member.example"), "the anniversary e-mail")
    assert f"your 结婚纪念日 is on {anniversary.isoformat()}, in 3 days." in _body(mail)
    assert not coupon_rows(ctx, card)  # WED-3 has no coupon

    # The dates are audited by kind only, and no event of the region carries the wedding year.
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            audited = connection.execute(text(
                "SELECT before::text || after::text FROM audit_log WHERE action = 'member.dates' AND target_id = :member"),
                {"member": member_id}).scalars().all()
            outbox = connection.execute(text("SELECT envelope FROM outbox")).scalars().all()
    finally:
        engine.dispose()
    assert audited and all("2015" not in entry and "06-01" not in entry for entry in audited)
    assert "WEDDING_ANNIVERSARY:" in audited[0]
    assert not [raw for raw in outbox if wedding.encode() in bytes(raw)]


def test_bad_member_dates_are_invalid_argument_naming_the_field_and_change_nothing(
        regions: RunningRegions, programme: RegionContext) -> None:
    members = regions.clients["E"].members
    member_id = _register(regions, "")
    wedding = pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY
    child = pc.MEMBER_DATE_KIND_CHILD_BIRTHDAY

    def request(*dates: members_pb2.MemberDate, member: str = member_id) -> members_pb2.SetMemberDatesRequest:
        return members_pb2.SetMemberDatesRequest(request_id=new_id(), store_id="S-E-001", member_id=member, dates=dates)

    members.SetMemberDates(request(members_pb2.MemberDate(kind=wedding, date="2010-05-20")), timeout=DEADLINE)
    for dates, field in (
        ((members_pb2.MemberDate(kind=wedding, date="2010-02-30"),), "dates[0].date"),
        ((members_pb2.MemberDate(kind=wedding, date="2999-01-01"),), "dates[0].date"),
        ((members_pb2.MemberDate(kind=wedding, date="20-05-2010"),), "dates[0].date"),
        ((members_pb2.MemberDate(kind=child, date="--06-01", label="A"), members_pb2.MemberDate(kind=child, date="--13-01", label="B")),
         "dates[1].date"),
        ((members_pb2.MemberDate(kind=child, date="--06-01"), members_pb2.MemberDate(kind=child, date="--07-01")), "dates[1].label"),
        ((members_pb2.MemberDate(kind=pc.MEMBER_DATE_KIND_BIRTHDAY, date="1990-01-01"),), "dates[0].kind"),
        ((members_pb2.MemberDate(date="1990-01-01"),), "dates[0].kind"),
        ((members_pb2.MemberDate(kind=child, date="--06-01", label="x" * 33),), "dates[0].label"),
    ):
        assert_refused(members.SetMemberDates, request(*dates), grpc.StatusCode.INVALID_ARGUMENT, field)
    assert_refused(members.SetMemberDates, request(member="no-such-member"), grpc.StatusCode.NOT_FOUND)
    # Nothing changed: the one good date is still all the member holds.
    same = members.SetMemberDates(request(members_pb2.MemberDate(kind=wedding, date="2010-05-20")), timeout=DEADLINE)
    assert [(item.kind, item.date) for item in same.dates] == [(wedding, "2010-05-20")]
    # The profile's birthday is checked as before.
    assert_refused(members.UpdateMember, members_pb2.UpdateMemberRequest(
        request_id=new_id(), member_id=member_id, store_id="S-E-001", birthday="1990-13-01"),
        grpc.StatusCode.INVALID_ARGUMENT, "birthday")


def test_bad_greeting_settings_are_invalid_argument_naming_the_field(regions: RunningRegions, programme: RegionContext) -> None:
    with open_channel(regions.hq_endpoint) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        current = config.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot.settings
        for change, field in (
            ({"days_before": 61}, "settings.member_date_greetings[0].days_before"),
            ({"kind": pc.MEMBER_DATE_KIND_UNSPECIFIED}, "settings.member_date_greetings[0].kind"),
            ({"notification_template_code": "MAIL-COUNT"}, "settings.member_date_greetings[0].notification_template_code"),
            ({"coupon_template_code": "NO-SUCH"}, "settings.member_date_greetings[0].coupon_template_code"),
            ({"card_type_code": "NO-SUCH"}, "settings.member_date_greetings[0].card_type_code"),
            ({"code": "WED-3"}, "settings.member_date_greetings[1].code"),
        ):
            settings = pc.ChainSettings()
            settings.CopyFrom(current)
            for name, value in change.items():
                setattr(settings.member_date_greetings[0], name, value)
            assert_refused(config.SetChainSettings, pc.SetChainSettingsRequest(request_id=new_id(), settings=settings),
                           grpc.StatusCode.INVALID_ARGUMENT, field)
        settings = pc.ChainSettings()
        settings.CopyFrom(current)
        settings.count_uses_reminder_days_before = 91
        assert_refused(config.SetChainSettings, pc.SetChainSettingsRequest(request_id=new_id(), settings=settings),
                       grpc.StatusCode.INVALID_ARGUMENT, "settings.count_uses_reminder_days_before")


# ---- count-use reminders --------------------------------------------------------------------------

def test_each_count_use_pack_near_expiry_gets_one_reminder(
        regions: RunningRegions, programme: RegionContext, mailbox: _Mailbox) -> None:
    ctx = programme
    member_id = _register(regions, "wash@member.example")
    card = _open_card(regions, member_id, card_type=COUNT_CARD)
    till = regions.clients["E"].transactions
    packs = [till.PurchaseCountUses(purchase(card), timeout=DEADLINE) for _ in range(2)]
    assert all(answer.transaction.transaction_id for answer in packs)

    greetings.send_count_use_reminders(ctx)
    assert greetings.send_count_use_reminders(ctx) == 0
    reminders = [events_pb2.CountUsesExpiring.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
                 for raw in outbox_events(ctx, card, "chaincard.v1.CountUsesExpiring")]
    assert len(reminders) == 2 and len({reminder.pack_id for reminder in reminders}) == 2
    assert {(reminder.item_code, reminder.uses_left, reminder.member_id) for reminder in reminders} == {("WASH", 10, member_id)}
    assert len(_rows(ctx, CountUsePackReminder, CountUsePackReminder.pack_id.in_([r.pack_id for r in reminders]))) == 2

    mails = _wait(lambda: (found := mailbox.to("wash@member.example")) and len(found) >= 2 and found, "two reminders")
    last_day = (reminders[0].expires_at.ToDatetime().replace(tzinfo=ZoneInfo("UTC"))
                .astimezone(ZoneInfo(ctx.settings.business_time_zone)) - timedelta(microseconds=1)).date()
    assert {_body(mail).strip() for mail in mails} == {f"精洗一次 Car wash: 10 uses left, last day {last_day.isoformat()}"}
    greetings.send_count_use_reminders(ctx)
    _settle(mailbox)
    assert len(mailbox.to("wash@member.example")) == 2


# ---- the store manager's digest -------------------------------------------------------------------

def _hq_sessions(chain: RunningRegions) -> sessionmaker[Session]:
    return sessionmaker(create_engine(chain.database_urls["hq"]), expire_on_commit=False)


def _upsert_staff(chain: RunningRegions, staff: directory_pb2.Staff) -> directory_pb2.Staff:
    with open_channel(chain.hq_endpoint) as channel:
        return directory_pb2_grpc.DirectoryServiceStub(channel).UpsertStaff(
            directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=staff), timeout=DEADLINE).staff


def test_a_store_manager_gets_yesterdays_figures_by_email_once(
        regions: RunningRegions, programme: RegionContext, mailbox: _Mailbox) -> None:
    manager = _upsert_staff(regions, directory_pb2.Staff(
        staff_id="ST-DIGEST-M", store_id=DIGEST_STORE, name="王店长", role=directory_pb2.STAFF_ROLE_STORE_MANAGER,
        active=True, employee_number="M-1", email="manager.e2@store.example"))
    assert manager.email == "manager.e2@store.example"
    _upsert_staff(regions, directory_pb2.Staff(
        staff_id="ST-DIGEST-C", store_id=DIGEST_STORE, name="收银员", role=directory_pb2.STAFF_ROLE_CASHIER,
        active=True, employee_number="C-1", email="cashier.e2@store.example"))
    with open_channel(regions.hq_endpoint) as channel:
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        assert_refused(directory.UpsertStaff, directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=directory_pb2.Staff(
            staff_id="ST-BAD", store_id=DIGEST_STORE, name="x", role=directory_pb2.STAFF_ROLE_STORE_MANAGER, active=True,
            email="not an address")), grpc.StatusCode.INVALID_ARGUMENT, "staff.email")
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot
    assert {staff.email for staff in snapshot.staff} == {""}  # the e-mail stays at HQ

    # The store's day: two new members with cards, two recharges, one checkout.
    east = regions.clients["E"]
    cards = [_open_card(regions, _register(regions, "", store=DIGEST_STORE), store=DIGEST_STORE) for _ in range(2)]
    first = recharge_card(east.transactions, cards[0], 30_000, DIGEST_STORE)
    recharge_card(east.transactions, cards[1], 20_000, DIGEST_STORE)
    sale = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=DIGEST_STORE, card_number=cards[0],
        lines=[transactions_pb2.BasketLine(sku="TEA", name="Longjing", category="tea", quantity=1, unit_price_fen=12_345)],
        tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)]), timeout=DEADLINE)
    day = date.fromisoformat(first.transaction.business_date)
    revenue = sale.transaction.amount_fen
    sessions = _hq_sessions(regions)

    def applied() -> StoreDailyFigures | None:
        with sessions() as session:
            row = session.get(StoreDailyFigures, (day, DIGEST_STORE))
            return row if row is not None and (row.recharge_count, row.sales_count, row.new_members) == (2, 1, 2) else None

    figures = _wait(applied, "HQ's figures of the store's day")
    assert (figures.sales_net_fen, figures.recharge_fen) == (revenue, 50_000)
    with sessions() as session, session.begin():  # the same weekday last week, as HQ's read model would hold it
        session.merge(StoreDailyFigures(business_date=day - timedelta(days=7), store_id=DIGEST_STORE, sales_count=3,
                                        sales_net_fen=8_000, recharge_count=1, recharge_fen=10_000, new_members=1))

    settings = Settings(notification_smtp_host="127.0.0.1", notification_smtp_port=mailbox.port,
                        notification_smtp_from="digest@chain.example")
    morning = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(settings.business_time_zone)) \
        .replace(hour=8)
    assert manager_digest.run_due(sessions, settings, now=morning.replace(hour=6)) == 0  # before 07:00: not yet
    assert manager_digest.run_due(sessions, settings, now=morning) >= 1
    assert manager_digest.run_due(sessions, settings, now=morning) == 0  # the job re-runs: nothing again

    [mail] = [message for message in mailbox.to("manager.e2@store.example") if day.isoformat() in _subject(message)]
    body = _body(mail)
    assert f"营业额: {format_fen(revenue)}  (last week ¥80.00;" in body
    assert "结账笔数: 1  (last week 3; -2, -66.7%)" in body
    assert "充值: 2, ¥500.00  (last week 1, ¥100.00; +¥400.00, +400.0%)" in body
    assert "新会员: 2  (last week 1; +1, +100.0%)" in body
    assert (day - timedelta(days=7)).isoformat() in body
    assert not [message for message in mailbox.to("cashier.e2@store.example")]
    with sessions() as session:
        [row] = session.execute(select(ManagerDigest).where(ManagerDigest.staff_id == "ST-DIGEST-M",
                                                            ManagerDigest.business_date == day)).scalars().all()
        assert row.status == "SENT" and "manager.e2" not in row.body
        audited = session.execute(text(
            "SELECT coalesce(string_agg(t::text, ' '), '') FROM audit_entries t WHERE target_id = 'ST-DIGEST-M'")).scalar_one()
    assert "m***@store.example" in audited and "manager.e2@store.example" not in audited


def test_a_digest_the_smtp_server_did_not_take_is_retried_and_one_left_sending_by_a_crash_is_never_resent(
        regions: RunningRegions, programme: RegionContext, mailbox: _Mailbox) -> None:
    _upsert_staff(regions, directory_pb2.Staff(
        staff_id="ST-RETRY-M", store_id="S-E-001", name="李店长", role=directory_pb2.STAFF_ROLE_STORE_MANAGER,
        active=True, employee_number="M-2", email="retry.manager@store.example"))
    _upsert_staff(regions, directory_pb2.Staff(
        staff_id="ST-CRASH-M", store_id="S-W-001", name="赵店长", role=directory_pb2.STAFF_ROLE_STORE_MANAGER,
        active=True, employee_number="M-3", email="crash.manager@store.example"))
    sessions = _hq_sessions(regions)
    day = date(2026, 3, 2)
    morning = datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with sessions() as session, session.begin():  # a dispatcher stopped between claiming and recording this one
        session.add(ManagerDigest(staff_id="ST-CRASH-M", business_date=day, store_id="S-W-001", status="SENDING",
                                  body="subject\n\nbody", last_error=""))
    down = Settings(notification_smtp_host="127.0.0.1", notification_smtp_port=free_port(),
                    notification_smtp_from="digest@chain.example")
    assert manager_digest.run_due(sessions, down, now=morning) == 0
    with sessions() as session:
        retry = session.get(ManagerDigest, ("ST-RETRY-M", day))
        assert retry is not None and retry.status == "PENDING" and "SMTP failed" in retry.last_error
        assert "retry.manager" not in retry.last_error

    up = Settings(notification_smtp_host="127.0.0.1", notification_smtp_port=mailbox.port,
                  notification_smtp_from="digest@chain.example")
    manager_digest.run_due(sessions, up, now=morning)
    manager_digest.run_due(sessions, up, now=morning)
    assert len([mail for mail in mailbox.to("retry.manager@store.example") if day.isoformat() in _subject(mail)]) == 1
    assert not mailbox.to("crash.manager@store.example")
    with sessions() as session:
        assert session.get(ManagerDigest, ("ST-RETRY-M", day)).status == "SENT"  # type: ignore[union-attr]
        assert session.get(ManagerDigest, ("ST-CRASH-M", day)).status == "SENDING"  # type: ignore[union-attr]


def test_a_29_february_birthday_is_greeted_on_28_february_and_a_card_type_greeting_skips_other_cards(
        regions: RunningRegions, programme: RegionContext, mailbox: _Mailbox) -> None:
    ctx = programme
    leap = _register(regions, "leap@member.example", birthday="2000-02-29")
    leap_card = _open_card(regions, leap)
    # 21 February 2027 + 7 days = 28 February 2027, not a leap year.
    assert greetings.send_member_date_greetings(ctx, today=date(2027, 2, 21)) >= 1
    [sent] = _rows(ctx, MemberDateGreetingSent, MemberDateGreetingSent.member_id == leap)
    assert sent.greeting_key == f"BDAY-7:{leap}:BIRTHDAY::2027" and sent.card_number == leap_card
    assert greetings.send_member_date_greetings(ctx, today=date(2027, 2, 21)) == 0

    with open_channel(regions.hq_endpoint) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        settings = config.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot.settings
        settings.member_date_greetings.append(pc.MemberDateGreeting(
            code="CNT-BDAY", kind=pc.MEMBER_DATE_KIND_BIRTHDAY, days_before=0, active=True, card_type_code=COUNT_CARD))
        config.SetChainSettings(pc.SetChainSettingsRequest(request_id=new_id(), settings=settings), timeout=DEADLINE)
    ctx.program.snapshot(force=True)
    counted = _register(regions, "", birthday="1985-08-08")
    counted_card = _open_card(regions, counted, card_type=COUNT_CARD)
    _open_card(regions, counted)  # an SV card opened later: the greeting still goes to the count card
    plain = _register(regions, "", birthday="1986-08-08")
    _open_card(regions, plain)
    greetings.send_member_date_greetings(ctx, today=date(2027, 8, 8))
    keys = {row.greeting_key: row.card_number for row in _rows(
        ctx, MemberDateGreetingSent, MemberDateGreetingSent.member_id.in_([counted, plain]))}
    assert keys == {f"CNT-BDAY:{counted}:BIRTHDAY::2027": counted_card}


def test_erasing_a_member_deletes_their_dates_and_the_answers_that_held_them(
        regions: RunningRegions, programme: RegionContext) -> None:
    members = regions.clients["E"].members
    member_id = _register(regions, "")
    request_id = new_id()
    members.SetMemberDates(members_pb2.SetMemberDatesRequest(
        request_id=request_id, store_id="S-E-001", member_id=member_id,
        dates=[members_pb2.MemberDate(kind=pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY, date="2012-12-12")]), timeout=DEADLINE)
    members.EraseMember(members_pb2.EraseMemberRequest(request_id=new_id(), member_id=member_id, store_id="S-E-001",
                                                       reason="member asked"), timeout=DEADLINE)
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            held = connection.execute(text("SELECT count(*) FROM member_dates WHERE member_id = :member"),
                                      {"member": member_id}).scalar_one()
            [answer] = connection.execute(text("SELECT response FROM idempotency_keys WHERE request_id = :id"),
                                          {"id": request_id}).scalars().all()
    finally:
        engine.dispose()
    assert held == 0
    assert members_pb2.SetMemberDatesResponse.FromString(bytes(answer)) == members_pb2.SetMemberDatesResponse(member_id=member_id)
