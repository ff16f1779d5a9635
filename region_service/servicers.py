"""gRPC servicers of the region: translate calls into handler calls, nothing more."""

from __future__ import annotations

import grpc

from chaincard.errors import NotFound, RemoteStatus
from chaincard.phones import normalise_phone, phone_hmac
from chaincard.rpc.channels import call
from chaincard.security.identity import current_principal
from chaincard.v1 import (
    cards_pb2_grpc,
    member_index_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2_grpc,
)
from region_service.context import RegionContext
from region_service.forwarding import Forwarder, routed, was_forwarded
from region_service.handlers import cards, history, members, payments, points, refunds
from region_service.lifecycle_servicer import CardLifecycleMethods


class MemberServicer(members_pb2_grpc.MemberServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

    def RegisterMember(self, request, context):  # noqa: N802 - gRPC method names
        return members.register_member(self.ctx, request)

    def GetMember(self, request, context):  # noqa: N802
        return members.get_member(self.ctx, request)

    def FindMember(self, request, context):  # noqa: N802
        if not was_forwarded(context):  # counted once, where the look-up enters the chain
            self.ctx.lookup_attempts.check(card_number=_lookup_key(request), store_id=_calling_store())
        found = members.find_member_locally(self.ctx, request)
        if found is not None:
            return found
        if was_forwarded(context):
            raise NotFound("no such member")
        home = self._home_region_elsewhere(request)
        if home is None:
            raise NotFound("no member matches; register one first")
        return self.forwarder.forward(home, members_pb2_grpc.MemberServiceStub, "FindMember", request, context)

    def UpdateMember(self, request, context):  # noqa: N802
        return self._at_member_home("UpdateMember", members.update_member, request, context)

    def ExportMemberData(self, request, context):  # noqa: N802
        return self._at_member_home("ExportMemberData", members.export_member_data, request, context)

    def EraseMember(self, request, context):  # noqa: N802
        return self._at_member_home("EraseMember", members.erase_member, request, context)

    def _at_member_home(self, method: str, handler, request, context):  # type: ignore[no-untyped-def]
        """Serve a call on a member id here, or at the member's home region. A member id does not
        name its region, so the other regions are asked in turn; one that does not hold the member
        answers NOT_FOUND having written nothing (a handful of regions: cheap, and these calls are rare)."""
        try:
            return handler(self.ctx, request)
        except members.MemberNotHere:
            if was_forwarded(context):
                raise
        for region in self.ctx.program.snapshot().regions:
            if region.code == self.ctx.region_code:
                continue
            try:
                return self.forwarder.forward(region.code, members_pb2_grpc.MemberServiceStub, method, request, context)
            except RemoteStatus as refused:
                if refused.status_name != "NOT_FOUND":
                    raise
        raise NotFound(f"no member {request.member_id} in any region of the chain")

    def _home_region_elsewhere(self, request: members_pb2.FindMemberRequest) -> str | None:
        key = request.WhichOneof("key")
        if key == "card_number":
            home = self.forwarder.home_region_of(request.card_number)
            return home if home != self.ctx.region_code else None
        if key == "phone":
            hmac_hex = phone_hmac(normalise_phone(request.phone) or "", self.ctx.settings.phone_hmac_key)
            try:
                answer = call(self.ctx.member_index.LookupPhone, member_index_pb2.LookupPhoneRequest(phone_hmac=hmac_hex))
            except grpc.RpcError:
                return None
            return answer.home_region if answer.home_region != self.ctx.region_code else None
        return None


class CardServicer(CardLifecycleMethods, cards_pb2_grpc.CardServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

    def OpenCard(self, request, context):  # noqa: N802
        return cards.open_card(self.ctx, request)

    GetCard = routed(cards_pb2_grpc.CardServiceStub, "GetCard", cards.get_card)
    GetBalance = routed(cards_pb2_grpc.CardServiceStub, "GetBalance", cards.get_balance)


class TransactionServicer(transactions_pb2_grpc.TransactionServiceServicer):
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

    # Every money call is served by the card's home region (forwarded with the same request_id).
    def RechargeCard(self, request, context):  # noqa: N802
        return self.forwarder.handle_or_forward(transactions_pb2_grpc.TransactionServiceStub, "RechargeCard",
                                                lambda ctx, request: ctx.commands.run(payments.recharge_card, request), request, context)

    def Checkout(self, request, context):  # noqa: N802
        return self.forwarder.handle_or_forward(transactions_pb2_grpc.TransactionServiceStub, "Checkout",
                                                lambda ctx, request: ctx.commands.run(payments.checkout, request), request, context)

    ListTransactions = routed(transactions_pb2_grpc.TransactionServiceStub, "ListTransactions", history.list_transactions)
    RefundSale = routed(transactions_pb2_grpc.TransactionServiceStub, "RefundSale", refunds.refund_sale)
    VoidSale = routed(transactions_pb2_grpc.TransactionServiceStub, "VoidSale", refunds.void_sale)
    VoidRecharge = routed(transactions_pb2_grpc.TransactionServiceStub, "VoidRecharge", refunds.void_recharge)
    AdjustPoints = routed(transactions_pb2_grpc.TransactionServiceStub, "AdjustPoints", points.adjust_points)
    GetReceipt = routed(transactions_pb2_grpc.TransactionServiceStub, "GetReceipt", history.get_receipt)
    GetTransaction = routed(transactions_pb2_grpc.TransactionServiceStub, "GetTransaction", history.get_transaction)


def _lookup_key(request: members_pb2.FindMemberRequest) -> str:
    """What a look-up tries: the phone or card number asked for (rate-limited like PIN attempts)."""
    key = request.WhichOneof("key")
    return str(getattr(request, key)) if key else ""


def _calling_store() -> str:
    """The store whose certificate (agent or till) made the call; empty for operators and services."""
    principal = current_principal()
    peer = principal.peer if principal is not None else None
    return peer.id if peer is not None and peer.kind in ("store", "pos") else ""
