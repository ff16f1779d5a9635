"""Faults injected for real into a running chain, and what must survive them (issue 4):
nothing lost, nothing applied twice, per-card order kept, HQ's read models equal to the ledgers.

The relay runs inside each region process, so "kill the relay" is SIGKILL of region E, restarted
with the very same command; the broker is the local tansu, frozen with SIGSTOP or restarted empty.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from chaincard.local.faults import freeze, kill_process, restart_broker_empty, start_process, thaw
from tests.support.reliability import (
    CheckoutLoad,
    assert_exactly_once_and_in_order,
    hq_applied,
    open_cards,
    wait_for_hq,
    wait_outbox_drained,
)

pytestmark = pytest.mark.e2e

RECHARGE_FEN = 200_000


def test_relay_killed_mid_batch_then_restarted(chain):
    state = chain.state
    cards = open_cards(state, per_region=10, recharge_fen=RECHARGE_FEN)
    load = CheckoutLoad(state, cards, total=1_000, rate=100).start()
    load.wait_until(300)
    # Freeze the broker so region E's relay (a process of its own) is caught between sending a
    # batch and its acks, SIGKILL it there and the region with it, let the broker go on, and start
    # both again.
    freeze(chain.broker.process)
    time.sleep(1.0)
    try:
        killed = {name: kill_process(chain, name) for name in ("relay-E", "region-E")}
    finally:
        thaw(chain.broker.process)
    for name, (command, environment) in killed.items():
        start_process(chain, name, command, environment)
    load.wait_done()
    assert load.retries > 0  # checkouts did meet the dead region, and were retried with their request ids
    assert_exactly_once_and_in_order(state, cards, expected_spends=1_000)


def test_broker_frozen_during_load(chain):
    state = chain.state
    cards = open_cards(state, per_region=10, recharge_fen=RECHARGE_FEN)
    load = CheckoutLoad(state, cards, total=800, rate=50).start()
    load.wait_until(100)
    freeze(chain.broker.process)
    time.sleep(3)  # HQ applies what it had already fetched
    frozen_at = hq_applied(state)
    time.sleep(12)
    assert hq_applied(state) == frozen_at  # nothing reaches HQ while the broker is away…
    thaw(chain.broker.process)
    load.wait_done()
    assert_exactly_once_and_in_order(state, cards, expected_spends=800)  # …and afterwards everything, once, in order
    status = subprocess.run([sys.executable, "-m", "chaincard.cli", "status", "--data-dir", state.data_dir],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stdout + status.stderr
    [read_models] = [line for line in status.stdout.splitlines() if f"{chain.database_prefix}.hq-read-models" in line]
    assert "lag 0 " in read_models  # HQ caught up, and its offsets are committed


def test_broker_restarted_empty_then_replay(chain):
    state = chain.state
    started = datetime.now(UTC) - timedelta(seconds=1)
    cards = open_cards(state, per_region=5, recharge_fen=RECHARGE_FEN)
    # HQ is frozen while these are published, so they exist only in the broker that is about to lose them.
    freeze(chain.children["hq"])
    try:
        CheckoutLoad(state, cards, total=300, rate=200).start().wait_done()
        wait_outbox_drained(state)
        restart_broker_empty(chain)
    finally:
        thaw(chain.children["hq"])
    CheckoutLoad(state, cards, total=100, rate=100).start().wait_done()
    wait_outbox_drained(state)
    replay = subprocess.run(
        [sys.executable, "-m", "chaincard.cli", "events", "replay", "--since", started.isoformat(), "--data-dir", state.data_dir],
        capture_output=True, text=True, timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "published again" in replay.stdout
    assert_exactly_once_and_in_order(state, cards, expected_spends=400, in_order=False)


def test_broker_restarted_empty_new_events_still_reach_hq(chain):
    """HQ's consumers read everything, the broker restarts empty (its log and committed offsets
    gone), and the events published after it reach HQ's read models with no replay: a member that
    kept its old fetch position would wait for offsets the new log has not reached and skip every
    record below them (docs/reliability.md, finding 7)."""
    state = chain.state
    cards = open_cards(state, per_region=5, recharge_fen=RECHARGE_FEN)
    CheckoutLoad(state, cards, total=300, rate=200).start().wait_done()
    wait_for_hq(state, cards)  # HQ's positions are past every record of the old log
    restart_broker_empty(chain)
    CheckoutLoad(state, cards, total=60, rate=60).start().wait_done()
    wait_outbox_drained(state)
    assert_exactly_once_and_in_order(state, cards, expected_spends=360)


def test_hq_consumer_killed_mid_batch(chain):
    state = chain.state
    cards = open_cards(state, per_region=10, recharge_fen=RECHARGE_FEN)
    wait_for_hq(state, cards)
    before = hq_applied(state)
    # A backlog for HQ: it is frozen while 600 checkouts are published.
    freeze(chain.children["hq"])
    try:
        CheckoutLoad(state, cards, total=600, rate=300).start().wait_done()
        wait_outbox_drained(state)
    finally:
        thaw(chain.children["hq"])
    # Kill HQ as soon as it has committed its first batch of the backlog (before it commits offsets,
    # or in the middle of the next batch), start it again with the same command.
    deadline = time.monotonic() + 60
    while hq_applied(state) == before:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    command, environment = kill_process(chain, "hq")
    assert hq_applied(state) < before + 600  # killed with part of the backlog still to apply
    start_process(chain, "hq", command, environment)
    assert_exactly_once_and_in_order(state, cards, expected_spends=600)
