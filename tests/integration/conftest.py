"""Fixtures of the integration tests: HQ and regions E and W started in this process (``regions``,
one set per test module), region E's context to call its handlers directly (``region_context``),
and a settlement ledger on a fresh database (``ledger``).

A module changes how its regions run by overriding one of the fixtures ``regions`` is built from:
``regions_broker`` (a broker of its own) or ``regions_working_directory`` (run from a directory of
its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaincard.local.broker import LocalBroker
from chaincard.local.postgres import PostgresServer
from region_service.context import RegionContext
from tests.support.regions import RunningRegions, run_regions, run_regions_in_own_directory
from tests.support.regions import region_context as region_context_of


@pytest.fixture(scope="module")
def regions_broker(broker: LocalBroker) -> LocalBroker:
    """The broker the module's regions publish to: the session's, unless the module overrides it."""
    return broker


@pytest.fixture(scope="module")
def regions_working_directory() -> Path | None:
    """The working directory the module's regions run from: this one, unless the module overrides it."""
    return None


@pytest.fixture(scope="module")
def regions(postgres: PostgresServer, regions_broker: LocalBroker, regions_working_directory: Path | None) -> Iterator[RunningRegions]:
    if regions_working_directory is None:
        yield from run_regions(postgres, regions_broker.bootstrap)
    else:
        yield from run_regions_in_own_directory(postgres, regions_broker.bootstrap, str(regions_working_directory))


@pytest.fixture(scope="module")
def region_context(regions: RunningRegions) -> Iterator[RegionContext]:
    """Region E's context, to call its handlers (checkout, expire_due_cards, PIN checks) in this process."""
    with region_context_of(regions) as context:
        yield context
