"""gRPC servicers of the region's member, card and transaction services: translation only.

One method per RPC. Each takes what it needs of the gRPC context into a CallOrigin, and runs the
RPC's handler: a command through the region's pipeline (``ctx.commands.run``), a query as is.
A call on a card or member homed in another region is served there (region_service.routing).
RPCs not defined here answer UNIMPLEMENTED (the generated base class).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from chaincard.v1 import cards_pb2_grpc, members_pb2_grpc, transactions_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import CallOrigin
from region_service.handlers import cards, history, lifecycle, members, payments, points, refunds
from region_service.routing import Routing

ResponseT = TypeVar("ResponseT")

# gRPC method names are the RPCs' names: noqa N802 on every method below.


class MemberServicer(members_pb2_grpc.MemberServiceServicer):
    def __init__(self, ctx: RegionContext, routing: Routing) -> None:
        self.ctx = ctx
        self.routing = routing

    def RegisterMember(self, request, context):  # noqa: N802
        return self.ctx.commands.run(members.register_member, request)

    def GetMember(self, request, context):  # noqa: N802
        return members.get_member(self.ctx, request)

    def FindMember(self, request, context):  # noqa: N802
        return self.routing.find_member(request, CallOrigin.of(context))

    def UpdateMember(self, request, context):  # noqa: N802
        return self.routing.at_member_home(
            request, CallOrigin.of(context), lambda: self.ctx.commands.run(members.update_member, request))

    def ExportMemberData(self, request, context):  # noqa: N802
        return self.routing.at_member_home(request, CallOrigin.of(context), lambda: members.export_member_data(self.ctx, request))

    def EraseMember(self, request, context):  # noqa: N802
        return self.routing.at_member_home(
            request, CallOrigin.of(context), lambda: self.ctx.commands.run(members.erase_member, request))


class CardServicer(cards_pb2_grpc.CardServiceServicer):
    """Every call on an existing card is served by the card's home region (same request, same request_id)."""

    def __init__(self, ctx: RegionContext, routing: Routing) -> None:
        self.ctx = ctx
        self.routing = routing

    def _at_home(self, request: Any, context: grpc.ServicerContext, here: Callable[[], ResponseT]) -> ResponseT:
        return self.routing.at_card_home(cards_pb2_grpc.CardServiceStub, request, CallOrigin.of(context), here)

    def OpenCard(self, request, context):  # noqa: N802
        return self.ctx.commands.run(cards.open_card, request)

    def GetCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: cards.get_card(self.ctx, request))

    def GetBalance(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: cards.get_balance(self.ctx, request))

    def ActivateCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.activate_card, request))

    def ReportCardLost(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.report_card_lost, request))

    def CancelCardLoss(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.cancel_card_loss, request))

    def FreezeCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.freeze_card, request))

    def UnfreezeCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.unfreeze_card, request))

    def ReplaceCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.replace_card, request))

    def ReissueCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.reissue_card, request))

    def CloseCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: lifecycle.run_counting_wrong_pins(self.ctx, lifecycle.close_card, request))

    def SetPin(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.set_pin, request))

    def ChangePin(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: lifecycle.run_counting_wrong_pins(self.ctx, lifecycle.change_pin, request))

    def ResetPin(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.reset_pin, request))


class TransactionServicer(transactions_pb2_grpc.TransactionServiceServicer):
    """Every money call is served by the card's home region (forwarded with the same request_id)."""

    def __init__(self, ctx: RegionContext, routing: Routing) -> None:
        self.ctx = ctx
        self.routing = routing

    def _at_home(self, request: Any, context: grpc.ServicerContext, here: Callable[[], ResponseT]) -> ResponseT:
        return self.routing.at_card_home(transactions_pb2_grpc.TransactionServiceStub, request, CallOrigin.of(context), here)

    def RechargeCard(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(payments.recharge_card, request))

    def Checkout(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(payments.checkout, request))

    def RefundSale(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(refunds.refund_sale, request))

    def VoidSale(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(refunds.void_sale, request))

    def VoidRecharge(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(refunds.void_recharge, request))

    def AdjustPoints(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: self.ctx.commands.run(points.adjust_points, request))

    def ListTransactions(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: history.list_transactions(self.ctx, request))

    def GetReceipt(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: history.get_receipt(self.ctx, request))

    def GetTransaction(self, request, context):  # noqa: N802
        return self._at_home(request, context, lambda: history.get_transaction(self.ctx, request))
