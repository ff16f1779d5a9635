"""Cards homed in another region (X3): the call goes to the home region with the same request.

Only the home region authorises a card, so two regions never both spend it. The forwarded call
carries a marker (chaincard.security.authz.FORWARDED_HEADER, which only a region may send) so a
region never forwards a forwarded call again (no loops between regions).

When the home region does not answer (UNAVAILABLE or DEADLINE_EXCEEDED), the caller is told so
distinctly: UNAVAILABLE with the trailer ``chaincard-unreachable-region`` naming that region
(:class:`chaincard.errors.HomeRegionUnreachable`), so a store agent knows its own region did answer.
The forward gives up a little before the caller does (``FORWARD_SHARE`` of the caller's time left),
so that answer reaches the caller before its own deadline. Every other answer of the home region,
its refusals included, comes back with its status unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from chaincard.errors import HomeRegionUnreachable, RemoteStatus
from chaincard.rpc.channels import call
from chaincard.rpc.endpoints import balanced_channel, region_endpoints
from chaincard.security.authz import FORWARDED_HEADER
from region_service.context import RegionContext

# The caller's operator token, passed on so the home region authorises and audits the very
# operator (not merely this region): tokens are checked locally everywhere, so this is safe.
_PASSED_ON = ("authorization",)
# The share of the caller's time left that a forwarded call may use: the rest is for telling the
# caller that the home region did not answer, before the caller's own deadline.
FORWARD_SHARE = 0.8
# The home region's answers that mean it could not be reached (not a refusal of its own).
_NOT_ANSWERING = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


@dataclass(frozen=True)
class CallOrigin:
    """What the layers below a servicer may know of a gRPC call, taken from its context by the
    servicer (:meth:`of`): no ``grpc.ServicerContext`` goes further down."""

    # The region that forwarded the call; "" when the call entered the chain here.
    forwarded_by: str = ""
    # Metadata to pass on when the call is forwarded (the caller's operator token).
    passed_on: tuple[tuple[str, str], ...] = ()
    # Seconds left before the caller gives up; None when it set no deadline.
    seconds_left: float | None = None

    @property
    def forwarded(self) -> bool:
        return bool(self.forwarded_by)

    @classmethod
    def of(cls, context: grpc.ServicerContext) -> CallOrigin:
        # The keys read here are text keys: gRPC gives bytes only for keys ending in "-bin".
        metadata = tuple((key, value) for key, value in context.invocation_metadata() or () if isinstance(value, str))
        return cls(
            forwarded_by=next((value for key, value in metadata if key == FORWARDED_HEADER), ""),
            passed_on=tuple((key, value) for key, value in metadata if key in _PASSED_ON),
            seconds_left=context.time_remaining(),
        )


class Forwarder:
    """Calls on another region of the chain, over one channel per region (mTLS as this region)."""

    def __init__(self, ctx: RegionContext, *, open_peer: Callable[[str], grpc.Channel] | None = None) -> None:
        self.ctx = ctx
        # How a region's channel is opened: over the network (the directory's endpoint, mTLS), or,
        # in the deterministic simulation (docs/adr/0048), onto its in-memory network.
        self._open_peer = open_peer or self._open_over_network
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def home_region_of(self, card_number: str) -> str:
        return self.ctx.home_region_of(card_number)

    def _channel(self, region_code: str) -> grpc.Channel:
        with self._lock:
            if region_code not in self._channels:
                self._channels[region_code] = self._open_peer(region_code)
            return self._channels[region_code]

    def _open_over_network(self, region_code: str) -> grpc.Channel:
        # Every replica of the region, balanced round robin; one that dies drops out (docs/adr/0054).
        endpoints = region_endpoints(self.ctx.program.region(region_code))
        if not endpoints:
            raise HomeRegionUnreachable(region_code, f"home region {region_code} has no endpoint in the chain directory")
        return balanced_channel(endpoints, self.ctx.transport,
                                expected_server=f"region:{region_code}")

    def forward(
        self, region_code: str, stub_class: type, method: str, request: Any, origin: CallOrigin,
    ) -> Any:
        """Call ``method`` on region ``region_code`` for the call ``origin`` describes and hand its
        answer, or its exact status, back."""
        deadline = self.ctx.settings.rpc_deadline_seconds
        if origin.seconds_left is not None:
            deadline = min(deadline, origin.seconds_left * FORWARD_SHARE)
        stub = stub_class(self._channel(region_code))
        try:
            return call(
                getattr(stub, method), request, deadline=deadline,
                metadata=((FORWARDED_HEADER, self.ctx.region_code), *origin.passed_on),
            )
        except grpc.RpcError as error:
            if error.code() in _NOT_ANSWERING:
                raise HomeRegionUnreachable(region_code, (
                    f"home region {region_code} not answering ({error.code().name}: {error.details() or 'no answer'}); "
                    f"region {self.ctx.region_code} is up: retry later with the same request_id"
                )) from error
            raise RemoteStatus(error.code().name, error.details() or f"region {region_code} refused the call") from error

    def open_stream(self, region_code: str, stub_class: type, method: str, request: Any, *, timeout: float) -> Any:
        """Start the server-streaming ``method`` on region ``region_code`` as a forwarded call; the
        call (an iterator of answers, cancellable) is the caller's to read and cancel."""
        stub = stub_class(self._channel(region_code))
        return getattr(stub, method)(request, timeout=timeout, metadata=((FORWARDED_HEADER, self.ctx.region_code),))

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()
