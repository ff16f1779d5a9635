"""gRPC servicer of the region's RegionImportService (HQ's import, docs/adr/0040): translation only."""

from __future__ import annotations

import grpc

from chaincard.v1 import imports_pb2, imports_pb2_grpc
from region_service.context import RegionContext
from region_service.handlers.imports import import_chunk


class RegionImportServicer(imports_pb2_grpc.RegionImportServiceServicer):
    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx

    def ImportChunk(  # noqa: N802 - gRPC method name
        self, request: imports_pb2.ImportChunkRequest, context: grpc.ServicerContext,
    ) -> imports_pb2.ImportChunkResponse:
        return self.ctx.commands.run(import_chunk, request)
