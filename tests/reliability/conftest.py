"""Each reliability test gets a chain of its own (HQ, two regions, one store agent, settlement) with
its own broker, so it can freeze, kill and restart any of them."""

from __future__ import annotations

import os
import signal

import pytest

from chaincard.local import demo_data
from tests.support.chains import running_chain


@pytest.fixture
def chain(tmp_path, postgres, migrated, database_drops):
    # On databases already at head (the e2e session chain migrates from empty).
    with running_chain(postgres, tmp_path / "chain", "ccrel", templates=migrated, drop=database_drops.drop,
                       stores=[demo_data.STORES[0]]) as (running, _):
        yield running
        # A failed test may leave a process frozen: let everything run again so it can stop.
        for process in [*running.children.values(), *([running.broker.process] if running.broker and running.broker.process else [])]:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
