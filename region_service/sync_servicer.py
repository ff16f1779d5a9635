"""The region's StoreSyncService for the store agents of its region (and for other regions that
forward advices on cards homed here): translation to handler calls only."""

from __future__ import annotations

from chaincard.v1 import store_sync_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import CallOrigin, Forwarder
from region_service.handlers import advices, store_sync


class StoreSyncServicer(store_sync_pb2_grpc.StoreSyncServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

    def PullConfigSnapshot(self, request, context):  # noqa: N802 - gRPC method names
        return store_sync.pull_config_snapshot(self.ctx, request)

    def RefreshCardCache(self, request, context):  # noqa: N802
        return store_sync.refresh_card_cache(self.ctx, self.forwarder, request, CallOrigin.of(context))

    def UploadOfflineAdvices(self, request, context):  # noqa: N802
        return advices.upload_offline_advices(self.ctx, self.forwarder, request, CallOrigin.of(context))
