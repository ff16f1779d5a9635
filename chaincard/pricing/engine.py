"""The checkout pipeline (X1), as pure functions over integers.

``price_checkout`` runs these stages in order, each on the lines the previous one priced:

a. lines: gross = quantity × unit_price_fen;
b. level discount per line by category (``LevelTerms``), half-up with ``apply_rate``;
c. coupons (``chaincard.coupons.rules``: each coupon's rules checked, its discount spread over its
   lines), then count-card uses (``CountUsesStage`` hook, none by default: fen of a line that
   count-card uses pay for);
d. points as cash (``PointsDeductionPolicy``), spread over the lines;
e. tenders in the order given, stored value split into principal and bonus;
f. points earned (``earning.py``) on what the lines cost after discounts and the points deduction,
   less what count-card uses paid.

Argument errors are found before state errors: the points balance and the cards' stored value are
checked only once the whole request is known to be well-formed, so a FAILED_PRECONDITION answer
means the same request would succeed against a richer card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Protocol

# A module import, not ``from … import name``: chaincard.coupons.rules imports chaincard.pricing
# (allocation, errors), so when it is imported first this module sees it half-loaded; its names are
# read only when a sale is priced (tests/unit/chaincard/coupons/test_rules.py imports it first).
from chaincard.coupons import rules as coupon_rules
from chaincard.coupons.templates import CouponTemplateTerms
from chaincard.money import BASIS_POINTS, apply_rate, format_fen, split_proportionally
from chaincard.pricing.allocation import spread_to_largest
from chaincard.pricing.earning import earn_points
from chaincard.pricing.errors import PricingError
from chaincard.pricing.terms import (
    EarnRule,
    LevelTerms,
    PointsDeductionPolicy,
    SaleContext,
    SplitRule,
    StoredValue,
    TenderKind,
)

MAX_LINES = 500

__all__ = [
    "MAX_LINES",
    "AppliedTender",
    "BasketLine",
    "CheckoutInput",
    "CheckoutPlan",
    "CountUsesStage",
    "ExternalTender",
    "PricedLine",
    "PricingError",
    "TenderIntent",
    "no_count_uses",
    "price_checkout",
    "split_stored_value",
]


@dataclass(frozen=True)
class BasketLine:
    """One line of the basket as the store sends it (BasketLine)."""

    sku: str
    name: str
    category: str
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True)
class TenderIntent:
    """How the customer wants to pay part of the bill (TenderRequest).

    ``amount_fen`` 0 is allowed only on the last tender and means "whatever is still due".
    ``card_number`` names the card for OTHER_MEMBER_CARD; a STORED_VALUE tender is this sale's own
    card (card_number empty or equal to it); external tenders name no card. A COUNT_USES tender is a
    placeholder with amount 0: its value comes from the count-uses stage.
    """

    kind: TenderKind | str
    amount_fen: int = 0
    card_number: str = ""


# The earlier name of a tender paid outside the card (cash, bank card, mobile pay).
ExternalTender = TenderIntent


@dataclass(frozen=True)
class AppliedTender:
    """How one tender was applied (AppliedTender); principal and bonus only for stored value."""

    kind: TenderKind
    amount_fen: int
    principal_fen: int = 0
    bonus_fen: int = 0
    card_number: str = ""


@dataclass(frozen=True)
class PricedLine:
    """A basket line after pricing. net_fen = gross − level discount − coupon − points deduction;
    ``count_uses_fen`` is the part of net_fen paid by count-card uses (a tender, not a discount)."""

    sku: str
    name: str
    category: str
    quantity: int
    unit_price_fen: int
    gross_fen: int
    level_discount_fen: int
    coupon_discount_fen: int
    points_deduction_fen: int
    net_fen: int
    points_earned: int
    count_uses_fen: int = 0


class CountUsesStage(Protocol):
    """Given the lines after coupons, the fen of each line paid by count-card uses (0..net_fen)."""

    def __call__(self, lines: tuple[PricedLine, ...], /) -> Sequence[int]: ...


def no_count_uses(lines: tuple[PricedLine, ...], /) -> Sequence[int]:
    return (0,) * len(lines)


@dataclass(frozen=True)
class CheckoutInput:
    """Everything a checkout is priced from: the request (lines, card_number, points_to_redeem,
    tenders) and the state and configuration the caller loaded for it.

    ``points_balance`` and ``stored_value`` are what this card holds; ``other_cards`` what each
    OTHER_MEMBER_CARD tender's card holds. Without a card_number the sale earns and redeems no
    points and cannot use stored value.

    ``coupons``: the held coupons the sale uses, in coupon_codes order, with the program's
    ``coupon_templates`` (by code), the chain's ``holidays`` ("YYYY-MM-DD") and the card's
    ``issuing_franchisee_id`` (who bears a coupon whose template names no issuer).
    """

    lines: Sequence[BasketLine]
    context: SaleContext
    card_number: str = ""
    level: LevelTerms = field(default_factory=LevelTerms)
    stored_value: StoredValue = field(default_factory=lambda: StoredValue(0, 0))
    points_balance: int = 0
    points_to_redeem: int = 0
    points_policy: PointsDeductionPolicy = field(default_factory=PointsDeductionPolicy)
    tenders: Sequence[TenderIntent] = ()
    other_cards: Mapping[str, StoredValue] = field(default_factory=dict)
    split_rule: SplitRule | str = SplitRule.PROPORTIONAL
    earn_rules: Sequence[EarnRule] = ()
    # False: the card's type carries no points (CardType.points, chaincard.card_types): it earns none.
    earns_points: bool = True
    coupons: Sequence[coupon_rules.HeldCoupon] = ()
    coupon_templates: Mapping[str, CouponTemplateTerms] = field(default_factory=dict)
    holidays: frozenset[str] = frozenset()
    issuing_franchisee_id: str = ""
    count_uses_stage: CountUsesStage = no_count_uses


@dataclass(frozen=True)
class CheckoutPlan:
    """The priced sale. discount_fen = level + coupon discounts; total_due_fen = subtotal −
    discount − points deduction, and the tenders (count-card uses included) add up to it."""

    lines: tuple[PricedLine, ...]
    subtotal_fen: int
    level_discount_fen: int
    coupon_discount_fen: int
    discount_fen: int
    points_redeemed: int
    points_deduction_fen: int
    total_due_fen: int
    tenders: tuple[AppliedTender, ...]
    points_earned: int
    # The most points this bill could take as cash (QuoteCheckoutResponse.max_points_redeemable).
    max_points_redeemable: int = 0
    notes: tuple[str, ...] = ()
    # The coupons used, in coupon_codes order; their discounts add up to coupon_discount_fen.
    applied_coupons: tuple[coupon_rules.AppliedCouponTerms, ...] = ()


def price_checkout(request: CheckoutInput) -> CheckoutPlan:
    """Price a checkout; raises ``PricingError`` naming the field at fault.

    Rounding happens in four places only: the level discount per line (``apply_rate``, half-up),
    a coupon's amount (a percentage of its lines, a product coupon's unit: half-up, see
    ``chaincard.coupons.rules``), the principal/bonus split of a PROPORTIONAL stored-value tender
    (``split_proportionally``, half-up on the bonus, principal takes the rest) and the points earned
    (see ``earning.py``). A coupon's amount and the points deduction are spread over lines with
    ``allocation.spread_to_largest``.
    """
    if request.level.code and request.context.level_code and request.level.code != request.context.level_code:
        raise ValueError("level.code and context.level_code disagree")
    split_rule = SplitRule(request.split_rule)
    lines = _price_lines(request.lines, request.level)
    lines, applied_coupons = _apply_coupons(lines, request)
    lines = _apply_count_uses(lines, request.count_uses_stage)
    lines, points_deduction_fen, max_points = _redeem_points(lines, request)
    total_due = sum(line.net_fen for line in lines)
    count_uses_fen = sum(line.count_uses_fen for line in lines)
    payments = _resolve_tenders(request, total_due - count_uses_fen, count_uses_fen)
    _check_balances(request, payments)

    tenders: list[AppliedTender] = []
    if count_uses_fen:
        tenders.append(AppliedTender(TenderKind.COUNT_USES, count_uses_fen, card_number=request.card_number))
    for payment in payments:
        if payment.amount_fen == 0:
            continue
        principal = bonus = 0
        if payment.held is not None:
            principal, bonus = split_stored_value(payment.amount_fen, payment.held, split_rule)
        tenders.append(AppliedTender(payment.kind, payment.amount_fen, principal, bonus, payment.card_number))

    notes: list[str] = []
    if request.points_to_redeem:
        notes.append(f"{request.points_to_redeem} points used as {format_fen(points_deduction_fen)}")
    if request.card_number and request.earns_points:
        earned = earn_points(
            [(line.category, line.net_fen - line.count_uses_fen) for line in lines],
            request.earn_rules,
            request.context,
            level_multiplier_bp=request.level.points_multiplier_bp,
        )
        lines = tuple(replace(line, points_earned=points) for line, points in zip(lines, earned.per_line, strict=True))
        notes.extend(earned.notes)

    level_discount = sum(line.level_discount_fen for line in lines)
    coupon_discount = sum(line.coupon_discount_fen for line in lines)
    return CheckoutPlan(
        lines=lines,
        subtotal_fen=sum(line.gross_fen for line in lines),
        level_discount_fen=level_discount,
        coupon_discount_fen=coupon_discount,
        discount_fen=level_discount + coupon_discount,
        points_redeemed=request.points_to_redeem,
        points_deduction_fen=points_deduction_fen,
        total_due_fen=total_due,
        tenders=tuple(tenders),
        points_earned=sum(line.points_earned for line in lines),
        max_points_redeemable=max_points,
        notes=tuple(notes),
        applied_coupons=applied_coupons,
    )


def split_stored_value(amount_fen: int, held: StoredValue, rule: SplitRule) -> tuple[int, int]:
    """(principal, bonus) taken from a card holding ``held`` to pay ``amount_fen`` <= held.total_fen.

    PROPORTIONAL: bonus = split_proportionally(amount, bonus held, total held) — half-up, the one
    rounding — and principal takes the rest; neither part exceeds what the card holds.
    PRINCIPAL_FIRST / BONUS_FIRST: one balance is used up before the other; no rounding.
    """
    if rule is SplitRule.PRINCIPAL_FIRST:
        principal = min(amount_fen, held.principal_fen)
        return principal, amount_fen - principal
    if rule is SplitRule.BONUS_FIRST:
        bonus = min(amount_fen, held.bonus_fen)
        return amount_fen - bonus, bonus
    bonus = split_proportionally(amount_fen, held.bonus_fen, held.total_fen)
    return amount_fen - bonus, bonus


def _price_lines(basket: Sequence[BasketLine], level: LevelTerms) -> tuple[PricedLine, ...]:
    if not basket:
        raise PricingError("lines", "a basket needs at least one line")
    if len(basket) > MAX_LINES:
        raise PricingError("lines", f"at most {MAX_LINES} lines, {len(basket)} given")
    priced = []
    for index, line in enumerate(basket):
        if line.quantity <= 0:
            raise PricingError(f"lines[{index}].quantity", f"must be positive, not {line.quantity}")
        if line.unit_price_fen < 0:
            raise PricingError(f"lines[{index}].unit_price_fen", f"must not be negative, not {line.unit_price_fen}")
        gross = line.quantity * line.unit_price_fen
        level_discount = apply_rate(gross, level.discount_bp_for(line.category))
        priced.append(
            PricedLine(
                sku=line.sku,
                name=line.name,
                category=line.category,
                quantity=line.quantity,
                unit_price_fen=line.unit_price_fen,
                gross_fen=gross,
                level_discount_fen=level_discount,
                coupon_discount_fen=0,
                points_deduction_fen=0,
                net_fen=gross - level_discount,
                points_earned=0,
            )
        )
    return tuple(priced)


def _stage_amounts(stage_name: str, amounts: Sequence[int], lines: tuple[PricedLine, ...]) -> list[int]:
    """A hook's per-line answer, checked: one int per line, 0..net_fen. A broken hook is a bug."""
    amounts = list(amounts)
    if len(amounts) != len(lines):
        raise ValueError(f"{stage_name} gave {len(amounts)} amounts for {len(lines)} lines")
    for amount, line in zip(amounts, lines, strict=True):
        if not isinstance(amount, int) or not 0 <= amount <= line.net_fen:
            raise ValueError(f"{stage_name} gave {amount!r} fen for line {line.sku} costing {line.net_fen} fen")
    return amounts


