"""QuoteCheckout (X1): what Checkout would charge now, priced by the same core on the same state,
with nothing locked and nothing written (the transaction is READ ONLY, so PostgreSQL itself refuses
a write). A coupon the sale could not use — or that this region does not hold — is left out and
listed with the reason (chaincard.checkout.quote); what Checkout refuses before pricing (an unknown
card, a blocked card) the quote refuses alike. The card is optional: without one the basket is
priced for a non-member, where the call lands (docs/adr/0021)."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from chaincard import card_types, linked_cards
from chaincard.checkout.quote import Quote, quote, quote_fields, quote_response
from chaincard.checkout.request import PricingRefused, drawn_on_main_card, pricing_input
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ledger.receivables import spendable_stored_value
from chaincard.pricing import CheckoutInput, PricingError, StoredValue, TenderKind
from chaincard.v1 import transactions_pb2
from region_service import card_links, coupon_redemption, member_codes
from region_service.context import RegionContext
from region_service.handlers.cards import require_usable
from region_service.ledger_store import card_balances
from region_service.models import CardLink
from region_service.repository import read_coupons, read_payment_cards
from region_service.translate import balances_message


def _quoted(checkout_input: CheckoutInput, not_found: list[str]) -> Quote:
    """The core's quote; a refusal that is not a coupon's is the checkout's own status."""
    try:
        return quote(checkout_input, not_found=not_found)
    except PricingError as error:
        if error.precondition:
            raise PricingRefused(error) from error
        raise InvalidArgument(error.field, error.problem) from error


def quote_checkout(ctx: RegionContext, request: transactions_pb2.QuoteCheckoutRequest) -> transactions_pb2.QuoteCheckoutResponse:
    request = member_codes.quote_by_code(ctx, request)  # a QR code is checked here, taken only by the checkout
    fields = quote_fields(request)
    store = ctx.program.store(request.store_id)
    for number in fields.other_card_numbers:
        if ctx.home_region_of(number) != ctx.region_code:
            raise FailedPrecondition(f"card {number} is homed in another region; a second card must share the first's home region")
    local_time = utc_now().astimezone(ZoneInfo(store.time_zone or ctx.settings.business_time_zone))
    snapshot = ctx.program.snapshot()
    if not fields.card_number:
        if fields.coupon_codes or fields.points_to_redeem:
            raise InvalidArgument("card_number", "is required to use coupons or points")
        for index, tender in enumerate(fields.tenders):
            if tender.kind in (TenderKind.STORED_VALUE, TenderKind.OTHER_MEMBER_CARD):
                raise InvalidArgument(f"tenders[{index}].type", "a member card's stored value needs card_number")
        return quote_response(_quoted(pricing_input(
            fields, snapshot, store_id=store.store_id, local_time=local_time, level_code="",
            stored_value=StoredValue(0, 0), points_balance=0,
        ), []), balances=None)
    with ctx.session_factory() as session:
        session.execute(text("SET TRANSACTION READ ONLY"))
        link = card_links.link_of(session, fields.card_number)
        if link is not None and any(tender.kind is TenderKind.STORED_VALUE for tender in fields.tenders):
            fields = drawn_on_main_card(fields, link.main_card_number)  # a linked card's stored value is its main card's (C5)
        else:
            link = None
        cards = read_payment_cards(session, [fields.card_number, *fields.other_card_numbers])
        card = cards[fields.card_number]
        require_usable(card)
        others = {}
        for number, other in cards.items():
            if number != card.card_number:
                require_usable(other)
                card_types.rules_of(snapshot, other.card_type_code).require_stored_value(
                    f"card {number} cannot pay as a second member card")
                balance = card_balances(session, number)
                others[number] = StoredValue(*spendable_stored_value(balance.principal_fen, balance.bonus_fen, balance.owed_fen))
        held = card_balances(session, card.card_number)
        rows = read_coupons(session, fields.coupon_codes)
        found = [coupon_redemption.held_coupon(rows[code]) for code in fields.coupon_codes if code in rows]
        not_found = [code for code in fields.coupon_codes if code not in rows]
        priced = _quoted(pricing_input(
            replace(fields, coupon_codes=tuple(coupon.coupon_code for coupon in found)), snapshot, store_id=store.store_id,
            local_time=local_time, level_code=card.level_code,
            stored_value=StoredValue(*spendable_stored_value(held.principal_fen, held.bonus_fen, held.owed_fen)),
            points_balance=held.points, birthday=card.birthday, other_cards=others, coupons=found,
            issuing_franchisee_id=card.issuing_franchisee_id, card_type_code=card.card_type_code,
        ), not_found)
        if link is not None:
            _require_within_link_limit(ctx, session, link, priced)
        return quote_response(priced, balances=balances_message(held))


def _require_within_link_limit(ctx: RegionContext, session: Session, link: CardLink, priced: Quote) -> None:
    """A linked card's quote is refused as its checkout would be when it passes the monthly limit (C5)."""
    amount = sum(t.amount_fen for t in priced.plan.tenders
                 if t.kind is TenderKind.OTHER_MEMBER_CARD and t.card_number == link.main_card_number)
    if amount:
        month = linked_cards.month_of(utc_now(), ctx.settings.business_time_zone)
        linked_cards.require_within_limit(link.linked_card_number, limit_fen=link.monthly_limit_fen,
                                          spent_fen=card_links.spent_in(session, link.linked_card_number, month),
                                          amount_fen=amount, month=month)
