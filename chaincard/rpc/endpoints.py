"""Where a region is reached: one gRPC target for all of its replicas, balanced on the client.

A region runs as several replicas over one database (docs/adr/0054). Its callers (store agents,
other regions, HQ) name all of them, as a list of ``host:port`` or as one DNS name whose addresses
are the replicas, and open one channel that spreads calls round robin over the replicas that
answer: a replica that dies drops out of the rotation, and a call it failed with UNAVAILABLE is
retried by the channel's retry policy on another one (safe: every mutating request carries a
request id the region deduplicates on). The rule is written here once for every caller.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

import grpc

from chaincard.rpc.channels import CHANNEL_OPTIONS
from chaincard.rpc.transport import Transport
from chaincard.v1 import directory_pb2

# gRPC service config: spread calls over every address the target resolves to (not just the first).
ROUND_ROBIN: list[dict[str, Any]] = [{"round_robin": {}}]


def parse_endpoints(spec: str) -> list[str]:
    """``"10.0.0.1:47200,10.0.0.2:47200"`` → each entry (blanks dropped); one entry stays as it is."""
    return [entry.strip() for entry in spec.split(",") if entry.strip()]


def region_endpoints(region: directory_pb2.Region) -> list[str]:
    """Every endpoint the directory lists for ``region`` (``endpoints``, else its one ``endpoint``)."""
    return list(region.endpoints) or ([region.endpoint] if region.endpoint else [])


def _host(endpoint: str) -> str:
    host, sep, port = endpoint.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"endpoint {endpoint!r} is not host:port")
    return host.removeprefix("[").removesuffix("]")


def balanced_target(endpoints: Sequence[str]) -> str:
    """The gRPC target naming every replica: one endpoint (``host:port`` or a ``dns:///`` name,
    resolved to all its addresses) as it is; several as a static ``ipv4:``/``ipv6:`` address list,
    which must be IP literals (gRPC resolves no list of host names: give one DNS name for those)."""
    if not endpoints:
        raise ValueError("no endpoint given")
    if len(endpoints) == 1:
        return endpoints[0]
    families = set()
    for endpoint in endpoints:
        try:
            families.add(ipaddress.ip_address(_host(endpoint)).version)
        except ValueError as error:
            raise ValueError(f"several endpoints must be IP addresses with ports (one DNS name resolving to "
                             f"every replica instead): {endpoint!r}") from error
    if len(families) != 1:
        raise ValueError("several endpoints must all be IPv4 or all IPv6")
    return f"ipv{families.pop()}:" + ",".join(endpoints)


def round_robin_options(options: Sequence[tuple[str, Any]], endpoints: Sequence[str]) -> list[tuple[str, Any]]:
    """``options`` with round robin added to their service config (the retry policy stays), and the
    authority of the first endpoint, so TLS checks a host name rather than the address list."""
    balanced: list[tuple[str, Any]] = []
    config: dict[str, Any] = {}
    for key, value in options:
        if key == "grpc.service_config":
            config = json.loads(value)
        else:
            balanced.append((key, value))
    config["loadBalancingConfig"] = ROUND_ROBIN
    balanced.append(("grpc.service_config", json.dumps(config)))
    if len(endpoints) > 1:
        balanced.append(("grpc.default_authority", endpoints[0]))
    return balanced


def balanced_channel(endpoints: Sequence[str], transport: Transport, *, expected_server: str | None = None,
                     options: Sequence[tuple[str, Any]] = CHANNEL_OPTIONS) -> grpc.Channel:
    """One channel over every replica in ``endpoints``, calls spread round robin, retries as
    ``options`` say (default: the chain's, chaincard.rpc.channels)."""
    return transport.channel(balanced_target(endpoints), expected_server=expected_server,
                             options=round_robin_options(options, endpoints))
