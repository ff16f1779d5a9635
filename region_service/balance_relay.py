"""Other regions' balance feeds, relayed to a store (docs/adr/0017, addendum): a store's cached cards
homed in another region have their balance changes pushed too. The store's region subscribes to that
region's SubscribeCardBalances for the store (a forwarded call over the region-to-region mTLS
channel, naming only that region's cards) and passes each message on, marked with the region's code.
The store keeps a position per region; the relay resumes from the last position it passed on when
the other region's stream fails, and ends when the store's own stream ends.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import grpc

from chaincard.errors import OutOfRange
from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from region_service.forwarding import Forwarder

log = logging.getLogger(__name__)

# A relayed stream is opened again after this long (every call has a deadline).
RELAY_STREAM_SECONDS = 300.0
# After a failed relayed stream (the other region not answering), the relay tries again after this.
RELAY_RETRY_SECONDS = 2.0

# What a relay hands the store's stream: a message to pass on, or the error that ends the stream.
Relayed = store_sync_pb2.SubscribeCardBalancesResponse | OutOfRange


class RelayedFeed:
    """One other region's feed for one store, read on its own thread into ``out``."""

    def __init__(self, forwarder: Forwarder, store_id: str, subscription: store_sync_pb2.RelayedSubscription,
                 out: queue.Queue[Relayed], wake: threading.Event, still_wanted: Callable[[], bool]) -> None:
        self.forwarder = forwarder
        self.store_id = store_id
        self.region_code = subscription.region_code
        self.position = subscription.after_position
        self.card_numbers = list(subscription.card_numbers)
        self.out, self.wake, self.still_wanted = out, wake, still_wanted
        # Set once the other region's first message arrived (or its first attempt failed): the
        # store's stream starts after it, so a refresh the store sends then misses nothing.
        self.started = threading.Event()
        self._stopped = threading.Event()
        self._call: Any = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"balance-relay-{self.region_code}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            if self._call is not None:
                self._call.cancel()

    def _pass_on(self, item: Relayed) -> None:
        self.out.put(item)
        self.wake.set()

    def _run(self) -> None:
        while not self._stopped.is_set() and self.still_wanted():
            request = store_sync_pb2.SubscribeCardBalancesRequest(
                store_id=self.store_id, after_position=self.position, card_numbers=self.card_numbers)
            try:
                with self._lock:
                    if self._stopped.is_set():
                        return
                    self._call = self.forwarder.open_stream(
                        self.region_code, store_sync_pb2_grpc.StoreSyncServiceStub, "SubscribeCardBalances", request,
                        timeout=RELAY_STREAM_SECONDS)
                for answer in self._call:
                    relayed = store_sync_pb2.SubscribeCardBalancesResponse()
                    relayed.CopyFrom(answer)
                    relayed.region_code = self.region_code
                    self._pass_on(relayed)
                    self.position = answer.position
                    self.started.set()
            except grpc.RpcError as error:
                if self._stopped.is_set():
                    return
                if error.code() == grpc.StatusCode.OUT_OF_RANGE:
                    self._pass_on(OutOfRange(f"region {self.region_code}: {error.details()}"))
                    return
                if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:  # the planned end: open it again at once
                    log.info("relayed balance subscription ended; retrying",
                             extra={"fields": {"region": self.region_code, "status": error.code().name}})
                    self.started.set()  # do not hold the store's stream back for a region that does not answer
                    self._stopped.wait(RELAY_RETRY_SECONDS)
            except Exception:  # noqa: BLE001 - e.g. the region's endpoint not known yet: try again later
                log.warning("relayed balance subscription failed; retrying", exc_info=True,
                            extra={"fields": {"region": self.region_code}})
                self.started.set()
                self._stopped.wait(RELAY_RETRY_SECONDS)
            finally:
                with self._lock:
                    self._call = None
