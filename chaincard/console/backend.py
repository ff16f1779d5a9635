"""The console's only way to the chain: gRPC over mutual TLS, as the logged-in operator.

The console has no database and no rights of its own: every page is one or more calls to HQ,
a region or settlement carrying the operator's token, and whatever the services refuse the page
refuses (:class:`Refused`, :class:`LoginRequired`). The ``client:ops`` certificate only lets the
console connect; what it may see is the token's.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
from cryptography.hazmat.primitives import serialization

from chaincard.rpc.channels import DEFAULT_DEADLINE_SECONDS, open_channel
from chaincard.rpc.transport import PLAINTEXT, Transport
from chaincard.security.client import issue_token
from chaincard.security.tokens import SigningKey
from chaincard.v1 import (
    audit_pb2_grpc,
    cards_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    event_pipeline_pb2_grpc,
    member_view_pb2_grpc,
    operators_pb2,
    program_config_pb2_grpc,
    reports_pb2_grpc,
    segments_pb2_grpc,
    settlement_pb2_grpc,
    store_sync_pb2_grpc,
    transactions_pb2_grpc,
)

T = TypeVar("T")
EXPORT_DEADLINE_SECONDS = 60.0
# Region addresses change rarely; HQ's directory is asked again after this long.
REGION_DIRECTORY_SECONDS = 60.0


class ConsoleError(Exception):
    """A call the console could not complete; ``status`` the gRPC status, ``detail`` its text."""

    def __init__(self, status: grpc.StatusCode, detail: str) -> None:
        super().__init__(f"{status.name}: {detail}")
        self.status = status
        self.detail = detail


class Refused(ConsoleError):
    """PERMISSION_DENIED: the operator's role or scope does not allow it (a 403 page)."""


class LoginRequired(ConsoleError):
    """UNAUTHENTICATED: no token, or an expired or revoked one (back to the log-in page)."""


def translate_error(error: grpc.RpcError) -> ConsoleError:
    code = error.code()
    detail = error.details() or ""
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return Refused(code, detail)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return LoginRequired(code, detail)
    return ConsoleError(code, detail)


