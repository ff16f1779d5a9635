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
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache

from google.protobuf.message import Message
from kafka.errors import KafkaError
from sqlalchemy import Insert
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.dialects import INSERT_OF_DIALECT, dialect_of
from chaincard.db.inbox import ProcessedEventColumns, claim_event
from chaincard.events.envelope import unwrap
from chaincard.events.kafka import ensure_topics, make_consumer
from chaincard.v1 import events_pb2

log = logging.getLogger(__name__)

# A handler applies one event's effect inside the given session; it must not commit.
EventHandler = Callable[[Session, events_pb2.EventEnvelope, Message], None]


def claim_events(session: Session, model: type[ProcessedEventColumns], consumer: str, event_ids: list[str]) -> set[str]:
    """Insert ``(consumer, event_id)`` for every id in one statement; returns the ids that were new."""
    if not event_ids:
        return set()
    now = utc_now()
    rows = [{"consumer": consumer, "event_id": event_id, "applied_at": now} for event_id in dict.fromkeys(event_ids)]
    statement = _claim_statement(dialect_of(session), model)
    return set(session.connection().execute(statement, rows).scalars())


@cache
def _claim_statement(dialect: str, model: type[ProcessedEventColumns]) -> Insert:
    """Built once and run with one parameter set per row (SQLAlchemy folds them into multi-row
    VALUES): a ``.values(rows)`` statement is compiled anew for every batch size, which cost the
    consumers more CPU than PostgreSQL spent on the insert."""
    table = model.__table__  # type: ignore[attr-defined]
    return INSERT_OF_DIALECT[dialect](table).on_conflict_do_nothing().returning(table.c.event_id)


class IdempotentConsumer:
    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        topics: list[str],
        session_factory: sessionmaker[Session],
        processed_model: type[ProcessedEventColumns],
        handle: EventHandler,
    ) -> None:
        self.name = name
        self.bootstrap = bootstrap
        self.topics = topics
        self.session_factory = session_factory
        self.processed_model = processed_model
        self.handle = handle
        self.applied_total = 0
        self.skipped_total = 0
        # time.time() of the last poll that returned records (for health and tests).
        self.last_applied_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> IdempotentConsumer:
        self._thread = threading.Thread(target=self.run, name=f"consumer-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        while not self._stop.is_set():
            consumer = None
            try:
                ensure_topics(self.bootstrap)
                consumer = make_consumer(self.bootstrap, self.name, self.topics)
                while not self._stop.is_set():
                    batches = consumer.poll(timeout_ms=200)
                    if not batches:
                        continue
                    # Records of one partition stay in their order; partitions are independent.
                    self.apply_all([record.value for records in batches.values() for record in records])
                    consumer.commit()
                    self.last_applied_at = time.time()
            except (KafkaError, OSError) as error:
                log.warning("consumer lost the broker", extra={"fields": {"consumer": self.name, "error": repr(error)}})
                self._stop.wait(1.0)
            except Exception:  # noqa: BLE001 - keep consuming; the failed record is retried on rejoin
                log.exception("consumer failed", extra={"fields": {"consumer": self.name}})
                self._stop.wait(1.0)
            finally:
                if consumer is not None:
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
            log.warning("batch failed; applying its records one at a time", extra={"fields": {"consumer": self.name}})
            applied = sum(self.apply(one) for one in raw)
        return applied

    def _apply_in_one_transaction(self, raw: list[bytes]) -> int:
        envelopes = [events_pb2.EventEnvelope.FromString(raw_envelope) for raw_envelope in raw]
        with self.session_factory() as session, session.begin():
            new = claim_events(session, self.processed_model, self.name, [envelope.event_id for envelope in envelopes])
            applied = 0
            for envelope in envelopes:
                if envelope.event_id not in new:
                    continue
                new.discard(envelope.event_id)  # a record twice in one poll: apply the first only
                self.handle(session, envelope, unwrap(envelope))
                applied += 1
        self.applied_total += applied
        self.skipped_total += len(envelopes) - applied
        return applied

    def apply(self, raw_envelope: bytes) -> bool:
        """Apply one serialized envelope exactly once; True if it had not been applied before."""
        envelope = events_pb2.EventEnvelope.FromString(raw_envelope)
        with self.session_factory() as session, session.begin():
            if not claim_event(session, self.processed_model, self.name, envelope.event_id):
                self.skipped_total += 1
                return False
            self.handle(session, envelope, unwrap(envelope))
        self.applied_total += 1
        return True
