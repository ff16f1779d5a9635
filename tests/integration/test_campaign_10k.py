"""A campaign to 10,000 members whose sender is SIGKILLed mid-way and restarted (issue 16, checked
by): one e-mail per targeted member counted at a real SMTP server, none to opted-out members, none
to the control group, none inside quiet hours; then no member's phone or e-mail in clear in any
Kafka record, HQ table or log line (docs/adr/0053, 0055).

Marked ``slow`` (``pytest --run-slow``; `make test` leaves it out): 10,000 e-mails, each after a
contact look-up at the home region, take minutes on a shared machine, and the quiet window it waits
out is at least a minute.

The population: 200 members registered through the region's API (their events reach HQ over the
broker: the scan's Kafka records and HQ views are the real path's), 50 of whom opt out of e-mail
at the region (the API); 9,800 written in bulk as the fixture's data, each where the real path
puts it: the member with its phone and e-mail in region E's ``members``, the masked view in HQ's
``member_views``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from chaincard.db.base import table_of, utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.ids import new_id
from chaincard.local.broker import LocalBroker
from chaincard.local.mailbox import LocalMailbox
from chaincard.local.postgres import PostgresServer
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.phones import mask_email, mask_phone, phone_hmac
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    campaigns_pb2,
    campaigns_pb2_grpc,
    common_pb2,
    member_view_pb2,
    members_pb2,
    program_config_pb2_grpc,
    segments_pb2,
    segments_pb2_grpc,
)
from chaincard.v1 import program_config_pb2 as pc
from hq_service.campaign_models import CampaignRecipient
from hq_service.campaign_sender import control_group
from hq_service.models import MemberView, Notice
from region_service.models import Member
from tests.support.cards import DEADLINE, random_phone
from tests.support.contact_scan import LogCapture, Needles, kafka_texts, scan, table_texts
from tests.support.regions import PHONE_KEY, RunningRegions, run_regions
from tests.support.templates import MigratedTemplates

pytestmark = pytest.mark.slow

OWN_BROKER = True  # the Kafka scan reads every record of this module's broker
MEMBERS = 10_000
BY_API = 200
OPTED_OUT = 50
STORE = "S-E-002"
MAIL_TEMPLATE = "MAIL-10K"
SEGMENT = "ten-thousand"
CONTROL_PERCENT = 10
FUTURE = timedelta(days=2)  # only the test's sender processes drive the campaign
TIME_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Population:
    emails: dict[str, str]  # member id → e-mail
    phones: dict[str, str]  # member id → phone
    opted_out: set[str]


@pytest.fixture(scope="module")
def logs() -> Iterator[LogCapture]:
    with LogCapture() as capture:
        yield capture


@pytest.fixture(scope="module")
def mailbox() -> Iterator[LocalMailbox]:
    with LocalMailbox() as box:
        yield box


@pytest.fixture(scope="module")
def chain(postgres: PostgresServer, migrated: MigratedTemplates, regions_broker: LocalBroker, mailbox: LocalMailbox,
          logs: LogCapture) -> Iterator[RunningRegions]:
    hq_settings = {"notification_smtp_host": mailbox.host, "notification_smtp_port": mailbox.port,
                   "notification_smtp_from": "campaigns@chain.example"}
    running = run_regions(postgres, regions_broker.bootstrap, migrated, hq_settings=hq_settings)
    chain = next(running)
    with open_channel(chain.hq_endpoint) as channel:
        program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertNotificationTemplate(
            pc.UpsertNotificationTemplateRequest(request_id=new_id(), template=pc.NotificationTemplate(
                code=MAIL_TEMPLATE, event=pc.NOTIFICATION_EVENT_CAMPAIGN, channel=pc.NOTIFICATION_CHANNEL_EMAIL,
                active=True, body="{member_name}, {campaign_name}: we miss you.")), timeout=DEADLINE)
    yield chain
    next(running, None)


def _bulk(chain: RunningRegions, count: int) -> tuple[dict[str, str], dict[str, str]]:
    """``count`` members written as the fixture's data: region E's rows (phone, e-mail) and HQ's
    masked views, as registration and HQ's consumer would leave them."""
    emails, phones, region_rows, views = {}, {}, [], []
    now = utc_now()
    for index in range(count):
        member_id = new_id()
        phone, email = f"139{index:08d}", f"bulk{index}.{member_id[-6:]}@member.example"
        emails[member_id], phones[member_id] = email, phone
        name = f"会员{index}"
        region_rows.append({"member_id": member_id, "phone_hmac": phone_hmac(phone, PHONE_KEY), "phone": phone,
                            "phone_masked": mask_phone(phone), "name": name, "birthday": None, "gender": "",
                            "email": email, "custom_fields": {}, "tags": [], "channel": "STORE",
                            "registered_store_id": STORE, "registered_at": now})
        member = common_pb2.Member(member_id=member_id, name=name, phone_masked=mask_phone(phone),
                                   email=mask_email(email), home_region="E", registered_store_id=STORE)
        views.append({"member_id": member_id, "phone_hmac": phone_hmac(phone, PHONE_KEY),
                      "member": member.SerializeToString(), "home_region": "E", "registered_store_id": STORE,
                      "registered_business_date": None, "birth_month": None, "updated_at": now})
    for url, table, rows in ((chain.database_urls["E"], table_of(Member), region_rows),
                             (chain.database_urls["hq"], table_of(MemberView), views)):
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(insert(table), rows)
        finally:
            engine.dispose()
    return emails, phones


