"""Issuing coupons in the card's home region (region_service.coupons.issuing): codes homed here,
the template's validity, one CouponIssued per coupon through the outbox, exactly once per issue key
(retried, resumed, or raced by two transactions)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from chaincard.coupons.codes import is_coupon_code, region_prefix_of_coupon
from chaincard.coupons.templates import issuable_template
from chaincard.errors import FailedPrecondition
from chaincard.v1 import common_pb2, events_pb2
from region_service.coupons.issuing import (
    AVAILABLE,
    REDEEMED,
    change_state,
    coupon_message,
    issue_coupons,
    lock_coupons,
)
from region_service.models import Card
from tests.support.cards import open_card
from tests.support.coupons import coupon_rows, outbox_events, upsert_template


@pytest.fixture(scope="module")
def templates(regions):  # type: ignore[no-untyped-def]
    upsert_template(regions.hq_endpoint, "ISS-10", validity_days=30)
    upsert_template(regions.hq_endpoint, "ISS-OVER", validity_days=0,
                    valid_until=_stamp(datetime(2020, 1, 1, tzinfo=UTC)))
    return "ISS-10"


def _stamp(moment: datetime):  # type: ignore[no-untyped-def]
    from google.protobuf.timestamp_pb2 import Timestamp
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _issue(ctx, card_number: str, template: str, *, count: int, key: str, now: datetime | None = None):  # type: ignore[no-untyped-def]
    terms = issuable_template(ctx.program.snapshot(force=True), template)
    with ctx.session_factory() as session, session.begin():
        card = session.get(Card, card_number)
        rows = issue_coupons(ctx, session, card, terms, count=count, reason="test issue", issue_key=key, operator_id="OP-1", now=now)
        return [coupon_message(row) for row in rows]


def test_issue_gives_codes_homed_here_the_templates_validity_and_one_event_each(regions, region_context, templates):
    card = open_card(regions.clients["E"])
    now = datetime.now(UTC).replace(microsecond=0)
    issued = _issue(region_context, card, templates, count=3, key=f"manual:{card}", now=now)

    assert len({coupon.coupon_code for coupon in issued}) == 3
    for coupon in issued:
        assert is_coupon_code(coupon.coupon_code) and region_prefix_of_coupon(coupon.coupon_code) == "11"
        assert coupon.state == common_pb2.COUPON_STATE_AVAILABLE and coupon.card_number == card
        assert coupon.valid_from.ToDatetime(tzinfo=UTC) == now
        assert coupon.valid_until.ToDatetime(tzinfo=UTC) == now + timedelta(days=30)
        assert coupon.issued_reason == "test issue"
    assert [row.issue_key for row in coupon_rows(region_context, card)] == [f"manual:{card}:{n}" for n in range(3)]
    events = [events_pb2.EventEnvelope.FromString(raw) for raw in outbox_events(region_context, card, "chaincard.v1.CouponIssued")]
    announced = [events_pb2.CouponIssued.FromString(envelope.payload) for envelope in events]
    assert sorted(event.coupon.coupon_code for event in announced) == sorted(coupon.coupon_code for coupon in issued)
    assert {event.operator_id for event in announced} == {"OP-1"}
    assert {envelope.aggregate_id for envelope in events} == {card}


def test_a_retried_or_resumed_issue_is_exactly_once(regions, region_context, templates):
    card = open_card(regions.clients["E"])
    first = _issue(region_context, card, templates, count=2, key=f"recharge:T1:{templates}")
    again = _issue(region_context, card, templates, count=2, key=f"recharge:T1:{templates}")
    assert [coupon.coupon_code for coupon in again] == [coupon.coupon_code for coupon in first]
    # Resumed with a larger count (a bulk issue that died half-way): only the missing keys are new.
    resumed = _issue(region_context, card, templates, count=4, key=f"recharge:T1:{templates}")
    assert [coupon.coupon_code for coupon in resumed[:2]] == [coupon.coupon_code for coupon in first]
    assert len(coupon_rows(region_context, card)) == 4
    assert len(outbox_events(region_context, card, "chaincard.v1.CouponIssued")) == 4


def test_two_transactions_racing_on_one_key_issue_once(regions, region_context, templates):
    card = open_card(regions.clients["E"])
    terms = issuable_template(region_context.program.snapshot(force=True), templates)
    key = f"birthday:{card}:2026:{templates}"
    answers: list[list[str]] = []

    def second() -> None:
        answers.append([coupon.coupon_code for coupon in _issue(region_context, card, templates, count=1, key=key)])

    with region_context.session_factory() as session, session.begin():
        first = issue_coupons(region_context, session, session.get(Card, card), terms, count=1, reason="r", issue_key=key)
        thread = threading.Thread(target=second)
        thread.start()
        _until_a_transaction_waits_for_a_lock(region_context)  # the other one, on this one's uncommitted key
        codes = [row.coupon_code for row in first]
    thread.join(timeout=30)
    assert answers == [codes]
    assert len(coupon_rows(region_context, card)) == 1
    assert len(outbox_events(region_context, card, "chaincard.v1.CouponIssued")) == 1


def _until_a_transaction_waits_for_a_lock(ctx) -> None:  # type: ignore[no-untyped-def]
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    with ctx.session_factory() as session:
        for _ in range(400):
            if session.execute(waiting).scalar_one():
                return
            session.rollback()
            time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the first")


def test_rolled_back_issue_leaves_nothing(regions, region_context, templates):
    card = open_card(regions.clients["E"])
    terms = issuable_template(region_context.program.snapshot(force=True), templates)
    with region_context.session_factory() as session:
        with session.begin():
            issue_coupons(region_context, session, session.get(Card, card), terms, count=2, reason="r", issue_key="gone")
            session.rollback()
    assert coupon_rows(region_context, card) == []
    assert outbox_events(region_context, card, "chaincard.v1.CouponIssued") == []


def test_a_template_whose_validity_ended_issues_nothing(regions, region_context, templates):
    card = open_card(regions.clients["E"])
    with pytest.raises(FailedPrecondition, match="validity ended"):
        _issue(region_context, card, "ISS-OVER", count=1, key=f"late:{card}")
    assert coupon_rows(region_context, card) == []


def test_change_state_announces_the_move(regions, region_context, templates):
    card = open_card(regions.clients["E"])
    code = _issue(region_context, card, templates, count=1, key=f"state:{card}")[0].coupon_code
    with region_context.session_factory() as session, session.begin():
        coupon = lock_coupons(session, [code])[code]
        change_state(region_context, session, coupon, REDEEMED, transaction_id="T-9")
    with region_context.session_factory() as session, session.begin():
        coupon = lock_coupons(session, [code])[code]
        assert coupon.redeemed_transaction_id == "T-9"
        change_state(region_context, session, coupon, AVAILABLE, transaction_id="T-10")
    rows = coupon_rows(region_context, card)
    assert rows[0].state == AVAILABLE and rows[0].redeemed_transaction_id is None
    changes = [events_pb2.CouponStateChanged.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
               for raw in outbox_events(region_context, card, "chaincard.v1.CouponStateChanged")]
    assert [(c.previous_state, c.state, c.transaction_id) for c in changes] == [
        (common_pb2.COUPON_STATE_AVAILABLE, common_pb2.COUPON_STATE_REDEEMED, "T-9"),
        (common_pb2.COUPON_STATE_REDEEMED, common_pb2.COUPON_STATE_AVAILABLE, "T-10"),
    ]
    with region_context.session_factory() as session:
        assert session.execute(select(Card.card_number).where(Card.card_number == card)).scalar_one() == card
