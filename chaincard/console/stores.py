"""Stores online/offline with their offline queues (issue 19, docs/adr/0059): each region's
``StoreConnectionService.ListStoreConnections`` for the stores the operator may see.

The console asks every region that holds one of the operator's stores (HQ's ListStores, already cut
to the scope); each region answers for its own stores only, and cuts the answer to the token's
scope again. A region that does not answer leaves its stores' state unknown, not offline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chaincard.console.backend import ConsoleError, OperatorClient, Refused
from chaincard.v1 import directory_pb2, store_sync_pb2

ONLINE, OFFLINE, NEVER_SEEN, UNKNOWN = "online", "offline", "never_seen", "unknown"


@dataclass(frozen=True)
class StoreState:
    store: directory_pb2.Store
    # None: the region did not answer, or did not list the store.
    connection: store_sync_pb2.StoreConnection | None

    @property
    def state(self) -> str:
        if self.connection is None:
            return UNKNOWN
        if self.connection.online:
            return ONLINE
        return OFFLINE if self.connection.HasField("last_contact_at") else NEVER_SEEN

    @property
    def offline(self) -> bool:
        """Counted as offline: silent too long, or never heard from."""
        return self.state in (OFFLINE, NEVER_SEEN)

    @property
    def queue_depth(self) -> int | None:
        """The queue its agent last reported; None when unknown."""
        if self.connection is None or not self.connection.queue_reported:
            return None
        return self.connection.offline_queue_depth


@dataclass(frozen=True)
class StoreStates:
    stores: list[StoreState]
    # Regions that did not answer (their stores are UNKNOWN).
    unanswered: list[str]
    # The longest silence a region still counts as online (their setting; the largest if they differ).
    offline_after_seconds: int = 0

    @property
    def offline_count(self) -> int:
        return sum(1 for state in self.stores if state.offline)

    @property
    def queued(self) -> int:
        return sum(state.queue_depth or 0 for state in self.stores)


def store_states(client: OperatorClient, stores: Iterable[directory_pb2.Store]) -> StoreStates | None:
    """The stores' states, asking each of their regions once; None when the operator's role may not
    see store connections (every region refused)."""
    stores = sorted(stores, key=lambda store: store.store_id)
    regions = sorted({store.region_code for store in stores if store.region_code})
    found: dict[str, store_sync_pb2.StoreConnection] = {}
    unanswered: list[str] = []
    refused = 0
    offline_after = 0
    for region_code in regions:
        try:
            answer = client.call(client.store_connections(region_code).ListStoreConnections,
                                 store_sync_pb2.ListStoreConnectionsRequest())
        except Refused:
            refused += 1
            continue
        except ConsoleError:
            unanswered.append(region_code)
            continue
        found.update((connection.store_id, connection) for connection in answer.stores)
        offline_after = max(offline_after, answer.offline_after_seconds)
    if regions and refused == len(regions):
        return None
    return StoreStates([StoreState(store, found.get(store.store_id)) for store in stores], unanswered, offline_after)
