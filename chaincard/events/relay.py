"""Publishes outbox rows to Kafka and stamps them published; deletes them after their retention.

One relay at a time per database (a PostgreSQL advisory lock), reading rows in ``position`` order:
with the card row locked by every writer, two events of one card get positions in commit order,
so Kafka receives them in order. A batch is stamped published only once the broker acknowledged
every record of it (idempotent producer, ``acks=all``); a failed batch is retried whole, and
consumers drop the duplicates by event id (docs/adr/0005, 0012).

Published rows stay for ``retention`` so ``chaincard events replay`` can publish them again when a
broker lost data; a purge inside the relay's own loop deletes older ones.

On PostgreSQL an idle relay does not poll (docs/adr/0057). Of the relays of one database one leads
(a session advisory lock on its listening connection) and LISTENs to ``chaincard_outbox``; the
others stand by, looking each ``safety_seconds`` whether the leader went. Before it waits the leader
"arms": it takes the waiting lock exclusively, which first waits for the commit of every writer that
saw no relay waiting, then looks once more. While it is armed the outbox's trigger (region
migrations 0032, 0033) notifies with each INSERT statement; while it is not, writers skip the NOTIFY
and its cost (PostgreSQL serialises notifying commits). Woken, it disarms, gathers what more comes
for ``GATHER_SECONDS`` and publishes batch after batch while they come full. It looks anyway after
``safety_seconds`` idle: a notification sent while the connection was being re-opened is lost, and a
row queued again by an UPDATE (``chaincard events replay``) notifies nothing. Without PostgreSQL, or
while the listening connection is away, it polls.
"""

from __future__ import annotations

import logging
import select as select_module
import socket
import time
import zlib
from datetime import datetime, timedelta
from typing import Any, cast

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy import CursorResult, Engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.outbox import OutboxColumns
from chaincard.events.kafka import ensure_topics, make_producer
from chaincard.observability import metrics, tracing
from chaincard.v1 import events_pb2
from chaincard.workers import Backoff, Worker

log = logging.getLogger(__name__)

DEFAULT_RETENTION_HOURS = 7 * 24.0
# How often the relay deletes rows past their retention, and how many per statement (short locks).
PURGE_INTERVAL_SECONDS = 300.0
PURGE_CHUNK = 5_000
MAX_BACKOFF_SECONDS = 5.0
# How long one batch may wait for the broker's acknowledgements before it is retried whole.
ACK_TIMEOUT_SECONDS = 10.0
# The channel the outbox's trigger notifies (region migration 0032 names it too).
OUTBOX_CHANNEL = "chaincard_outbox"
# How long an idle relay waits for a notification before it looks anyway (Settings.outbox_safety_seconds).
DEFAULT_SAFETY_SECONDS = 5.0
# The listening connection's own limits: a connect that hangs, and a peer gone without a word (the
# connection carries no traffic while idle, so only TCP keepalives notice; a Unix socket ignores them).
LISTEN_CONNECT_PARAMETERS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 30,
                             "keepalives_interval": 10, "keepalives_count": 3,
                             "application_name": "chaincard-outbox-relay"}
# How long a woken relay lets more rows come before it publishes, so a burst goes in one batch.
GATHER_SECONDS = 0.05
# How long arming may wait for writers' commits (a long import chunk); past it the relay just looks.
ARM_TIMEOUT_MS = 2_000


def relay_lock_key(outbox_model: type[OutboxColumns]) -> int:
    """The advisory lock every publisher of one outbox table takes (relay replicas, replay).

    PostgreSQL scopes advisory locks to the database, so the table name is enough.
    """
    return zlib.crc32(f"outbox-relay:{outbox_model.__tablename__}".encode())


def relay_leader_key(outbox_model: type[OutboxColumns]) -> int:
    """The session advisory lock of the one relay that listens and arms (the others stand by)."""
    return zlib.crc32(f"outbox-leader:{outbox_model.__tablename__}".encode())


def relay_waiting_key(outbox_model: type[OutboxColumns]) -> int:
    """The advisory lock an armed relay holds exclusively; the outbox's trigger tries it shared and
    notifies when it cannot have it (region migration 0033 writes the number out)."""
    return zlib.crc32(f"outbox-waiting:{outbox_model.__tablename__}".encode())


