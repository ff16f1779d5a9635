"""The region's StoreSyncService for the store agents of its region (and for other regions that
forward advices on cards homed here): translation to handler calls only."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc

from chaincard.errors import ResourceExhausted
from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import CallOrigin, Forwarder
from region_service.handlers import advices, store_connections, store_sync

# Each open SubscribeCardBalances holds one of the server's threads: at most this many at once, so
# other calls always find a thread (region_service.bootstrap sizes the pool above it).
MAX_BALANCE_SUBSCRIPTIONS = 32


class StoreSyncServicer(store_sync_pb2_grpc.StoreSyncServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder
        self.subscriptions = threading.BoundedSemaphore(MAX_BALANCE_SUBSCRIPTIONS)

    def PullConfigSnapshot(  # noqa: N802 - gRPC method names
        self, request: store_sync_pb2.PullConfigSnapshotRequest, context: grpc.ServicerContext,
    ) -> store_sync_pb2.PullConfigSnapshotResponse:
        return store_sync.pull_config_snapshot(self.ctx, request)

    def RefreshCardCache(  # noqa: N802
        self, request: store_sync_pb2.RefreshCardCacheRequest, context: grpc.ServicerContext,
    ) -> store_sync_pb2.RefreshCardCacheResponse:
        return store_sync.refresh_card_cache(self.ctx, self.forwarder, request, CallOrigin.of(context))

    def UploadOfflineAdvices(  # noqa: N802
        self, request: store_sync_pb2.UploadOfflineAdvicesRequest, context: grpc.ServicerContext,
    ) -> store_sync_pb2.UploadOfflineAdvicesResponse:
        return advices.upload_offline_advices(self.ctx, self.forwarder, request, CallOrigin.of(context))

    def SubscribeCardBalances(  # noqa: N802
        self, request: store_sync_pb2.SubscribeCardBalancesRequest, context: grpc.ServicerContext,
    ) -> Iterator[store_sync_pb2.SubscribeCardBalancesResponse]:
        if not self.subscriptions.acquire(blocking=False):
            raise ResourceExhausted(f"{MAX_BALANCE_SUBSCRIPTIONS} stores are subscribed already; try again later")
        try:
            yield from store_sync.subscribe_card_balances(self.ctx, request, context.is_active, self.forwarder, CallOrigin.of(context))
        finally:
            self.subscriptions.release()


class StoreConnectionServicer(store_sync_pb2_grpc.StoreConnectionServiceServicer):
    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx

    def ListStoreConnections(  # noqa: N802
        self, request: store_sync_pb2.ListStoreConnectionsRequest, context: grpc.ServicerContext,
    ) -> store_sync_pb2.ListStoreConnectionsResponse:
        return store_connections.list_store_connections(self.ctx, request)
