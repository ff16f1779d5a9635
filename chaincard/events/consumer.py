"""The idempotent consumer loop (STYLE rule 7).

The database transaction that applies a record's effect also inserts ``(consumer, event_id)``; a
record whose id is already there is skipped. Offsets are committed to
Kafka only after the database commit, so a crash between the two redelivers records that are then
skipped.

A poll's records are applied in one database transaction (one commit for up to
``max_poll_records`` events, which is what lets a consumer catch up quickly after an outage); if
that transaction fails, the same records are applied again one transaction each, so one bad record
cannot hold back the others and is retried alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from google.protobuf.message import Message
from kafka import KafkaConsumer
from kafka.errors import KafkaError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.inbox import ProcessedEventColumns, claim_event, claim_events
from chaincard.events.envelope import unwrap
from chaincard.events.kafka import ensure_topics, make_consumer
from chaincard.events.positions import (
    AssignedPartitions,
    ConsumerStalled,
    StallWatch,
    past_the_log_end,
    records_waiting,
    seek_committed_or_beginning,
)
from chaincard.observability import metrics, tracing
from chaincard.v1 import events_pb2
from chaincard.workers import Backoff, Worker

log = logging.getLogger(__name__)

# A handler applies one event's effect inside the given session; it must not commit.
EventHandler = Callable[[Session, events_pb2.EventEnvelope, Message], None]
# A batch handler applies the new events of one transaction, in their order, then writes what it
# gathered; it must not commit either (the consumer commits the effects with the claimed event ids).
BatchEventHandler = Callable[[Session, Sequence[tuple[events_pb2.EventEnvelope, Message]]], None]

POLL_MILLISECONDS = 200
# How often the group's lag figure is refreshed (from the fetches' high watermarks, no extra request).
LAG_REFRESH_SECONDS = 1.0
# A lost broker or a failed batch: the pause before a new Kafka consumer rejoins the group.
RETRY_SECONDS = 1.0
# A member that read nothing for this long while its partitions held records starts again as a new
# member (chaincard.events.positions.StallWatch); the broker is asked every STALL_CHECK_SECONDS.
STALL_SECONDS = 30.0
STALL_CHECK_SECONDS = 5.0


def each_event(handle: EventHandler) -> BatchEventHandler:
    """A batch handler that hands the events one by one to ``handle``."""

    def handle_each(session: Session, events: Sequence[tuple[events_pb2.EventEnvelope, Message]]) -> None:
        for envelope, payload in events:
            handle(session, envelope, payload)

    return handle_each


def _batch_handler(handle: EventHandler | None, handle_batch: BatchEventHandler | None) -> BatchEventHandler:
    if handle is not None and handle_batch is None:
        return each_event(handle)
    if handle_batch is not None and handle is None:
        return handle_batch
    raise TypeError("give a consumer either handle (one event) or handle_batch (a transaction's events)")


class IdempotentConsumer(Worker):
    """A consumer group's loop: poll (up to 200 ms), apply the records, commit the offsets. A lost
    broker or a failed batch closes the Kafka consumer and tries again a second later with a new
    one, which rejoins the group and is given the uncommitted records again.

    On every assignment, and when a partition's position is past the end of the broker's log, the
    position is set again from the broker: the committed offset, else the beginning
    (chaincard.events.positions: a broker restarted empty must not make the member skip its new
    records). A member that reads nothing for STALL_SECONDS while records wait for it (a group join
    the broker never completed) is closed and replaced by a new one."""

    transient_errors = (KafkaError, OSError)

    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        topics: list[str],
        session_factory: sessionmaker[Session],
        processed_model: type[ProcessedEventColumns],
        handle: EventHandler | None = None,
        handle_batch: BatchEventHandler | None = None,
    ) -> None:
        super().__init__(f"consumer-{name}", idle_seconds=0.0, backoff=Backoff(RETRY_SECONDS, RETRY_SECONDS))
        self.group = name
        self.bootstrap = bootstrap
        self.topics = topics
        self.session_factory = session_factory
        self.processed_model = processed_model
        self.handle_batch = _batch_handler(handle, handle_batch)
        self.applied_total = 0
        self.skipped_total = 0
        # time.time() of the last poll that returned records (for health and tests).
        self.last_applied_at = 0.0
        self._consumer: KafkaConsumer | None = None
        self._assigned = AssignedPartitions()
        self._lag_metric = metrics.CONSUMER_LAG.labels(name)
        self._applied_metric = metrics.CONSUMER_APPLIED.labels(name)
        self._next_lag_refresh = 0.0
        self._stall_watch = StallWatch(stall_seconds=STALL_SECONDS, check_seconds=STALL_CHECK_SECONDS)

    def step(self) -> bool:
        if self._consumer is None:
            ensure_topics(self.bootstrap)
            self._assigned = AssignedPartitions()
            self._consumer = make_consumer(self.bootstrap, self.group, self.topics, listener=self._assigned)
            self._stall_watch.reset(time.monotonic())
        batches = self._consumer.poll(timeout_ms=POLL_MILLISECONDS)
        reassigned = self._assigned.take()
        if reassigned:
            # Records this poll fetched from the positions kept before the assignment are dropped
            # (not applied, not committed): they are read again from where the broker says.
            seek_committed_or_beginning(self._consumer, reassigned)
            batches = {partition: records for partition, records in batches.items() if partition not in reassigned}
        if not batches and self._stall_watch.stuck(partial(records_waiting, self._consumer), time.monotonic()):
            log.warning("consumer read nothing while records wait; starting again as a new member",
                        extra={"fields": {"consumer": self.group, "stalled_seconds": STALL_SECONDS}})
            raise ConsumerStalled(self.group)
        if batches:
            self._stall_watch.reset(time.monotonic())
            # Records of one partition stay in their order; partitions are independent.
            records = [record for partition_records in batches.values() for record in partition_records]
            spans = tracing.start_consume_spans(self.group, records)
            try:
                # A poll of one traced record: its span is current, so the handler's log lines carry its trace id.
                with tracing.current_if_single(spans):
                    applied = self.apply_all([record.value for record in records])
                self._consumer.commit()
            except BaseException as error:
                tracing.end_spans(spans, error)
                raise
            tracing.end_spans(spans)
            self._applied_metric.inc(applied)
            self.last_applied_at = time.time()
            self._next_lag_refresh = 0.0  # what was just committed shows at once
        if time.monotonic() >= self._next_lag_refresh:
            behind = past_the_log_end(self._consumer)
            if behind:  # the broker lost records this member had read: its offsets went backwards
                seek_committed_or_beginning(self._consumer, behind)
            self._lag_metric.set(self.assigned_lag())
            self._next_lag_refresh = time.monotonic() + LAG_REFRESH_SECONDS
        return True  # the poll itself waits for records

    def assigned_lag(self) -> int:
        """Records of this member's partitions not yet applied: the high watermark the last fetch
        reported minus the position (a partition not fetched yet counts 0)."""
        consumer = self._consumer
        if consumer is None:
            return 0
        lag = 0
        for partition in consumer.assignment():
            high = consumer.highwater(partition)
            if high is None:
                continue
            position = consumer.position(partition, timeout_ms=100)  # known after a poll; never wait long
            if position is not None:
                lag += max(high - position, 0)
        return lag

    def release(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            try:
                consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001 - the broker may be gone; the group notices by itself
                pass

    def apply_all(self, raw_envelopes: Iterable[bytes]) -> int:
        """Apply a poll's records, each exactly once; returns how many were new."""
        raw = list(raw_envelopes)
        try:
            applied = self._apply_in_one_transaction(raw)
        except Exception:  # noqa: BLE001 - isolate the record that fails; it raises again on its own
            log.warning("batch failed; applying its records one at a time", extra={"fields": {"consumer": self.group}})
            applied = sum(self.apply(one) for one in raw)
        return applied

    def _apply_in_one_transaction(self, raw: list[bytes]) -> int:
        envelopes = [events_pb2.EventEnvelope.FromString(raw_envelope) for raw_envelope in raw]
        with self.session_factory() as session, session.begin():
            new = claim_events(session, self.processed_model, self.group, [envelope.event_id for envelope in envelopes])
            events: list[tuple[events_pb2.EventEnvelope, Message]] = []
            for envelope in envelopes:
                if envelope.event_id not in new:
                    continue
                new.discard(envelope.event_id)  # a record twice in one poll: apply the first only
                events.append((envelope, unwrap(envelope)))
            if events:
                self.handle_batch(session, events)
        self.applied_total += len(events)
        self.skipped_total += len(envelopes) - len(events)
        return len(events)

    def apply(self, raw_envelope: bytes) -> bool:
        """Apply one serialized envelope exactly once; True if it had not been applied before."""
        envelope = events_pb2.EventEnvelope.FromString(raw_envelope)
        with self.session_factory() as session, session.begin():
            if not claim_event(session, self.processed_model, self.group, envelope.event_id):
                self.skipped_total += 1
                return False
            self.handle_batch(session, [(envelope, unwrap(envelope))])
        self.applied_total += 1
        return True
