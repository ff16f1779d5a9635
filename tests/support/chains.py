"""A whole chain of real processes (``chaincard.local.chain.Chain``: HQ, regions, store agents,
settlement, its own broker) on databases of its own, for the e2e and reliability fixtures."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chaincard.local import demo_data
from chaincard.local.chain import Chain, ChainState
from chaincard.local.postgres import PostgresServer
from tests.support.templates import MigratedTemplates


def chain_database_packages() -> dict[str, str]:
    """The databases a Chain opens (``<prefix>_<name>``, chaincard.local.chain) and the service
    package whose schema each holds."""
    regions = {f"region_{region.code.lower()}": "region_service" for region in demo_data.REGIONS}
    return {"hq": "hq_service", "settlement": "settlement", **regions}


@contextmanager
def running_chain(postgres: PostgresServer, data_dir: Path, prefix: str, *, templates: MigratedTemplates | None = None,
                  drop: Callable[[str], None] | None = None, **options: Any) -> Iterator[tuple[Chain, ChainState]]:
    """Start a chain whose databases are named ``<prefix>_<8 hex>_<name>``; stop it and drop them after.
    Given ``templates``, its databases start as copies already at head (the processes' own upgrade
    then finds nothing to do; the migrations from empty stay covered by the e2e session chain and the
    migration tests); without, empty ones the processes migrate. ``drop`` drops them (default: at
    once; the fixtures queue them, tests/support/drops.py). ``options`` go to Chain (``stores``,
    ``kafka_bootstrap``)."""
    database_prefix = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if templates is not None:
        for name, package in chain_database_packages().items():
            templates.url_for(package, f"{database_prefix}_{name}")  # Chain finds them there and keeps them
    chain = Chain(data_dir, pg_dsn=postgres.admin_dsn, base_port=0, database_prefix=database_prefix, **options)
    try:
        state = chain.start()
        try:
            yield chain, state
        finally:
            chain.stop()
    finally:
        for name in chain_database_packages():
            (drop or postgres.drop_database)(f"{database_prefix}_{name}")
