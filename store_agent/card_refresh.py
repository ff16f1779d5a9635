"""The card cache's refresh from the region (RefreshCardCache): the cards due for one, on a timer,
and any cards the balance push asks for. One place, for the agent's job and for the deterministic
simulation (docs/adr/0048), which runs it as one of its scheduled steps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import grpc

from chaincard.db.base import utc_now
from chaincard.rpc.channels import call
from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from store_agent.card_cache import CardCache
from store_agent.region_link import UNREACHABLE, LinkMonitor


class CardRefresher:
    def __init__(self, store_id: str, sync: store_sync_pb2_grpc.StoreSyncServiceStub, monitor: LinkMonitor,
                 cache: CardCache, *, deadline: float, age_seconds: float) -> None:
        self.store_id, self.sync, self.monitor, self.cache = store_id, sync, monitor, cache
        # A refresh of many cards gets twice a single call's time.
        self.deadline = deadline * 2
        # A cached card described longer ago than this is due.
        self.age_seconds = age_seconds

    def refresh(self, numbers: Sequence[str]) -> None:
        """Ask the region for these cards now; an unreachable region is told to the link monitor."""
        sent_at = utc_now()
        try:
            answer = call(self.sync.RefreshCardCache,
                          store_sync_pb2.RefreshCardCacheRequest(store_id=self.store_id, card_numbers=numbers),
                          deadline=self.deadline)
        except grpc.RpcError as error:
            if error.code() in UNREACHABLE:
                self.monitor.failure(error.code().name)
            return
        self.cache.apply_refresh(answer, sent_at)

    def refresh_due(self) -> None:
        """The periodic job: the cards due for a refresh, or (none due) forget the cards not seen lately."""
        if not self.monitor.online:
            return
        numbers = self.cache.due_for_refresh(older_than=timedelta(seconds=self.age_seconds))
        if not numbers:
            self.cache.forget_unseen()
            return
        self.refresh(numbers)
