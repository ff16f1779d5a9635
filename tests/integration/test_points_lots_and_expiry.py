"""Points lots and their expiry (P3, docs/adr/0022) on a real region: every points movement keeps a
card's lots equal to its POINTS balance; the expiry job posts each due lot once, run twice or
crashed part-way; reminders go out once per card and expiry moment and reach HQ's notices."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError
from chaincard.ids import new_id
from chaincard.points.lots import ExpiryPolicy, lot_expiry
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, reports_pb2, reports_pb2_grpc
from region_service.handlers import payments, points, redemption, refunds
from region_service.points_expiry import (
    expire_card_points,
    expire_due_points,
    send_expiry_outlooks,
    send_expiry_reminders,
)
from tests.support.cards import funded_card
from tests.support.ledger import assert_ledger_consistent
from tests.support.points import (
    EXPIRY_DAYS,
    adjust,
    assert_lots_hold_the_balance,
    lots_of,
    points_balance,
    redeem,
    refund_all,
    sale,
    set_points_programme,
)

POLICY = ExpiryPolicy(rule=3, days=EXPIRY_DAYS)


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_points_programme(regions)


@pytest.fixture
def ctx(region_context, programme):  # type: ignore[no-untyped-def]
    region_context.program.snapshot(force=True)
    return region_context


def _age_lots(ctx, card: str, days_ago: int, limit: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Make the card's ``limit`` soonest-expiring open lots (all when None) due ``days_ago`` days ago."""
    with ctx.session_factory.begin() as session:
        session.execute(text(
            "UPDATE points_lots SET expires_at = :when WHERE lot_id IN (SELECT lot_id FROM points_lots WHERE card_number = :card "
            "AND points_remaining > 0 ORDER BY expires_at NULLS LAST, earned_at, lot_id LIMIT :limit)"),
            {"when": utc_now() - timedelta(days=days_ago), "card": card, "limit": limit if limit is not None else 1_000_000})


def _expiries(database_url: str, card: str) -> list[tuple[str, int]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT request_id, points_delta FROM ledger_transactions WHERE card_number = :card AND type = 'POINTS_EXPIRY'"),
                {"card": card})]
    finally:
        engine.dispose()


def test_every_credit_makes_a_lot_expiring_by_the_policy_and_debits_take_the_soonest_first(regions, ctx):
    card = funded_card(regions.clients["E"], 100_000)
    earned = ctx.commands.run(payments.checkout, sale(card, 12_300))
    assert earned.points_earned == 123
    ctx.commands.run(points.adjust_points, adjust(card, 500))
    lots = lots_of(ctx, card)
    assert [(lot.earned, lot.remaining) for lot in lots] == [(123, 123), (500, 500)]
    assert lots[0].source_transaction_id == earned.transaction.transaction_id
    assert lots[0].expires_at == lot_expiry(POLICY, lots[0].earned_at, ctx.settings.business_time_zone)
    _age_lots(ctx, card, -5, limit=1)  # the sale's lot now expires in 5 days: before the adjustment's
    ctx.commands.run(redemption.redeem_points, redeem(card, "SV-10", 2))  # 200 points
    assert [lot.remaining for lot in lots_of(ctx, card)] == [0, 423]
    assert_lots_hold_the_balance(ctx, card)


def test_a_refund_claws_back_from_the_lot_its_sale_created(regions, ctx):
    card = funded_card(regions.clients["E"], 100_000)
    ctx.commands.run(points.adjust_points, adjust(card, 100))
    _age_lots(ctx, card, -1)  # the older lot expires first, so a plain debit would take it
    bought = ctx.commands.run(payments.checkout, sale(card, 5_000))
    ctx.commands.run(refunds.refund_sale, refund_all(bought))
    remaining = {lot.source_transaction_id: lot.remaining for lot in lots_of(ctx, card)}
    assert remaining[bought.transaction.transaction_id] == 0 and points_balance(ctx, card) == 100
    assert_lots_hold_the_balance(ctx, card)


