"""The region's StoreSyncService for the store agents of its region (and for other regions that
forward advices on cards homed here): translation to handler calls only."""

from __future__ import annotations

from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import FORWARDED_HEADER, Forwarder
from region_service.handlers import advices, store_sync


def _forwarded_by(context) -> str:  # type: ignore[no-untyped-def]
    """The region that forwarded this call, or "" for a call straight from a store agent."""
    return next((value for key, value in context.invocation_metadata() if key == FORWARDED_HEADER), "")


class StoreSyncServicer(store_sync_pb2_grpc.StoreSyncServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

    def PullConfigSnapshot(self, request, context):  # noqa: N802 - gRPC method names
        return store_sync.pull_config_snapshot(self.ctx, request)

    def RefreshCardCache(self, request, context):  # noqa: N802
        return store_sync.refresh_card_cache(self.ctx, self.forwarder, request, context, forwarded=bool(_forwarded_by(context)))

    def UploadOfflineAdvices(self, request, context):  # noqa: N802
        return advices.upload_offline_advices(self.ctx, self.forwarder, request, context, forwarded_by=_forwarded_by(context))


def store_sync_registration(ctx: RegionContext, forwarder: Forwarder):  # type: ignore[no-untyped-def]
    """This servicer's entry in region_service.bootstrap's build_server list."""
    return (
        store_sync_pb2_grpc.add_StoreSyncServiceServicer_to_server, StoreSyncServicer(ctx, forwarder),
        store_sync_pb2.DESCRIPTOR.services_by_name["StoreSyncService"].full_name,
    )
