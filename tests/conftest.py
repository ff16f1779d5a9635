"""Shared fixtures: a real PostgreSQL (from CHAINCARD_TEST_PG_DSN, else embedded) and a real
Kafka-protocol broker (the local tansu, started here), both for the whole session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    dsn = os.environ.get(PG_DSN_VARIABLE)
    if dsn:
        yield PostgresServer(dsn)
        return
    server = PostgresServer.embedded(tmp_path_factory.mktemp("pg") / "data")
    yield server
    server.stop()


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
