"""One simulation run per module: the regions' databases, copies of the migrated templates."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from chaincard.local.postgres import PostgresServer
from simulation.harness import Simulation, simulation
from tests.support.templates import MigratedTemplates


@pytest.fixture(scope="module")
def sim(postgres: PostgresServer, migrated: MigratedTemplates) -> Iterator[Simulation]:
    suffix = uuid.uuid4().hex[:8]
    names = {code: f"cctest_sim_{code.lower()}_{suffix}" for code in ("E", "W")}
    try:
        with simulation({code: migrated.url_for("region_service", name) for code, name in names.items()}) as run:
            yield run
    finally:
        for name in names.values():
            postgres.drop_database(name)
