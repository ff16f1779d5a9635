"""The rules a coupon redemption must meet (Q3), and what each used coupon takes off: pure Python.

A sale may use its coupons when (the first rule broken is the refusal, naming ``coupon_codes[i]``,
the code and the rule; rules 1–9 are checked for every coupon in coupon_codes order, then rule 10,
then rule 11 for every coupon, then rule 12 as the amounts are taken):

1. its template is in the program configuration;
2. it is held by the sale's card; 3. it is AVAILABLE;
4. the store's clock is within [valid_from, valid_until);
5. the store is in the template's ``store_ids`` (empty = every store);
6. the store's local weekday is in ``weekdays`` (ISO, empty = every day);
7. with ``exclude_holidays``, the store's local date is not in ChainSettings.holidays;
8. the store's local minute is in [start_minute_of_day, end_minute_of_day) — end 0 = all day, a
   start after the end wraps past midnight (EarnRule's convention);
9. the card's level is in ``level_codes`` (empty = every level);
10. stacking, in the order given: a coupon is refused when an earlier one has the same template,
    or when it or any earlier one is not stackable (so at most one coupon per order unless every
    coupon used is stackable, and never two of one template);
11. the eligible spend — the lines in ``categories`` (empty = all) after the level discount,
    before any coupon — reaches ``min_spend_fen``;
12. it takes something off (something in the basket is eligible and not already paid by other coupons).

Amounts (docs/adr/0019-coupons.md). Coupons are applied product coupons first, then percentage
(DISCOUNT) coupons, then cash vouchers — within a kind in the order given — each on what the lines
still cost after the level discount and the coupons before it, so a member's scan order never
changes the total and no coupon takes more than the lines cost:

- CASH_VOUCHER: ``face_value_fen``, at most what the eligible lines still cost;
- DISCOUNT: ``apply_rate(eligible cost, discount_bp)`` — half-up to the fen, once on the eligible
  total — at most ``max_discount_fen`` (0 = no cap);
- PRODUCT: one unit of the most expensive candidate line (lines of ``product_skus``, or of
  ``categories`` when no SKUs are named; ties: the first such line), free, or ``discount_bp`` off
  it (half-up). A unit's cost on a line of q units costing c is c / q, half-up to the fen.

A cash or discount coupon's amount is spread over its eligible lines in proportion to what they
still cost with ``allocation.spread_to_largest`` (half-up, the rounding remainder to the largest
line, ties to the first): deterministic, and each line's share is at most what it costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chaincard.coupons.templates import CouponKind, CouponTemplateTerms
from chaincard.money import apply_rate, format_fen, split_proportionally
from chaincard.pricing.allocation import spread_to_largest
from chaincard.pricing.errors import PricingError

__all__ = [
    "AVAILABLE",
    "AppliedCouponTerms",
    "CouponLine",
    "CouponRefused",
    "CouponResult",
    "CouponSale",
    "HeldCoupon",
    "apply_coupons",
    "check_redeemable",
    "coupons_restored",
]

AVAILABLE = "AVAILABLE"
_STATE_REFUSALS = {
    "REDEEMED": "has already been used",
    "EXPIRED": "has expired",
    "VOIDED": "has been voided",
}
_WEEKDAYS = ("", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Product coupons name their unit, so they go first; percentages before cash (see the docstring).
_KIND_ORDER = {CouponKind.PRODUCT: 0, CouponKind.DISCOUNT: 1, CouponKind.CASH_VOUCHER: 2}


@dataclass(frozen=True)
class HeldCoupon:
    """A coupon as its holder's region (or the store's cache) has it."""

    coupon_code: str
    template_code: str
    card_number: str  # the card holding it
    state: str  # "AVAILABLE" | "REDEEMED" | "EXPIRED" | "VOIDED"
    valid_from: datetime  # aware UTC
    valid_until: datetime  # exclusive


@dataclass(frozen=True)
class AppliedCouponTerms:
    """One coupon a priced sale uses."""

    coupon_code: str
    template_code: str
    discount_fen: int
    issuer_franchisee_id: str  # the template's, else the card's issuing franchisee


@dataclass(frozen=True)
class CouponSale:
    """Who, where and when, for the rules: the sale's card and its level, the store, the store's wall
    clock (aware), the chain's holidays ("YYYY-MM-DD") and the card's issuing franchisee (who bears
    a coupon whose template names none)."""

    card_number: str
    store_id: str
    level_code: str
    local_time: datetime
    holidays: frozenset[str] = frozenset()
    issuing_franchisee_id: str = ""


class CouponLine(Protocol):
    """What the rules read of a priced line (chaincard.pricing.PricedLine has it)."""

    @property
    def sku(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def net_fen(self) -> int: ...


@dataclass(frozen=True)
class CouponResult:
    """The coupon discount per line (0..net_fen) and the coupons used, in coupon_codes order."""

    per_line: tuple[int, ...]
    applied: tuple[AppliedCouponTerms, ...] = field(default=())


class CouponRefused(PricingError):
    """A coupon the sale cannot use (FAILED_PRECONDITION): ``index`` into coupon_codes, the code and
    ``reason`` — the rule broken, in words for the cashier."""

    def __init__(self, index: int, coupon_code: str, reason: str) -> None:
        super().__init__(f"coupon_codes[{index}]", f"coupon {coupon_code} {reason}", precondition=True)
        self.index = index
        self.coupon_code = coupon_code
        self.reason = reason


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _in_window(minute: int, start: int, end: int) -> bool:
    if end == 0:
        return True
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _local(moment: datetime, sale: CouponSale) -> str:
    return moment.astimezone(sale.local_time.tzinfo).strftime("%Y-%m-%d %H:%M")


def check_redeemable(coupon: HeldCoupon, template: CouponTemplateTerms | None, sale: CouponSale) -> str | None:
    """Rules 1–9 for one coupon on its own: the reason it cannot be used, or None."""
    if template is None:
        return f"is of template {coupon.template_code}, which the program configuration does not have"
    if not sale.card_number:
        return "can only be used with the member card holding it"
    if coupon.card_number != sale.card_number:
        return "is held by another card"
    if coupon.state != AVAILABLE:
        return _STATE_REFUSALS.get(coupon.state, f"is {coupon.state.lower()}")
    now = sale.local_time
    if now < coupon.valid_from:
        return f"is not valid yet: it can be used from {_local(coupon.valid_from, sale)}"
    if now >= coupon.valid_until:
        return f"has expired: it could be used until {_local(coupon.valid_until, sale)}"
    if template.store_ids and sale.store_id not in template.store_ids:
        return f"cannot be used at this store ({sale.store_id})"
    weekday = now.isoweekday()
    if template.weekdays and weekday not in template.weekdays:
        days = ", ".join(_WEEKDAYS[day] for day in sorted(template.weekdays) if 1 <= day <= 7)
        return f"cannot be used on a {_WEEKDAYS[weekday]} (only {days})"
    if template.exclude_holidays and now.date().isoformat() in sale.holidays:
        return f"cannot be used on a holiday ({now.date().isoformat()})"
    start, end = template.start_minute_of_day, template.end_minute_of_day
    if not _in_window(now.hour * 60 + now.minute, start, end):
        return f"cannot be used at this hour (only from {_clock(start)} to {_clock(end)})"
    if template.level_codes and sale.level_code not in template.level_codes:
        levels = ", ".join(template.level_codes)
        if not sale.level_code:
            return f"is only for level {levels} cards"
        return f"is not for level {sale.level_code} cards (only {levels})"
    return None


def _stacking(coupons: Sequence[HeldCoupon], templates: Mapping[str, CouponTemplateTerms]) -> CouponRefused | None:
    """Rule 10: the first coupon that cannot join the ones before it."""
    for index, coupon in enumerate(coupons):
        template = templates[coupon.template_code]
        for earlier in coupons[:index]:
            if earlier.template_code == coupon.template_code:
                return CouponRefused(index, coupon.coupon_code, f"cannot be combined with coupon {earlier.coupon_code} "
                                                                 f"of the same template ({coupon.template_code})")
            if not template.stackable or not templates[earlier.template_code].stackable:
                return CouponRefused(index, coupon.coupon_code, f"cannot be combined with coupon {earlier.coupon_code}: "
                                                                 "only stackable coupons may be used together")
    return None


def _eligible(line: CouponLine, template: CouponTemplateTerms) -> bool:
    return not template.categories or line.category in template.categories


def _candidates(line: CouponLine, template: CouponTemplateTerms) -> bool:
    """A line whose unit a PRODUCT coupon may take."""
    if template.product_skus:
        return line.sku in template.product_skus
    return _eligible(line, template)


def _scope(template: CouponTemplateTerms) -> str:
    return f"{', '.join(template.categories)} items" if template.categories else "the basket"


def _product_discount(lines: Sequence[CouponLine], left: list[int], template: CouponTemplateTerms) -> list[int]:
    """One unit of the most expensive candidate line (ties: the first), free or discount_bp off."""
    best, best_unit = -1, 0
    for index, line in enumerate(lines):
        if not _candidates(line, template) or left[index] <= 0:
            continue
        unit = min(left[index], split_proportionally(left[index], 1, line.quantity))
        if unit > best_unit:
            best, best_unit = index, unit
    shares = [0] * len(lines)
    if best >= 0:
        shares[best] = apply_rate(best_unit, template.discount_bp) if template.discount_bp else best_unit
    return shares


def _coupon_shares(lines: Sequence[CouponLine], left: list[int], template: CouponTemplateTerms) -> list[int]:
    """What ``template``'s coupon takes off each line still costing ``left``."""
    if template.kind is CouponKind.PRODUCT:
        return _product_discount(lines, left, template)
    weights = [left[index] if _eligible(line, template) else 0 for index, line in enumerate(lines)]
    cost = sum(weights)
    if template.kind is CouponKind.DISCOUNT:
        amount = apply_rate(cost, template.discount_bp)
        if template.max_discount_fen:
            amount = min(amount, template.max_discount_fen)
    else:
        amount = min(template.face_value_fen, cost)
    return spread_to_largest(amount, weights)


