"""The store's gRPC API for POS terminals: the region's member, card and transaction services,
served locally, with this store's id filled in and every mutating request journaled first; and the
agent's own StoreAgentService (status, receipt reprints, the offline queue).

While the region is unreachable a checkout is approved by the offline stand-in within its limits
(store_agent.offline), a balance is answered from the card cache (from_cache = true), and every
other write is refused with UNAVAILABLE saying why (DESIGN §4).
"""

from __future__ import annotations

from importlib import metadata

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, select

from chaincard.errors import ChainCardError, InvalidArgument, NotFound
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    store_sync_pb2,
    transactions_pb2,
    transactions_pb2_grpc,
)
from store_agent.card_cache import CardCache
from store_agent.config_sync import StoreConfig
from store_agent.forwarder import AdviceForwarder
from store_agent.models import OfflineAdvice, Receipt
from store_agent.offline import OfflineStandIn, queued_exposure
from store_agent.receipts import columns_for, reprint_document, reprint_lines, with_copy_mark
from store_agent.region_link import RegionLink, RegionUnreachable


def _receipt(response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return response.transaction.transaction_id, "\n".join(line.text for line in response.receipt)


class StoreMemberServicer(members_pb2_grpc.MemberServiceServicer):
    def __init__(self, store_id: str, link: RegionLink, region: members_pb2_grpc.MemberServiceStub) -> None:
        self.store_id, self.link, self.region = store_id, link, region

    def RegisterMember(self, request, context):  # noqa: N802 - gRPC method names
        request.store_id = self.store_id
        return self.link.mutate("RegisterMember", self.region.RegisterMember, request, members_pb2.RegisterMemberResponse)

    def GetMember(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetMember, request)

    def FindMember(self, request, context):  # noqa: N802
        return self.link.read(self.region.FindMember, request)

    def UpdateMember(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate("UpdateMember", self.region.UpdateMember, request, members_pb2.UpdateMemberResponse)

    def ExportMemberData(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.read(self.region.ExportMemberData, request)

    def EraseMember(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate("EraseMember", self.region.EraseMember, request, members_pb2.EraseMemberResponse)


class StoreCardServicer(cards_pb2_grpc.CardServiceServicer):
    def __init__(
        self, store_id: str, link: RegionLink, region: cards_pb2_grpc.CardServiceStub, cache: CardCache | None = None
    ) -> None:
        self.store_id, self.link, self.region, self.cache = store_id, link, region, cache

    def OpenCard(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate("OpenCard", self.region.OpenCard, request, cards_pb2.OpenCardResponse)

    def GetCard(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetCard, request)

    def GetBalance(self, request, context):  # noqa: N802
        try:
            return self.link.read(self.region.GetBalance, request)
        except RegionUnreachable:
            cached = self.cache.get(request.card_number) if self.cache is not None else None
            if cached is None:
                raise
        as_of = Timestamp()
        as_of.FromDatetime(cached.balances_as_of)
        return cards_pb2.GetBalanceResponse(
            card_number=cached.card_number,
            state=common_pb2.CardState.Value("CARD_STATE_" + cached.state) if cached.state else common_pb2.CARD_STATE_UNSPECIFIED,
            balances=common_pb2.Balances(principal_fen=cached.principal_fen, bonus_fen=cached.bonus_fen, points=cached.points),
            from_cache=True, as_of=as_of,
        )

    def _mutate(self, method_name: str, request, response_type, context, **options):  # type: ignore[no-untyped-def]
        """Journal, then send to the region with this store's id; refused with UNAVAILABLE when the
        region cannot be reached (lifecycle and PIN changes are never decided offline)."""
        request.store_id = self.store_id
        return self.link.mutate(method_name, getattr(self.region, method_name), request, response_type, **options)

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
    def __init__(
        self,
        store_id: str,
        link: RegionLink,
        region: transactions_pb2_grpc.TransactionServiceStub,
        *,
        stand_in: OfflineStandIn | None = None,
        forwarder: AdviceForwarder | None = None,
    ) -> None:
        self.store_id, self.link, self.region = store_id, link, region
        self.stand_in, self.forwarder = stand_in, forwarder

    def _forward_card_queue_first(self, card_number: str) -> None:
        """The region must post this card's offline spends before its new one (per-card order)."""
        if self.forwarder is not None and card_number and not self.forwarder.flush_card(card_number):
            raise RegionUnreachable(self.link.monitor.offline_message(
                f"card ...{card_number[-4:]} still has offline sales the region has not taken yet"))

    def RechargeCard(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "RechargeCard", self.region.RechargeCard, request, transactions_pb2.RechargeCardResponse,
            receipt_of=_receipt,
        )

    def Checkout(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        try:
            return self.link.mutate(
                "Checkout", self.region.Checkout, request, transactions_pb2.CheckoutResponse, receipt_of=_receipt,
                before_send=lambda: self._forward_card_queue_first(request.card_number),
            )
        except RegionUnreachable as unreachable:
            if self.stand_in is None:
                raise
            return self.stand_in.approve(request, in_doubt=unreachable.in_doubt)

    def ListTransactions(self, request, context):  # noqa: N802
        return self.link.read(self.region.ListTransactions, request)

    def GetTransaction(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetTransaction, request)

    def GetReceipt(self, request, context):  # noqa: N802
        return self.link.read(self.region.GetReceipt, request)

    def RefundSale(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "RefundSale", self.region.RefundSale, request, transactions_pb2.RefundSaleResponse, receipt_of=_receipt
        )

    def VoidSale(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "VoidSale", self.region.VoidSale, request, transactions_pb2.VoidSaleResponse, receipt_of=_receipt
        )

    def VoidRecharge(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate(
            "VoidRecharge", self.region.VoidRecharge, request, transactions_pb2.VoidRechargeResponse,
            receipt_of=_receipt,
        )

    def AdjustPoints(self, request, context):  # noqa: N802
        request.store_id = self.store_id
        return self.link.mutate("AdjustPoints", self.region.AdjustPoints, request, transactions_pb2.AdjustPointsResponse)


AGENT_VERSION = "unknown"
try:
    AGENT_VERSION = metadata.version("chaincard")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    pass

MAX_PAGE = 1000


class StoreAgentServicer(store_agent_pb2_grpc.StoreAgentServiceServicer):
    """Answers from the agent's own SQLite, online or not (receipt reprints of online sales ask the
    region for a fresh layout when they can)."""

    def __init__(self, store_id: str, link: RegionLink, config: StoreConfig, cache: CardCache,
                 region: transactions_pb2_grpc.TransactionServiceStub) -> None:
        self.store_id, self.link, self.config, self.cache, self.region = store_id, link, config, cache, region
        self.session_factory = link.journal.session_factory

    def GetStoreStatus(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            depth, oldest = session.execute(
                select(func.count(), func.min(OfflineAdvice.approved_at)).where(OfflineAdvice.state == "QUEUED")
            ).one()
            exposure = queued_exposure(session)
            rejected = session.execute(select(func.count()).where(OfflineAdvice.state == "REJECTED")).scalar_one()
        store = self.config.store()
        monitor = self.link.monitor
        response = store_agent_pb2.GetStoreStatusResponse(
            store_id=self.store_id, region_code=store.region_code if store is not None else "", online=monitor.online,
            offline_queue_depth=depth, offline_exposure_fen=exposure,
            offline_exposure_limit_fen=self.config.limits().store_exposure_limit_fen, config_version=self.config.version,
            cached_card_count=self.cache.count(), agent_version=AGENT_VERSION, rejected_advice_count=rejected,
        )
        for field, moment in (("last_region_contact_at", monitor.last_contact_at),
                              ("offline_since", None if monitor.online else monitor.offline_since), ("oldest_queued_at", oldest)):
            if moment is not None:
                getattr(response, field).FromDatetime(moment)
        return response

    def ReprintReceipt(self, request, context):  # noqa: N802
        if not request.transaction_id:
            raise InvalidArgument("transaction_id", "is required")
        columns = columns_for(request.paper_width)
        with self.session_factory() as session:
            stored = session.get(Receipt, request.transaction_id)
        if stored is None:
            raise NotFound(f"this store has no receipt for transaction {request.transaction_id}")
        if stored.document:
            lines = reprint_document(stored.document, columns)
        elif stored.card_number and self.link.online:
            try:
                answer = self.link.read(self.region.GetReceipt, transactions_pb2.GetReceiptRequest(
                    transaction_id=request.transaction_id, card_number=stored.card_number,
                    paper_width=request.paper_width or common_pb2.PAPER_WIDTH_80_MM))
                lines = with_copy_mark([line.text for line in answer.receipt], columns)
            except ChainCardError:  # unreachable, or the region lost it: the copy kept here will do
                lines = reprint_lines(stored.text.split("\n"), columns)
        else:
            lines = reprint_lines(stored.text.split("\n"), columns)
        return store_agent_pb2.ReprintReceiptResponse(receipt=[common_pb2.ReceiptLine(text=line) for line in lines], columns=columns)

    def ListQueuedAdvices(self, request, context):  # noqa: N802
        if request.page_size < 0:
            raise InvalidArgument("page_size", "must not be negative")
        size = min(request.page_size or 100, MAX_PAGE)
        after = 0
        if request.page_token:
            if not request.page_token.isdigit():
                raise InvalidArgument("page_token", "is not a token this store gave")
            after = int(request.page_token)
        with self.session_factory() as session:
            rows = session.execute(
                select(OfflineAdvice).where(OfflineAdvice.state == "QUEUED", OfflineAdvice.sequence > after)
                .order_by(OfflineAdvice.sequence).limit(size + 1)
            ).scalars().all()
        response = store_agent_pb2.ListQueuedAdvicesResponse()
        for row in rows[:size]:
            queued = response.advices.add(advice=store_sync_pb2.OfflineAdvice.FromString(row.advice), attempts=row.attempts,
                                          last_error=row.last_error or "")
            if row.last_attempt_at is not None:
                queued.last_attempt_at.FromDatetime(row.last_attempt_at)
        if len(rows) > size:
            response.next_page_token = str(rows[size - 1].sequence)
        return response
