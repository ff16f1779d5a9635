"""HQ's channels to the regions: one per region, opened on first use from HQ's region directory and
shared by everything at HQ that calls a region (bulk coupon issues, company orders, imports, phone
claims, notice contacts). A gRPC channel reconnects by itself, so one is kept per region for the
process's life."""

from __future__ import annotations

import threading

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.rpc.endpoints import balanced_channel, parse_endpoints
from chaincard.rpc.transport import Transport
from hq_service.models import Region


class RegionChannels:
    def __init__(self, session_factory: sessionmaker[Session], transport: Transport) -> None:
        self.session_factory = session_factory
        self.transport = transport
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def channel(self, region_code: str) -> grpc.Channel | None:
        """The region's channel; None while HQ's directory lists no endpoint for it (each caller
        says what that means for its call: wait, retry later, give up)."""
        with self._lock:
            if region_code not in self._channels:
                with self.session_factory() as session:
                    region = session.get(Region, region_code)
                endpoints = parse_endpoints(region.endpoint) if region is not None else []
                if not endpoints:
                    return None
                # Every replica the directory lists, balanced round robin (docs/adr/0054).
                self._channels[region_code] = balanced_channel(endpoints, self.transport,
                                                               expected_server=f"region:{region_code}")
            return self._channels[region_code]

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()


def no_endpoint(region_code: str) -> str:
    return f"region {region_code} has no endpoint in HQ's directory"