def _apply_coupons(
    lines: tuple[PricedLine, ...], request: CheckoutInput
) -> tuple[tuple[PricedLine, ...], tuple[coupon_rules.AppliedCouponTerms, ...]]:
    """Stage c: the coupons' rules checked (``CouponRefused``, a PricingError naming
    coupon_codes[i]) and their discounts taken off the lines."""
    if not request.coupons:
        return lines, ()
    sale = coupon_rules.CouponSale(
        card_number=request.card_number, store_id=request.context.store_id,
        level_code=request.context.level_code or request.level.code, local_time=request.context.local_time,
        holidays=request.holidays, issuing_franchisee_id=request.issuing_franchisee_id,
    )
    result = coupon_rules.apply_coupons(lines, request.coupons, request.coupon_templates, sale)
    discounts = _stage_amounts("coupon stage", result.per_line, lines)
    priced = tuple(
        replace(line, coupon_discount_fen=discount, net_fen=line.net_fen - discount)
        for line, discount in zip(lines, discounts, strict=True)
    )
    return priced, result.applied


def _apply_count_uses(lines: tuple[PricedLine, ...], stage: CountUsesStage) -> tuple[PricedLine, ...]:
    covered = _stage_amounts("count-uses stage", stage(lines), lines)
    return tuple(replace(line, count_uses_fen=fen) for line, fen in zip(lines, covered, strict=True))