@pytest.fixture(scope="module")
def population(chain: RunningRegions) -> Population:
    region = chain.clients["E"]
    emails, phones = _bulk(chain, MEMBERS - BY_API)
    by_api = []
    for index in range(BY_API):
        phone, email = random_phone("138"), f"api{index}.{new_id()[-6:]}@member.example"
        member_id = region.members.RegisterMember(members_pb2.RegisterMemberRequest(
            request_id=new_id(), store_id=STORE, name=f"会员API{index}", phone=phone, email=email,
            channel=common_pb2.REGISTRATION_CHANNEL_STORE), timeout=DEADLINE).member.member_id
        emails[member_id], phones[member_id] = email, phone
        by_api.append(member_id)
    opted_out = set(by_api[:OPTED_OUT])
    for member_id in opted_out:
        region.members.SetNoticeOptOut(members_pb2.SetNoticeOptOutRequest(
            request_id=new_id(), store_id=STORE, member_id=member_id, channel=pc.NOTIFICATION_CHANNEL_EMAIL,
            opted_out=True), timeout=DEADLINE)
    return Population(emails=emails, phones=phones, opted_out=opted_out)


def _wait(predicate: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _hq_scalar(chain: RunningRegions, statement: Any) -> Any:
    engine = make_engine(chain.database_urls["hq"])
    try:
        with engine.connect() as connection:
            return connection.execute(statement).scalar_one()
    finally:
        engine.dispose()


def _quiet_window(now: datetime) -> tuple[str, datetime]:
    """A quiet window from an hour ago to the first whole minute at least 60 s ahead (local time)."""
    local = now.astimezone(TIME_ZONE)
    end = (local + timedelta(seconds=120)).replace(second=0, microsecond=0)
    window = f"{(local - timedelta(hours=1)):%H:%M}-{end:%H:%M}"
    quiet = QuietHours.parse(window, "Asia/Shanghai")
    assert quiet is not None
    return window, quiet.release_time(now)


@pytest.mark.timeout(2_400)  # 9,000 e-mails, each after a look-up at the home region: minutes on a loaded machine
def test_a_campaign_to_10000_members_sigkilled_mid_way_mails_each_member_once_outside_quiet_hours(
        chain: RunningRegions, population: Population, mailbox: LocalMailbox) -> None:
    with open_channel(chain.hq_endpoint) as channel:
        segments = segments_pb2_grpc.SegmentServiceStub(channel)
        segments.SaveSegment(segments_pb2.SaveSegmentRequest(request_id=new_id(), name=SEGMENT, criteria=member_view_pb2.MemberCriteria(
            home_regions=["E"], registered_store_ids=[STORE])), timeout=DEADLINE)
        _wait(lambda: segments.GetSegmentSize(segments_pb2.GetSegmentSizeRequest(name=SEGMENT), timeout=DEADLINE).size == MEMBERS,
              "HQ's views to hold every member", 120)
        stub = campaigns_pb2_grpc.CampaignServiceStub(channel)
        campaign = stub.CreateCampaign(campaigns_pb2.CreateCampaignRequest(request_id=new_id(), campaign=campaigns_pb2.Campaign(
            name="10k wake-up", segment_name=SEGMENT, message_template_code=MAIL_TEMPLATE,
            control_percent=CONTROL_PERCENT)), timeout=DEADLINE).campaign
        send_at = utc_now() + FUTURE
        request = campaigns_pb2.ScheduleCampaignRequest(request_id=new_id(), campaign_id=campaign.campaign_id)
        request.send_at.FromDatetime(send_at)
        stub.ScheduleCampaign(request, timeout=DEADLINE)

    members = list(population.emails)
    control = control_group(campaign.control_seed, members, CONTROL_PERCENT)
    targeted = set(members) - control
    expected = targeted - population.opted_out
    assert len(control) == MEMBERS * CONTROL_PERCENT // 100 and population.opted_out & targeted
    window, release = _quiet_window(utc_now())
    url = chain.database_urls["hq"]

    def handed_off() -> int:
        return int(_hq_scalar(chain, select(func.count()).select_from(CampaignRecipient).where(
            CampaignRecipient.campaign_id == campaign.campaign_id, CampaignRecipient.handed_off.is_(True))))

    def sender(pause: float, chunk: int) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "tests.support.campaign_child", url, send_at.isoformat(), str(pause),
                                 str(chunk), window], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = sender(0.3, 250)
    try:
        _wait(lambda: handed_off() >= 1_000, "the first sender to hand off a thousand members", 120)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        _, first_err = first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert 1_000 <= handed_off() < len(targeted)  # killed mid-way
    second = sender(0.0, 1_000)
    out, second_err = second.communicate(timeout=300)
    assert second.returncode == 0 and out.strip() == "done", second_err
    assert handed_off() == len(targeted)
    # Every message waits for the end of the quiet window; nothing was sent inside it.
    assert _hq_scalar(chain, select(func.min(Notice.send_after)).where(Notice.event_id == campaign.campaign_id)) >= release
    assert not mailbox.messages() or min(mail.received_at for mail in mailbox.messages()) >= release

    _wait(lambda: len(mailbox.messages()) >= len(expected), f"{len(expected)} e-mails", 1_800)
    time.sleep(2)  # a few more dispatcher rounds: nothing goes out a second time
    caught = mailbox.messages()
    received = Counter(address for mail in caught for address in mail.recipients)
    wanted = {population.emails[member]: 1 for member in expected}
    assert received == wanted
    assert min(mail.received_at for mail in caught) >= release
    statuses = Counter(dict(_statuses(chain, campaign.campaign_id)).values())
    assert statuses == {"SENT": len(expected), "OPTED_OUT": len(targeted & population.opted_out)}
    for stream in (first_err, second_err):  # the sender processes' own output: scanned below too
        _CHILD_OUTPUT.append(stream)


