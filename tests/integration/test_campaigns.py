"""Campaigns (N3, A3, A4; docs/adr/0055) over a real chain: HQ and two regions on real PostgreSQL and
a real broker, e-mail to a real SMTP server (aiosmtpd) this module starts.

- A wake-up campaign to the dormant members of a card type, with a 20% control group and a coupon,
  e-mails each targeted member exactly once, the control group and opted-out members never; each
  targeted member's card gets the coupon; the report's revenue and lift match a hand computation.
- A sender that stops half-way (a hand-off chunk done, its record then lost, the start redone) and
  a new sender after it queue no notice twice: the SMTP server sees one e-mail per member; so does
  a sender process SIGKILLed mid-way and started again.
- A member who visited within the card type's dormant_after_days is not dormant.
- The ``chaincard campaign`` commands against HQ.
- Quiet hours defer the messages to the end of the window.
- Bad requests are refused naming the field; an unknown segment is NOT_FOUND; scheduling twice is
  FAILED_PRECONDITION.
- Afterwards no member's phone or e-mail is in clear in any record of the module's broker, any HQ
  table (but ``staff``, which holds managers' e-mails by design) or any log record
  (tests/support/contact_scan.py). test_campaign_10k.py (``--run-slow``) does all this with 10,000.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text, update

from chaincard.cli import main
from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.ids import new_id
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    campaigns_pb2,
    campaigns_pb2_grpc,
    cards_pb2,
    common_pb2,
    member_view_pb2,
    members_pb2,
    program_config_pb2_grpc,
    segments_pb2,
    segments_pb2_grpc,
)
from chaincard.v1 import program_config_pb2 as pc
from hq_service.campaign_models import CampaignRecipient, CampaignRow
from hq_service.campaign_report import lift
from hq_service.campaign_sender import CampaignSender, control_group
from hq_service.models import CardView, MemberDailyFigures, MemberView, Notice
from hq_service.segments import members_of_segment
from tests.support.bulk_issue import set_coupon_template
from tests.support.cards import DEADLINE, assert_refused, random_phone, recharge_card
from tests.support.contact_scan import LogCapture, Needles, kafka_texts, scan, table_texts
from tests.support.points import sale
from tests.support.regions import RunningRegions, run_regions
from tests.support.templates import MigratedTemplates

OWN_BROKER = True  # the segments are evaluated on HQ's views: only this module's members
CARD_TYPE = "BIZ"
DORMANT_DAYS = 30
MAIL_TEMPLATE = "MAIL-WAKE-UP"
COUPON = "WAKE5"
FUTURE = timedelta(days=2)  # a campaign scheduled this far ahead is driven by the test's own sender only


class _Mailbox:
    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def count_to(self, address: str) -> int:
        return sum(1 for recipients, _ in self.messages if address in recipients)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[_Mailbox]:
    box = _Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


_CONTACTS = Needles()  # every member's phone and e-mail this module made: the final scan looks for them


@pytest.fixture(scope="module")
def logs() -> Iterator[LogCapture]:
    with LogCapture() as capture:
        yield capture


@pytest.fixture(scope="module")
def chain(postgres: PostgresServer, migrated: MigratedTemplates, regions_broker: LocalBroker,
          mailbox: _Mailbox, logs: LogCapture) -> Iterator[RunningRegions]:
    hq_settings = {"notification_smtp_host": "127.0.0.1", "notification_smtp_port": mailbox.port,
                   "notification_smtp_from": "campaigns@chain.example"}
    running = run_regions(postgres, regions_broker.bootstrap, migrated, hq_settings=hq_settings)
    chain = next(running)
    with open_channel(chain.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        biz = pc.CardType(code=CARD_TYPE, name="商务储值卡 Business stored-value card", kind_description="stored value and points",
                          stored_value=True, points=True, recharge_approval_threshold_fen=200_000, active=True,
                          dormant_after_days=DORMANT_DAYS)
        program.UpsertCardType(pc.UpsertCardTypeRequest(request_id=new_id(), card_type=biz), timeout=DEADLINE)
        program.UpsertNotificationTemplate(pc.UpsertNotificationTemplateRequest(request_id=new_id(), template=pc.NotificationTemplate(
            code=MAIL_TEMPLATE, event=pc.NOTIFICATION_EVENT_CAMPAIGN, channel=pc.NOTIFICATION_CHANNEL_EMAIL, active=True,
            body="{member_name}, {campaign_name}: we miss you. {coupon_name}")), timeout=DEADLINE)
        set_coupon_template(channel, COUPON)
    yield chain
    next(running, None)


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _members(chain: RunningRegions, count: int, store_id: str, tag: str, *, region_code: str = "E",
             tags: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    """``count`` new members at ``store_id`` (of ``region_code``), each with an e-mail address and a
    card of CARD_TYPE: member id → (e-mail, card number)."""
    region = chain.clients[region_code]
    made = {}
    for index in range(count):
        email, phone = f"{tag}{index}.{new_id()[-8:]}@member.example", random_phone("138")
        _CONTACTS.add(phone=phone, email=email)
        member = region.members.RegisterMember(members_pb2.RegisterMemberRequest(
            request_id=new_id(), store_id=store_id, name=f"会员{index}", phone=phone, email=email,
            tags=list(tags), channel=common_pb2.REGISTRATION_CHANNEL_STORE), timeout=DEADLINE).member
        card = region.cards.OpenCard(cards_pb2.OpenCardRequest(
            request_id=new_id(), store_id=store_id, member_id=member.member_id, card_type_code=CARD_TYPE),
            timeout=DEADLINE).card.card_number
        made[member.member_id] = (email, card)
    return made


def _segment(chain: RunningRegions, name: str, store_id: str, size: int, *, tags: tuple[str, ...] = ()) -> segments_pb2.Segment:
    """The dormant members of CARD_TYPE registered at ``store_id`` (with ``tags``), once HQ's views
    hold all ``size``."""
    with open_channel(chain.hq_endpoint) as channel:
        stub = segments_pb2_grpc.SegmentServiceStub(channel)
        criteria = member_view_pb2.MemberCriteria(dormant_card_type_codes=[CARD_TYPE], registered_store_ids=[store_id],
                                                  tags_all=list(tags))
        saved = stub.SaveSegment(segments_pb2.SaveSegmentRequest(request_id=new_id(), name=name, criteria=criteria),
                                 timeout=DEADLINE).segment
        _wait(lambda: stub.GetSegmentSize(segments_pb2.GetSegmentSizeRequest(name=name), timeout=DEADLINE).size == size,
              f"segment {name} to hold {size} members")
        return saved


@contextmanager
def _campaigns(chain: RunningRegions) -> Iterator[campaigns_pb2_grpc.CampaignServiceStub]:
    with open_channel(chain.hq_endpoint) as channel:
        yield campaigns_pb2_grpc.CampaignServiceStub(channel)


def _create(stub: campaigns_pb2_grpc.CampaignServiceStub, segment: str, **fields: Any) -> campaigns_pb2.Campaign:
    wanted = campaigns_pb2.Campaign(**{"name": f"wake up {segment}", "segment_name": segment,
                                       "message_template_code": MAIL_TEMPLATE, "control_percent": 20, **fields})
    return stub.CreateCampaign(campaigns_pb2.CreateCampaignRequest(request_id=new_id(), campaign=wanted),
                               timeout=DEADLINE).campaign


def _schedule(stub: campaigns_pb2_grpc.CampaignServiceStub, campaign_id: str, send_at: datetime | None = None) -> campaigns_pb2.Campaign:
    request = campaigns_pb2.ScheduleCampaignRequest(request_id=new_id(), campaign_id=campaign_id)
    if send_at is not None:
        request.send_at.FromDatetime(send_at)
    return stub.ScheduleCampaign(request, timeout=DEADLINE).campaign


def _opt_out_of_email(chain: RunningRegions, member_id: str) -> None:
    chain.clients["E"].members.SetNoticeOptOut(members_pb2.SetNoticeOptOutRequest(
        request_id=new_id(), store_id="S-E-001", member_id=member_id, channel=pc.NOTIFICATION_CHANNEL_EMAIL,
        opted_out=True), timeout=DEADLINE)


def _hq_rows(chain: RunningRegions, statement: Any) -> list[Any]:
    engine = make_engine(chain.database_urls["hq"])
    try:
        with engine.connect() as connection:
            return list(connection.execute(statement).all())
    finally:
        engine.dispose()


def _notice_states(chain: RunningRegions, campaign_id: str) -> dict[str, str]:
    return dict(_hq_rows(chain, select(Notice.member_id, Notice.status).where(Notice.event_id == campaign_id)))


def test_a_wake_up_campaign_mails_each_targeted_member_once_not_the_control_group_nor_opted_out_members(
        chain: RunningRegions, mailbox: _Mailbox) -> None:
    members = _members(chain, 30, "S-E-001", "wake")
    opted_out = sorted(members)[:3]
    for member_id in opted_out:
        _opt_out_of_email(chain, member_id)
    _segment(chain, "dormant-biz", "S-E-001", len(members))
    with _campaigns(chain) as stub:
        campaign = _create(stub, "dormant-biz", coupon_template_code=COUPON, coupon_card_type_code=CARD_TYPE, report_days=7)
        assert campaign.state == campaigns_pb2.CAMPAIGN_STATE_DRAFT and campaign.control_seed > 0
        scheduled = _schedule(stub, campaign.campaign_id)
        assert (scheduled.state, scheduled.segment_version) == (campaigns_pb2.CAMPAIGN_STATE_SCHEDULED, 1)

        control = control_group(campaign.control_seed, list(members), 20)
        targeted = set(members) - control
        assert len(control) == 6
        expected_mail = targeted - set(opted_out)
        _wait(lambda: set(_notice_states(chain, campaign.campaign_id)) == targeted
              and all(state not in ("PENDING", "SENDING") for state in _notice_states(chain, campaign.campaign_id).values()),
              "every targeted member's notice to settle")
        states = _notice_states(chain, campaign.campaign_id)
        assert {member for member, state in states.items() if state == "SENT"} == expected_mail
        assert {member for member, state in states.items() if state == "OPTED_OUT"} == targeted & set(opted_out)
        time.sleep(1.5)  # a few more dispatcher and sender rounds: nothing goes out a second time
        for member_id, (email, _) in members.items():
            assert mailbox.count_to(email) == (1 if member_id in expected_mail else 0), member_id
        recipients = _hq_rows(chain, select(CampaignRecipient.member_id, CampaignRecipient.in_control)
                              .where(CampaignRecipient.campaign_id == campaign.campaign_id))
        assert {member for member, in_control in recipients if in_control} == control

        # Each targeted member's card got the coupon (the region holds it); control members' did not.
        held = dict(_region_rows(chain, "SELECT card_number, count(*) FROM coupons WHERE template_code = :code "
                                           "GROUP BY card_number", code=COUPON))
        assert held == {members[member][1]: 1 for member in targeted}

        # Revenue after the start: two targeted members and one control member spend.
        spenders = {sorted(targeted)[0]: 10_000, sorted(targeted)[1]: 5_000, sorted(control)[0]: 6_000}
        for member_id, amount in spenders.items():
            card = members[member_id][1]
            recharge_card(chain.clients["E"].transactions, card, 50_000)
            chain.clients["E"].transactions.Checkout(sale(card, amount), timeout=DEADLINE)
        targeted_revenue = sum(amount for member, amount in spenders.items() if member in targeted)
        control_revenue = sum(amount for member, amount in spenders.items() if member in control)

        def settled_report() -> campaigns_pb2.GetCampaignReportResponse | None:
            answer = stub.GetCampaignReport(campaigns_pb2.GetCampaignReportRequest(campaign_id=campaign.campaign_id),
                                            timeout=DEADLINE)
            report = answer.report
            done = (report.targeted_revenue_fen, report.control_revenue_fen, report.coupons_issued) == (
                targeted_revenue, control_revenue, len(targeted))
            return answer if done else None

        answer = _wait(settled_report, "the report to show the spends and coupons")
        report = answer.report
        assert answer.campaign.state == campaigns_pb2.CAMPAIGN_STATE_SENT
        assert (report.targeted, report.control, report.delivered, report.sent, report.failed, report.opted_out,
                report.pending, report.coupons_redeemed) == (24, 6, len(expected_mail), len(expected_mail), 0,
                                                             len(targeted & set(opted_out)), 0, 0)
        # By hand: 15,000 fen over 24 targeted = 625 each; 6,000 over 6 control = 1,000 each;
        # (625 − 1000) / 1000 = −37.5% = −3750 basis points.
        assert (report.targeted_revenue_per_member_fen, report.control_revenue_per_member_fen) == (625, 1_000)
        assert (report.lift_basis_points, report.lift_defined) == (-3_750, True)
        assert lift(15_000, 24, 6_000, 6).lift_basis_points == -3_750
        listed = stub.ListCampaigns(campaigns_pb2.ListCampaignsRequest(), timeout=DEADLINE).campaigns
        assert campaign.campaign_id in [item.campaign_id for item in listed]


def _region_rows(chain: RunningRegions, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(chain.database_urls["E"])
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())
    finally:
        engine.dispose()


def test_a_sender_that_stops_half_way_and_a_new_one_after_it_mail_each_member_exactly_once(
        chain: RunningRegions, mailbox: _Mailbox) -> None:
    members = _members(chain, 20, "S-E-002", "crash", tags=("crash",))
    _segment(chain, "dormant-biz-hangzhou", "S-E-002", len(members), tags=("crash",))
    engine = make_engine(chain.database_urls["hq"])
    sessions = make_session_factory(engine)
    try:
        with _campaigns(chain) as stub:
            campaign = _create(stub, "dormant-biz-hangzhou")
            send_at = utc_now() + FUTURE  # HQ's own sender leaves it alone; the test's senders drive it
            _schedule(stub, campaign.campaign_id, send_at)
            first = CampaignSender(sessions, None, chunk_size=5)
            assert first.start_due(now=send_at) and first.hand_off(now=send_at)
            # The crash: the first chunk's record lost (its recipients not marked), the start's too
            # (the campaign SCHEDULED again); then a new sender runs from that state.
            with sessions.begin() as session:
                session.execute(update(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.campaign_id)
                                .values(handed_off=False))
                session.execute(update(CampaignRow).where(CampaignRow.campaign_id == campaign.campaign_id)
                                .values(state="SCHEDULED"))
            second = CampaignSender(sessions, None, chunk_size=5)
            assert second.start_due(now=send_at)
            while second.hand_off(now=send_at):
                pass
            targeted = set(members) - control_group(campaign.control_seed, list(members), 20)
            _wait(lambda: sum(mailbox.count_to(members[member][0]) for member in targeted) == len(targeted),
                  "one e-mail per targeted member")
            time.sleep(1.5)
            assert {member_id: mailbox.count_to(email) for member_id, (email, _) in members.items()} == {
                member_id: 1 if member_id in targeted else 0 for member_id in members}
            with sessions() as session:
                assert session.get(CampaignRow, campaign.campaign_id).state == "SENT"  # type: ignore[union-attr]
                assert session.execute(text("SELECT count(*) FROM campaign_recipients WHERE campaign_id = :c"),
                                       {"c": campaign.campaign_id}).scalar_one() == len(members)
    finally:
        engine.dispose()


def test_a_sender_process_sigkilled_mid_way_and_restarted_mails_each_member_exactly_once(
        chain: RunningRegions, mailbox: _Mailbox) -> None:
    members = _members(chain, 30, "S-E-002", "kill", tags=("sigkill",))
    _segment(chain, "dormant-biz-sigkill", "S-E-002", len(members), tags=("sigkill",))
    url = chain.database_urls["hq"]
    with _campaigns(chain) as stub:
        campaign = _create(stub, "dormant-biz-sigkill")
        send_at = utc_now() + FUTURE  # only the sender processes below drive it
        _schedule(stub, campaign.campaign_id, send_at)

    def handed_off() -> int:
        return len(_hq_rows(chain, select(CampaignRecipient.member_id).where(
            CampaignRecipient.campaign_id == campaign.campaign_id, CampaignRecipient.handed_off.is_(True))))

    def sender(pause: float) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "tests.support.campaign_child", url, send_at.isoformat(), str(pause)],
                                stdout=subprocess.PIPE, text=True)

    targeted = set(members) - control_group(campaign.control_seed, list(members), 20)
    first = sender(0.2)
    try:
        _wait(lambda: handed_off() >= 5, "the first sender to hand off a few members")
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert 5 <= handed_off() < len(targeted)  # killed mid-way
    second = sender(0.0)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0 and out.strip() == "done"
    assert handed_off() == len(targeted)
    _wait(lambda: sum(mailbox.count_to(members[member][0]) for member in targeted) >= len(targeted),
          "one e-mail per targeted member")
    time.sleep(1.5)  # a few more dispatcher rounds: nothing goes out a second time
    assert {member_id: mailbox.count_to(email) for member_id, (email, _) in members.items()} == {
        member_id: 1 if member_id in targeted else 0 for member_id in members}


def test_quiet_hours_defer_the_messages_to_the_end_of_the_window(chain: RunningRegions, mailbox: _Mailbox) -> None:
    members = _members(chain, 4, "S-W-001", "quiet", region_code="W")
    local = utc_now().astimezone(ZoneInfo("Asia/Shanghai"))
    window = f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"
    quiet = QuietHours.parse(window, "Asia/Shanghai")
    assert quiet is not None
    _segment(chain, "quiet-four", "S-W-001", len(members))
    engine = make_engine(chain.database_urls["hq"])
    sessions = make_session_factory(engine)
    try:
        with _campaigns(chain) as stub:
            campaign = _create(stub, "quiet-four", control_percent=0)
            send_at = utc_now() + FUTURE
            _schedule(stub, campaign.campaign_id, send_at)
            sender = CampaignSender(sessions, quiet)
            assert sender.start_due(now=send_at)
            while sender.hand_off(now=send_at):
                pass
            release = quiet.release_time(utc_now())
            rows = _hq_rows(chain, select(Notice.member_id, Notice.status, Notice.send_after)
                            .where(Notice.event_id == campaign.campaign_id))
            assert rows and {status for _, status, _ in rows} == {"PENDING"}
            assert all(abs(send_after - release) < timedelta(minutes=1) and send_after > utc_now() for _, _, send_after in rows)
            time.sleep(1.5)  # dispatcher rounds: nothing is sent inside the window
            assert all(mailbox.count_to(email) == 0 for email, _ in members.values())
            assert {member for member, _, _ in rows} == set(members)
    finally:
        engine.dispose()


def test_a_member_who_visited_within_the_card_types_days_is_not_dormant(chain: RunningRegions) -> None:
    members = _members(chain, 2, "S-W-002", "dorm", region_code="W")
    visitor, sleeper = sorted(members)
    card = members[visitor][1]
    recharge_card(chain.clients["W"].transactions, card, 20_000, "S-W-002")
    chain.clients["W"].transactions.Checkout(sale(card, 3_000, store_id="S-W-002"), timeout=DEADLINE)
    _wait(lambda: _hq_rows(chain, select(MemberDailyFigures.member_id).where(
        MemberDailyFigures.member_id == visitor, MemberDailyFigures.visit_count > 0)), "HQ to see the visit")
    _segment(chain, "dormant-chongqing", "S-W-002", 1)
    engine = make_engine(chain.database_urls["hq"])
    try:
        sessions = make_session_factory(engine)

        def dormant() -> list[str]:
            with sessions() as session:
                return members_of_segment(session, "dormant-chongqing")

        # Both members' cards in HQ's views, the visitor's visit too: only the sleeper is dormant.
        _wait(lambda: len(_hq_rows(chain, select(CardView.card_number).where(
            CardView.card_number.in_([card for _, card in members.values()])))) == 2
            and len(_hq_rows(chain, select(MemberView.member_id).where(MemberView.member_id.in_(list(members))))) == 2,
            "both members and cards at HQ")
        assert dormant() == [sleeper]
    finally:
        engine.dispose()


def test_bad_campaigns_are_refused_naming_the_field(chain: RunningRegions) -> None:
    _segment(chain, "refusals", "S-X-000", 0)  # a store of no member: nobody
    with _campaigns(chain) as stub:
        def create(**fields: Any) -> campaigns_pb2.CreateCampaignRequest:
            wanted = {"name": "x", "segment_name": "refusals", "message_template_code": MAIL_TEMPLATE, **fields}
            return campaigns_pb2.CreateCampaignRequest(request_id=new_id(), campaign=campaigns_pb2.Campaign(**wanted))

        invalid = grpc.StatusCode.INVALID_ARGUMENT
        assert_refused(stub.CreateCampaign, create(name=""), invalid, "campaign.name")
        assert_refused(stub.CreateCampaign, create(control_percent=60), invalid, "campaign.control_percent")
        assert_refused(stub.CreateCampaign, create(report_days=-1), invalid, "campaign.report_days")
        assert_refused(stub.CreateCampaign, create(message_template_code="NOPE"), invalid, "campaign.message_template_code")
        assert_refused(stub.CreateCampaign, create(message_template_code=""), invalid, "campaign.message_template_code")
        assert_refused(stub.CreateCampaign, create(coupon_template_code="NOPE"), invalid, "campaign.coupon_template_code")
        assert_refused(stub.CreateCampaign, create(coupon_card_type_code=CARD_TYPE), invalid, "campaign.coupon_card_type_code")
        assert_refused(stub.CreateCampaign, create(segment_name=""), invalid, "campaign.segment_name")
        assert_refused(stub.CreateCampaign, create(segment_name="no-such-segment"), grpc.StatusCode.NOT_FOUND, "no-such-segment")
        campaign = _create(stub, "refusals")
        _schedule(stub, campaign.campaign_id, utc_now() + FUTURE)
        assert_refused(stub.ScheduleCampaign, campaigns_pb2.ScheduleCampaignRequest(
            request_id=new_id(), campaign_id=campaign.campaign_id), grpc.StatusCode.FAILED_PRECONDITION, "scheduled once")
        assert_refused(stub.ScheduleCampaign, campaigns_pb2.ScheduleCampaignRequest(request_id=new_id(), campaign_id="nope"),
                       grpc.StatusCode.NOT_FOUND)
        assert_refused(stub.GetCampaignReport, campaigns_pb2.GetCampaignReportRequest(campaign_id="nope"),
                       grpc.StatusCode.NOT_FOUND)
    with open_channel(chain.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        assert_refused(program.UpsertCardType, pc.UpsertCardTypeRequest(request_id=new_id(), card_type=pc.CardType(
            code="DORM-BAD", name="bad", stored_value=True, active=True, dormant_after_days=-1)), invalid,
            "card_type.dormant_after_days")
        segments = segments_pb2_grpc.SegmentServiceStub(channel)
        assert_refused(segments.SaveSegment, segments_pb2.SaveSegmentRequest(
            request_id=new_id(), name="bad-dormant", criteria=member_view_pb2.MemberCriteria(dormant_card_type_codes=["NOPE"])),
            invalid, "criteria.dormant_card_type_codes")



def test_the_campaign_commands_wake_up_create_schedule_report_and_list(chain: RunningRegions, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHAINCARD_INSECURE", "1")  # the fixtures' HQ runs --insecure
    later = (utc_now() + FUTURE).isoformat()  # scheduled ahead: nothing is sent to the module's members

    def run(*arguments: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(["campaign", *arguments, "--hq", chain.hq_endpoint])
        out, err = capsys.readouterr()
        return status, out, err

    status, out, err = run("wake-up", "--card-type", CARD_TYPE, "--template", MAIL_TEMPLATE, "--coupon", COUPON,
                           "--segment", "cli-dormant", "--send-at", later, "--control-percent", "20")
    assert status == 0, err
    segment_line, campaign_line = out.strip().splitlines()
    assert segment_line.startswith("segment cli-dormant v1: ") and "dormant members" in segment_line
    assert "[SCHEDULED]" in campaign_line and f"coupon {COUPON}" in campaign_line and "control 20%" in campaign_line
    woken = campaign_line.split()[0]

    status, out, err = run("create", "--segment", "cli-dormant", "--name", "cli spring", "--template", MAIL_TEMPLATE,
                           "--seed", "7")
    assert status == 0, err
    created = out.split()[0]
    assert "[DRAFT]" in out and "vlatest" in out
    assert run("schedule", created, "--send-at", later)[0] == 0
    status, _, err = run("schedule", created, "--send-at", later, "--request-id", new_id())
    assert status == 1 and err.startswith("FAILED_PRECONDITION")

    status, out, err = run("report", woken)
    assert status == 0, err
    assert "targeted 0, control 0" in out
    status, out, err = run("list")
    assert status == 0 and woken in out and created in out
    assert run("report", "no-such-campaign")[0] == 1


def test_no_member_phone_or_email_in_clear_in_kafka_hq_tables_or_logs(
        chain: RunningRegions, regions_broker: LocalBroker, logs: LogCapture, mailbox: _Mailbox) -> None:
    """After the module's campaigns: its members' contacts are at their home region and in the
    e-mails the SMTP server received, nowhere else."""
    assert len(_CONTACTS.emails) >= 80 and mailbox.messages
    _, at_home = scan(_CONTACTS, [*table_texts(chain.database_urls["E"]), *table_texts(chain.database_urls["W"])])
    assert at_home.get("members")  # the scan finds them where they live
    records, in_kafka = scan(_CONTACTS, kafka_texts(regions_broker.bootstrap))
    assert records > 0 and in_kafka == {}
    rows, in_hq = scan(_CONTACTS, table_texts(chain.database_urls["hq"]))  # every table but staff (STAFF_TABLES)
    assert rows > 0 and in_hq == {}
    lines, in_logs = scan(_CONTACTS, logs.places())  # but the SMTP server's own
    assert lines > 0 and in_logs == {}
