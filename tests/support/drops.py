"""Test databases dropped on a thread of their own, so the next test or module need not wait.

A ``DROP DATABASE … WITH (FORCE)`` of a module's HQ and regions took 1-4 s each on a busy 2-core
machine (its files are unlinked, the server signals every backend to let go of them): up to ten
seconds of each integration module's teardown, spent waiting. The drops are queued here instead
and done one at a time behind the tests; ``wait()`` at the end of the session waits for the last.
Nothing reads a dropped database: its name held a random suffix and was used by one module only."""

from __future__ import annotations

import logging
import queue
import threading

from chaincard.local.postgres import PostgresServer

log = logging.getLogger(__name__)


class DatabaseDrops:
    """Drops ``postgres`` databases in the background, in the order they were handed in."""

    def __init__(self, postgres: PostgresServer) -> None:
        self.postgres = postgres
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.failures: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self._run, name="test-database-drops", daemon=True)
        self._thread.start()

    def drop(self, database: str) -> None:
        """Queue ``database`` to be dropped; returns at once."""
        self._queue.put(database)

    def wait(self) -> None:
        """Drop what is still queued, then end the thread; raises if any drop failed."""
        self._queue.put(None)
        self._thread.join()
        if self.failures:
            raise RuntimeError(f"test databases not dropped: {self.failures}")

    def _run(self) -> None:
        while (database := self._queue.get()) is not None:
            try:
                self.postgres.drop_database(database)
            except Exception as error:  # noqa: BLE001 - keep dropping the others; wait() reports it
                log.warning("dropping a test database failed", exc_info=True)
                self.failures.append((database, repr(error)))
