"""The relay waits on the outbox's NOTIFY instead of polling (docs/adr/0057), against real PostgreSQL
and the broker.

Every relay here looks on its own only once a minute (``safety_seconds=60``): an event published
well within that was published because the outbox notified. No test asserts a timing tighter than
that; each waits for what the relay did."""

from __future__ import annotations

import importlib.util
import select
import threading
import time
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

import region_service
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import alembic_config, upgrade_to_head
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.events.relay import (
    OUTBOX_CHANNEL,
    OutboxRelay,
    listen,
    pending_count,
    relay_waiting_key,
    wait_until_drained,
)
from chaincard.v1 import common_pb2, events_pb2
from region_service.models import OutboxMessage

SAFETY = 60.0  # the relay's own look, which no test waits for
PATIENCE = 20.0  # how long a test waits for what a notified relay does at once
QUIET = 1.5  # how long an idle relay is watched for passes it should not make
CARD = "8811000000000019"


def _region(fresh_database) -> tuple[Engine, sessionmaker[Session]]:  # type: ignore[no-untyped-def]
    url = fresh_database("relay_listen")
    upgrade_to_head("region_service", url)
    engine = make_engine(url)
    return engine, make_session_factory(engine)


def _write(sessions: sessionmaker[Session], count: int = 1, *, commit: bool = True) -> None:
    session = sessions()
    try:
        session.begin()
        for sequence in range(count):
            add_event(session, OutboxMessage, topic=topics.POSTINGS, key=CARD, producer="test",
                      payload=events_pb2.TransactionPosted(transaction=common_pb2.Transaction(
                          transaction_id=f"listen-{time.time_ns()}-{sequence}", card_number=CARD, amount_fen=sequence)))
        session.flush()
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def _wait(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _idle_relay(sessions: sessionmaker[Session], bootstrap: str) -> OutboxRelay:
    """A started relay, listening, past its first pass and waiting."""
    relay = OutboxRelay(sessions, OutboxMessage, bootstrap, name=f"listen-{time.time_ns()}", safety_seconds=SAFETY).start()
    _wait(lambda: relay.listening and relay.passes_total >= 1, "the relay to listen")
    _settle(relay)
    return relay


def _settle(relay: OutboxRelay) -> None:
    """Wait until the relay's passes stop for a while (it went back to waiting)."""
    while True:
        before = relay.passes_total
        time.sleep(0.3)
        if relay.passes_total == before:
            return


def test_a_committed_event_is_published_on_its_notification_and_an_idle_relay_reads_nothing(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    relay = _idle_relay(sessions, broker.bootstrap)
    try:
        passes = relay.passes_total
        time.sleep(QUIET)
        assert relay.passes_total == passes  # idle: no read of the outbox between notifications

        _write(sessions, 3)
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)  # well before its own look at 60 s
        assert relay.published_total == 3
        assert relay.notifications_total >= 1
        _settle(relay)
        passes = relay.passes_total
        time.sleep(QUIET)
        assert relay.passes_total == passes
        assert relay.failures == 0
    finally:
        relay.stop()
        engine.dispose()


def test_full_batches_are_published_one_after_another_without_waiting(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    relay = OutboxRelay(sessions, OutboxMessage, broker.bootstrap, name=f"full-{time.time_ns()}", batch_size=10,
                        safety_seconds=SAFETY).start()
    try:
        _wait(lambda: relay.listening, "the relay to listen")
        _settle(relay)
        _write(sessions, 35)  # one transaction: one notification, four batches
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)
        assert relay.published_total == 35
    finally:
        relay.stop()
        engine.dispose()


def test_a_rolled_back_insert_notifies_nothing(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    relay = _idle_relay(sessions, broker.bootstrap)
    try:
        passes, notifications = relay.passes_total, relay.notifications_total
        _write(sessions, 2, commit=False)
        time.sleep(QUIET)
        assert (relay.passes_total, relay.notifications_total) == (passes, notifications)
        assert pending_count(sessions, OutboxMessage) == 0
        _write(sessions, 1)  # and the relay still answers the next one
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)
        assert relay.published_total == 1
        assert relay.failures == 0
    finally:
        relay.stop()
        engine.dispose()


def test_a_killed_listening_connection_is_opened_again_and_events_still_go_out(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    relay = _idle_relay(sessions, broker.bootstrap)
    try:
        assert relay.listens_total == 1
        with engine.begin() as connection:
            killed = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'chaincard-outbox-relay'")).scalar_one()
        assert killed == 1
        _wait(lambda: relay.listens_total == 2 and relay.listening, "the relay to listen again")
        _settle(relay)
        _write(sessions, 2)
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)
        assert relay.published_total == 2
        assert relay.healthy
    finally:
        relay.stop()
        engine.dispose()


def test_stop_ends_the_wait_at_once(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    relay = _idle_relay(sessions, broker.bootstrap)
    stopped = threading.Thread(target=relay.stop, args=(PATIENCE,))
    stopped.start()
    stopped.join(PATIENCE)
    assert not stopped.is_alive() and not relay.running  # long before the 60 s wait would have ended
    assert not relay.listening
    engine.dispose()


def test_writers_notify_only_while_a_relay_waits_once_per_transaction_and_none_after_the_downgrade(fresh_database):
    url = fresh_database("outbox_notify")
    upgrade_to_head("region_service", url)
    engine, sessions = make_engine(url), make_session_factory(make_engine(url))
    listener = listen(engine, OUTBOX_CHANNEL)
    waiting_key = relay_waiting_key(OutboxMessage)
    try:
        _write(sessions, 2)  # no relay waits: no NOTIFY (it would serialise the commits)
        assert _notifications(listener, wait=QUIET) == 0

        _hold(listener, waiting_key)  # as an armed relay does
        _write(sessions, 3)  # three INSERT statements in one transaction
        _write(sessions, 1)
        assert _notifications(listener) == 2
        _release(listener, waiting_key)
        _write(sessions, 1)
        assert _notifications(listener, wait=QUIET) == 0

        command.downgrade(alembic_config("region_service", url), "0032")  # 0032 notified every time
        _write(sessions, 1)
        assert _notifications(listener) == 1
        command.downgrade(alembic_config("region_service", url), "0031")
        _write(sessions, 1)
        assert _notifications(listener, wait=QUIET) == 0
        upgrade_to_head("region_service", url)
        _hold(listener, waiting_key)
        _write(sessions, 1)
        assert _notifications(listener) == 1
    finally:
        listener.close()
        sessions.kw["bind"].dispose()
        engine.dispose()


def test_the_migration_and_the_relay_agree_on_the_waiting_key():
    path = Path(region_service.__file__).parent / "migrations" / "versions" / "2026-12-05_outbox_notify_when_waited.py"
    spec = importlib.util.spec_from_file_location("outbox_notify_when_waited", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OUTBOX_WAITING_KEY == relay_waiting_key(OutboxMessage)


def test_a_writer_uncommitted_while_the_relay_arms_is_published_without_a_notification(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    writer = sessions()
    writer.begin()
    add_event(writer, OutboxMessage, topic=topics.POSTINGS, key=CARD, producer="test",
              payload=events_pb2.TransactionPosted(transaction=common_pb2.Transaction(transaction_id="in-flight", card_number=CARD)))
    writer.flush()  # the trigger ran: no relay waited, so the writer holds the waiting lock shared
    relay = OutboxRelay(sessions, OutboxMessage, broker.bootstrap, name=f"arm-{time.time_ns()}", safety_seconds=SAFETY).start()
    try:
        _wait(lambda: relay.listening and relay.passes_total >= 1, "the relay's first pass")
        time.sleep(0.5)  # the relay is arming: it waits for the writer's commit
        assert relay.arms_total == 0
        writer.commit()
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)  # well before its own look at 60 s
        assert relay.published_total == 1
        assert relay.notifications_total == 0
    finally:
        writer.close()
        relay.stop()
        engine.dispose()


def test_one_relay_leads_the_other_stands_by_and_takes_over_when_the_leader_goes(fresh_database, broker):
    engine, sessions = _region(fresh_database)
    leader = _idle_relay(sessions, broker.bootstrap)
    standby = OutboxRelay(sessions, OutboxMessage, broker.bootstrap, name=f"standby-{time.time_ns()}",
                          safety_seconds=1.0).start()
    try:
        _wait(lambda: standby.standby_looks_total >= 1, "the second relay to stand by")
        assert leader.listening and not standby.listening
        _write(sessions, 2)
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)
        leader.stop()
        _wait(lambda: standby.listening, "the second relay to lead")
        _settle(standby)
        _write(sessions, 3)
        assert wait_until_drained(sessions, OutboxMessage, timeout=PATIENCE)
        assert leader.published_total + standby.published_total == 5
        assert standby.failures == 0
    finally:
        leader.stop()
        standby.stop()
        engine.dispose()


def _hold(connection, key: int) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (key,))


def _release(connection, key: int) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _notifications(listener, wait: float = PATIENCE) -> int:  # type: ignore[no-untyped-def]
    """How many notifications arrive, waiting up to ``wait`` for the first and a moment for more."""
    select.select([listener], [], [], wait)
    time.sleep(0.2)
    listener.poll()
    count = len(listener.notifies)
    listener.notifies.clear()
    return count
