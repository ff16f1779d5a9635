"""The region's push of the cached cards' balances (docs/adr/0017): a SubscribeCardBalances stream
kept open while the region answers, resumed after the last position applied (kept in SQLite with
the balances it brought, in one transaction).

- A card that enters the cache makes the subscription start again naming it, at once, from the
  position applied before the answer that brought the card was sent: every change of the card after
  that answer lies beyond it (the region's feed is in commit order). Changes of the other cards are
  sent again and change nothing (a balance never replaces a newer one).
- Cards known to be homed in other regions are named per region (``other_regions``, with the
  position applied in each region's feed): the store's region relays those regions' feeds, and its
  messages carry the region's code (docs/adr/0017, addendum). Such a card named for the first time
  (or whose home region just became known) is refreshed once the subscription has started.
- After a reconnect (the agent's start, the region back, a failed stream), once the subscription
  has started (the region's first message, sent once the relayed streams started), every recently
  used card is refreshed with RefreshCardCache: changes while the stream was down. A refresh sent
  after the subscription started misses nothing before it.
- A stream that fails is opened again after a back-off; it does not decide that the region is
  unreachable (the link monitor does, from the calls and its health probe). When the monitor says
  the region is back, the stream is opened again at once (it may have been silent all along).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import grpc

from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from chaincard.workers import Backoff, RetryLater, Worker
from store_agent.card_cache import CardCache
from store_agent.region_link import LinkMonitor

log = logging.getLogger(__name__)

# A subscription is closed and opened again after this long (every call has a deadline).
STREAM_SECONDS = 300.0
# "Recently used": the cards refreshed after a reconnect.
RECENTLY_USED = timedelta(hours=24)


class BalanceSubscriber(Worker):
    def __init__(
        self,
        store_id: str,
        stub: store_sync_pb2_grpc.StoreSyncServiceStub,
        monitor: LinkMonitor,
        cache: CardCache,
        refresh: Callable[[Sequence[str]], None],
        *,
        own_region: Callable[[], str] = lambda: "",
        idle_seconds: float = 1.0,
        stream_seconds: float = STREAM_SECONDS,
    ) -> None:
        super().__init__("balance-push", idle_seconds=idle_seconds, backoff=Backoff(idle_seconds, 10.0))
        self.store_id = store_id
        self.stub = stub
        self.monitor = monitor
        self.cache = cache
        self.refresh = refresh
        self.stream_seconds = stream_seconds
        self.own_region = own_region
        # The cards of other regions named in the last subscription that started: one named for the
        # first time is refreshed once its region's relay has started.
        self._relayed_before: set[str] = set()
        self._call: Any = None
        self._call_lock = threading.Lock()
        # True until a subscription has started since the last reconnect.
        self._reconnected = True
        monitor.listeners.append(self.reconnect)

    def reconnect(self) -> None:
        """The region answers again: subscribe anew and refresh the recently used cards."""
        self._reconnected = True
        self._cancel()
        self.wake()

    def stop(self, timeout: float | None = None) -> None:
        with self._call_lock:
            self._stop.set()  # before the cancel: no new stream starts after it
            if self._call is not None:
                self._call.cancel()
        super().stop(timeout)

    def _cancel(self) -> None:
        with self._call_lock:
            if self._call is not None:
                self._call.cancel()

    def step(self) -> bool:
        if not self.monitor.online:
            self._reconnected = True
            return False
        generation = self.cache.generation
        numbers = self.cache.recently_used()
        elsewhere = self.cache.homed_elsewhere(numbers, self.own_region())
        relayed = {number for group in elsewhere.values() for number in group}
        positions = self.cache.relayed_positions()
        request = store_sync_pb2.SubscribeCardBalancesRequest(
            store_id=self.store_id, after_position=self.cache.resume_position(),
            card_numbers=[number for number in numbers if number not in relayed],
            other_regions=[store_sync_pb2.RelayedSubscription(region_code=region, after_position=positions.get(region, 0),
                                                              card_numbers=group)
                           for region, group in sorted(elsewhere.items())],
        )
        with self._call_lock:
            if self.stopping:
                return False
            self._call = self.stub.SubscribeCardBalances(request, timeout=self.stream_seconds)
            stream = self._call
        try:
            started = False
            for answer in stream:
                self.cache.apply_pushed(answer)
                if not started:
                    started = True
                    self._started(generation, relayed)
                if self.cache.generation != generation or self.stopping:
                    stream.cancel()
        except grpc.RpcError as error:
            code = error.code()
            if code in (grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED):
                return True  # ours (a new card, a reconnect) or the planned end: subscribe again now
            if code == grpc.StatusCode.OUT_OF_RANGE:
                log.warning("the region no longer keeps our balance position; starting again from its head",
                            extra={"fields": {"position": request.after_position}})
                self.cache.reset_push_position()
                self.cache.forget_push_history()
                self._reconnected = True
                return True
            self._reconnected = True
            log.info("balance subscription ended; retrying", extra={"fields": {"status": code.name}})
            raise RetryLater from error
        finally:
            with self._call_lock:
                self._call = None
        return True

    def _started(self, generation: int, relayed: set[str]) -> None:
        left_over = self.cache.subscription_started(generation)
        newly_relayed = relayed - self._relayed_before
        self._relayed_before = relayed
        if self._reconnected:
            self._reconnected = False
            fresh = self.cache.recently_used(within=RECENTLY_USED)
        else:
            # Another region's card named for the first time: its relay starts at the position
            # applied in that region's feed, which may lie after the card's last answer here.
            fresh = sorted({*left_over, *newly_relayed})
        if fresh:
            self.refresh(fresh)
