"""One whole chain (real processes, mutual TLS, operator tokens) shared by the e2e tests that do
not stop any of its processes."""

from __future__ import annotations

import pytest

from tests.support.chains import running_chain


@pytest.fixture(scope="session")
def chain(tmp_path_factory, postgres):
    # Its own broker (Chain starts one): other tests' events on a shared broker would reach this
    # chain's settlement and HQ, which read their topics from the beginning.
    with running_chain(postgres, tmp_path_factory.mktemp("chain"), "cce2e", kafka_bootstrap=None) as (_, state):
        yield state
