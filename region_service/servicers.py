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

from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from region_service import member_codes as region_member_codes
from region_service import member_dates, notice_contacts
from region_service.context import RegionContext
from region_service.coupons import manual, transfer
from region_service.forwarding import CallOrigin
from region_service.handlers import (
    buy_level,
    card_levels,
    cards,
    count_uses,
    history,
    lifecycle,
    linked_cards,
    members,
    payments,
    points,
    quotes,
    redemption,
    refunds,
    write_offs,
)
from region_service.routing import Routing

ResponseT = TypeVar("ResponseT")

# gRPC method names are the RPCs' names: noqa N802 on every method below.


class MemberServicer(members_pb2_grpc.MemberServiceServicer):
    def __init__(self, ctx: RegionContext, routing: Routing) -> None:
        self.ctx = ctx
        self.routing = routing

    def RegisterMember(  # noqa: N802
        self, request: members_pb2.RegisterMemberRequest, context: grpc.ServicerContext,
    ) -> members_pb2.RegisterMemberResponse:
        return self.ctx.commands.run(members.register_member, request)

    def GetMember(  # noqa: N802
        self, request: members_pb2.GetMemberRequest, context: grpc.ServicerContext,
    ) -> members_pb2.GetMemberResponse:
        return members.get_member(self.ctx, request)

    def FindMember(  # noqa: N802
        self, request: members_pb2.FindMemberRequest, context: grpc.ServicerContext,
    ) -> members_pb2.FindMemberResponse:
        return self.routing.find_member(request, CallOrigin.of(context))

    def UpdateMember(  # noqa: N802
        self, request: members_pb2.UpdateMemberRequest, context: grpc.ServicerContext,
    ) -> members_pb2.UpdateMemberResponse:
        return self.routing.at_member_home(
            request, CallOrigin.of(context), lambda: self.ctx.commands.run(members.update_member, request))

    def ExportMemberData(  # noqa: N802
        self, request: members_pb2.ExportMemberDataRequest, context: grpc.ServicerContext,
    ) -> members_pb2.ExportMemberDataResponse:
        return self.routing.at_member_home(request, CallOrigin.of(context), lambda: members.export_member_data(self.ctx, request))

    def EraseMember(  # noqa: N802
        self, request: members_pb2.EraseMemberRequest, context: grpc.ServicerContext,
    ) -> members_pb2.EraseMemberResponse:
        return self.routing.at_member_home(
            request, CallOrigin.of(context), lambda: self.ctx.commands.run(members.erase_member, request))

    def GetContactForNotice(  # noqa: N802
        self, request: members_pb2.GetContactForNoticeRequest, context: grpc.ServicerContext,
    ) -> members_pb2.GetContactForNoticeResponse:
        # Not forwarded: HQ asks the member's home region itself (docs/adr/0053).
        return notice_contacts.get_contact_for_notice(self.ctx, request)

    def SetNoticeOptOut(  # noqa: N802
        self, request: members_pb2.SetNoticeOptOutRequest, context: grpc.ServicerContext,
    ) -> members_pb2.SetNoticeOptOutResponse:
        return self.routing.at_member_home(
            request, CallOrigin.of(context), lambda: self.ctx.commands.run(notice_contacts.set_notice_opt_out, request))

    def SetMemberDates(  # noqa: N802
        self, request: members_pb2.SetMemberDatesRequest, context: grpc.ServicerContext,
    ) -> members_pb2.SetMemberDatesResponse:
        return self.routing.at_member_home(
            request, CallOrigin.of(context), lambda: self.ctx.commands.run(member_dates.set_member_dates, request))


