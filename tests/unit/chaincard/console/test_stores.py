"""How the console reads a region's StoreConnection (issue 19): online, offline, never seen, unknown."""

from __future__ import annotations

from chaincard.console.stores import NEVER_SEEN, OFFLINE, ONLINE, UNKNOWN, StoreState, StoreStates
from chaincard.v1 import directory_pb2, store_sync_pb2

STORE = directory_pb2.Store(store_id="S-E-001", region_code="E", franchisee_id="F-HQ")


def _seen(**fields) -> store_sync_pb2.StoreConnection:  # type: ignore[no-untyped-def]
    connection = store_sync_pb2.StoreConnection(store_id="S-E-001", **fields)
    connection.last_contact_at.GetCurrentTime()
    return connection


def test_each_state_and_what_counts_as_offline() -> None:
    online = StoreState(STORE, _seen(online=True, queue_reported=True, offline_queue_depth=4))
    silent = StoreState(STORE, _seen(online=False, queue_reported=True, offline_queue_depth=2))
    never = StoreState(STORE, store_sync_pb2.StoreConnection(store_id="S-E-001"))
    unanswered = StoreState(STORE, None)
    old_agent = StoreState(STORE, _seen(online=True))
    assert [s.state for s in (online, silent, never, unanswered)] == [ONLINE, OFFLINE, NEVER_SEEN, UNKNOWN]
    assert [s.offline for s in (online, silent, never, unanswered)] == [False, True, True, False]
    assert (online.queue_depth, never.queue_depth, unanswered.queue_depth, old_agent.queue_depth) == (4, None, None, None)
    states = StoreStates([online, silent, never, unanswered, old_agent], ["W"])
    assert (states.offline_count, states.queued) == (2, 6)