class OutboxRelay(Worker):
    """The relay's loop: publish a batch; when none was waiting (or it was not full, on PostgreSQL)
    wait for the outbox's notification, at most ``safety_seconds`` (without one to wait for: pause
    ``poll_seconds``); purge now and then. A broker away (or a database restarting) costs a back-off
    from ``poll_seconds`` up to ``MAX_BACKOFF_SECONDS``: the rows stay, nothing is lost, order is
    kept. A listening connection that broke is opened again with the same back-off; until then the
    relay looks every ``safety_seconds``."""

    transient_errors = (KafkaError, OSError)

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox_model: type[OutboxColumns],
        bootstrap: str,
        *,
        name: str,
        batch_size: int = 1_000,
        poll_seconds: float = 0.2,
        retention_hours: float = DEFAULT_RETENTION_HOURS,
        purge_interval_seconds: float = PURGE_INTERVAL_SECONDS,
        safety_seconds: float = DEFAULT_SAFETY_SECONDS,
    ) -> None:
        super().__init__(f"outbox-relay-{name}", idle_seconds=poll_seconds,
                         backoff=Backoff(poll_seconds, MAX_BACKOFF_SECONDS))
        self.session_factory = session_factory
        self.outbox_model = outbox_model
        self.bootstrap = bootstrap
        self.batch_size = batch_size
        self.retention = timedelta(hours=retention_hours)
        self.purge_interval_seconds = purge_interval_seconds
        self.lock_key = relay_lock_key(outbox_model)
        self.leader_key = relay_leader_key(outbox_model)
        self.waiting_key = relay_waiting_key(outbox_model)
        self.safety_seconds = safety_seconds
        self.published_total = 0
        self.purged_total = 0
        # Reads of the outbox for rows to publish, notifications received, LISTEN connections opened.
        self.passes_total = 0
        self.notifications_total = 0
        self.listens_total = 0
        # Waits armed (writers notified meanwhile), and looks made while standing by for the leader.
        self.arms_total = 0
        self.standby_looks_total = 0
        bind = session_factory.kw.get("bind")
        # The engine whose database notifies (None: none does; the relay polls).
        self._listen_engine = (bind if isinstance(bind, Engine) and bind.dialect.name == "postgresql"
                               and bind.dialect.driver == "psycopg2" else None)
        self._listener: psycopg2.extensions.connection | None = None
        self._listen_failures = 0
        self._next_listen_at = 0.0
        # A socket pair that wake() and stop() write to, so they end a wait in select() at once.
        self._doorbell: tuple[socket.socket, socket.socket] | None = None
        self._producer: KafkaProducer | None = None
        self._next_purge = time.monotonic() + min(purge_interval_seconds, 30.0)
        table = outbox_model.__tablename__
        self._published_metric = metrics.OUTBOX_PUBLISHED.labels(table)
        # Depth and lag are read when Prometheus scrapes, not on every loop.
        metrics.gauge_from(metrics.OUTBOX_PENDING, table, lambda: outbox_backlog(session_factory, outbox_model)[0])
        metrics.gauge_from(metrics.OUTBOX_LAG, table, lambda: outbox_backlog(session_factory, outbox_model)[1])

    @property
    def listening(self) -> bool:
        """Whether the relay holds a connection that LISTENs to the outbox's notifications."""
        return self._listener is not None

    def step(self) -> bool:
        # LISTEN before the read: a row committed after the read's snapshot then notifies.
        self._listen_if_due()
        self._drain_notifications()
        published = self.publish_batch()
        if time.monotonic() >= self._next_purge:
            self.purge_expired()
        if self._listener is None:
            return published > 0
        # A batch not full took everything committed before its read; a later commit notifies.
        return published >= self.batch_size

    def wait_for_work(self, seconds: float) -> None:
        if self._listen_engine is None:
            self._pause(seconds)
            return
        listener = self._listener
        if listener is None:
            # Polling until the listening connection is back: each safety interval, or at the next try.
            self._pause(min(self.safety_seconds, max(self._next_listen_at - time.monotonic(), 0.0)))
            return
        bell, _ = self._doorbell_pair()
        if self._wake.is_set():  # woken (or stopped) since the step began
            if not self.stopping:
                self._wake.clear()
            return
        if not self._arm(listener):
            return  # writers still committing past the arm timeout, or the connection went: look now
        notified = False
        try:
            if self._pending_while_armed(listener):
                return  # committed between the step's read and the arming
            try:
                readable, _, _ = select_module.select([listener.fileno(), bell.fileno()], [], [], self.safety_seconds)
                notified = listener.fileno() in readable
            except (OSError, ValueError, psycopg2.Error):  # the connection's socket is gone
                self._lose_listener("its socket closed")
        finally:
            self._disarm()
        self._silence_doorbell()
        if not self.stopping:
            self._wake.clear()
        if notified:
            self._pause(GATHER_SECONDS)  # let the rest of a burst commit: one batch, not one per row

    def wake(self) -> None:
        super().wake()
        self._ring()

    def request_stop(self) -> None:
        super().request_stop()
        self._ring()

    def release(self) -> None:
        # A producer that saw a failure may hold records in flight: throw it away, so the retried batch
        # goes out from a fresh producer and its records cannot land between the retried ones.
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001
                pass
            self._producer = None
        # The listening connection outlives a failed batch (a broker away); it goes with the relay.
        if self.stopping:
            self._close_listener()
            doorbell, self._doorbell = self._doorbell, None
            for end in doorbell or ():
                end.close()

    # ---- LISTEN ------------------------------------------------------------------------------------
    def _listen_if_due(self) -> None:
        if self._listen_engine is None or self._listener is not None or time.monotonic() < self._next_listen_at:
            return
        try:
            listener = listen(self._listen_engine, OUTBOX_CHANNEL)
        except (psycopg2.Error, OSError) as error:
            self._listen_failures += 1
            retry_in = self.backoff.delay(self._listen_failures)
            self._next_listen_at = time.monotonic() + retry_in
            log.warning("outbox relay cannot LISTEN; it looks each safety interval meanwhile",
                        extra={"fields": {"worker": self.name, "failures": self._listen_failures,
                                          "safety_seconds": self.safety_seconds, "retry_in_seconds": retry_in,
                                          "error": repr(error)}})
            return
        self._listen_failures = 0
        try:
            with listener.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", (self.leader_key,))
                leads = bool(cursor.fetchone()[0])  # type: ignore[index]
                cursor.execute(f"SET lock_timeout = {ARM_TIMEOUT_MS}")
        except (psycopg2.Error, OSError):
            leads = False
        if not leads:
            # Another relay leads: stand by, looking (and trying to lead) each safety interval.
            listener.close()
            self.standby_looks_total += 1
            self._next_listen_at = time.monotonic() + self.safety_seconds
            return
        self._listener = listener
        self.listens_total += 1

    def _arm(self, listener: psycopg2.extensions.connection) -> bool:
        """Take the waiting lock: once writers that saw no relay waiting have committed, it is held
        and every writer notifies. False when that took longer than ``ARM_TIMEOUT_MS``."""
        try:
            with listener.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", (self.waiting_key,))
        except psycopg2.errors.LockNotAvailable:
            return False
        except (psycopg2.Error, OSError) as error:
            self._lose_listener(repr(error))
            return False
        self.arms_total += 1
        return True

    def _pending_while_armed(self, listener: psycopg2.extensions.connection) -> bool:
        """Whether a row is waiting, read once armed (a row committed later notifies)."""
        table = self.outbox_model.__tablename__
        try:
            with listener.cursor() as cursor:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE published_at IS NULL)")  # noqa: S608 - a model's table name
                return bool(cursor.fetchone()[0])  # type: ignore[index]
        except (psycopg2.Error, OSError) as error:
            self._lose_listener(repr(error))
            return True

    def _disarm(self) -> None:
        listener = self._listener
        if listener is None:
            return  # lost: the session's locks went with it
        try:
            with listener.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", (self.waiting_key,))
        except (psycopg2.Error, OSError) as error:
            self._lose_listener(repr(error))

    def _drain_notifications(self) -> None:
        """Take what the listening connection received: it all means "look", once."""
        listener = self._listener
        if listener is None:
            return
        try:
            listener.poll()
        except (psycopg2.Error, OSError) as error:
            self._lose_listener(repr(error))
            return
        self.notifications_total += len(listener.notifies)
        listener.notifies.clear()

    def _lose_listener(self, why: str) -> None:
        # The next step opens another at once; failures to open it then back off.
        log.warning("outbox relay lost its LISTEN connection; opening another",
                    extra={"fields": {"worker": self.name, "error": why}})
        self._close_listener()
        self._next_listen_at = 0.0

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except (psycopg2.Error, OSError):
                pass

    def _doorbell_pair(self) -> tuple[socket.socket, socket.socket]:
        if self._doorbell is None:
            bell, ringer = socket.socketpair()
            bell.setblocking(False)
            ringer.setblocking(False)
            self._doorbell = (bell, ringer)
        return self._doorbell

    def _ring(self) -> None:
        doorbell = self._doorbell
        if doorbell is not None:
            try:
                doorbell[1].send(b"\0")
            except OSError:  # full (it rang already) or closed (the relay stopped)
                pass

    def _silence_doorbell(self) -> None:
        doorbell = self._doorbell
        if doorbell is None:
            return
        try:
            while doorbell[0].recv(4096):
                pass
        except OSError:  # nothing more to read
            pass

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            ensure_topics(self.bootstrap)
            self._producer = make_producer(self.bootstrap)
        return self._producer

    def publish_batch(self) -> int:
        """Publish up to ``batch_size`` unpublished rows; returns how many were published."""
        model = self.outbox_model
        with self.session_factory() as session, session.begin():
            self.passes_total += 1
            if not session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self.lock_key}).scalar():
                return 0  # another replica's relay (or a replay) is publishing
            rows = session.execute(
                select(model.position, model.event_id, model.topic, model.message_key, model.event_type, model.envelope)
                .where(model.published_at.is_(None))
                .order_by(model.position)
                .limit(self.batch_size)
            ).all()
            if not rows:
                return 0
            producer = self._get_producer()
            futures = []
            spans: list[tracing.Span | None] = []
            try:
                for row in rows:
                    headers = [("event_id", row.event_id.encode()), ("type", row.event_type.encode())]
                    # The request's trace goes on in the record's headers (through a publish span when traced here).
                    traceparent = events_pb2.EventEnvelope.FromString(row.envelope).traceparent
                    if traceparent:
                        span, traceparent = tracing.start_publish_span(row.topic, traceparent)
                        spans.append(span)
                        headers.append((tracing.TRACEPARENT, traceparent.encode()))
                    futures.append(producer.send(row.topic, key=row.message_key.encode(), value=row.envelope, headers=headers))
                producer.flush(timeout=ACK_TIMEOUT_SECONDS)
                for future in futures:
                    future.get(timeout=ACK_TIMEOUT_SECONDS)  # raises if the broker refused any of them
            except BaseException as error:
                tracing.end_spans(spans, error)
                raise
            tracing.end_spans(spans)
            session.execute(
                update(model).where(model.position.in_([row.position for row in rows])).values(published_at=utc_now())
            )
        self.published_total += len(rows)
        self._published_metric.inc(len(rows))
        return len(rows)

    def purge_expired(self) -> int:
        """Delete published rows older than the retention; returns how many went."""
        self._next_purge = time.monotonic() + self.purge_interval_seconds
        deleted = purge_published(self.session_factory, self.outbox_model, utc_now() - self.retention)
        self.purged_total += deleted
        if deleted:
            log.info("outbox rows past retention deleted", extra={"fields": {"worker": self.name, "rows": deleted}})
        return deleted


