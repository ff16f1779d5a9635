"""Cards homed in another region (X3): the call goes to the home region with the same request.

Only the home region authorises a card, so two regions never both spend it. The forwarded call
carries a marker so a region never forwards a forwarded call again (no loops between regions).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc

from chaincard.errors import RemoteStatus
from chaincard.rpc.channels import call, open_channel
from region_service.context import RegionContext

FORWARDED_HEADER = "x-chaincard-forwarded-by"


class Forwarder:
    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def home_region_of(self, card_number: str) -> str:
        return self.ctx.home_region_of(card_number)

    def _channel(self, region_code: str) -> grpc.Channel:
        with self._lock:
            if region_code not in self._channels:
                self._channels[region_code] = open_channel(
                    self.ctx.program.region(region_code).endpoint, self.ctx.transport, expected_server=f"region:{region_code}"
                )
            return self._channels[region_code]

    def forward(
        self, region_code: str, stub_class: type, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        """Call ``method`` on the home region and hand its answer, or its exact status, back."""
        stub = stub_class(self._channel(region_code))
        try:
            return call(
                getattr(stub, method), request, deadline=self.ctx.settings.rpc_deadline_seconds,
                metadata=((FORWARDED_HEADER, self.ctx.region_code), *_operator_token(context)),
            )
        except grpc.RpcError as error:
            raise RemoteStatus(error.code().name, error.details() or f"region {region_code} refused the call") from error

    def handle_or_forward(
        self,
        stub_class: type,
        method: str,
        handler: Callable[[RegionContext, Any], Any],
        request: Any,
        context: grpc.ServicerContext,
    ) -> Any:
        """Handle the call here for a local card; forward it to the card's home region otherwise."""
        home = self.home_region_of(request.card_number)
        if home != self.ctx.region_code and not was_forwarded(context):
            return self.forward(home, stub_class, method, request, context)
        return handler(self.ctx, request)

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()


def _operator_token(context: grpc.ServicerContext) -> list[tuple[str, str]]:
    """The caller's operator token, passed on so the home region authorises and audits the very
    operator (not merely this region) — tokens are checked locally everywhere, so this is safe."""
    return [(key, value) for key, value in context.invocation_metadata() if key == "authorization"]


def was_forwarded(context: grpc.ServicerContext) -> bool:
    return any(key == FORWARDED_HEADER for key, _ in context.invocation_metadata())


def routed(stub_class: type, method: str, handler: Callable[[RegionContext, Any], Any]) -> Callable[..., Any]:
    """A servicer method (on a class with a ``forwarder``) that serves ``method`` with ``handler``
    for this region's cards and forwards it to the home region for everyone else's."""

    def servicer_method(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        return self.forwarder.handle_or_forward(stub_class, method, handler, request, context)

    servicer_method.__name__ = method
    return servicer_method