@dataclass(frozen=True)
class ConsoleTargets:
    """Where the console finds the chain, and how it proves it is a chain client."""

    hq_endpoint: str
    settlement_endpoint: str
    transport: Transport = PLAINTEXT
    # Region code → endpoint, when given by hand (else HQ's directory says, ``Region.endpoint``).
    region_endpoints: dict[str, str] = field(default_factory=dict)
    # Raw Ed25519 public keys of the settlement service that the console trusts to sign manifests
    # (``--settlement-public-key``): a key sent beside a signature proves nothing about who signed.
    settlement_public_keys: tuple[bytes, ...] = ()
    # A local chain's settlement key directory (``chaincard up``: this machine's own chain), whose
    # key is trusted too. Read on each check: the service makes its key at its first run.
    local_settlement_key_dir: str = ""

    def trusted_settlement_keys(self) -> tuple[bytes, ...]:
        """The pinned keys, and a local chain's current settlement key if it has one."""
        if not self.local_settlement_key_dir:
            return self.settlement_public_keys
        try:
            key = SigningKey.from_pem((Path(self.local_settlement_key_dir) / "current.pem").read_bytes())
        except (OSError, ValueError):
            return self.settlement_public_keys
        return (*self.settlement_public_keys,
                key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    @property
    def secure(self) -> bool:
        return self.transport.secure


class Backend:
    """Opens the operator's channels; remembers the regions' addresses from HQ's directory."""

    def __init__(self, targets: ConsoleTargets) -> None:
        self.targets = targets
        self._regions: dict[str, str] = dict(targets.region_endpoints)
        self._regions_read_at = 0.0
        self._lock = threading.Lock()

    def log_in(self, login_name: str, password: str) -> operators_pb2.IssueTokenResponse:
        """HQ's IssueToken (UNAUTHENTICATED on a bad password, as :class:`LoginRequired`)."""
        with open_channel(self.targets.hq_endpoint, self.targets.transport.with_token(None),
                          expected_server=self._expected("hq")) as channel:
            try:
                return issue_token(channel, login_name, password)
            except grpc.RpcError as error:
                raise translate_error(error) from None

    @contextmanager
    def client(self, token: str) -> Iterator[OperatorClient]:
        """The operator's calls for one page; channels opened on first use, closed at the end."""
        operator = OperatorClient(self, token)
        try:
            yield operator
        finally:
            operator.close()

    def _expected(self, certificate_name: str) -> str | None:
        return certificate_name if self.targets.secure else None

    def region_endpoint(self, client: OperatorClient, region_code: str) -> str:
        with self._lock:
            fresh = time.monotonic() - self._regions_read_at < REGION_DIRECTORY_SECONDS
            if region_code in self._regions and (fresh or region_code in self.targets.region_endpoints):
                return self._regions[region_code]
        regions = client.call(directory_pb2_grpc.DirectoryServiceStub(client.hq).ListRegions,
                              directory_pb2.ListRegionsRequest()).regions
        with self._lock:
            for region in regions:
                if region.code not in self.targets.region_endpoints and region.endpoint:
                    self._regions[region.code] = region.endpoint
            self._regions_read_at = time.monotonic()
            if region_code not in self._regions:
                raise ConsoleError(grpc.StatusCode.NOT_FOUND, f"region {region_code!r} has no address in HQ's directory")
            return self._regions[region_code]


class OperatorClient:
    """One page's worth of calls as one operator. Stubs are attributes named after their service."""

    def __init__(self, backend: Backend, token: str) -> None:
        self._backend = backend
        self._transport = backend.targets.transport.with_token(token)
        self._channels: dict[str, grpc.Channel] = {}

    def _channel(self, key: str, endpoint: str, expected: str) -> grpc.Channel:
        if key not in self._channels:
            self._channels[key] = open_channel(endpoint, self._transport, expected_server=self._backend._expected(expected))
        return self._channels[key]

    @property
    def hq(self) -> grpc.Channel:
        return self._channel("hq", self._backend.targets.hq_endpoint, "hq")

    @property
    def settlement(self) -> grpc.Channel:
        return self._channel("settlement", self._backend.targets.settlement_endpoint, "settlement")

    def region(self, region_code: str) -> grpc.Channel:
        endpoint = self._backend.region_endpoint(self, region_code)
        return self._channel(f"region:{region_code}", endpoint, f"region:{region_code}")

    # ---- stubs ----
    @property
    def reports(self) -> reports_pb2_grpc.ReportServiceStub:
        return reports_pb2_grpc.ReportServiceStub(self.hq)

    @property
    def directory(self) -> directory_pb2_grpc.DirectoryServiceStub:
        return directory_pb2_grpc.DirectoryServiceStub(self.hq)

    @property
    def member_views(self) -> member_view_pb2_grpc.MemberViewServiceStub:
        return member_view_pb2_grpc.MemberViewServiceStub(self.hq)

    @property
    def audit(self) -> audit_pb2_grpc.AuditServiceStub:
        return audit_pb2_grpc.AuditServiceStub(self.hq)

    @property
    def program(self) -> program_config_pb2_grpc.ProgramConfigServiceStub:
        return program_config_pb2_grpc.ProgramConfigServiceStub(self.hq)

    @property
    def segments(self) -> segments_pb2_grpc.SegmentServiceStub:
        return segments_pb2_grpc.SegmentServiceStub(self.hq)

    @property
    def event_pipeline(self) -> event_pipeline_pb2_grpc.EventPipelineServiceStub:
        return event_pipeline_pb2_grpc.EventPipelineServiceStub(self.hq)

    @property
    def statements(self) -> settlement_pb2_grpc.SettlementServiceStub:
        return settlement_pb2_grpc.SettlementServiceStub(self.settlement)

    def cards(self, region_code: str) -> cards_pb2_grpc.CardServiceStub:
        return cards_pb2_grpc.CardServiceStub(self.region(region_code))

    def transactions(self, region_code: str) -> transactions_pb2_grpc.TransactionServiceStub:
        return transactions_pb2_grpc.TransactionServiceStub(self.region(region_code))

    def store_connections(self, region_code: str) -> store_sync_pb2_grpc.StoreConnectionServiceStub:
        return store_sync_pb2_grpc.StoreConnectionServiceStub(self.region(region_code))

    # ---- calling ----
    def call(self, method: Callable[..., T], request: Any, *, deadline: float = DEFAULT_DEADLINE_SECONDS) -> T:
        """A unary call with a deadline; gRPC failures become :class:`ConsoleError`."""
        try:
            return method(request, timeout=deadline)
        except grpc.RpcError as error:
            raise translate_error(error) from None

    def stream(self, method: Callable[..., Iterator[T]], request: Any, *,
               deadline: float = DEFAULT_DEADLINE_SECONDS) -> list[T]:
        """A server stream read to its end (the reports' rows are few: grouped and by period)."""
        try:
            return list(method(request, timeout=deadline))
        except grpc.RpcError as error:
            raise translate_error(error) from None

    def export(self, method: Callable[..., Iterator[Any]], request: Any) -> ExportedFile:
        """A streamed export (chunks of an ExportChunk), its SHA-256 checked against the last chunk's."""
        data, name, content_type, claimed = bytearray(), "", "", ""
        try:
            for response in method(request, timeout=EXPORT_DEADLINE_SECONDS):
                chunk = response.chunk
                name = chunk.file_name or name
                content_type = chunk.content_type or content_type
                data += chunk.data
                claimed = chunk.sha256_hex or claimed
        except grpc.RpcError as error:
            raise translate_error(error) from None
        return ExportedFile(name, content_type or "application/octet-stream", bytes(data), claimed)

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()


@dataclass(frozen=True)
class ExportedFile:
    file_name: str
    content_type: str
    data: bytes
    claimed_sha256: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def verified(self) -> bool:
        return bool(self.claimed_sha256) and self.sha256 == self.claimed_sha256
