"""A CheckoutRequest read as the pricing engine's input: one mapping for the region's online checkout
and the store agent's offline stand-in (STYLE rule 15).

Reading the request (:func:`checkout_fields`) checks every field and names the one at fault
(INVALID_ARGUMENT), before anything is locked or written. Offline, what the stand-in cannot take —
a second member card, points as cash — is refused with :class:`NotTakenOffline`
(FAILED_PRECONDITION, "take another payment"); coupons are taken offline from the store's cache
(docs/adr/0025), count-card uses from its cache of them (docs/adr/0036). :func:`pricing_input` then
adds what the caller loaded for the sale (the card's balances, its held coupons, the program
snapshot, the store's clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from chaincard import card_types, validation
from chaincard.checkout import terms
from chaincard.coupons.codes import coupon_code
from chaincard.coupons.rules import HeldCoupon
from chaincard.coupons.templates import coupon_templates
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.pricing import (
    BasketLine,
    CheckoutInput,
    CheckoutPlan,
    CountUseIntent,
    CountUsesStage,
    PointsDeductionPolicy,
    PricingError,
    SaleContext,
    StoredValue,
    TenderIntent,
    TenderKind,
    count_uses_stage,
    no_count_uses,
    price_checkout,
)
from chaincard.v1 import common_pb2, program_config_pb2, transactions_pb2

_TENDER_KINDS = {
    common_pb2.TENDER_TYPE_STORED_VALUE: TenderKind.STORED_VALUE,
    common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD: TenderKind.OTHER_MEMBER_CARD,
    common_pb2.TENDER_TYPE_CASH: TenderKind.CASH,
    common_pb2.TENDER_TYPE_BANK_CARD: TenderKind.BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY: TenderKind.MOBILE_PAY,
    common_pb2.TENDER_TYPE_COUNT_USES: TenderKind.COUNT_USES,
}
MAX_USES = 1_000
# Count uses are taken offline within the store's cache of them (docs/adr/0036); a second card is not.
_NOT_OFFLINE = {common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD}

NOTHING_ON_THE_CARD = "nothing to record on the card: the sale is paid entirely by external tenders and earns no points"


class NotTakenOffline(FailedPrecondition):
    """What the offline stand-in cannot take; ``reason`` says what, for the cashier."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PricingRefused(FailedPrecondition):
    """A well-formed sale the card's state forbids (balance too low, not enough points, points as
    cash switched off): FAILED_PRECONDITION "field: problem"; ``problem`` alone for a caller that
    words its own refusal."""

    def __init__(self, error: PricingError) -> None:
        super().__init__(str(error))
        self.field = error.field
        self.problem = error.problem


@dataclass(frozen=True)
class CheckoutFields:
    """The request's fields, checked: the sale's card, its basket, its tenders, the points and the
    coupons it uses (codes normalised, none repeated)."""

    card_number: str
    lines: tuple[BasketLine, ...]
    tenders: tuple[TenderIntent, ...]
    points_to_redeem: int
    coupon_codes: tuple[str, ...] = ()
    # The COUNT_USES tenders: uses of which item (K1), one tender per item.
    count_uses: tuple[CountUseIntent, ...] = ()

    @property
    def other_card_numbers(self) -> list[str]:
        """The second member cards (组合支付) paying part of the bill."""
        return [tender.card_number for tender in self.tenders if tender.kind is TenderKind.OTHER_MEMBER_CARD]


def drawn_on_main_card(fields: CheckoutFields, main_card_number: str) -> CheckoutFields:
    """A linked card's sale (C5, docs/adr/0032): its stored-value tender — or the stored value the
    engine implies when no money tender is given — draws on its main card, priced as that card's
    OTHER_MEMBER_CARD tender (so the main card's principal/bonus split applies, and its spend, refund
    and void follow the second-card path). Other tenders are left as they are."""
    money = [tender for tender in fields.tenders if tender.kind is not TenderKind.COUNT_USES]
    if not money:
        main = TenderIntent(kind=TenderKind.OTHER_MEMBER_CARD, amount_fen=0, card_number=main_card_number)
        return replace(fields, tenders=(*fields.tenders, main))
    return replace(fields, tenders=tuple(
        replace(tender, kind=TenderKind.OTHER_MEMBER_CARD, card_number=main_card_number)
        if tender.kind is TenderKind.STORED_VALUE else tender
        for tender in fields.tenders
    ))


# What a checkout and a quote share: the basket, the tenders, the coupons.
SaleRequest = transactions_pb2.CheckoutRequest | transactions_pb2.QuoteCheckoutRequest


