"""Shared fixtures: a real PostgreSQL (from CHAINCARD_TEST_PG_DSN, else embedded) and a real
Kafka-protocol broker (the local tansu, started here), both for the whole session; and how
pytest-xdist's workers share the tests out (docs/adr/0042-test-parallelism.md)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaincard.db.engine import IDLE_CONNECTIONS_VARIABLE
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from tests.support.templates import MigratedTemplates

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
EMBEDDED_MAX_CONNECTIONS = 200
TESTS = Path(__file__).parent
# Run first on the workers: the longest groups, so none of them is left for the end.
LONGEST_FIRST = ("e2e", "reliability")


def pytest_configure(config: pytest.Config) -> None:
    # Every module starts HQ and regions, each engine keeping up to 10 idle connections: two workers
    # on one server would pass PostgreSQL's default 100. Two kept per engine (busy moments still
    # open more); the chains' processes inherit it.
    os.environ.setdefault(IDLE_CONNECTIONS_VARIABLE, "2")


def _group(nodeid: str) -> str:
    """The group a test runs in under xdist (a group runs on one worker, in file order): the e2e
    tests share one chain and some need the state earlier ones left, so they are one group; every
    other file that starts services is a group of its own, so its module fixtures start once; a unit
    test, or a simulation test (a share of the seeds, on databases of its own), is a group by itself."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    tier = parts[1] if len(parts) > 2 and parts[0] == TESTS.name else ""
    if tier == "e2e":
        return "e2e"
    if tier in ("integration", "reliability"):
        return path
    return nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's load-by-scope scheduler with ``_group`` as the scope. (Not ``xdist_group`` marks:
    --dist loadgroup renames the items to carry them, which pytest 9.2's node ids ignore.)"""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Each worker collects alike; the scheduler hands out the groups in this order.
        tiers = [item.path.relative_to(TESTS).parts[0] for item in items]
        order = {tier: rank for rank, tier in enumerate(LONGEST_FIRST)}
        # Stable: each file keeps its tests' order.
        items[:] = [item for _, item in sorted(zip(tiers, items, strict=True), key=lambda pair: order.get(pair[0], len(order)))]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    dsn = os.environ.get(PG_DSN_VARIABLE)
    if dsn:
        yield PostgresServer(dsn)
        return
    # Each xdist worker starts its own; the suite keeps under 100 connections even on one server,
    # this is headroom for a slow machine where engines are disposed late.
    server = PostgresServer.embedded(tmp_path_factory.mktemp("pg") / "data", max_connections=EMBEDDED_MAX_CONNECTIONS)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated(postgres: PostgresServer) -> Iterator[MigratedTemplates]:
    """New databases already at a service's head: copies of a template migrated once per session."""
    templates = MigratedTemplates(postgres)
    yield templates
    templates.drop()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    local = LocalBroker(free_port(), tmp_path_factory.mktemp("broker") / "broker.log")
    local.start()
    yield local
    local.stop()


@pytest.fixture
def fresh_database(postgres: PostgresServer) -> Iterator[Callable[[str], str]]:
    """A factory of new, empty databases (dropped afterwards); returns their SQLAlchemy URLs."""
    created: list[str] = []

    def make(purpose: str) -> str:
        name = f"cctest_{purpose}_{uuid.uuid4().hex[:10]}"
        created.append(name)
        return postgres.url_for(name)

    yield make
    for name in created:
        postgres.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"
