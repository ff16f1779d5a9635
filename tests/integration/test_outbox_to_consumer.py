"""Outbox rows reach Kafka in order per key, and the idempotent consumer applies each event once."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.outbox import add_event
from chaincard.events.relay import OutboxRelay, wait_until_drained
from chaincard.v1 import common_pb2, events_pb2
from region_service.models import OutboxMessage


def _posted(card: str, sequence: int) -> events_pb2.TransactionPosted:
    return events_pb2.TransactionPosted(
        transaction=common_pb2.Transaction(transaction_id=f"{card}-{sequence:04d}", card_number=card, amount_fen=sequence),
    )


def test_relay_publishes_in_order_and_consumer_applies_once(fresh_database, broker):
    region_url = fresh_database("relay_region")
    sink_url = fresh_database("relay_sink")
    upgrade_to_head("region_service", region_url)
    upgrade_to_head("hq_service", sink_url)
    region_sessions = make_session_factory(make_engine(region_url))
    sink_sessions = make_session_factory(make_engine(sink_url))

    cards = [f"88110000000{index:03d}9" for index in range(5)]
    with region_sessions.begin() as session:
        for sequence in range(40):
            for card in cards:
                add_event(session, OutboxMessage, topic=topics.POSTINGS, key=card, payload=_posted(card, sequence), producer="test")

    relay = OutboxRelay(region_sessions, OutboxMessage, broker.bootstrap, name="test-relay", batch_size=37, poll_seconds=0.05)
    relay.start()
    try:
        assert wait_until_drained(region_sessions, OutboxMessage, timeout=60)
    finally:
        relay.stop()

    seen: dict[str, list[int]] = {card: [] for card in cards}

    def record(session, envelope, payload):
        if payload.transaction.card_number in seen:
            seen[payload.transaction.card_number].append(payload.transaction.amount_fen)

    from hq_service.models import ProcessedEvent

    group = f"test-consumer-{time.time_ns()}"
    consumer = IdempotentConsumer(
        name=group, bootstrap=broker.bootstrap, topics=[topics.POSTINGS],
        session_factory=sink_sessions, processed_model=ProcessedEvent, handle=record,
    )
    consumer.start()
    try:
        deadline = time.monotonic() + 60
        while sum(len(values) for values in seen.values()) < 200 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        consumer.stop()
    for card in cards:
        assert seen[card] == list(range(40)), f"per-card order broken for {card}"

    # Redelivery of an already applied event changes nothing; every one of ours was applied once.
    with region_sessions() as session:
        ours = session.execute(select(OutboxMessage.event_id, OutboxMessage.envelope)).all()
    assert consumer.apply(ours[0].envelope) is False
    with sink_sessions() as session:
        applied = session.execute(
            select(func.count()).select_from(ProcessedEvent).where(
                ProcessedEvent.consumer == group, ProcessedEvent.event_id.in_([row.event_id for row in ours])
            )
        ).scalar_one()
    assert applied == len(ours) == 200