def test_a_replacement_card_keeps_the_expiry_of_the_points_moved_to_it(regions, ctx):
    card = funded_card(regions.clients["E"], 10_000)
    ctx.commands.run(points.adjust_points, adjust(card, 70))
    _age_lots(ctx, card, -3)
    expiry = lots_of(ctx, card)[0].expires_at
    new_card = regions.clients["E"].cards.ReplaceCard(cards_pb2.ReplaceCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, reason="damaged", operator_id="SM-TEST"),
        timeout=10).new_card.card_number
    assert [(lot.remaining, lot.expires_at) for lot in lots_of(ctx, new_card)] == [(70, expiry)]
    assert_lots_hold_the_balance(ctx, card)
    assert_lots_hold_the_balance(ctx, new_card)


OPERATIONS = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 40_000)),
    st.tuples(st.just("adjust"), st.integers(-400, 600).filter(bool)),
    st.tuples(st.just("pay_with_points"), st.sampled_from([100, 200, 500])),
    st.tuples(st.just("redeem"), st.integers(1, 3)),
    st.tuples(st.just("refund"), st.integers(0, 5)),
    st.tuples(st.just("expire"), st.integers(1, 3)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(OPERATIONS, min_size=2, max_size=9))
def test_random_earn_redeem_refund_expire_keep_the_lots_equal_to_the_ledger(regions, ctx, steps):
    card = funded_card(regions.clients["E"], 500_000)
    sales = []
    for number, (kind, value) in enumerate(steps):
        try:
            match kind:
                case "earn":
                    sales.append(ctx.commands.run(payments.checkout, sale(card, value)))
                case "adjust":
                    ctx.commands.run(points.adjust_points, adjust(card, value))
                case "pay_with_points":
                    sales.append(ctx.commands.run(payments.checkout, sale(card, 10_000, points_to_redeem=value)))
                case "redeem":
                    ctx.commands.run(redemption.redeem_points, redeem(card, "SV-10", value))
                case "refund" if sales:
                    ctx.commands.run(refunds.refund_sale, refund_all(sales[value % len(sales)]))
                case "expire":
                    _age_lots(ctx, card, number + 1, limit=value)
                    expire_card_points(ctx, card, utc_now())
        except ChainCardError:
            pass  # refused (too few points, refunded already): nothing written, as checked next
        assert_lots_hold_the_balance(ctx, card)
    assert_ledger_consistent(regions.database_urls["E"])


def test_the_expiry_job_run_twice_expires_each_due_lot_once(regions, ctx):
    card = funded_card(regions.clients["E"], 10_000)
    ctx.commands.run(points.adjust_points, adjust(card, 250))
    ctx.commands.run(points.adjust_points, adjust(card, 40))
    _age_lots(ctx, card, 1, limit=1)  # the first lot is due; the second is not
    first = expire_due_points(ctx)
    second = expire_due_points(ctx)
    assert first.points >= 250 and second.cards == 0
    assert _expiries(regions.database_urls["E"], card) == [
        (f"points-expiry:{card}:{(utc_now() - timedelta(days=1)).astimezone(_zone(ctx)).date().isoformat()}", -250)]
    assert points_balance(ctx, card) == 40
    assert_lots_hold_the_balance(ctx, card)
    assert_ledger_consistent(regions.database_urls["E"])


def _zone(ctx):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(ctx.settings.business_time_zone)


class _Crash(Exception):
    pass


