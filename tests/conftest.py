"""Shared fixtures: a real PostgreSQL (from CHAINCARD_TEST_PG_DSN, else embedded) and a real
Kafka-protocol broker (the local tansu, started here), both for the whole session; and how
pytest-xdist's workers share the tests out (docs/adr/0042-test-parallelism.md)."""

from __future__ import annotations

import collections
import functools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaincard.db.engine import IDLE_CONNECTIONS_VARIABLE
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from tests.support.drops import DatabaseDrops
from tests.support.templates import MigratedTemplates

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
EMBEDDED_MAX_CONNECTIONS = 200
TESTS = Path(__file__).parent
# Handed out first, in this order: the tiers whose groups take longest, so none of them is left for
# the end; within a tier, the groups with more tests first.
LONGEST_FIRST = ("chaos", "e2e", "reliability", "simulation", "integration")
# An e2e file that starts a chain of its own says so (``OWN_CHAIN = True``): it need not wait for the
# files that share the session chain, and runs as a group of its own.
OWN_CHAIN = re.compile(r"^OWN_CHAIN = True\b", re.MULTILINE)


def pytest_configure(config: pytest.Config) -> None:
    # Every module starts HQ and regions, each engine keeping up to 10 idle connections: two workers
    # on one server would pass PostgreSQL's default 100. Two kept per engine (busy moments still
    # open more); the chains' processes inherit it.
    os.environ.setdefault(IDLE_CONNECTIONS_VARIABLE, "2")


@functools.cache
def _starts_own_chain(path: str) -> bool:
    source = TESTS.parent / path
    return source.is_file() and OWN_CHAIN.search(source.read_text(encoding="utf-8")) is not None


def _group(nodeid: str) -> str:
    """The group a test runs in under xdist (a group runs on one worker, in file order): the e2e
    tests on the session chain share it and some need the state earlier ones left, so they are one
    group, and an e2e file with a chain of its own is a group of its own; the short chaos run joins
    the e2e group (two whole chains at once on two cores starve both); every integration file is a
    group of its own, so its module fixtures start once; a reliability test (a chain of its
    own per test), a simulation test (a share of the seeds, on databases of its own) and a unit test
    are each a group by themselves."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    tier = parts[1] if len(parts) > 2 and parts[0] == TESTS.name else ""
    if tier == "e2e":
        return path if _starts_own_chain(path) else "e2e"
    if tier == "chaos":  # a whole chain under faults: in the session chain's group, never alongside it
        return "e2e"
    if tier == "integration":
        return path
    return nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's load-by-scope scheduler with ``_group`` as the scope, handing the groups out in the
    workers' collection order (``pytest_collection_modifyitems``), not xdist's own reordering by
    test count, which put a file of many short parametrized tests before the chains. (Not
    ``xdist_group`` marks: --dist loadgroup renames the items to carry them, which pytest 9.2's node
    ids ignore.)"""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    config.option.loadscopereorder = False
    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--run-slow"):
        skip = pytest.mark.skip(reason="minutes long: run with --run-slow")
        for item in items:
            if item.get_closest_marker("slow"):
                item.add_marker(skip)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Each worker collects alike; the scheduler hands out the groups in this order. Stable:
        # a group keeps its tests' order.
        groups = [_group(item.nodeid) for item in items]
        sizes = collections.Counter(groups)
        first = {group: index for index, group in reversed(list(enumerate(groups)))}
        rank = {tier: position for position, tier in enumerate(LONGEST_FIRST)}

        def key(index: int) -> tuple[int, int, int]:
            group = groups[index]
            tier = items[index].path.relative_to(TESTS).parts[0]
            return rank.get(tier, len(rank)), -sizes[group], first[group]

        items[:] = [items[index] for index in sorted(range(len(items)), key=key)]


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
def database_drops(postgres: PostgresServer) -> Iterator[DatabaseDrops]:
    """Drops the tests' databases behind them (a drop is seconds on a busy server; nothing waits
    for it): ``database_drops.drop(name)``. The session's end waits for the last."""
    drops = DatabaseDrops(postgres)
    yield drops
    drops.wait()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    local = LocalBroker(free_port(), tmp_path_factory.mktemp("broker") / "broker.log")
    local.start()
    yield local
    local.stop()


@pytest.fixture
def fresh_database(postgres: PostgresServer, database_drops: DatabaseDrops) -> Iterator[Callable[[str], str]]:
    """A factory of new, empty databases (dropped afterwards); returns their SQLAlchemy URLs."""
    created: list[str] = []

    def make(purpose: str) -> str:
        name = f"cctest_{purpose}_{uuid.uuid4().hex[:10]}"
        created.append(name)
        return postgres.url_for(name)

    yield make
    for name in created:
        database_drops.drop(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


def pytest_addoption(parser: pytest.Parser) -> None:
    # Tests marked slow (minutes each: tests/integration/test_campaign_10k.py) run only when asked.
    parser.addoption("--run-slow", action="store_true", default=False, help="run the tests marked slow")