_CHILD_OUTPUT: list[str] = []


def _statuses(chain: RunningRegions, campaign_id: str) -> list[tuple[str, str]]:
    engine = make_engine(chain.database_urls["hq"])
    try:
        with make_session_factory(engine)() as session:
            return [(member, status) for member, status in session.execute(
                select(Notice.member_id, Notice.status).where(Notice.event_id == campaign_id)).all()]
    finally:
        engine.dispose()


@pytest.mark.timeout(900)
def test_no_member_phone_or_email_in_clear_in_kafka_hq_tables_or_logs(
        chain: RunningRegions, population: Population, regions_broker: LocalBroker, logs: LogCapture) -> None:
    needles = Needles()
    for member_id, email in population.emails.items():
        needles.add(phone=population.phones[member_id], email=email)
    # The needles are found where they must be: the home region's own table holds them.
    _, at_region = scan(needles, table_texts(chain.database_urls["E"]))
    assert len(at_region["members"]) > 0
    records, in_kafka = scan(needles, kafka_texts(regions_broker.bootstrap))
    assert records >= 2 * BY_API  # the API members' registrations, among others
    assert in_kafka == {}
    rows, in_hq = scan(needles, table_texts(chain.database_urls["hq"]))  # all but `staff` (STAFF_TABLES)
    assert rows >= 3 * MEMBERS  # member views, recipients and notices at least
    assert in_hq == {}
    lines, in_logs = scan(needles, [*logs.places(), *(("sender process", text) for text in _CHILD_OUTPUT)])
    assert lines > 0
    assert in_logs == {}
    print(f"scanned {records} Kafka records, {rows} HQ rows, {lines} log records: no member contact in clear "
          f"at {datetime.now(UTC):%H:%M:%S}")
