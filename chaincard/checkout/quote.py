"""A quote (X1, QuoteCheckout): the sale priced exactly as a checkout would price it, nothing written,
so a till shows the member the total first — with every coupon that could not be used left out and
listed with the reason the cashier reads.

The region's QuoteCheckout and a store's quote read the request with :func:`quote_fields`, load the
card and its coupons as for a checkout, build the engine's input with
``request.pricing_input`` and call :func:`quote`; :func:`quote_response` is the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from chaincard import validation
from chaincard.checkout.request import (
    CheckoutFields,
    basket,
    count_use_intents,
    coupon_codes,
    pricing_refusal,
    tender_intents,
)
from chaincard.checkout.response import applied_coupon_message, applied_message, priced_line_message
from chaincard.coupons.rules import CouponRefused
from chaincard.errors import InvalidArgument
from chaincard.pricing import (
    CheckoutInput,
    CheckoutPlan,
    PricingError,
    TenderIntent,
    TenderKind,
    price_checkout,
)
from chaincard.v1 import common_pb2, transactions_pb2

NOT_FOUND_REASON = "was not found: check the code"


@dataclass(frozen=True)
class RejectedCouponTerms:
    """A coupon the quote left out, and why (RejectedCoupon)."""

    coupon_code: str
    reason: str


@dataclass(frozen=True)
class Quote:
    """The sale priced without the rejected coupons. ``plan.tenders`` is empty when the request
    named no tenders (the till has not chosen yet)."""

    plan: CheckoutPlan
    rejected: tuple[RejectedCouponTerms, ...] = ()


def quote_fields(request: transactions_pb2.QuoteCheckoutRequest) -> CheckoutFields:
    """Every field of a QuoteCheckoutRequest checked, as for a checkout (INVALID_ARGUMENT naming
    the field), except that the card is optional: without one the basket is priced for a non-member."""
    card_number = validation.card_number(request.card_number) if request.card_number else ""
    lines = basket(request)
    intents = tender_intents(request)
    codes = coupon_codes(request)
    if request.points_to_redeem < 0:
        raise InvalidArgument("points_to_redeem", "must not be negative")
    # Count uses are priced (what they would pay for); whether the card holds them is the checkout's.
    return CheckoutFields(card_number, lines, intents, request.points_to_redeem, codes, count_use_intents(request))


def quote(checkout_input: CheckoutInput, *, not_found: Sequence[str] = ()) -> Quote:
    """Price ``checkout_input`` as a checkout would; never raises for a coupon. A coupon that
    cannot be used (the checkout's own refusal) is left out and listed with its reason, and the
    rest is priced again, until every coupon left is usable. ``not_found``: codes the caller could
    not find (left out of the input), listed as such. Any other refusal (points, tenders, lines) is
    raised as the checkout raises it (``request.price``): INVALID_ARGUMENT or PricingRefused.

    Without tenders the quote is priced with a placeholder "the rest in cash" tender, and shows no
    tenders: what the till has not chosen is not shown."""
    coupons = list(checkout_input.coupons)
    order = {coupon.coupon_code: index for index, coupon in enumerate(coupons)}
    rejected = [RejectedCouponTerms(code, NOT_FOUND_REASON) for code in not_found]
    chosen = tuple(checkout_input.tenders)
    tenders = chosen or (TenderIntent(TenderKind.CASH, 0),)
    while True:
        try:
            plan = price_checkout(replace(checkout_input, coupons=tuple(coupons), tenders=tenders))
        except CouponRefused as refused:
            coupon = coupons.pop(refused.index)
            rejected.append(RejectedCouponTerms(coupon.coupon_code, refused.reason))
            continue
        except PricingError as error:
            raise pricing_refusal(error) from error
        break
    if not chosen:
        plan = replace(plan, tenders=())
    found = sorted((r for r in rejected if r.coupon_code in order), key=lambda r: order[r.coupon_code])
    return Quote(plan=plan, rejected=tuple([r for r in rejected if r.coupon_code not in order] + found))


def quote_response(quote: Quote, *, balances: common_pb2.Balances | None) -> transactions_pb2.QuoteCheckoutResponse:
    """The QuoteCheckoutResponse of ``quote``; ``balances``: the card's current balances (none for a
    non-member)."""
    plan = quote.plan
    return transactions_pb2.QuoteCheckoutResponse(
        subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen, points_deduction_fen=plan.points_deduction_fen,
        total_due_fen=plan.total_due_fen, tenders=[applied_message(tender) for tender in plan.tenders],
        points_earned=plan.points_earned, points_redeemed=plan.points_redeemed,
        max_points_redeemable=plan.max_points_redeemable, lines=[priced_line_message(line) for line in plan.lines],
        coupons=[applied_coupon_message(coupon) for coupon in plan.applied_coupons],
        rejected_coupons=[transactions_pb2.RejectedCoupon(coupon_code=r.coupon_code, reason=r.reason) for r in quote.rejected],
        balances=balances,
    )