def basket(request: SaleRequest) -> tuple[BasketLine, ...]:
    lines = []
    for index, line in enumerate(request.lines):
        validation.require_text(f"lines[{index}].sku", line.sku)
        lines.append(BasketLine(
            sku=line.sku, name=validation.optional_text(f"lines[{index}].name", line.name) or line.sku,
            category=line.category, quantity=line.quantity, unit_price_fen=line.unit_price_fen,
        ))
    return tuple(lines)


def tender_intents(request: SaleRequest, *, offline: bool = False) -> tuple[TenderIntent, ...]:
    intents = []
    for index, tender in enumerate(request.tenders):
        if offline and tender.type in _NOT_OFFLINE:
            raise NotTakenOffline("a second member card cannot be taken offline")
        kind = _TENDER_KINDS.get(tender.type)
        if kind is None:
            raise InvalidArgument(f"tenders[{index}].type", "must be stored value, count uses, cash, bank card or mobile pay" if offline
                                  else "must be stored value, another member card, count uses, cash, bank card or mobile pay")
        if tender.amount_fen < 0:
            raise InvalidArgument(f"tenders[{index}].amount_fen", "must not be negative")
        if kind is TenderKind.OTHER_MEMBER_CARD:
            validation.card_number(tender.card_number, f"tenders[{index}].card_number")
        intents.append(TenderIntent(kind=kind, amount_fen=tender.amount_fen, card_number=tender.card_number))
    return tuple(intents)


def count_use_intents(request: SaleRequest) -> tuple[CountUseIntent, ...]:
    """The COUNT_USES tenders: each names an item and 1..MAX_USES uses; an item named twice is
    INVALID_ARGUMENT naming the second tender."""
    intents: list[CountUseIntent] = []
    for index, tender in enumerate(request.tenders):
        if tender.type != common_pb2.TENDER_TYPE_COUNT_USES:
            continue
        where = f"tenders[{index}]"
        item = validation.require_text(f"{where}.count_item_code", tender.count_item_code)
        if not 1 <= tender.uses <= MAX_USES:
            raise InvalidArgument(f"{where}.uses", f"must be between 1 and {MAX_USES}")
        if tender.amount_fen:
            raise InvalidArgument(f"{where}.amount_fen", "count-card uses are valued by the sale's lines: leave 0")
        earlier = next((intent.where for intent in intents if intent.item_code == item), None)
        if earlier is not None:
            raise InvalidArgument(f"{where}.count_item_code", f"item {item} is already paid by {earlier}")
        intents.append(CountUseIntent(where, item, tender.uses))
    return tuple(intents)


def checkout_fields(request: transactions_pb2.CheckoutRequest, *, offline: bool = False) -> CheckoutFields:
    """Every field of ``request`` checked (INVALID_ARGUMENT naming the first at fault); ``offline``:
    for the store's stand-in, which refuses what it cannot take (:class:`NotTakenOffline`)."""
    card_number = validation.card_number(request.card_number)
    lines = basket(request)
    intents = tender_intents(request, offline=offline)
    uses = count_use_intents(request)
    codes = coupon_codes(request)
    if request.points_to_redeem < 0:
        raise InvalidArgument("points_to_redeem", "must not be negative")
    if offline and request.points_to_redeem:
        raise NotTakenOffline("points cannot be used as cash while offline")
    return CheckoutFields(card_number, lines, intents, request.points_to_redeem, codes, uses)


def coupon_codes(request: SaleRequest) -> tuple[str, ...]:
    """Each code read with :func:`chaincard.coupons.codes.coupon_code` (spaces and dashes dropped);
    a code given twice is INVALID_ARGUMENT naming the second."""
    codes: list[str] = []
    for index, text in enumerate(request.coupon_codes):
        field = f"coupon_codes[{index}]"
        code = coupon_code(text, field)
        if code in codes:
            raise InvalidArgument(field, f"coupon {code} is already given as coupon_codes[{codes.index(code)}]")
        codes.append(code)
    return tuple(codes)


def is_birthday(birthday: date | None, local_day: date) -> bool:
    return birthday is not None and (birthday.month, birthday.day) == (local_day.month, local_day.day)


