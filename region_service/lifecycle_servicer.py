"""CardService methods for the card lifecycle and PIN (C3, C4), mixed into the region's CardServicer."""

from __future__ import annotations

from chaincard.v1 import cards_pb2_grpc
from region_service.forwarding import routed
from region_service.handlers import lifecycle


class CardLifecycleMethods:
    """Lifecycle and PIN RPCs; each calls one handler in region_service/handlers/lifecycle.py, here
    for a card homed in this region, else in the card's home region (same request, same request_id)."""

    ActivateCard = routed(cards_pb2_grpc.CardServiceStub, "ActivateCard", lifecycle.activate_card)
    ReportCardLost = routed(cards_pb2_grpc.CardServiceStub, "ReportCardLost", lifecycle.report_card_lost)
    CancelCardLoss = routed(cards_pb2_grpc.CardServiceStub, "CancelCardLoss", lifecycle.cancel_card_loss)
    FreezeCard = routed(cards_pb2_grpc.CardServiceStub, "FreezeCard", lifecycle.freeze_card)
    UnfreezeCard = routed(cards_pb2_grpc.CardServiceStub, "UnfreezeCard", lifecycle.unfreeze_card)
    ReplaceCard = routed(cards_pb2_grpc.CardServiceStub, "ReplaceCard", lifecycle.replace_card)
    ReissueCard = routed(cards_pb2_grpc.CardServiceStub, "ReissueCard", lifecycle.reissue_card)
    CloseCard = routed(cards_pb2_grpc.CardServiceStub, "CloseCard", lifecycle.close_card)
    SetPin = routed(cards_pb2_grpc.CardServiceStub, "SetPin", lifecycle.set_pin)
    ChangePin = routed(cards_pb2_grpc.CardServiceStub, "ChangePin", lifecycle.change_pin)
    ResetPin = routed(cards_pb2_grpc.CardServiceStub, "ResetPin", lifecycle.reset_pin)
