"""CardService methods for the card lifecycle and PIN (C3, C4), mixed into the region's CardServicer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from chaincard.v1 import cards_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import Forwarder
from region_service.handlers import lifecycle


class CardLifecycleMethods:
    """Lifecycle and PIN RPCs; each calls one handler in region_service/handlers/lifecycle.py, here
    for a card homed in this region, else in the card's home region (same request, same request_id)."""

    ctx: RegionContext
    forwarder: Forwarder

    def _route(
        self, method: str, handler: Callable[[RegionContext, Any], Any], request: Any, context: grpc.ServicerContext
    ) -> Any:
        return self.forwarder.handle_or_forward(cards_pb2_grpc.CardServiceStub, method, handler, request, context)

    def ActivateCard(self, request, context):  # noqa: N802 - gRPC method names
        return self._route("ActivateCard", lifecycle.activate_card, request, context)

    def ReportCardLost(self, request, context):  # noqa: N802
        return self._route("ReportCardLost", lifecycle.report_card_lost, request, context)

    def CancelCardLoss(self, request, context):  # noqa: N802
        return self._route("CancelCardLoss", lifecycle.cancel_card_loss, request, context)

    def FreezeCard(self, request, context):  # noqa: N802
        return self._route("FreezeCard", lifecycle.freeze_card, request, context)

    def UnfreezeCard(self, request, context):  # noqa: N802
        return self._route("UnfreezeCard", lifecycle.unfreeze_card, request, context)

    def ReplaceCard(self, request, context):  # noqa: N802
        return self._route("ReplaceCard", lifecycle.replace_card, request, context)

    def ReissueCard(self, request, context):  # noqa: N802
        return self._route("ReissueCard", lifecycle.reissue_card, request, context)

    def CloseCard(self, request, context):  # noqa: N802
        return self._route("CloseCard", lifecycle.close_card, request, context)

    def SetPin(self, request, context):  # noqa: N802
        return self._route("SetPin", lifecycle.set_pin, request, context)

    def ChangePin(self, request, context):  # noqa: N802
        return self._route("ChangePin", lifecycle.change_pin, request, context)

    def ResetPin(self, request, context):  # noqa: N802
        return self._route("ResetPin", lifecycle.reset_pin, request, context)
