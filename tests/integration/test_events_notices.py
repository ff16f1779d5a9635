"""Transaction notices (N1, N5) at HQ: planned once per event, rendered from templates with the
balance after, delivered through a pluggable channel, held in quiet hours, never sent after an
opt-out. Real PostgreSQL; events are fed to the consumer's apply path directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.erasure import ERASED, MEMBER_ERASED
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.envelope import wrap
from chaincard.notifications.channels import DeliveryError, LogChannel, UndeliverableNotice
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.notifications.templates import render
from chaincard.v1 import common_pb2, events_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service.models import ConfigItem, Notice, ProcessedEvent
from hq_service.notices import NoticeDispatcher, NoticePlanner, set_opt_out
from hq_service.read_models import ReadModelProjector

CARD = "8811000000012345"


@pytest.fixture
def hq(fresh_database):
    url = fresh_database("notices_hq")
    upgrade_to_head("hq_service", url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def _consumer(sessions, handle, name: str) -> IdempotentConsumer:
    return IdempotentConsumer(name=name, bootstrap="unused:9092", topics=[], session_factory=sessions,
                              processed_model=ProcessedEvent, handle=handle)


def _register(sessions, member_id: str) -> None:
    member = common_pb2.Member(member_id=member_id, home_region="E", name="王芳", phone_masked="138****0001")
    member.registered_at.GetCurrentTime()
    event = wrap(events_pb2.MemberRegistered(member=member, phone_hmac="ab" * 32), producer="test", aggregate_id=member_id)
    _consumer(sessions, ReadModelProjector(Settings()).apply, "read-models").apply(event.SerializeToString())


def _recharge_event(member_id: str, amount: int = 50_000) -> bytes:
    transaction = common_pb2.Transaction(
        transaction_id=f"t-{amount}-{member_id}", type=common_pb2.TRANSACTION_TYPE_RECHARGE, card_number=CARD, store_id="S-E-001",
        amount_fen=amount, principal_delta_fen=amount, business_date="2026-11-25", home_region="E",
        balances_after=common_pb2.Balances(principal_fen=amount + 1_234, bonus_fen=5_000, points=321),
    )
    transaction.occurred_at.FromDatetime(datetime(2026, 11, 25, 6, 30, tzinfo=UTC))
    posted = events_pb2.TransactionPosted(transaction=transaction, member_id=member_id, points_earned=200)
    return wrap(posted, producer="test", aggregate_id=CARD).SerializeToString()


def test_a_recharge_notice_is_planned_once_and_sent_with_the_balance_after(hq, tmp_path):
    _register(hq, "m-1")
    planner = _consumer(hq, NoticePlanner(Settings()).apply, "notifications")
    raw = _recharge_event("m-1")
    assert planner.apply(raw) is True
    assert planner.apply(raw) is False  # redelivered: skipped, no second notice
    log_file = tmp_path / "notices.jsonl"
    dispatcher = NoticeDispatcher(hq, {"*": LogChannel("test", log_file)})
    assert dispatcher.dispatch_due() == 1
    assert dispatcher.dispatch_due() == 0
    [line] = log_file.read_text(encoding="utf-8").splitlines()
    sent = json.loads(line)
    assert sent["event"] == "RECHARGE" and sent["channel"] == "SMS" and sent["phone_masked"] == "138****0001"
    # ¥500.00 recharged; balance after = principal + bonus = 51,234 + 5,000 fen; 14:30 in Shanghai.
    assert "王芳" in sent["text"] and "¥500.00" in sent["text"] and "¥562.34" in sent["text"] and "14:30" in sent["text"]
    with hq() as session:
        notice = session.execute(select(Notice)).scalar_one()
        assert notice.status == "SENT" and notice.rendered == sent["text"] and notice.sent_at is not None


def test_opted_out_members_get_nothing_and_quiet_hours_hold_notices(hq, tmp_path):
    _register(hq, "m-2")
    with hq.begin() as session:
        set_opt_out(session, "m-2", True, "asked at the till")
    _consumer(hq, NoticePlanner(Settings()).apply, "notifications").apply(_recharge_event("m-2"))
    log_file = tmp_path / "notices.jsonl"
    dispatcher = NoticeDispatcher(hq, {"*": LogChannel("test", log_file)})
    dispatcher.dispatch_due()
    assert not log_file.exists()
    with hq() as session:
        assert session.execute(select(Notice.status)).scalar_one() == "OPTED_OUT"

    # Quiet hours around now (in the chain's zone): the notice waits for the window's end.
    now = datetime.now(UTC)
    shanghai = now.astimezone(ZoneInfo("Asia/Shanghai"))
    window = f"{(shanghai - timedelta(hours=1)):%H:%M}-{(shanghai + timedelta(hours=1)):%H:%M}"
    _register(hq, "m-3")
    quiet = NoticePlanner(Settings(notification_quiet_hours=window))
    _consumer(hq, quiet.apply, "notifications").apply(_recharge_event("m-3", 60_000))
    assert dispatcher.dispatch_due() == 0
    with hq() as session:
        held = session.execute(select(Notice).where(Notice.member_id == "m-3")).scalar_one()
        assert held.status == "PENDING" and held.send_after > now + timedelta(minutes=50)


def test_operator_templates_replace_the_defaults_and_inactive_ones_send_nothing(hq, tmp_path):
    _register(hq, "m-4")
    with hq.begin() as session:
        for template in (
            pc.NotificationTemplate(code="WX-RECHARGE", event=pc.NOTIFICATION_EVENT_RECHARGE, channel=pc.NOTIFICATION_CHANNEL_WECHAT,
                                    body="{member_name}: +{amount}, left {balance}", active=True),
            pc.NotificationTemplate(code="SMS-RECHARGE", event=pc.NOTIFICATION_EVENT_RECHARGE, channel=pc.NOTIFICATION_CHANNEL_SMS,
                                    body="unused", active=False),
        ):
            session.add(ConfigItem(kind="notification_template", item_key=template.code, definition=template.SerializeToString()))
    _consumer(hq, NoticePlanner(Settings()).apply, "notifications").apply(_recharge_event("m-4"))
    sent: list = []

    class Recording:
        name = "WECHAT"

        def send(self, notice):  # type: ignore[no-untyped-def]
            sent.append(notice)

    NoticeDispatcher(hq, {"WECHAT": Recording()}).dispatch_due()
    assert [(notice.template_code, notice.text) for notice in sent] == [("WX-RECHARGE", "王芳: +¥500.00, left ¥562.34")]


def test_a_failing_channel_is_retried_later_and_an_undeliverable_notice_fails(hq):
    _register(hq, "m-5")
    _consumer(hq, NoticePlanner(Settings()).apply, "notifications").apply(_recharge_event("m-5"))

    class Failing:
        name = "SMS"

        def __init__(self, error: Exception) -> None:
            self.error = error

        def send(self, notice):  # type: ignore[no-untyped-def]
            raise self.error

    NoticeDispatcher(hq, {"SMS": Failing(DeliveryError("gateway busy"))}).dispatch_due()
    with hq.begin() as session:
        notice = session.execute(select(Notice)).scalar_one()
        assert (notice.status, notice.attempts, notice.last_error) == ("PENDING", 1, "gateway busy")
        assert notice.send_after > datetime.now(UTC)
        notice.send_after = datetime.now(UTC)
    NoticeDispatcher(hq, {"SMS": Failing(UndeliverableNotice("no phone number on file"))}).dispatch_due()
    with hq() as session:
        assert session.execute(select(Notice.status)).scalar_one() == "FAILED"
        assert session.execute(select(func.count()).select_from(Notice)).scalar_one() == 1


def test_quiet_hours_and_templates_by_themselves():
    night = QuietHours.parse("22:00-08:00", "Asia/Shanghai")
    assert night is not None and night.contains(time(23, 30)) and night.contains(time(7, 59)) and not night.contains(time(8, 0))
    late = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert night.release_time(late) == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 next morning in Shanghai
    afternoon = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert night.release_time(afternoon) == afternoon
    assert QuietHours.parse("", "Asia/Shanghai") is None
    with pytest.raises(ValueError):
        QuietHours.parse("late", "Asia/Shanghai")
    assert render("{member_name} {unknown} {amount}", {"member_name": "Li", "amount": "¥1.00"}) == "Li {unknown} ¥1.00"
    assert render("broken {", {}) == "broken {"


def _level_changed(member_id: str) -> bytes:
    changed = events_pb2.MemberLevelChanged(card_number=CARD, member_id=member_id, previous_level_name="银卡",
                                            level_name="金卡", cause="upgrade", store_id="S-E-001")
    changed.changed_at.FromDatetime(datetime(2026, 11, 25, 6, 30, tzinfo=UTC))
    return wrap(changed, producer="test", aggregate_id=CARD).SerializeToString()


def test_a_level_change_notice_names_both_levels_and_a_bearer_card_gets_none(hq, tmp_path):
    _register(hq, "m-6")
    planner = _consumer(hq, NoticePlanner(Settings()).apply, "notifications")
    assert planner.apply(_level_changed("m-6")) is True
    assert planner.apply(_level_changed("")) is True  # a bearer card's change: applied, nothing planned
    log_file = tmp_path / "notices.jsonl"
    assert NoticeDispatcher(hq, {"*": LogChannel("test", log_file)}).dispatch_due() == 1
    [line] = log_file.read_text(encoding="utf-8").splitlines()
    sent = json.loads(line)
    assert sent["event"] == "LEVEL_CHANGED" and "银卡" in sent["text"] and "金卡" in sent["text"] and "14:30" in sent["text"]


def _erase(sessions, member_id: str) -> None:
    member = common_pb2.Member(member_id=member_id, home_region="E", name=ERASED, phone_masked=ERASED)
    event = wrap(events_pb2.MemberErased(member=member), producer="test", aggregate_id=member_id)
    _consumer(sessions, ReadModelProjector(Settings()).apply, "read-models").apply(event.SerializeToString())


def test_a_member_erased_while_a_notice_is_being_sent_leaves_no_text_of_it(hq, tmp_path):
    """HQ's read models and its notice sender run apart: the erasure can land while the channel
    has a rendered text in hand. The notice ends with its outcome but without the text."""
    _register(hq, "m-erased-1")
    _consumer(hq, NoticePlanner(Settings()).apply, "notifications").apply(_recharge_event("m-erased-1"))

    class ErasedWhileSending:
        name = "SMS"
        texts: list[str] = []

        def send(self, notice):  # type: ignore[no-untyped-def]
            self.texts.append(notice.text)
            _erase(hq, "m-erased-1")  # the read-models consumer commits while the gateway answers

    channel = ErasedWhileSending()
    NoticeDispatcher(hq, {"SMS": channel}).dispatch_due()
    assert "王芳" in channel.texts[0]
    with hq() as session:
        notice = session.execute(select(Notice)).scalar_one()
        assert (notice.status, notice.rendered, notice.last_error) == ("SENT", "", MEMBER_ERASED)


def test_a_notice_planned_after_the_erasure_is_not_sent(hq, tmp_path):
    """The notifications group may read a member's last posting after the read-models group
    applied the erasure: the notice is planned, then dropped when its member turns out erased."""
    _register(hq, "m-erased-2")
    _erase(hq, "m-erased-2")
    _consumer(hq, NoticePlanner(Settings()).apply, "notifications").apply(_recharge_event("m-erased-2"))
    log_file = tmp_path / "notices.jsonl"
    NoticeDispatcher(hq, {"*": LogChannel("test", log_file)}).dispatch_due()
    assert not log_file.exists()
    with hq() as session:
        notice = session.execute(select(Notice)).scalar_one()
        assert (notice.status, notice.rendered, notice.last_error) == ("OPTED_OUT", "", MEMBER_ERASED)


def test_an_imported_card_greets_nobody_and_an_opened_one_does(hq):
    """A chain going live imports its members' cards (M4): a million "card opened" texts on the
    switch-over night would be a disaster, so only cards opened here are announced."""
    _register(hq, "m-imported")
    planner = _consumer(hq, NoticePlanner(Settings()).apply, "notifications")
    for number, imported in (("8811000000000001", True), ("8811000000000002", False)):
        card = common_pb2.Card(card_number=number, member_id="m-imported", issuing_store_id="S-E-001")
        planner.apply(wrap(events_pb2.CardOpened(card=card, imported=imported), producer="test",
                           aggregate_id=number).SerializeToString())
    with hq() as session:
        assert session.execute(select(Notice.card_number)).scalars().all() == ["8811000000000002"]
