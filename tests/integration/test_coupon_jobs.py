"""The region's coupon jobs (Q2, Q5), each exactly once: expiry (run twice, and after a crash
mid-run), expiry reminders (sent once, reaching HQ's notices through the broker), and birthday
coupons (run twice a day); and the CLI that runs them and issues and lists coupons."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chaincard.coupons.templates import issuable_template
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, events_pb2, program_config_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from region_service.coupons import jobs
from region_service.coupons.issuing import issue_coupons
from region_service.models import Card
from tests.support.cards import DEADLINE, open_card
from tests.support.coupons import coupon_rows, outbox_events, upsert_template
from tests.support.sql import rows as sql_rows


@pytest.fixture(scope="module")
def program(regions, region_context):  # type: ignore[no-untyped-def]
    hq = regions.hq_endpoint
    upsert_template(hq, "JB-30", validity_days=30)
    upsert_template(hq, "JB-REMIND", validity_days=10, reminder_days_before_expiry=3, name="Ten-day voucher")
    upsert_template(hq, "JB-BDAY", validity_days=14, name="Birthday voucher")
    with open_channel(hq) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        settings = config.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot.settings
        settings.birthday_coupon_template_codes[:] = ["JB-BDAY"]
        config.SetChainSettings(pc.SetChainSettingsRequest(request_id=new_id(), settings=settings), timeout=DEADLINE)
    region_context.program.snapshot(force=True)
    return region_context


def _issue(ctx, card: str, template: str, *, count: int, now: datetime) -> list[str]:  # type: ignore[no-untyped-def]
    terms = issuable_template(ctx.program.snapshot(), template)
    with ctx.session_factory() as session, session.begin():
        issued = issue_coupons(ctx, session, session.get(Card, card), terms, count=count, reason="test", issue_key=new_id(), now=now)
        return [row.coupon_code for row in issued]


def _changes(ctx, card: str) -> list[events_pb2.CouponStateChanged]:  # type: ignore[no-untyped-def]
    return [events_pb2.CouponStateChanged.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
            for raw in outbox_events(ctx, card, "chaincard.v1.CouponStateChanged")]


# ---- expiry -----------------------------------------------------------------------------------------

def test_expiry_marks_each_past_coupon_once_however_often_it_runs(regions, program):
    ctx = program
    card = open_card(regions.clients["E"])
    now = datetime.now(UTC)
    expired = _issue(ctx, card, "JB-30", count=3, now=now - timedelta(days=31))
    valid = _issue(ctx, card, "JB-30", count=1, now=now)
    assert jobs.expire_due_coupons(ctx) >= 3
    assert jobs.expire_due_coupons(ctx) == 0
    states = {row.coupon_code: row.state for row in coupon_rows(ctx, card)}
    assert {code: states[code] for code in expired + valid} == {**dict.fromkeys(expired, "EXPIRED"), valid[0]: "AVAILABLE"}
    assert sorted(change.coupon_code for change in _changes(ctx, card)) == sorted(expired)
    assert {change.reason for change in _changes(ctx, card)} == {"expired"}


def test_expiry_crashing_mid_run_keeps_what_committed_and_the_rerun_does_the_rest(regions, program, monkeypatch):
    ctx = program
    card = open_card(regions.clients["E"])
    jobs.expire_due_coupons(ctx)  # nothing else due: the batches below are this card's
    due = _issue(ctx, card, "JB-30", count=5, now=datetime.now(UTC) - timedelta(days=40))
    calls = {"n": 0}
    real = jobs.change_state

    def crash_on_the_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("the region died mid-batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "change_state", crash_on_the_third)
    with pytest.raises(ConnectionError):
        jobs.expire_due_coupons(ctx, batch_size=2)
    assert sorted(row.state for row in coupon_rows(ctx, card)) == ["AVAILABLE"] * 3 + ["EXPIRED"] * 2  # batch 1 only
    monkeypatch.setattr(jobs, "change_state", real)
    assert jobs.expire_due_coupons(ctx, batch_size=2) == 3
    assert jobs.expire_due_coupons(ctx, batch_size=2) == 0
    assert {row.state for row in coupon_rows(ctx, card)} == {"EXPIRED"}
    assert sorted(change.coupon_code for change in _changes(ctx, card)) == sorted(due)  # one event each


# ---- reminders --------------------------------------------------------------------------------------

def test_a_reminder_goes_out_once_and_reaches_hqs_notices(regions, program):
    ctx = program
    card = open_card(regions.clients["E"], name="Li Lei")
    now = datetime.now(UTC)
    code = _issue(ctx, card, "JB-REMIND", count=1, now=now)[0]
    other = _issue(ctx, card, "JB-30", count=1, now=now)[0]
    jobs.remind_expiring_coupons(ctx, now=now + timedelta(days=6))  # 4 days left: not yet
    assert outbox_events(ctx, card, "chaincard.v1.CouponExpiring") == []
    assert jobs.remind_expiring_coupons(ctx, now=now + timedelta(days=8)) >= 1
    jobs.remind_expiring_coupons(ctx, now=now + timedelta(days=8))
    jobs.remind_expiring_coupons(ctx, now=now + timedelta(days=9))
    sent = [events_pb2.CouponExpiring.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
            for raw in outbox_events(ctx, card, "chaincard.v1.CouponExpiring")]
    assert [(event.coupon.coupon_code, event.coupon_name) for event in sent] == [(code, "Ten-day voucher")]
    assert sent[0].member_id
    assert {row.coupon_code: row.reminded_at is not None for row in coupon_rows(ctx, card)} == {code: True, other: False}

    notices = []
    for _ in range(300):  # the relay publishes it, HQ's notices consumer plans it
        notices = sql_rows(regions.database_urls["hq"], "SELECT notification_event, variables FROM notices WHERE card_number = :card "
                           "AND notification_event = 'COUPON_EXPIRING'", card=card)
        if notices:
            break
        time.sleep(0.1)
    assert len(notices) == 1
    variables = notices[0].variables
    assert variables["coupon_name"] == "Ten-day voucher" and variables["card_last4"] == card[-4:]
    last_day = (now + timedelta(days=10) - timedelta(microseconds=1)).astimezone(
        ZoneInfo("Asia/Shanghai")).date()
    assert variables["expires_on"] == last_day.isoformat()


# ---- birthdays --------------------------------------------------------------------------------------

def _birthday_today(ctx) -> str:  # type: ignore[no-untyped-def]
    today = ctx.store_business_day(ctx.settings.business_time_zone)
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    return date(1990, today.month, day).isoformat()


def test_birthday_coupons_are_issued_once_a_year_on_the_newest_active_card(regions, program):
    ctx = program
    east = regions.clients["E"]
    birthday = _birthday_today(ctx)
    older = open_card(east, birthday=birthday)
    member_id = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=older), timeout=DEADLINE).card.member_id
    card = east.cards.OpenCard(cards_pb2.OpenCardRequest(request_id=new_id(), store_id="S-E-001", member_id=member_id,
                                                         card_type_code="SV"), timeout=DEADLINE).card.card_number
    not_today = open_card(east, birthday="1991-01-01" if birthday[5:] != "01-01" else "1991-01-02")
    assert jobs.issue_birthday_coupons(ctx) >= 1
    assert jobs.issue_birthday_coupons(ctx) == 0  # the second run of the day
    year = ctx.store_business_day(ctx.settings.business_time_zone).year
    assert [(row.template_code, row.issue_key) for row in coupon_rows(ctx, card)] == [("JB-BDAY", f"birthday:{card}:{year}:JB-BDAY:0")]
    assert coupon_rows(ctx, older) == [] and coupon_rows(ctx, not_today) == []


# ---- CLI --------------------------------------------------------------------------------------------

def _cli(*arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CHAINCARD_INSECURE": "1"})  # the fixtures' services run --insecure
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_cli_issues_lists_and_runs_the_jobs(regions, program):
    ctx = program
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    card = open_card(regions.clients["E"])
    issued = _cli("coupon", "issue", card, "JB-30", "--count", "2", "--reason", "apology", "--store", "S-E-001",
                  "--region", endpoint)
    assert "2 coupon(s) issued" in issued
    listed = _cli("coupon", "list", card, "--region", endpoint)
    assert listed.count("JB-30") == 2 and "apology" in listed
    _issue(ctx, card, "JB-30", count=1, now=datetime.now(UTC) - timedelta(days=31))
    expired = _cli("region", "coupons", "expire", "--code", "E", "--database-url", regions.database_urls["E"],
                   "--hq", regions.hq_endpoint)
    assert "coupon(s) expired in region E" in expired
    assert "EXPIRED" in _cli("coupon", "list", card, "--all", "--region", endpoint)
    assert "EXPIRED" not in _cli("coupon", "list", card, "--region", endpoint)
