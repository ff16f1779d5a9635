"""Notices that reach members (N1, N5, docs/adr/0053): HQ's dispatcher fetches each address from the
member's home region over gRPC at send time, sends e-mail to a real SMTP server (aiosmtpd) and SMS
to a real HTTP gateway (http.server) this module starts, retries a gateway's 5xx with the same
idempotency key, never sends a notice twice, sends nothing on a channel the member opted out of,
and keeps no clear phone or e-mail in HQ's tables or in the logs."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, inspect, select, text

from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from chaincard.notifications.channels import (
    DeliveryError,
    HttpGateway,
    OutgoingNotice,
    SmsGatewayChannel,
    UndeliverableNotice,
    WeChatTemplateChannel,
)
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, members_pb2, program_config_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from hq_service.models import Notice
from tests.support.cards import DEADLINE, assert_refused, random_phone, recharge_card
from tests.support.regions import RunningRegions, run_regions
from tests.support.templates import MigratedTemplates

OWN_BROKER = True  # HQ plans notices from every event on its topics: only this module's
GATEWAY_FAILURES = 2  # the SMS gateway answers 503 to its first calls


class _Mailbox:
    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


class _Gateway(BaseHTTPRequestHandler):
    calls: list[tuple[int, str, dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 503 if len(self.calls) < GATEWAY_FAILURES else 200
        self.calls.append((status, self.headers.get("Idempotency-Key", ""), body))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"accepted": true}' if status == 200 else b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep stderr quiet
        pass


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("mail.log"):
            return  # the test's own SMTP server (aiosmtpd) logs the recipients it accepted
        self.lines.append(f"{record.getMessage()} {getattr(record, 'fields', '')} {record.exc_text or ''}")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[_Mailbox]:
    box = _Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[str, type[_Gateway]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", _Gateway
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def captured_logs() -> Iterator[_Captured]:
    handler, root = _Captured(), logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture(scope="module")
def regions(postgres: PostgresServer, migrated: MigratedTemplates, regions_broker: LocalBroker, mailbox: _Mailbox,
            gateway: tuple[str, type[_Gateway]], captured_logs: _Captured) -> Iterator[RunningRegions]:
    hq_settings = {
        "notification_smtp_host": "127.0.0.1", "notification_smtp_port": mailbox.port,
        "notification_smtp_from": "notices@chain.example", "notification_sms_url": gateway[0],
        "notification_sms_auth_header": "Authorization: Bearer test-key",
    }
    running = run_regions(postgres, regions_broker.bootstrap, migrated, hq_settings=hq_settings)
    chain = next(running)
    # Recharges go out by e-mail, card openings by SMS; set before any event reaches HQ's planner.
    with open_channel(chain.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        for template in (
            pc.NotificationTemplate(code="MAIL-RECHARGE", event=pc.NOTIFICATION_EVENT_RECHARGE, active=True,
                                    channel=pc.NOTIFICATION_CHANNEL_EMAIL, body="{member_name}: +{amount}, balance {balance}"),
            pc.NotificationTemplate(code="SMS-OPENED", event=pc.NOTIFICATION_EVENT_CARD_OPENED, active=True,
                                    channel=pc.NOTIFICATION_CHANNEL_SMS, body="card {card_last4} opened"),
        ):
            program.UpsertNotificationTemplate(pc.UpsertNotificationTemplateRequest(request_id=new_id(), template=template),
                                               timeout=DEADLINE)
    yield chain
    next(running, None)


def _register(chain: RunningRegions, email: str, phone: str) -> str:
    return chain.clients["E"].members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-E-001", name="李雷", phone=phone, email=email,
        channel=common_pb2.REGISTRATION_CHANNEL_STORE), timeout=DEADLINE).member.member_id


def _open_card(chain: RunningRegions, member_id: str) -> str:
    return chain.clients["E"].cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id="S-E-001", member_id=member_id, card_type_code="SV"), timeout=DEADLINE).card.card_number


def _notices(chain: RunningRegions, member_id: str) -> list[Notice]:
    engine = create_engine(chain.database_urls["hq"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Notice.__table__).where(Notice.member_id == member_id)).all()
            return [Notice(**row._mapping) for row in rows]
    finally:
        engine.dispose()


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _settled(chain: RunningRegions, member_id: str, template: str) -> Notice | None:
    for notice in _notices(chain, member_id):
        if notice.template_code == template and notice.status not in ("PENDING", "SENDING"):
            return notice
    return None


def test_a_recharge_sends_one_email_to_the_address_the_home_region_holds_and_a_5xx_sms_is_retried(
        regions: RunningRegions, mailbox: _Mailbox, gateway: tuple[str, type[_Gateway]]) -> None:
    phone = random_phone("139")
    member_id = _register(regions, "lei.li@member.example", phone)
    card = _open_card(regions, member_id)
    recharge_card(regions.clients["E"].transactions, card, 50_000)

    mail = _wait(lambda: _settled(regions, member_id, "MAIL-RECHARGE"), "the recharge e-mail")
    assert (mail.status, mail.attempts, mail.last_error) == ("SENT", 1, "")
    [(recipients, content)] = [message for message in mailbox.messages if "lei.li@member.example" in message[0]]
    assert recipients == ["lei.li@member.example"] and f"<{mail.notice_id}@chaincard>" in content and "+¥500.00" in content

    # The card opening's SMS: the gateway answered 503 twice, then took it; every try carried the
    # notice id as its idempotency key, and the phone fetched from the home region.
    sms = _wait(lambda: _settled(regions, member_id, "SMS-OPENED"), "the card-opening SMS")
    assert (sms.status, sms.attempts) == ("SENT", 1)
    calls = [call for call in gateway[1].calls if call[2]["client_message_id"] == sms.notice_id]
    assert [status for status, _, _ in calls] == [503, 503, 200]
    assert {key for _, key, _ in calls} == {sms.notice_id} and {body["to"] for _, _, body in calls} == {phone}

    time.sleep(1.5)  # a few more dispatcher rounds: nothing goes out a second time
    assert len([message for message in mailbox.messages if "lei.li@member.example" in message[0]]) == 1
    assert len([call for call in gateway[1].calls if call[2]["client_message_id"] == sms.notice_id]) == 3


def test_a_member_opted_out_of_email_gets_none_and_the_region_audits_every_look_up(
        regions: RunningRegions, mailbox: _Mailbox) -> None:
    members = regions.clients["E"].members
    member_id = _register(regions, "han.meimei@member.example", random_phone("137"))
    answer = members.SetNoticeOptOut(members_pb2.SetNoticeOptOutRequest(
        request_id=new_id(), store_id="S-E-001", member_id=member_id, channel=pc.NOTIFICATION_CHANNEL_EMAIL,
        opted_out=True), timeout=DEADLINE)
    assert answer.opted_out
    recharge_card(regions.clients["E"].transactions, _open_card(regions, member_id), 20_000)

    mail = _wait(lambda: _settled(regions, member_id, "MAIL-RECHARGE"), "the recharge notice")
    assert mail.status == "OPTED_OUT"
    assert _wait(lambda: _settled(regions, member_id, "SMS-OPENED"), "the card-opening SMS").status == "SENT"
    assert not [message for message in mailbox.messages if "han.meimei@member.example" in message[0]]
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            audited = connection.execute(text(
                "SELECT outcome, after FROM audit_log WHERE action = 'member.contact_for_notice' AND target_id = :member"
            ), {"member": member_id}).all()
    finally:
        engine.dispose()
    outcomes = {(outcome, json.loads(after)["channel"] if isinstance(after, str) else after["channel"])
                for outcome, after in audited}
    assert ("FAILED_PRECONDITION", "EMAIL") in outcomes and ("OK", "SMS") in outcomes
    assert all("han.meimei" not in str(after) for _, after in audited)


def test_the_contact_look_up_refuses_bad_requests_unknown_and_erased_members(regions: RunningRegions) -> None:
    members = regions.clients["E"].members
    look_up = members_pb2.GetContactForNoticeRequest
    assert_refused(members.GetContactForNotice, look_up(member_id="nobody", channel=pc.NOTIFICATION_CHANNEL_SMS,
                                                        notice_id="n-1"), grpc.StatusCode.NOT_FOUND)
    member_id = _register(regions, "", random_phone("136"))
    assert_refused(members.GetContactForNotice, look_up(member_id=member_id, notice_id="n-2"),
                   grpc.StatusCode.INVALID_ARGUMENT, "channel")
    assert_refused(members.GetContactForNotice, look_up(member_id=member_id, channel=pc.NOTIFICATION_CHANNEL_EMAIL,
                                                        notice_id="n-3"), grpc.StatusCode.FAILED_PRECONDITION, "address")
    members.EraseMember(members_pb2.EraseMemberRequest(request_id=new_id(), member_id=member_id, store_id="S-E-001",
                                                       reason="member asked"), timeout=DEADLINE)
    assert_refused(members.GetContactForNotice, look_up(member_id=member_id, channel=pc.NOTIFICATION_CHANNEL_SMS,
                                                        notice_id="n-4"), grpc.StatusCode.NOT_FOUND)


def test_a_send_interrupted_by_a_crash_is_never_repeated_by_email_and_resent_once_by_sms(
        regions: RunningRegions, mailbox: _Mailbox, gateway: tuple[str, type[_Gateway]]) -> None:
    member_id = _register(regions, "crash@member.example", random_phone("135"))
    _open_card(regions, member_id)
    _wait(lambda: _settled(regions, member_id, "SMS-OPENED"), "the card-opening SMS")
    engine = create_engine(regions.database_urls["hq"])
    try:
        with engine.begin() as connection:
            # Two notices a stopped dispatcher left SENDING, their lease run out.
            for notice_id, channel in (("crash-mail", "EMAIL"), ("crash-sms", "SMS")):
                connection.execute(Notice.__table__.insert().values(
                    notice_id=notice_id, event_id=new_id(), member_id=member_id, card_number="8800", notification_event="RECHARGE",
                    channel=channel, template_code=f"CRASH-{channel}", template_body="hello {member_name}", variables={},
                    status="SENDING", created_at=utc_now(), send_after=utc_now() - timedelta(seconds=1), rendered="",
                    attempts=1, last_error=""))
    finally:
        engine.dispose()
    mail = _wait(lambda: _settled(regions, member_id, "CRASH-EMAIL"), "the interrupted e-mail")
    assert mail.status == "FAILED" and "not resent" in mail.last_error
    sms = _wait(lambda: _settled(regions, member_id, "CRASH-SMS"), "the interrupted SMS")
    assert (sms.status, sms.attempts) == ("SENT", 2)
    assert not [message for message in mailbox.messages if "crash@member.example" in message[0]]
    assert [key for status, key, _ in gateway[1].calls if status == 200 and key == "crash-sms"] == ["crash-sms"]


def test_no_hq_table_and_no_log_line_holds_a_clear_phone_or_email(regions: RunningRegions, captured_logs: _Captured) -> None:
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            clear = [value[-11:] if "@" not in value else value
                     for row in connection.execute(text("SELECT phone, email FROM members")).all() for value in row if value]
    finally:
        engine.dispose()
    assert any("@member.example" in value for value in clear)  # the module's members, the region holds them
    engine = create_engine(regions.database_urls["hq"])
    try:
        with engine.connect() as connection:
            dumps = [connection.execute(text(f'SELECT coalesce(string_agg(t::text, \' \'), \'\') FROM "{table}" t')).scalar_one()
                     for table in inspect(connection).get_table_names()]
    finally:
        engine.dispose()
    everything = "\n".join(dumps)
    logged = "\n".join(captured_logs.lines)
    assert logged  # the services did log while sending
    for value in clear:
        assert value not in everything, "a clear contact detail in HQ's tables"
        assert value not in logged, "a clear contact detail in the logs"


class _Scripted(BaseHTTPRequestHandler):
    """Answers by path: /refuse 400, /busy 503, /wechat a WeChat errcode 0."""

    seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.path, dict(self.headers), body))
        status = {"/refuse": 400, "/busy": 503}.get(self.path, 200)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_the_http_gateway_retries_5xx_gives_up_on_4xx_and_shapes_wechat_messages() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    notice = OutgoingNotice(notice_id="n-42", member_id="M-1", home_region="E", phone_masked="138****0001",
                            card_number="8800", event="RECHARGE", channel="WECHAT", template_code="T", text="hello")
    try:
        with pytest.raises(UndeliverableNotice, match="HTTP 400"):
            SmsGatewayChannel(HttpGateway(f"{base}/refuse", attempts=3, backoff_seconds=0.01), lambda _: "13800000001").send(notice)
        with pytest.raises(DeliveryError, match="HTTP 503"):
            SmsGatewayChannel(HttpGateway(f"{base}/busy", attempts=3, backoff_seconds=0.01), lambda _: "13800000001").send(notice)
        WeChatTemplateChannel(HttpGateway(f"{base}/wechat", "Authorization: Bearer k"), "TPL-1", lambda _: "openid-1").send(notice)
    finally:
        server.shutdown()
        server.server_close()
    assert [path for path, _, _ in _Scripted.seen] == ["/refuse", "/busy", "/busy", "/busy", "/wechat"]
    assert {headers["Idempotency-Key"] for _, headers, _ in _Scripted.seen} == {"n-42"}
    _, headers, body = _Scripted.seen[-1]
    assert headers["Authorization"] == "Bearer k"
    assert body == {"touser": "openid-1", "template_id": "TPL-1", "client_msg_id": "n-42", "data": {"first": {"value": "hello"}}}
