"""QuoteCheckout (X1): what Checkout would charge now, priced by the same core on the same state,
with nothing locked and nothing written (the transaction is READ ONLY, so PostgreSQL itself refuses a
write). A coupon the sale could not use is left out and listed with the reason (chaincard.checkout.quote);
what Checkout refuses before pricing (an unknown card or coupon, a blocked card) the quote refuses
alike. The card is optional: without one the basket is priced for a non-member, here."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import text

from chaincard.checkout.quote import quote, quote_response
from chaincard.checkout.request import CheckoutFields, basket, checkout_fields, pricing_input, tender_intents
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ledger.receivables import spendable_stored_value
from chaincard.pricing import StoredValue, TenderKind
from chaincard.v1 import transactions_pb2
from region_service import coupon_redemption
from region_service.context import RegionContext
from region_service.handlers.cards import require_usable
from region_service.ledger_store import card_balances
from region_service.repository import read_payment_cards
from region_service.translate import balances_message


def as_checkout(request: transactions_pb2.QuoteCheckoutRequest) -> transactions_pb2.CheckoutRequest:
    """The Checkout the quote prices: the same basket fields, read by the same core."""
    return transactions_pb2.CheckoutRequest(
        store_id=request.store_id, card_number=request.card_number, lines=request.lines,
        points_to_redeem=request.points_to_redeem, coupon_codes=request.coupon_codes, tenders=request.tenders,
    )


def quote_fields(request: transactions_pb2.QuoteCheckoutRequest) -> CheckoutFields:
    """The request's fields checked as Checkout checks them; without a card, only a basket and
    external tenders (a non-member has no coupons, points or stored value)."""
    if request.card_number:
        return checkout_fields(as_checkout(request))
    if request.coupon_codes:
        raise InvalidArgument("card_number", "is required to use coupons")
    if request.points_to_redeem:
        raise InvalidArgument("card_number", "is required to use points")
    intents = tender_intents(as_checkout(request))
    for index, intent in enumerate(intents):
        if intent.kind in (TenderKind.STORED_VALUE, TenderKind.OTHER_MEMBER_CARD):
            raise InvalidArgument(f"tenders[{index}].type", "a member card's stored value needs card_number")
    return CheckoutFields(card_number="", lines=basket(as_checkout(request)), tenders=intents, points_to_redeem=0)


def quote_checkout(ctx: RegionContext, request: transactions_pb2.QuoteCheckoutRequest) -> transactions_pb2.QuoteCheckoutResponse:
    fields = quote_fields(request)
    store = ctx.program.store(request.store_id)
    for number in fields.other_card_numbers:
        if ctx.home_region_of(number) != ctx.region_code:
            raise FailedPrecondition(f"card {number} is homed in another region; a second card must share the first's home region")
    local_time = utc_now().astimezone(ZoneInfo(store.time_zone or ctx.settings.business_time_zone))
    snapshot = ctx.program.snapshot()
    with ctx.session_factory() as session:
        session.execute(text("SET TRANSACTION READ ONLY"))
        if not fields.card_number:
            return quote_response(quote(pricing_input(
                fields, snapshot, store_id=store.store_id, local_time=local_time, level_code="",
                stored_value=StoredValue(0, 0), points_balance=0,
            )), balances=None)
        cards = read_payment_cards(session, [fields.card_number, *fields.other_card_numbers])
        card = cards[fields.card_number]
        require_usable(card)
        others = {}
        for number, other in cards.items():
            if number != card.card_number:
                require_usable(other)
                balance = card_balances(session, number)
                others[number] = StoredValue(*spendable_stored_value(balance.principal_fen, balance.bonus_fen, balance.owed_fen))
        held = card_balances(session, card.card_number)
        coupons = coupon_redemption.lock_sale_coupons(session, fields.coupon_codes, for_update=False)
        priced = quote(pricing_input(
            fields, snapshot, store_id=store.store_id, local_time=local_time, level_code=card.level_code,
            stored_value=StoredValue(*spendable_stored_value(held.principal_fen, held.bonus_fen, held.owed_fen)),
            points_balance=held.points, birthday=card.birthday, other_cards=others, coupons=coupons,
            issuing_franchisee_id=card.issuing_franchisee_id,
        ))
        return quote_response(priced, balances=balances_message(held))
