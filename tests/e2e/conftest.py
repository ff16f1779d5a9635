"""One whole chain (real processes, mutual TLS, operator tokens) shared by the e2e tests that do
not stop any of its processes."""

from __future__ import annotations

import uuid

import pytest

from chaincard.local.chain import Chain


@pytest.fixture(scope="session")
def chain(tmp_path_factory, postgres):
    data_dir = tmp_path_factory.mktemp("chain")
    prefix = f"cce2e_{uuid.uuid4().hex[:8]}"
    # Its own broker (Chain starts one): other tests' events on a shared broker would reach this
    # chain's settlement and HQ, which read their topics from the beginning.
    running = Chain(data_dir, pg_dsn=postgres.admin_dsn, kafka_bootstrap=None, base_port=0, database_prefix=prefix)
    state = running.start()
    yield state
    running.stop()
    for name in state.database_urls:
        postgres.drop_database(f"{prefix}_{name.lower()}")
