"""The outbox relay's retention and replay, and consumer lag, against real PostgreSQL and the broker."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.lag import consumer_lag
from chaincard.events.outbox import add_event
from chaincard.events.relay import OutboxRelay, purge_published, wait_until_drained
from chaincard.events.replay import replay_outbox
from chaincard.v1 import common_pb2, events_pb2
from hq_service.models import ProcessedEvent
from region_service.models import OutboxMessage


def _posted(card: str, sequence: int) -> events_pb2.TransactionPosted:
    return events_pb2.TransactionPosted(
        transaction=common_pb2.Transaction(transaction_id=f"{card}-{sequence:04d}", card_number=card, amount_fen=sequence))


def _databases(fresh_database):  # type: ignore[no-untyped-def]
    region_url, sink_url = fresh_database("events_region"), fresh_database("events_sink")
    upgrade_to_head("region_service", region_url)
    upgrade_to_head("hq_service", sink_url)
    return make_session_factory(make_engine(region_url)), make_session_factory(make_engine(sink_url))


def _write(sessions, cards: list[str], count: int) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        for sequence in range(count):
            for card in cards:
                add_event(session, OutboxMessage, topic=topics.POSTINGS, key=card, payload=_posted(card, sequence), producer="test")


def test_published_rows_are_kept_for_the_retention_then_deleted(fresh_database, broker):
    region, _ = _databases(fresh_database)
    _write(region, ["8811000000000019"], 10)
    relay = OutboxRelay(region, OutboxMessage, broker.bootstrap, name="retention", retention_hours=1.0)
    assert relay.publish_batch() == 10
    _write(region, ["8811000000000019"], 3)  # unpublished: never deleted, however old
    with region.begin() as session:
        session.execute(update(OutboxMessage).values(created_at=datetime.now(UTC) - timedelta(hours=2)))
    assert relay.purge_expired() == 10
    with region() as session:
        left = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
        unpublished = session.execute(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None))).scalar_one()
    assert left == unpublished == 3
    assert purge_published(region, OutboxMessage, datetime.now(UTC)) == 0
    relay.stop()


def test_replay_republishes_since_a_moment_and_consumers_apply_nothing_twice(fresh_database, broker):
    region, sink = _databases(fresh_database)
    cards = [f"88110000{uuid.uuid4().int % 10**7:07d}{index}" for index in range(3)]
    _write(region, cards, 20)
    relay = OutboxRelay(region, OutboxMessage, broker.bootstrap, name="replay-test", poll_seconds=0.05).start()
    assert wait_until_drained(region, OutboxMessage, timeout=30)
    relay.stop()

    seen: dict[str, list[int]] = {card: [] for card in cards}

    def record(session, envelope, payload):  # type: ignore[no-untyped-def]
        if payload.transaction.card_number in seen:
            seen[payload.transaction.card_number].append(payload.transaction.amount_fen)

    group = f"replay-test-{time.time_ns()}"
    consumer = IdempotentConsumer(name=group, bootstrap=broker.bootstrap, topics=[topics.POSTINGS], session_factory=sink,
                                  processed_model=ProcessedEvent, handle=record).start()
    try:
        _wait(lambda: sum(map(len, seen.values())) == 60)
        with region() as session:
            middle = session.execute(select(OutboxMessage.created_at).order_by(OutboxMessage.position).offset(30).limit(1)).scalar_one()
            since_middle = session.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.created_at >= middle)).scalar_one()
        result = replay_outbox(region, OutboxMessage, broker.bootstrap, middle)
        assert result.marked == result.published == since_middle >= 30
        _wait(lambda: consumer.skipped_total >= since_middle)
    finally:
        consumer.stop()
    assert all(values == list(range(20)) for values in seen.values()), seen  # each applied once, in order


def test_consumer_lag_counts_what_a_group_has_not_committed(fresh_database, broker):
    region, sink = _databases(fresh_database)
    deployment = f"lagtest{time.time_ns()}"
    before = {group.group_id: group for group in consumer_lag(broker.bootstrap, deployment)}
    assert set(before) == {f"{deployment}.hq-read-models", f"{deployment}.hq-notifications", f"{deployment}.hq-audit",
                           f"{deployment}.settlement-clearing"}
    _write(region, ["8811000000000027", "8811000000000035"], 25)
    relay = OutboxRelay(region, OutboxMessage, broker.bootstrap, name="lag-test")
    while relay.publish_batch():
        pass
    relay.stop()
    after = {group.group_id: group for group in consumer_lag(broker.bootstrap, deployment)}
    clearing = f"{deployment}.settlement-clearing"
    assert after[clearing].lag - before[clearing].lag == 50  # a group that never committed is behind by everything
    consumer = IdempotentConsumer(name=clearing, bootstrap=broker.bootstrap, topics=[topics.POSTINGS], session_factory=sink,
                                  processed_model=ProcessedEvent, handle=lambda *_: None).start()
    try:
        _wait(lambda: {g.group_id: g.lag for g in consumer_lag(broker.bootstrap, deployment)}[clearing] == 0, timeout=60)
    finally:
        consumer.stop()


def _wait(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