class CardServicer(cards_pb2_grpc.CardServiceServicer):
    """Every call on an existing card is served by the card's home region (same request, same request_id)."""

    def __init__(self, ctx: RegionContext, routing: Routing) -> None:
        self.ctx = ctx
        self.routing = routing

    def _at_home(self, request: Any, context: grpc.ServicerContext, here: Callable[[], ResponseT]) -> ResponseT:
        return self.routing.at_card_home(cards_pb2_grpc.CardServiceStub, request, CallOrigin.of(context), here)

    def OpenCard(  # noqa: N802
        self, request: cards_pb2.OpenCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.OpenCardResponse:
        return self.ctx.commands.run(cards.open_card, request)

    def GetCard(  # noqa: N802
        self, request: cards_pb2.GetCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.GetCardResponse:
        return self._at_home(request, context, lambda: cards.get_card(self.ctx, request))

    def GetBalance(  # noqa: N802
        self, request: cards_pb2.GetBalanceRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.GetBalanceResponse:
        return self._at_home(request, context, lambda: cards.get_balance(self.ctx, request))

    def ActivateCard(  # noqa: N802
        self, request: cards_pb2.ActivateCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ActivateCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.activate_card, request))

    def ReportCardLost(  # noqa: N802
        self, request: cards_pb2.ReportCardLostRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ReportCardLostResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.report_card_lost, request))

    def CancelCardLoss(  # noqa: N802
        self, request: cards_pb2.CancelCardLossRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.CancelCardLossResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.cancel_card_loss, request))

    def FreezeCard(  # noqa: N802
        self, request: cards_pb2.FreezeCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.FreezeCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.freeze_card, request))

    def UnfreezeCard(  # noqa: N802
        self, request: cards_pb2.UnfreezeCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.UnfreezeCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.unfreeze_card, request))

    def RenewCard(  # noqa: N802
        self, request: cards_pb2.RenewCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.RenewCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.renew_card, request))

    def LinkCard(  # noqa: N802
        self, request: cards_pb2.LinkCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.LinkCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(linked_cards.link_card, request))

    def UnlinkCard(  # noqa: N802
        self, request: cards_pb2.UnlinkCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.UnlinkCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(linked_cards.unlink_card, request))

    def ListLinkedCards(  # noqa: N802
        self, request: cards_pb2.ListLinkedCardsRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ListLinkedCardsResponse:
        return self._at_home(request, context, lambda: linked_cards.list_linked_cards(self.ctx, request))

    def ChangeCardLevel(  # noqa: N802
        self, request: cards_pb2.ChangeCardLevelRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ChangeCardLevelResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(card_levels.change_card_level, request))

    def BuyLevel(  # noqa: N802
        self, request: cards_pb2.BuyLevelRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.BuyLevelResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(buy_level.buy_level, request))

    def ReplaceCard(  # noqa: N802
        self, request: cards_pb2.ReplaceCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ReplaceCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.replace_card, request))

    def ReissueCard(  # noqa: N802
        self, request: cards_pb2.ReissueCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ReissueCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.reissue_card, request))

    def CloseCard(  # noqa: N802
        self, request: cards_pb2.CloseCardRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.CloseCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.close_card, request))

    def SetPin(  # noqa: N802
        self, request: cards_pb2.SetPinRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.SetPinResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.set_pin, request))

    def ChangePin(  # noqa: N802
        self, request: cards_pb2.ChangePinRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ChangePinResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.change_pin, request))

    def ResetPin(  # noqa: N802
        self, request: cards_pb2.ResetPinRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ResetPinResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(lifecycle.reset_pin, request))

    def WriteOffReceivable(  # noqa: N802
        self, request: cards_pb2.WriteOffReceivableRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.WriteOffReceivableResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(write_offs.write_off_receivable, request))

    def RotateQrToken(  # noqa: N802
        self, request: cards_pb2.RotateQrTokenRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.RotateQrTokenResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(region_member_codes.rotate_qr_token, request))

    def ListCardCoupons(  # noqa: N802
        self, request: cards_pb2.ListCardCouponsRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ListCardCouponsResponse:
        return self._at_home(request, context, lambda: manual.list_card_coupons(self.ctx, request))

    def IssueCoupon(  # noqa: N802
        self, request: cards_pb2.IssueCouponRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.IssueCouponResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(manual.issue_coupon, request))

    def TransferCoupon(  # noqa: N802
        self, request: cards_pb2.TransferCouponRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.TransferCouponResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(transfer.transfer_coupon, request))

    def ReceiveTransferredCoupon(  # noqa: N802
        self, request: cards_pb2.ReceiveTransferredCouponRequest, context: grpc.ServicerContext,
    ) -> cards_pb2.ReceiveTransferredCouponResponse:
        # Region to region only (the matrix): the recipient is homed here.
        return self.ctx.commands.run(transfer.receive_transferred_coupon, request)


class TransactionServicer(transactions_pb2_grpc.TransactionServiceServicer):
    """Every money call is served by the card's home region (forwarded with the same request_id)."""

    def __init__(self, ctx: RegionContext, routing: Routing) -> None:
        self.ctx = ctx
        self.routing = routing

    def _at_home(self, request: Any, context: grpc.ServicerContext, here: Callable[[], ResponseT]) -> ResponseT:
        return self.routing.at_card_home(transactions_pb2_grpc.TransactionServiceStub, request, CallOrigin.of(context), here)

    def RechargeCard(  # noqa: N802
        self, request: transactions_pb2.RechargeCardRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.RechargeCardResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(payments.recharge_card, request))

    def QuoteCheckout(  # noqa: N802
        self, request: transactions_pb2.QuoteCheckoutRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.QuoteCheckoutResponse:
        if not request.card_number:  # a non-member's basket: priced here
            return quotes.quote_checkout(self.ctx, request)
        return self._at_home(request, context, lambda: quotes.quote_checkout(self.ctx, request))

    def Checkout(  # noqa: N802
        self, request: transactions_pb2.CheckoutRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.CheckoutResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(payments.checkout, request))

    def RefundSale(  # noqa: N802
        self, request: transactions_pb2.RefundSaleRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.RefundSaleResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(refunds.refund_sale, request))

    def VoidSale(  # noqa: N802
        self, request: transactions_pb2.VoidSaleRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.VoidSaleResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(refunds.void_sale, request))

    def VoidRecharge(  # noqa: N802
        self, request: transactions_pb2.VoidRechargeRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.VoidRechargeResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(refunds.void_recharge, request))

    def AdjustPoints(  # noqa: N802
        self, request: transactions_pb2.AdjustPointsRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.AdjustPointsResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(points.adjust_points, request))

    def RedeemPoints(  # noqa: N802
        self, request: transactions_pb2.RedeemPointsRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.RedeemPointsResponse:
        origin = CallOrigin.of(context)

        def at_home() -> transactions_pb2.RedeemPointsResponse:
            return self.routing.at_card_home(transactions_pb2_grpc.TransactionServiceStub, request, origin,
                                             lambda: self.ctx.commands.run(redemption.redeem_points, request))

        if origin.forwarded or self.ctx.home_region_of(request.card_number) == self.ctx.region_code:
            return at_home()
        # A gift leaves this region's store before the card's home region posts its points.
        return redemption.take_gift_then_forward(self.ctx, request, at_home)

    def PurchaseCountUses(  # noqa: N802
        self, request: transactions_pb2.PurchaseCountUsesRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.PurchaseCountUsesResponse:
        return self._at_home(request, context, lambda: self.ctx.commands.run(count_uses.purchase_count_uses, request))

    def ListTransactions(  # noqa: N802
        self, request: transactions_pb2.ListTransactionsRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.ListTransactionsResponse:
        return self._at_home(request, context, lambda: history.list_transactions(self.ctx, request))

    def GetReceipt(  # noqa: N802
        self, request: transactions_pb2.GetReceiptRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.GetReceiptResponse:
        return self._at_home(request, context, lambda: history.get_receipt(self.ctx, request))

    def GetTransaction(  # noqa: N802
        self, request: transactions_pb2.GetTransactionRequest, context: grpc.ServicerContext,
    ) -> transactions_pb2.GetTransactionResponse:
        return self._at_home(request, context, lambda: history.get_transaction(self.ctx, request))