def _percent(rate_bp: int) -> str:
    return f"{(Decimal(rate_bp) / 100).normalize():f}%"


def _redeem_points(lines: tuple[PricedLine, ...], request: CheckoutInput) -> tuple[tuple[PricedLine, ...], int, int]:
    """Stage d: (lines with the deduction spread over them, deduction in fen, most points redeemable).

    The cap is floor(bill × max_bill_share_bp / 10000), by integer division — a cap never rounds up
    — where the bill is what the lines cost after discounts and coupons, less count-card uses. The
    deduction goes to the lines in proportion to that with ``spread_to_largest`` (half-up, the
    rounding remainder to the largest line), so the line deductions add up exactly.
    """
    policy = request.points_policy
    points = request.points_to_redeem
    payable = [line.net_fen - line.count_uses_fen for line in lines]
    bill = sum(payable)
    max_points = _max_points_redeemable(policy, bill, request.points_balance) if request.card_number else 0
    if points < 0:
        raise PricingError("points_to_redeem", f"must not be negative, not {points}")
    if points == 0:
        return lines, 0, max_points
    if not request.card_number:
        raise PricingError("points_to_redeem", "points can only be used with a member card")
    if not policy.enabled:
        raise PricingError("points_to_redeem", "points cannot be used as cash in this program", precondition=True)
    if points % policy.points_per_unit:
        raise PricingError("points_to_redeem", f"must be a whole multiple of {policy.points_per_unit} points, not {points}")
    if points < policy.min_points:
        raise PricingError("points_to_redeem", f"at least {policy.min_points} points per use, not {points}")
    cap_fen = bill * policy.max_bill_share_bp // BASIS_POINTS
    value_fen = points // policy.points_per_unit * policy.unit_value_fen
    if value_fen > cap_fen:
        allowed = cap_fen // policy.unit_value_fen * policy.points_per_unit
        limit = (
            f"at most {allowed} points"
            if allowed >= max(policy.min_points, policy.points_per_unit)
            else f"no points (the minimum is {max(policy.min_points, policy.points_per_unit)})"
        )
        raise PricingError(
            "points_to_redeem",
            f"{points} points are worth {value_fen} fen but points may pay at most "
            f"{_percent(policy.max_bill_share_bp)} of this {bill} fen bill ({cap_fen} fen): {limit}",
        )
    shares = spread_to_largest(value_fen, payable)
    lines = tuple(
        replace(line, points_deduction_fen=share, net_fen=line.net_fen - share)
        for line, share in zip(lines, shares, strict=True)
    )
    return lines, value_fen, max_points


