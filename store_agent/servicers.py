"""The store's gRPC API for POS terminals: the region's member, card and transaction services,
served locally, with this store's id filled in and every mutating request journaled first."""

from __future__ import annotations

from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from store_agent.region_link import RegionLink


def _receipt(response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return response.transaction.transaction_id, "\n".join(line.text for line in response.receipt)


class StoreMemberServicer(members_pb2_grpc.MemberServiceServicer):
    def __init__(self, store_id: str, link: RegionLink, region: members_pb2_grpc.MemberServiceStub) -> None:
        self.store_id, self.link, self.region = store_id, link, region

    def RegisterMember(self, request, context):  # noqa: N802 - gRPC method names
        request.store_id = self.store_id
        return self.link.mutate("RegisterMember", self.region.RegisterMember, request, members_pb2.RegisterMemberResponse, context)

    def GetMember(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetMember, request, context)

    def FindMember(self, request, context):  # noqa: N802
        return self.link.read(self.region.FindMember, request, context)


class StoreCardServicer(cards_pb2_grpc.CardServiceServicer):
    def __init__(self, store_id: str, link: RegionLink, region: cards_pb2_grpc.CardServiceStub) -> None:
        self.store_id, self.link, self.region = store_id, link, region

    def OpenCard(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate("OpenCard", self.region.OpenCard, request, cards_pb2.OpenCardResponse, context)

    def GetCard(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetCard, request, context)

    def GetBalance(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetBalance, request, context)

    def _mutate(self, method_name: str, request, response_type, context, **options):  # type: ignore[no-untyped-def]
        """Journal, then send to the region with this store's id; refused with UNAVAILABLE when the
        region cannot be reached (lifecycle and PIN changes are never decided offline)."""
        request.store_id = self.store_id
        return self.link.mutate(method_name, getattr(self.region, method_name), request, response_type, context, **options)

    def ActivateCard(self, request, context):  # noqa: N802
        return self._mutate("ActivateCard", request, cards_pb2.ActivateCardResponse, context)

    def ReportCardLost(self, request, context):  # noqa: N802
        return self._mutate("ReportCardLost", request, cards_pb2.ReportCardLostResponse, context)

    def CancelCardLoss(self, request, context):  # noqa: N802
        return self._mutate("CancelCardLoss", request, cards_pb2.CancelCardLossResponse, context)

    def FreezeCard(self, request, context):  # noqa: N802
        return self._mutate("FreezeCard", request, cards_pb2.FreezeCardResponse, context)

    def UnfreezeCard(self, request, context):  # noqa: N802
        return self._mutate("UnfreezeCard", request, cards_pb2.UnfreezeCardResponse, context)

    def ReplaceCard(self, request, context):  # noqa: N802
        return self._mutate("ReplaceCard", request, cards_pb2.ReplaceCardResponse, context)

    def ReissueCard(self, request, context):  # noqa: N802
        return self._mutate("ReissueCard", request, cards_pb2.ReissueCardResponse, context)

    def CloseCard(self, request, context):  # noqa: N802
        return self._mutate("CloseCard", request, cards_pb2.CloseCardResponse, context, receipt_of=_receipt)

    def SetPin(self, request, context):  # noqa: N802
        return self._mutate("SetPin", request, cards_pb2.SetPinResponse, context)

    def ChangePin(self, request, context):  # noqa: N802
        return self._mutate("ChangePin", request, cards_pb2.ChangePinResponse, context)

    def ResetPin(self, request, context):  # noqa: N802
        return self._mutate("ResetPin", request, cards_pb2.ResetPinResponse, context)


class StoreTransactionServicer(transactions_pb2_grpc.TransactionServiceServicer):
    def __init__(self, store_id: str, link: RegionLink, region: transactions_pb2_grpc.TransactionServiceStub) -> None:
        self.store_id, self.link, self.region = store_id, link, region

    def RechargeCard(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "RechargeCard", self.region.RechargeCard, request, transactions_pb2.RechargeCardResponse, context,
            receipt_of=_receipt,
        )

    def Checkout(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "Checkout", self.region.Checkout, request, transactions_pb2.CheckoutResponse, context, receipt_of=_receipt
        )

    def ListTransactions(self, request, context):  # noqa: N802
        return self.link.read(self.region.ListTransactions, request, context)

    def GetTransaction(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetTransaction, request, context)

    def GetReceipt(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetReceipt, request, context)

    def RefundSale(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "RefundSale", self.region.RefundSale, request, transactions_pb2.RefundSaleResponse, context, receipt_of=_receipt
        )

    def VoidSale(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "VoidSale", self.region.VoidSale, request, transactions_pb2.VoidSaleResponse, context, receipt_of=_receipt
        )

    def VoidRecharge(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "VoidRecharge", self.region.VoidRecharge, request, transactions_pb2.VoidRechargeResponse, context,
            receipt_of=_receipt,
        )

    def AdjustPoints(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate("AdjustPoints", self.region.AdjustPoints, request, transactions_pb2.AdjustPointsResponse, context)
