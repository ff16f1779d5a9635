"""The store's gRPC API for POS terminals: the region's member, card and transaction services,
served locally, with this store's id filled in and every mutating request journaled first; and the
agent's own StoreAgentService (status, receipt reprints, the offline queue).

While the region is unreachable a checkout is approved by the offline stand-in within its limits
(store_agent.offline), by card number or by a QR member code of a card whose key the store caches
(docs/adr/0026; FindMember by such a code answers from the card cache too), a balance is answered
from the card cache (from_cache = true), and every other write is refused with UNAVAILABLE saying
why (DESIGN §4). The same holds for one card alone
when the region answers that the card's home region does not (HomeRegionNotAnswering): the store
stays online for every other card, and says so in its status ("home region E not answering").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import grpc

from chaincard import member_codes
from chaincard.db.base import utc_now
from chaincard.observability import metrics
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from store_agent import queries
from store_agent.card_cache import CardCache
from store_agent.commands import StoreCommands
from store_agent.config_sync import AGENT_VERSION, StoreConfig
from store_agent.forwarder import AdviceForwarder
from store_agent.offline import OfflineStandIn
from store_agent.region_link import HomeRegionNotAnswering, RegionLink, RegionUnreachable, home_region_message


class StoreMemberServicer(members_pb2_grpc.MemberServiceServicer):
    def __init__(self, store_id: str, link: RegionLink, region: members_pb2_grpc.MemberServiceStub,
                 stand_in: OfflineStandIn | None = None) -> None:
        self.link, self.region = link, region
        self.commands = StoreCommands(store_id, link)
        self.stand_in = stand_in

    def RegisterMember(  # noqa: N802 - gRPC method names
        self, request: members_pb2.RegisterMemberRequest, context: grpc.ServicerContext
    ) -> members_pb2.RegisterMemberResponse:
        return self.commands.send(self.region, request)

    def GetMember(  # noqa: N802
        self, request: members_pb2.GetMemberRequest, context: grpc.ServicerContext
    ) -> members_pb2.GetMemberResponse:
        return self.link.read(self.region.GetMember, request)

    def FindMember(  # noqa: N802
        self, request: members_pb2.FindMemberRequest, context: grpc.ServicerContext
    ) -> members_pb2.FindMemberResponse:
        try:
            return self.link.read(self.region.FindMember, request)
        except RegionUnreachable:
            # A QR member code of a cached card is checked here (docs/adr/0026); other keys need the region.
            if self.stand_in is None or request.WhichOneof("key") != "qr_token":
                raise
            return self.stand_in.find_by_code(request.qr_token)

    def UpdateMember(  # noqa: N802
        self, request: members_pb2.UpdateMemberRequest, context: grpc.ServicerContext
    ) -> members_pb2.UpdateMemberResponse:
        return self.commands.send(self.region, request)

    def ExportMemberData(  # noqa: N802
        self, request: members_pb2.ExportMemberDataRequest, context: grpc.ServicerContext
    ) -> members_pb2.ExportMemberDataResponse:
        request.store_id = self.commands.store_id
        return self.link.read(self.region.ExportMemberData, request)

    def EraseMember(  # noqa: N802
        self, request: members_pb2.EraseMemberRequest, context: grpc.ServicerContext
    ) -> members_pb2.EraseMemberResponse:
        return self.commands.send(self.region, request)

    def SetNoticeOptOut(  # noqa: N802
        self, request: members_pb2.SetNoticeOptOutRequest, context: grpc.ServicerContext
    ) -> members_pb2.SetNoticeOptOutResponse:
        # A member opts out of a notice channel at the till (N5); the region decides.
        return self.commands.send(self.region, request)

    def SetMemberDates(  # noqa: N802
        self, request: members_pb2.SetMemberDatesRequest, context: grpc.ServicerContext
    ) -> members_pb2.SetMemberDatesResponse:
        # A member's wedding or child's birthday told at the till (M6); kept at the home region.
        return self.commands.send(self.region, request)


class StoreCardServicer(cards_pb2_grpc.CardServiceServicer):
    """Lifecycle and PIN changes are never decided offline: refused with UNAVAILABLE when the region
    cannot be reached."""

    def __init__(
        self, store_id: str, link: RegionLink, region: cards_pb2_grpc.CardServiceStub, cache: CardCache | None = None
    ) -> None:
        self.link, self.region, self.cache = link, region, cache
        self.commands = StoreCommands(store_id, link)

    def OpenCard(  # noqa: N802
        self, request: cards_pb2.OpenCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.OpenCardResponse:
        return self.commands.send(self.region, request)

    def RotateQrToken(  # noqa: N802
        self, request: cards_pb2.RotateQrTokenRequest, context: grpc.ServicerContext
    ) -> cards_pb2.RotateQrTokenResponse:
        """Issued by the card's home region only (it holds the key); UNAVAILABLE when unreachable. Not
        journaled: nothing is written, and a retry with the same request_id gets the same code."""
        return self.link.read(self.region.RotateQrToken, request)

    def GetCard(  # noqa: N802
        self, request: cards_pb2.GetCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.GetCardResponse:
        return self.link.read(self.region.GetCard, request)

    def GetBalance(  # noqa: N802
        self, request: cards_pb2.GetBalanceRequest, context: grpc.ServicerContext
    ) -> cards_pb2.GetBalanceResponse:
        try:
            return self.link.read(self.region.GetBalance, request)
        except RegionUnreachable:
            cached = self.cache.get(request.card_number) if self.cache is not None else None
            if cached is None:
                raise
        return queries.cached_balance(cached)

    def ActivateCard(  # noqa: N802
        self, request: cards_pb2.ActivateCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ActivateCardResponse:
        return self.commands.send(self.region, request)

    def ReportCardLost(  # noqa: N802
        self, request: cards_pb2.ReportCardLostRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ReportCardLostResponse:
        return self.commands.send(self.region, request)

    def CancelCardLoss(  # noqa: N802
        self, request: cards_pb2.CancelCardLossRequest, context: grpc.ServicerContext
    ) -> cards_pb2.CancelCardLossResponse:
        return self.commands.send(self.region, request)

    def FreezeCard(  # noqa: N802
        self, request: cards_pb2.FreezeCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.FreezeCardResponse:
        return self.commands.send(self.region, request)

    def ChangeCardLevel(  # noqa: N802
        self, request: cards_pb2.ChangeCardLevelRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ChangeCardLevelResponse:
        return self.commands.send(self.region, request)

    def BuyLevel(  # noqa: N802
        self, request: cards_pb2.BuyLevelRequest, context: grpc.ServicerContext
    ) -> cards_pb2.BuyLevelResponse:
        # Online only, like PurchaseCountUses: the level lives in the card's home region.
        return self.commands.send(self.region, request, prints_receipt=True)

    def UnfreezeCard(  # noqa: N802
        self, request: cards_pb2.UnfreezeCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.UnfreezeCardResponse:
        return self.commands.send(self.region, request)

    def RenewCard(  # noqa: N802
        self, request: cards_pb2.RenewCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.RenewCardResponse:
        return self.commands.send(self.region, request)

    def LinkCard(  # noqa: N802
        self, request: cards_pb2.LinkCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.LinkCardResponse:
        return self.commands.send(self.region, request)

    def UnlinkCard(  # noqa: N802
        self, request: cards_pb2.UnlinkCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.UnlinkCardResponse:
        return self.commands.send(self.region, request)

    def ReplaceCard(  # noqa: N802
        self, request: cards_pb2.ReplaceCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ReplaceCardResponse:
        return self.commands.send(self.region, request)

    def ReissueCard(  # noqa: N802
        self, request: cards_pb2.ReissueCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ReissueCardResponse:
        return self.commands.send(self.region, request)

    def CloseCard(  # noqa: N802
        self, request: cards_pb2.CloseCardRequest, context: grpc.ServicerContext
    ) -> cards_pb2.CloseCardResponse:
        return self.commands.send(self.region, request, prints_receipt=True)

    def SetPin(  # noqa: N802
        self, request: cards_pb2.SetPinRequest, context: grpc.ServicerContext
    ) -> cards_pb2.SetPinResponse:
        return self.commands.send(self.region, request)

    def ChangePin(  # noqa: N802
        self, request: cards_pb2.ChangePinRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ChangePinResponse:
        return self.commands.send(self.region, request)

    def ResetPin(  # noqa: N802
        self, request: cards_pb2.ResetPinRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ResetPinResponse:
        return self.commands.send(self.region, request)

    def WriteOffReceivable(  # noqa: N802
        self, request: cards_pb2.WriteOffReceivableRequest, context: grpc.ServicerContext
    ) -> cards_pb2.WriteOffReceivableResponse:
        return self.commands.send(self.region, request, prints_receipt=True)

    def ListCardCoupons(  # noqa: N802
        self, request: cards_pb2.ListCardCouponsRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ListCardCouponsResponse:
        return self.link.read(self.region.ListCardCoupons, request)

    def ListLinkedCards(  # noqa: N802
        self, request: cards_pb2.ListLinkedCardsRequest, context: grpc.ServicerContext
    ) -> cards_pb2.ListLinkedCardsResponse:
        return self.link.read(self.region.ListLinkedCards, request)

    def IssueCoupon(  # noqa: N802
        self, request: cards_pb2.IssueCouponRequest, context: grpc.ServicerContext
    ) -> cards_pb2.IssueCouponResponse:
        return self.commands.send(self.region, request)

    def TransferCoupon(  # noqa: N802
        self, request: cards_pb2.TransferCouponRequest, context: grpc.ServicerContext
    ) -> cards_pb2.TransferCouponResponse:
        return self.commands.send(self.region, request)


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
        self.commands = StoreCommands(store_id, link)
        self.stand_in, self.forwarder = stand_in, forwarder

    def _forward_card_queue_first(self, card_number: str) -> None:
        """The region must post this card's offline spends before its new one (per-card order). While
        the card's home region is known not to answer, they cannot be: the sale is stood in for at
        once (the advice forwarder keeps offering them; once posted, the card sells online again)."""
        if self.forwarder is None or not card_number:
            return
        monitor = self.link.monitor
        home_down = monitor.home_region_down_for(card_number)
        if home_down and self.forwarder.queue_depth(card_number):
            raise HomeRegionNotAnswering(home_down, (
                f"{home_region_message(home_down)}: card ...{card_number[-4:]} still has offline sales that region "
                "has not taken yet"))
        if not self.forwarder.flush_card(card_number):
            # The region answered, yet did not post them: the card's home region, elsewhere, did not take them.
            home_down = monitor.home_region_down_for(card_number) or (
                self.stand_in.home_region_elsewhere(card_number) if monitor.online and self.stand_in is not None else "")
            if home_down and monitor.online:
                monitor.home_region_failed(home_down, card_number)
                raise HomeRegionNotAnswering(home_down, (
                    f"{home_region_message(home_down)}: card ...{card_number[-4:]} still has offline sales that "
                    "region has not taken yet"))
            raise RegionUnreachable(monitor.offline_message(
                f"card ...{card_number[-4:]} still has offline sales the region has not taken yet"))

    def RechargeCard(  # noqa: N802
        self, request: transactions_pb2.RechargeCardRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.RechargeCardResponse:
        return self.commands.send(self.region, request, prints_receipt=True)

    def QuoteCheckout(  # noqa: N802
        self, request: transactions_pb2.QuoteCheckoutRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.QuoteCheckoutResponse:
        """The region's quote when it answers; else the stand-in's, priced on the card cache as it
        would approve the sale (coupons and points as cash are not taken offline)."""
        request.store_id = self.commands.store_id
        try:
            return self.link.read(self.region.QuoteCheckout, request)
        except RegionUnreachable as unreachable:
            if self.stand_in is None or not request.card_number:
                raise
            home_region = unreachable.region_code if isinstance(unreachable, HomeRegionNotAnswering) else ""
            return self.stand_in.quote(request, home_region=home_region)

    def Checkout(  # noqa: N802
        self, request: transactions_pb2.CheckoutRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.CheckoutResponse:
        try:
            sale = self.commands.send(self.region, request, prints_receipt=True,
                                      before_send=lambda: self._forward_card_queue_first(member_codes.card_number_of(request.card_number)))
        except RegionUnreachable as unreachable:
            if self.stand_in is None:
                raise
            home_region = unreachable.region_code if isinstance(unreachable, HomeRegionNotAnswering) else ""
            sale = self.stand_in.approve(request, in_doubt=unreachable.in_doubt, home_region=home_region)
        metrics.record_checkout(self.store_id, sale.total_due_fen, offline=sale.offline)
        return sale

    def ListTransactions(  # noqa: N802
        self, request: transactions_pb2.ListTransactionsRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.ListTransactionsResponse:
        return self.link.read(self.region.ListTransactions, request)

    def GetTransaction(  # noqa: N802
        self, request: transactions_pb2.GetTransactionRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.GetTransactionResponse:
        return self.link.read(self.region.GetTransaction, request)

    def GetReceipt(  # noqa: N802
        self, request: transactions_pb2.GetReceiptRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.GetReceiptResponse:
        return self.link.read(self.region.GetReceipt, request)

    def RefundSale(  # noqa: N802
        self, request: transactions_pb2.RefundSaleRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.RefundSaleResponse:
        return self.commands.send(self.region, request, prints_receipt=True)

    def VoidSale(  # noqa: N802
        self, request: transactions_pb2.VoidSaleRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.VoidSaleResponse:
        return self.commands.send(self.region, request, prints_receipt=True)

    def VoidRecharge(  # noqa: N802
        self, request: transactions_pb2.VoidRechargeRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.VoidRechargeResponse:
        return self.commands.send(self.region, request, prints_receipt=True)

    def AdjustPoints(  # noqa: N802
        self, request: transactions_pb2.AdjustPointsRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.AdjustPointsResponse:
        return self.commands.send(self.region, request)

    def RedeemPoints(  # noqa: N802
        self, request: transactions_pb2.RedeemPointsRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.RedeemPointsResponse:
        # Online only: points live in the card's home region (no offline stand-in for them).
        return self.commands.send(self.region, request, prints_receipt=True)

    def PurchaseCountUses(  # noqa: N802
        self, request: transactions_pb2.PurchaseCountUsesRequest, context: grpc.ServicerContext
    ) -> transactions_pb2.PurchaseCountUsesResponse:
        # Online only: count uses live in the card's home region (no offline stand-in for them).
        return self.commands.send(self.region, request, prints_receipt=True)




class StoreAgentServicer(store_agent_pb2_grpc.StoreAgentServiceServicer):
    """Answers from the agent's own SQLite, online or not (receipt reprints of online sales ask the
    region for a fresh layout when they can)."""

    def __init__(self, store_id: str, link: RegionLink, config: StoreConfig, cache: CardCache,
                 region: transactions_pb2_grpc.TransactionServiceStub,
                 business_day: Callable[[datetime], date] | None = None) -> None:
        self.store_id, self.link, self.config, self.cache, self.region = store_id, link, config, cache, region
        self.session_factory = link.journal.session_factory
        # The store's business day of a moment (the stand-in's rule), for today's exposure figures.
        self.business_day = business_day or (lambda moment: moment.date())

    def GetStoreStatus(  # noqa: N802
        self, request: store_agent_pb2.GetStoreStatusRequest, context: grpc.ServicerContext
    ) -> store_agent_pb2.GetStoreStatusResponse:
        with self.session_factory() as session:
            queue = queries.offline_queue(session)
            today = queries.offline_day(session, self.business_day(utc_now()))
        store = self.config.store()
        monitor = self.link.monitor
        response = store_agent_pb2.GetStoreStatusResponse(
            store_id=self.store_id, region_code=store.region_code if store is not None else "", online=monitor.online,
            offline_queue_depth=queue.depth, offline_exposure_fen=queue.exposure_fen,
            offline_exposure_limit_fen=self.config.limits().store_exposure_limit_fen, config_version=self.config.version,
            cached_card_count=self.cache.count(), agent_version=AGENT_VERSION, rejected_advice_count=queue.rejected,
            offline_approvals_today=today.approvals, offline_approved_today_fen=today.approved_fen,
            overdrawn_today=today.overdrawn, overdrawn_today_fen=today.overdrawn_fen,
            receivable_cards_today=today.receivable_cards, receivable_today_fen=today.receivable_fen,
            coupon_conflicts_today=today.coupon_conflicts, coupon_conflict_today_fen=today.coupon_conflict_fen,
        )
        for field, moment in (("last_region_contact_at", monitor.last_contact_at),
                              ("offline_since", None if monitor.online else monitor.offline_since),
                              ("oldest_queued_at", queue.oldest_queued_at)):
            if moment is not None:
                getattr(response, field).FromDatetime(moment)
        for outage in monitor.home_regions_not_answering():
            down = response.home_regions_not_answering.add(region_code=outage.region_code, message=outage.message)
            down.since.FromDatetime(outage.since)
            down.last_failure_at.FromDatetime(outage.last_failure_at)
        return response

    def ReprintReceipt(  # noqa: N802
        self, request: store_agent_pb2.ReprintReceiptRequest, context: grpc.ServicerContext
    ) -> store_agent_pb2.ReprintReceiptResponse:
        with self.session_factory() as session:
            stored = queries.kept_receipt(session, request.transaction_id)
        return queries.reprint(stored, request, self.link, self.region)

    def ListQueuedAdvices(  # noqa: N802
        self, request: store_agent_pb2.ListQueuedAdvicesRequest, context: grpc.ServicerContext
    ) -> store_agent_pb2.ListQueuedAdvicesResponse:
        with self.session_factory() as session:
            return queries.queued_advices(session, request)
