"""Each reliability test gets a chain of its own (HQ, two regions, one store agent, settlement) with
its own broker, so it can freeze, kill and restart any of them."""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from chaincard.local import demo_data
from chaincard.local.chain import Chain


@pytest.fixture
def chain(tmp_path, postgres):
    prefix = f"ccrel_{uuid.uuid4().hex[:8]}"
    running = Chain(tmp_path / "chain", pg_dsn=postgres.admin_dsn, base_port=0, database_prefix=prefix,
                    stores=[demo_data.STORES[0]])
    state = running.start()
    yield running
    # A failed test may leave a process frozen: let everything run again so it can stop.
    for process in [*running.children.values(), *([running.broker.process] if running.broker and running.broker.process else [])]:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
    running.stop()
    for name in state.database_urls:
        postgres.drop_database(f"{prefix}_{name.lower()}")
