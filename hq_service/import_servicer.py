"""gRPC servicer of HQ's ImportService (docs/adr/0040-import.md), and HQ's channels to the regions'
RegionImportService. Translation only: hq_service.handlers.imports does the work."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.errors import Unavailable
from chaincard.v1 import imports_pb2, imports_pb2_grpc
from hq_service.handlers import imports
from hq_service.region_channels import RegionChannels, no_endpoint


class RegionImports:
    """RegionImportService stubs over HQ's shared channel to each region."""

    def __init__(self, channels: RegionChannels) -> None:
        self.channels = channels

    def __call__(self, region_code: str) -> imports_pb2_grpc.RegionImportServiceStub:
        channel = self.channels.channel(region_code)
        if channel is None:
            raise Unavailable(no_endpoint(region_code))
        return imports_pb2_grpc.RegionImportServiceStub(channel)



class ImportServicer(imports_pb2_grpc.ImportServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], regions: RegionImports, phone_key: str) -> None:
        self.session_factory = session_factory
        self.regions = regions
        self.phone_key = phone_key

    def ImportRows(self, request_iterator: Iterator[imports_pb2.ImportRowsRequest],  # noqa: N802 - gRPC method name
                   context: grpc.ServicerContext) -> imports_pb2.ImportRowsResponse:
        return imports.import_rows(self.session_factory, self.regions, self.phone_key, request_iterator)
