"""Publishes outbox rows to Kafka and stamps them published.

One relay at a time per database (a PostgreSQL advisory lock), reading rows in ``position`` order:
with the card row locked by every writer, two events of one card get positions in commit order,
so Kafka receives them in order. A failed batch is retried whole; consumers drop the duplicates by
event id.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib

from kafka.errors import KafkaError
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.outbox import OutboxColumns
from chaincard.events.kafka import ensure_topics, make_producer

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox_model: type[OutboxColumns],
        bootstrap: str,
        *,
        name: str,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
    ) -> None:
        self.session_factory = session_factory
        self.outbox_model = outbox_model
        self.bootstrap = bootstrap
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.lock_key = zlib.crc32(f"outbox-relay:{name}".encode())
        self.published_total = 0
        self._producer = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._producer is not None:
            self._producer.close(timeout=2)

    def run(self) -> None:
        backoff = self.poll_seconds
        while not self._stop.is_set():
            try:
                published = self.publish_batch()
                backoff = self.poll_seconds
                if published == 0:
                    self._stop.wait(self.poll_seconds)
            except (KafkaError, OSError) as error:
                # Broker away: keep the rows, back off, try again; nothing is lost, order is kept.
                log.warning("outbox relay cannot reach the broker", extra={"fields": {"error": repr(error)}})
                self._drop_producer()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # noqa: BLE001 - a relay must outlive any one bad batch
                log.exception("outbox relay batch failed")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001
                pass
            self._producer = None

    def _get_producer(self):  # type: ignore[no-untyped-def]
        if self._producer is None:
            ensure_topics(self.bootstrap)
            self._producer = make_producer(self.bootstrap)
        return self._producer

    def publish_batch(self) -> int:
        """Publish up to ``batch_size`` unpublished rows; returns how many were published."""
        model = self.outbox_model
        with self.session_factory() as session, session.begin():
            if not session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self.lock_key}).scalar():
                return 0  # another replica's relay is publishing
            rows = session.execute(
                select(model.position, model.event_id, model.topic, model.message_key, model.event_type, model.envelope)
                .where(model.published_at.is_(None))
                .order_by(model.position)
                .limit(self.batch_size)
            ).all()
            if not rows:
                return 0
            producer = self._get_producer()
            futures = [
                producer.send(
                    row.topic,
                    key=row.message_key.encode(),
                    value=row.envelope,
                    headers=[("event_id", row.event_id.encode()), ("type", row.event_type.encode())],
                )
                for row in rows
            ]
            producer.flush(timeout=10)
            for future in futures:
                future.get(timeout=10)  # raises if the broker refused any of them
            session.execute(
                update(model).where(model.position.in_([row.position for row in rows])).values(published_at=utc_now())
            )
        self.published_total += len(rows)
        return len(rows)


def wait_until_drained(session_factory: sessionmaker[Session], outbox_model: type[OutboxColumns], timeout: float) -> bool:
    """True once every outbox row is published (used by tests and the demo)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_factory() as session:
            pending = session.execute(
                select(outbox_model.position).where(outbox_model.published_at.is_(None)).limit(1)
            ).first()
        if pending is None:
            return True
        time.sleep(0.1)
    return False