def _max_points_redeemable(policy: PointsDeductionPolicy, bill_fen: int, balance: int) -> int:
    """The cap in points, no more than the card holds, in whole units; 0 below min_points."""
    if not policy.enabled:
        return 0
    cap_points = bill_fen * policy.max_bill_share_bp // BASIS_POINTS // policy.unit_value_fen * policy.points_per_unit
    held_points = max(balance, 0) // policy.points_per_unit * policy.points_per_unit
    most = min(cap_points, held_points)
    return most if most >= policy.min_points else 0


@dataclass(frozen=True)
class _Payment:
    field_prefix: str  # "tenders[i]", or "" for the stored-value tender implied by an empty list
    kind: TenderKind
    amount_fen: int
    card_number: str
    held: StoredValue | None = None  # filled in by _check_balances for stored-value tenders


def _tender_card(request: CheckoutInput, where: str, kind: TenderKind, card_number: str) -> str:
    if kind is TenderKind.STORED_VALUE:
        if not request.card_number:
            raise PricingError("card_number", f"required: {where} pays with the member card's stored value")
        if card_number and card_number != request.card_number:
            raise PricingError(
                f"{where}.card_number",
                f"a STORED_VALUE tender pays from this sale's card {request.card_number}; "
                f"use OTHER_MEMBER_CARD for card {card_number}",
            )
        return request.card_number
    if kind is TenderKind.OTHER_MEMBER_CARD:
        if not card_number:
            raise PricingError(f"{where}.card_number", "required for an OTHER_MEMBER_CARD tender")
        if card_number == request.card_number:
            raise PricingError(f"{where}.card_number", "is this sale's own card: use a STORED_VALUE tender")
        return card_number
    if card_number:
        raise PricingError(f"{where}.card_number", f"only stored-value tenders name a card, not {kind}")
    return ""