def listen(engine: Engine, channel: str) -> psycopg2.extensions.connection:
    """A new connection to ``engine``'s database, outside its pool, in autocommit, LISTENing on ``channel``."""
    _, parameters = engine.dialect.create_connect_args(engine.url)
    connection = psycopg2.connect(**{**LISTEN_CONNECT_PARAMETERS, **parameters})
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {channel}")
    except BaseException:
        connection.close()
        raise
    return connection


def purge_published(session_factory: sessionmaker[Session], outbox_model: type[OutboxColumns], created_before: datetime) -> int:
    """Delete published rows created before ``created_before``, a chunk per transaction.

    Unpublished rows are never deleted, however old: an event is dropped only once Kafka has it.
    """
    model = outbox_model
    total = 0
    while True:
        with session_factory() as session, session.begin():
            chunk = (
                select(model.position)
                .where(model.published_at.is_not(None), model.created_at < created_before)
                .order_by(model.position)
                .limit(PURGE_CHUNK)
                .scalar_subquery()
            )
            deleted = cast("CursorResult[Any]", session.execute(delete(model).where(model.position.in_(chunk)))).rowcount
        total += deleted
        if deleted < PURGE_CHUNK:
            return total


def pending_count(session_factory: sessionmaker[Session], outbox_model: type[OutboxColumns]) -> int:
    with session_factory() as session:
        return session.execute(
            select(func.count()).select_from(outbox_model).where(outbox_model.published_at.is_(None))
        ).scalar_one()


def outbox_backlog(session_factory: sessionmaker[Session], outbox_model: type[OutboxColumns]) -> tuple[int, float]:
    """(unpublished rows, age in seconds of the oldest of them or 0) — the relay's depth and lag."""
    with session_factory() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(outbox_model.created_at)).where(outbox_model.published_at.is_(None))
        ).one()
    return int(count), max((utc_now() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


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
