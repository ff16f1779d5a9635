"""One whole chain (real processes, mutual TLS, operator tokens) shared by the e2e tests that do
not stop any of its processes. Its processes migrate its databases from empty: the chain that covers
the migrations as the services run them (the other chains start on migrated copies)."""

from __future__ import annotations

import pytest

from chaincard.local import demo_data
from chaincard.local.mailbox import LocalMailbox
from tests.support.chains import running_chain
from tests.support.otlp import otlp_receiver


@pytest.fixture(scope="session")
def otlp():
    """Where the shared chain's processes export their spans (tests/e2e/test_observability.py)."""
    with otlp_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def mailbox():
    """The SMTP server the shared chain's HQ sends e-mail to, as `chaincard demo`'s does
    (tests/e2e/test_demo_campaign.py)."""
    with LocalMailbox() as box:
        yield box


@pytest.fixture(scope="session")
def chain(tmp_path_factory, postgres, otlp, database_drops, mailbox):
    # Its own broker (Chain starts one): other tests' events on a shared broker would reach this
    # chain's settlement and HQ, which read their topics from the beginning.
    # With the demo's level rule, as `chaincard demo` runs: the e2e tests' recharges stay below it.
    # Traced as a deployment with a collector is: every process exports its spans to ``otlp``.
    with running_chain(postgres, tmp_path_factory.mktemp("chain"), "cce2e", kafka_bootstrap=None,
                       drop=database_drops.drop, level_rules=demo_data.LEVEL_RULES, trace_endpoint=otlp.endpoint,
                       hq_env=mailbox.hq_env()) as (_, state):
        yield state
