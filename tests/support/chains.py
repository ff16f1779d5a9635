"""A whole chain of real processes (``chaincard.local.chain.Chain``: HQ, regions, store agents,
settlement, its own broker) on databases of its own, for the e2e and reliability fixtures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chaincard.local.chain import Chain, ChainState
from chaincard.local.postgres import PostgresServer


@contextmanager
def running_chain(postgres: PostgresServer, data_dir: Path, prefix: str, **options: Any) -> Iterator[tuple[Chain, ChainState]]:
    """Start a chain whose databases are named ``<prefix>_<8 hex>_<name>``; stop it and drop them after.
    ``options`` go to Chain (``stores``, ``kafka_bootstrap``)."""
    database_prefix = f"{prefix}_{uuid.uuid4().hex[:8]}"
    chain = Chain(data_dir, pg_dsn=postgres.admin_dsn, base_port=0, database_prefix=database_prefix, **options)
    state = chain.start()
    try:
        yield chain, state
    finally:
        chain.stop()
        for name in state.database_urls:
            postgres.drop_database(f"{database_prefix}_{name.lower()}")
