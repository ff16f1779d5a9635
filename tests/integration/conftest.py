"""Fixtures of the integration tests: HQ and regions E and W started in this process (``regions``,
one set per test module), region E's context to call its handlers directly (``region_context``), a
settlement ledger on a fresh database (``ledger``), and an empty database of each kind, SQLite and
PostgreSQL (``sqlite_or_postgresql_url``).

A module changes how its regions run by overriding one of the fixtures ``regions`` is built from:
``regions_broker`` (a broker of its own) or ``regions_working_directory`` (run from a directory of
its own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.consumer import IdempotentConsumer
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from region_service.context import RegionContext
from settlement.bootstrap import CLEARING_CONSUMER
from settlement.clearing import record_posting
from settlement.hq import StaticConfigSource
from settlement.models import ProcessedEvent
from settlement.runs import SettlementRunner
from tests.support.drops import DatabaseDrops
from tests.support.regions import RunningRegions, run_regions, run_regions_in_own_directory
from tests.support.regions import region_context as region_context_of
from tests.support.settlement import NOW, SNAPSHOT
from tests.support.templates import MigratedTemplates


@pytest.fixture(scope="module")
def regions_broker(request: pytest.FixtureRequest, broker: LocalBroker,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """The broker the module's regions publish to: the session's, or one of the module's own when it
    sets ``OWN_BROKER = True``. HQ's read models read their topics from the start, and every test
    chain numbers its cards alike, so a module that asserts on HQ's views of its cards needs its own:
    on the session's broker they would hold other modules' events (earlier ones, and in a parallel
    run concurrent ones) about the same card numbers."""
    if not getattr(request.module, "OWN_BROKER", False):
        yield broker
        return
    own = LocalBroker(free_port(), tmp_path_factory.mktemp("module-broker") / "broker.log")
    own.start()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def regions_working_directory() -> Path | None:
    """The working directory the module's regions run from: this one, unless the module overrides it."""
    return None


@pytest.fixture(scope="module")
def regions(postgres: PostgresServer, migrated: MigratedTemplates, regions_broker: LocalBroker,
            regions_working_directory: Path | None, database_drops: DatabaseDrops) -> Iterator[RunningRegions]:
    if regions_working_directory is None:
        yield from run_regions(postgres, regions_broker.bootstrap, migrated, database_drops.drop)
    else:
        yield from run_regions_in_own_directory(postgres, regions_broker.bootstrap, str(regions_working_directory), migrated,
                                                database_drops.drop)


@pytest.fixture(scope="module")
def region_context(regions: RunningRegions) -> Iterator[RegionContext]:
    """Region E's context, to call its handlers (checkout, expire_due_cards, PIN checks) in this process."""
    with region_context_of(regions) as context:
        yield context


@pytest.fixture(params=["sqlite", "postgresql"])
def sqlite_or_postgresql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once SQLite and once PostgreSQL: one persistence contract, one suite, run
    against both (eventsourcing's way)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'contract.sqlite'}"
    fresh_database: Callable[[str], str] = request.getfixturevalue("fresh_database")
    return fresh_database("contract")


@pytest.fixture
def ledger(fresh_database: Callable[[str], str], tmp_path: Path):  # type: ignore[no-untyped-def]
    """A settlement database fed through the clearing consumer's own intake, and a runner that settles
    it at ``NOW`` with the golden scenario's ``SNAPSHOT``: (sessions, consumer, runner, statements dir)."""
    url = fresh_database("settlement_golden")
    upgrade_to_head("settlement", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    consumer = IdempotentConsumer(name=f"test.{CLEARING_CONSUMER}", bootstrap="unused:0", topics=[],
                                  session_factory=sessions, processed_model=ProcessedEvent, handle_batch=record_posting.apply_batch)
    runner = SettlementRunner(sessions, StaticConfigSource(SNAPSHOT), statements_dir=tmp_path / "statements", clock=lambda: NOW)
    yield sessions, consumer, runner, tmp_path / "statements"
    engine.dispose()