def _resolve_tenders(request: CheckoutInput, money_due: int, count_uses_fen: int) -> list[_Payment]:
    """Stage e, argument checks: each tender's kind, card and amount, and that they cover
    ``money_due`` (total due less what count-card uses pay) exactly."""
    kinds = []
    for index, intent in enumerate(request.tenders):
        try:
            kinds.append(TenderKind(intent.kind))
        except ValueError:
            known = ", ".join(kind for kind in TenderKind)
            raise PricingError(f"tenders[{index}].type", f"unknown tender type {intent.kind!r} (one of {known})") from None
    money_indexes = [index for index, kind in enumerate(kinds) if kind is not TenderKind.COUNT_USES]
    last_money = money_indexes[-1] if money_indexes else None

    payments: list[_Payment] = []
    paying_cards: dict[str, str] = {}
    for index, (intent, kind) in enumerate(zip(request.tenders, kinds, strict=True)):
        where = f"tenders[{index}]"
        if intent.amount_fen < 0:
            raise PricingError(f"{where}.amount_fen", f"must not be negative, not {intent.amount_fen}")
        if kind is TenderKind.COUNT_USES:
            if intent.amount_fen:
                raise PricingError(f"{where}.amount_fen", "count-card uses are valued by the sale's lines: leave 0")
            continue
        if intent.amount_fen == 0 and index != last_money:
            raise PricingError(f"{where}.amount_fen", "0 (pay the rest) is only allowed on the last tender")
        card = _tender_card(request, where, kind, intent.card_number)
        if card in paying_cards:
            culprit = f"{where}.type" if kind is TenderKind.STORED_VALUE else f"{where}.card_number"
            raise PricingError(culprit, f"card {card} already pays as {paying_cards[card]}")
        if card:
            paying_cards[card] = where
        payments.append(_Payment(where, kind, intent.amount_fen, card))

    if not payments:
        if money_due == 0:
            return []
        if not request.card_number:
            raise PricingError("tenders", f"{money_due} fen is due and there is no member card to pay it")
        return [_Payment("", TenderKind.STORED_VALUE, money_due, request.card_number)]

    after_count_uses = f" (after {count_uses_fen} fen paid by count-card uses)" if count_uses_fen else ""
    given = sum(payment.amount_fen for payment in payments)
    if payments[-1].amount_fen == 0:
        rest = money_due - given
        if rest < 0:
            raise PricingError(
                "tenders", f"the tenders before the last cover {given} fen of {money_due} fen due{after_count_uses}"
            )
        payments[-1] = replace(payments[-1], amount_fen=rest)
    elif given != money_due:
        raise PricingError("tenders", f"the tenders cover {given} fen of {money_due} fen due{after_count_uses}")
    return payments


def _check_balances(request: CheckoutInput, payments: list[_Payment]) -> None:
    """State checks, once the request is known to be well-formed: points held, stored value held.
    Fills in what each stored-value tender's card holds."""
    if request.points_to_redeem > request.points_balance:
        raise PricingError(
            "points_to_redeem",
            f"the card holds {request.points_balance} points, {request.points_to_redeem} requested",
            precondition=True,
        )
    for position, payment in enumerate(payments):
        if payment.kind is TenderKind.STORED_VALUE:
            culprit, held = "card_number", request.stored_value
        elif payment.kind is TenderKind.OTHER_MEMBER_CARD:
            culprit = f"{payment.field_prefix}.card_number"
            other = request.other_cards.get(payment.card_number)
            if other is None:
                raise PricingError(culprit, f"no stored value is known for card {payment.card_number}", precondition=True)
            held = other
        else:
            continue
        if payment.amount_fen > held.total_fen:
            raise PricingError(
                culprit,
                f"insufficient stored value on card {payment.card_number}: "
                f"{payment.amount_fen} fen needed, {held.total_fen} fen available",
                precondition=True,
            )
        payments[position] = replace(payment, held=held)