def test_the_expiry_job_crashed_part_way_finishes_the_rest_once_when_run_again(regions, ctx):
    cards = [funded_card(regions.clients["E"], 10_000) for _ in range(3)]
    for card in cards:
        ctx.commands.run(points.adjust_points, adjust(card, 77))
        _age_lots(ctx, card, 2)
    done: list[str] = []

    def crash_after_the_first(card: str, expired: int) -> None:
        if card in cards:
            done.append(card)
            raise _Crash(card)

    with pytest.raises(_Crash):
        expire_due_points(ctx, after_card=crash_after_the_first)
    assert [points_balance(ctx, card) for card in cards].count(0) == 1  # the one committed before the crash
    expire_due_points(ctx)
    expire_due_points(ctx)
    for card in cards:
        assert [delta for _, delta in _expiries(regions.database_urls["E"], card)] == [-77]
        assert points_balance(ctx, card) == 0
        assert_lots_hold_the_balance(ctx, card)
    assert_ledger_consistent(regions.database_urls["E"])


def test_a_reminder_goes_out_once_per_card_and_expiry_and_reaches_hq_notices(regions, ctx):
    card = funded_card(regions.clients["E"], 100_000)
    ctx.commands.run(payments.checkout, sale(card, 8_800))  # 88 points, expiring within the reminder window
    assert send_expiry_reminders(ctx) >= 1
    send_expiry_reminders(ctx)
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            reminders = connection.execute(text("SELECT points FROM points_expiry_reminders WHERE card_number = :card"),
                                           {"card": card}).scalars().all()
            events = connection.execute(text(
                "SELECT COUNT(*) FROM outbox WHERE message_key = :card AND event_type = 'chaincard.v1.PointsExpiring'"), {"card": card}).scalar_one()
    finally:
        engine.dispose()
    assert reminders == [88] and events == 1
    hq = create_engine(regions.database_urls["hq"])
    try:
        deadline = time.monotonic() + 60
        while True:
            with hq.connect() as connection:
                notices = connection.execute(text(
                    "SELECT variables FROM notices WHERE card_number = :card AND notification_event = 'POINTS_EXPIRING'"),
                    {"card": card}).scalars().all()
            if notices or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        hq.dispose()
    assert len(notices) == 1 and notices[0]["points"] == 88 and notices[0]["expires_on"]


def test_hq_liability_report_shows_the_points_expiring_in_30_and_90_days_per_franchisee(regions, ctx):
    card = funded_card(regions.clients["E"], 100_000)
    ctx.commands.run(points.adjust_points, adjust(card, 60))
    ctx.commands.run(points.adjust_points, adjust(card, 25))
    _age_lots(ctx, card, -10, limit=1)  # 60 points expire in 10 days; 25 in about 31
    expire_due_points(ctx)  # nothing left due from earlier tests: the outlook counts lots still held
    send_expiry_outlooks(ctx)
    assert send_expiry_outlooks(ctx) == 0  # unchanged: nothing sent again
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT expiring_30_days, expiring_90_days FROM points_expiry_outlooks WHERE card_number = :card"),
                {"card": card}).one() == (60, 85)
            expected = {franchisee: (int(near), int(far)) for franchisee, near, far in connection.execute(text(
                "SELECT c.issuing_franchisee_id, SUM(o.expiring_30_days), SUM(o.expiring_90_days) "
                "FROM points_expiry_outlooks o JOIN cards c ON c.card_number = o.card_number GROUP BY c.issuing_franchisee_id"))}
    finally:
        engine.dispose()
    with open_channel(regions.hq_endpoint) as channel:
        reports = reports_pb2_grpc.ReportServiceStub(channel)
        deadline = time.monotonic() + 60
        while True:
            rows = {answer.row.group_key: (answer.row.points_expiring_30_days, answer.row.points_expiring_90_days)
                    for answer in reports.StreamLiabilityReport(reports_pb2.StreamLiabilityReportRequest(
                        query=reports_pb2.LiabilityQuery(grouping=reports_pb2.REPORT_GROUPING_FRANCHISEE)), timeout=10)}
            if all(rows.get(franchisee) == figures for franchisee, figures in expected.items()) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert {franchisee: rows.get(franchisee) for franchisee in expected} == expected
    assert expected["F-HQ"][0] >= 60 and expected["F-HQ"][1] >= 85
