"""The idempotent consumer loop (STYLE rule 7).

For each record: one database transaction inserts ``(consumer, event_id)`` and applies the effect;
a record whose id is already there is skipped. Offsets are committed to Kafka only after the
database commit, so a crash between the two redelivers records that are then skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from google.protobuf.message import Message
from kafka.errors import KafkaError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.inbox import ProcessedEventColumns, claim_event
from chaincard.events.envelope import unwrap
from chaincard.events.kafka import ensure_topics, make_consumer
from chaincard.v1 import events_pb2

log = logging.getLogger(__name__)

# A handler applies one event's effect inside the given session; it must not commit.
EventHandler = Callable[[Session, events_pb2.EventEnvelope, Message], None]


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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"consumer-{self.name}", daemon=True)
        self._thread.start()

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
                    for records in batches.values():
                        for record in records:
                            self.apply(record.value)
                    if batches:
                        consumer.commit()
            except (KafkaError, OSError) as error:
                log.warning("consumer lost the broker", extra={"fields": {"consumer": self.name, "error": repr(error)}})
                self._stop.wait(1.0)
            except Exception:  # noqa: BLE001 - keep consuming; the failed record is retried on rejoin
                log.exception("consumer failed", extra={"fields": {"consumer": self.name}})
                self._stop.wait(1.0)
            finally:
                if consumer is not None:
                    consumer.close(autocommit=False)

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