def pricing_input(
    fields: CheckoutFields,
    snapshot: program_config_pb2.ConfigSnapshot,
    *,
    store_id: str,
    local_time: datetime,
    level_code: str,
    stored_value: StoredValue,
    points_balance: int,
    birthday: date | None = None,
    other_cards: Mapping[str, StoredValue] | None = None,
    coupons: Sequence[HeldCoupon] = (),
    issuing_franchisee_id: str = "",
    card_type_code: str = "",
) -> CheckoutInput:
    """The pricing engine's input for the sale: the checked fields, what the card holds (and each
    second card), the card's level terms and the chain's points, split and earn rules from
    ``snapshot``. ``local_time``: the store's wall clock; ``birthday``: the holder's, when known
    (the offline stand-in does not know it, so its sales earn no birthday points).

    ``coupons``: the held coupons of ``fields.coupon_codes``, in that order, loaded by the caller (a
    code it cannot find is its own NOT_FOUND "coupon_codes[i]: no coupon <code>"); with the
    snapshot's coupon templates and holidays, and the card's ``issuing_franchisee_id`` (who bears a
    coupon whose template names no issuer). Coupons that are not the fields' is a caller's bug; none
    at all for a sale that names coupons is FAILED_PRECONDITION (a caller that does not load them).

    ``card_type_code``: the card's type, whose flags the sale follows (chaincard.card_types): no
    stored-value tender without ``stored_value``, no points earned or used without ``points``, no
    level discount without ``discount``; empty (a quote without a card) restricts nothing."""
    rules = card_types.rules_of(snapshot, card_type_code)
    # No tenders at all means the card's stored value pays (the engine's implied tender).
    if not fields.tenders or any(tender.kind is TenderKind.STORED_VALUE for tender in fields.tenders):
        rules.require_stored_value("the card cannot pay by stored value")
    if fields.points_to_redeem:
        rules.require_points("the card cannot use points as cash")
    if fields.coupon_codes and not coupons:
        # A caller that loads no coupons (one not yet taught to redeem them) refuses them precisely.
        raise FailedPrecondition("coupon_codes: coupons cannot be used at this checkout yet")
    if tuple(coupon.coupon_code for coupon in coupons) != fields.coupon_codes:
        raise ValueError("pricing_input needs the held coupons of fields.coupon_codes, in that order")
    level = terms.level_terms(next((level for level in snapshot.levels if level.code == level_code), None))
    if not rules.discount:
        level = replace(level, discount_bp=0, category_discount_bp={})
    return CheckoutInput(
        lines=fields.lines,
        context=SaleContext(store_id=store_id, level_code=level_code, local_time=local_time,
                            is_birthday=is_birthday(birthday, local_time.date())),
        card_number=fields.card_number,
        level=level,
        stored_value=stored_value,
        points_balance=points_balance,
        points_to_redeem=fields.points_to_redeem,
        points_policy=terms.points_policy(snapshot) if rules.points else PointsDeductionPolicy(),
        tenders=fields.tenders,
        other_cards=dict(other_cards or {}),
        split_rule=terms.split_rule(snapshot),
        earn_rules=terms.earn_rules(snapshot),
        earns_points=rules.points,
        coupons=tuple(coupons),
        coupon_templates=coupon_templates(snapshot) if coupons else {},
        holidays=frozenset(snapshot.settings.holidays),
        issuing_franchisee_id=issuing_franchisee_id,
        count_uses_stage=_count_uses_stage(fields.count_uses, snapshot),
    )


def _count_uses_stage(intents: Sequence[CountUseIntent], snapshot: program_config_pb2.ConfigSnapshot) -> CountUsesStage:
    """The stage paying for lines with the sale's count uses; an item HQ does not know is
    INVALID_ARGUMENT naming its tender (an item no longer sold still pays: its uses stay valid)."""
    if not intents:
        return no_count_uses
    items = {item.code: frozenset(item.eligible_skus) for item in snapshot.count_items}
    for intent in intents:
        if intent.item_code not in items:
            raise InvalidArgument(f"{intent.where}.count_item_code", f"no count item {intent.item_code!r}")
    return count_uses_stage(intents, items)


def price(checkout_input: CheckoutInput) -> CheckoutPlan:
    """The priced sale; INVALID_ARGUMENT naming the field for a malformed one, :class:`PricingRefused`
    (FAILED_PRECONDITION) for one the card's state forbids."""
    try:
        return price_checkout(checkout_input)
    except PricingError as error:
        raise pricing_refusal(error) from error


def pricing_refusal(error: PricingError) -> PricingRefused | InvalidArgument:
    """The pricing engine's refusal as the caller's: FAILED_PRECONDITION or INVALID_ARGUMENT."""
    if error.precondition:
        return PricingRefused(error)
    return InvalidArgument(error.field, error.problem)


def require_card_movement(plan: CheckoutPlan) -> None:
    """A sale is recorded on its card: it takes stored value from it, or earns or uses points."""
    takes = sum(t.amount_fen for t in plan.tenders if t.kind in (TenderKind.STORED_VALUE, TenderKind.COUNT_USES))
    if not takes and not plan.points_earned and not plan.points_redeemed:
        raise FailedPrecondition(NOTHING_ON_THE_CARD)
