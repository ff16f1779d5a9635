"""Engines for PostgreSQL (regions, HQ, settlement) and SQLite (store agents)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

# Execution option marking a connection whose transaction will write (SQLite: BEGIN IMMEDIATE).
WRITES_OPTION = "chaincard_writes"
# At most how many idle PostgreSQL connections an engine keeps open (unset: its pool_size). A test
# run with many engines on one server sets it low; busy moments still get up to 2 x pool_size.
IDLE_CONNECTIONS_VARIABLE = "CHAINCARD_DB_IDLE_CONNECTIONS"


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            # We say when transactions begin (below), not the driver: its deferred BEGIN before the
            # first write fails a transaction that read before another one wrote.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL keeps readers unblocked while the till writes; FULL sync because a sale must survive a power cut.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # A writing transaction takes SQLite's write lock at once; a reading one reads a snapshot.
            writes = connection.get_execution_options().get(WRITES_OPTION, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    capacity = 2 * pool_size
    # At least 1: SQLAlchemy reads a pool_size of 0 as "keep every connection".
    kept = max(1, min(pool_size, int(os.environ.get(IDLE_CONNECTIONS_VARIABLE) or pool_size)))
    # No pre-ping (a SELECT 1 per checkout); connections are recycled instead so none goes stale.
    return create_engine(url, pool_size=kept, max_overflow=capacity - kept, pool_recycle=1800)


class OneWriterSessions(sessionmaker[Session]):
    """Sessions of a SQLite database whose writing transactions (``begin()``) take turns in-process.

    Every write must go through ``begin()``; a plain session reads a snapshot and must not write.

    SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps
    between tries (up to 100 ms each). With a dozen tills writing their journals at once, those
    sleeps made the store agent's p99 a second while its threads sat idle (docs/BENCHMARKS.md). A
    lock here hands the turn over as soon as the writer commits. Reads (plain sessions) don't wait.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, expire_on_commit=False)
        # Re-entrant: a writer that opens another writing session in the same thread would block on
        # SQLite itself anyway, but must not deadlock on this lock first.
        self._turn = threading.RLock()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self._turn, super().begin() as session:
            session.connection(execution_options={WRITES_OPTION: True})
            yield session


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    if engine.dialect.name == "sqlite":
        return OneWriterSessions(engine)
    return sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
