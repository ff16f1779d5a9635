"""gRPC servicer of HQ's ImportService (docs/adr/0040-import.md), and HQ's channels to the regions'
RegionImportService. Translation only: hq_service.handlers.imports does the work."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.errors import Unavailable
from chaincard.rpc.channels import open_channel
from chaincard.rpc.transport import Transport
from chaincard.v1 import imports_pb2, imports_pb2_grpc
from hq_service.handlers import imports
from hq_service.models import Region


class RegionImports:
    """One RegionImportService channel per region, opened on first use from HQ's region directory."""

    def __init__(self, session_factory: sessionmaker[Session], transport: Transport) -> None:
        self.session_factory = session_factory
        self.transport = transport
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def __call__(self, region_code: str) -> imports_pb2_grpc.RegionImportServiceStub:
        with self._lock:
            if region_code not in self._channels:
                with self.session_factory() as session:
                    region = session.get(Region, region_code)
                if region is None or not region.endpoint:
                    raise Unavailable(f"region {region_code} has no endpoint in HQ's directory")
                self._channels[region_code] = open_channel(region.endpoint, self.transport,
                                                           expected_server=f"region:{region_code}")
            return imports_pb2_grpc.RegionImportServiceStub(self._channels[region_code])

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()


class ImportServicer(imports_pb2_grpc.ImportServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], regions: RegionImports, phone_key: str) -> None:
        self.session_factory = session_factory
        self.regions = regions
        self.phone_key = phone_key

    def ImportRows(self, request_iterator: Iterator[imports_pb2.ImportRowsRequest],  # noqa: N802 - gRPC method name
                   context: grpc.ServicerContext) -> imports_pb2.ImportRowsResponse:
        return imports.import_rows(self.session_factory, self.regions, self.phone_key, request_iterator)