def apply_coupons(
    lines: Sequence[CouponLine],
    coupons: Sequence[HeldCoupon],
    templates: Mapping[str, CouponTemplateTerms],
    sale: CouponSale,
) -> CouponResult:
    """The coupon discount per line and the coupons used, for ``lines`` priced up to the level
    discount; raises :class:`CouponRefused` for the first coupon (in the order of the rules above,
    then of coupon_codes) that cannot be used."""
    if not coupons:
        return CouponResult(per_line=(0,) * len(lines))
    for index, coupon in enumerate(coupons):
        reason = check_redeemable(coupon, templates.get(coupon.template_code), sale)
        if reason is not None:
            raise CouponRefused(index, coupon.coupon_code, reason)
    stacking = _stacking(coupons, templates)
    if stacking is not None:
        raise stacking
    for index, coupon in enumerate(coupons):
        template = templates[coupon.template_code]
        spend = sum(line.net_fen for line in lines if _eligible(line, template))
        if spend < template.min_spend_fen:
            raise CouponRefused(index, coupon.coupon_code, f"needs a minimum spend of {format_fen(template.min_spend_fen)} "
                                                           f"on {_scope(template)}; this sale has {format_fen(spend)}")

    left = [line.net_fen for line in lines]
    discounts = [0] * len(coupons)
    order = sorted(range(len(coupons)), key=lambda i: (_KIND_ORDER[templates[coupons[i].template_code].kind], i))
    for index in order:
        coupon = coupons[index]
        template = templates[coupon.template_code]
        shares = _coupon_shares(lines, left, template)
        if not sum(shares):
            raise CouponRefused(index, coupon.coupon_code, _nothing_to_take(lines, template, len(coupons) > 1))
        left = [cost - share for cost, share in zip(left, shares, strict=True)]
        discounts[index] = sum(shares)

    applied = tuple(
        AppliedCouponTerms(coupon.coupon_code, coupon.template_code, discount,
                           templates[coupon.template_code].issuer_franchisee_id or sale.issuing_franchisee_id)
        for coupon, discount in zip(coupons, discounts, strict=True)
    )
    per_line = tuple(line.net_fen - cost for line, cost in zip(lines, left, strict=True))
    return CouponResult(per_line=per_line, applied=applied)


def _nothing_to_take(lines: Sequence[CouponLine], template: CouponTemplateTerms, stacked: bool) -> str:
    if template.kind is CouponKind.PRODUCT and not any(_candidates(line, template) for line in lines):
        named = ", ".join(template.product_skus) if template.product_skus else ", ".join(template.categories)
        return f"applies to nothing in this sale (its products: {named})"
    if stacked:
        return f"has nothing left to take off {_scope(template)} after the other coupons"
    return f"takes nothing off this sale ({_scope(template)} cost nothing after discounts)"


def coupons_restored(used: Sequence[HeldCoupon], *, whole_sale: bool, now: datetime) -> tuple[str, ...]:
    """The codes a refund or void makes AVAILABLE again (V6, docs/adr/0019-coupons.md): when it
    leaves nothing of the sale unrefunded (a void, a full refund, or the partial refund that
    completes the others), each coupon the sale used that is still REDEEMED and within
    [valid_from, valid_until) at ``now``; a partial refund restores none — the coupon's discount was
    for the whole basket, and the lines still kept were bought with it."""
    if not whole_sale:
        return ()
    return tuple(coupon.coupon_code for coupon in used
                 if coupon.state == "REDEEMED" and coupon.valid_from <= now < coupon.valid_until)
