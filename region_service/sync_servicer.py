"""The region's StoreSyncService for the store agents of its region (and for other regions that
forward advices on cards homed here): translation to handler calls only."""

from __future__ import annotations

import grpc

from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import CallOrigin, Forwarder
from region_service.handlers import advices, store_sync


class StoreSyncServicer(store_sync_pb2_grpc.StoreSyncServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

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
