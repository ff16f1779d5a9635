"""The rules a coupon redemption must meet, each with its precise refusal, and what each kind takes off."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chaincard.coupons.rules import (
    AppliedCouponTerms,
    CouponRefused,
    CouponSale,
    HeldCoupon,
    apply_coupons,
    check_redeemable,
    coupons_restored,
)
from chaincard.coupons.templates import CouponKind, CouponTemplateTerms
from chaincard.pricing import PricedLine

SHANGHAI = timezone(timedelta(hours=8))
WEDNESDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)  # isoweekday 3
CARD = "881234567890123"
OTHER_CARD = "881234567890131"
CODE_A = "98800000000000006"
CODE_B = "98800000000000014"
CODE_C = "98800000000000022"

CASH_20 = CouponTemplateTerms(code="CASH-20", name="满100减20", kind=CouponKind.CASH_VOUCHER, face_value_fen=2_000,
                              min_spend_fen=10_000, issuer_franchisee_id="F-HQ")
SALE = CouponSale(card_number=CARD, store_id="S-1", level_code="GOLD", local_time=WEDNESDAY_NOON,
                  holidays=frozenset({"2026-10-01"}), issuing_franchisee_id="F-CARD")


def line(sku: str, category: str, quantity: int, net_fen: int) -> PricedLine:
    return PricedLine(sku=sku, name=sku, category=category, quantity=quantity, unit_price_fen=net_fen // quantity,
                      gross_fen=net_fen, level_discount_fen=0, coupon_discount_fen=0, points_deduction_fen=0,
                      net_fen=net_fen, points_earned=0)


def held(code: str = CODE_A, template: str = "CASH-20", **changes: object) -> HeldCoupon:
    coupon = HeldCoupon(code, template, CARD, "AVAILABLE", datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    return replace(coupon, **changes)  # type: ignore[arg-type]


TEA = line("TEA", "tea", 2, 9_000)
CAKE = line("CAKE", "bakery", 1, 3_001)


def test_modules_import_in_either_order() -> None:
    """The engine and the rules import each other's packages; either may be imported first."""
    for first in ("chaincard.coupons.rules", "chaincard.pricing", "chaincard.checkout.quote"):
        subprocess.run([sys.executable, "-c", f"import {first}; import chaincard.pricing.engine; import chaincard.coupons.rules"],
                       check=True)


# ---- rules 1–9, one coupon at a time -------------------------------------------------------------

@pytest.mark.parametrize(("coupon", "template", "sale", "reason"), [
    (held(), None, SALE, "is of template CASH-20, which the program configuration does not have"),
    (held(card_number=OTHER_CARD), CASH_20, SALE, "is held by another card"),
    (held(), CASH_20, replace(SALE, card_number=""), "can only be used with the member card holding it"),
    (held(state="REDEEMED"), CASH_20, SALE, "has already been used"),
    (held(state="EXPIRED"), CASH_20, SALE, "has expired"),
    (held(state="VOIDED"), CASH_20, SALE, "has been voided"),
    (held(valid_from=datetime(2026, 12, 2, 5, tzinfo=UTC)), CASH_20, SALE,
     "is not valid yet: it can be used from 2026-12-02 13:00"),
    (held(valid_until=datetime(2026, 12, 2, 4, tzinfo=UTC)), CASH_20, SALE,
     "has expired: it could be used until 2026-12-02 12:00"),
    (held(), replace(CASH_20, store_ids=("S-2", "S-3")), SALE, "cannot be used at this store (S-1)"),
    (held(), replace(CASH_20, weekdays=(6, 7)), SALE, "cannot be used on a Wednesday (only Saturday, Sunday)"),
    (held(), replace(CASH_20, exclude_holidays=True), replace(SALE, holidays=frozenset({"2026-12-02"})),
     "cannot be used on a holiday (2026-12-02)"),
    (held(), replace(CASH_20, start_minute_of_day=14 * 60, end_minute_of_day=17 * 60), SALE,
     "cannot be used at this hour (only from 14:00 to 17:00)"),
    (held(), replace(CASH_20, start_minute_of_day=22 * 60, end_minute_of_day=2 * 60), SALE,
     "cannot be used at this hour (only from 22:00 to 02:00)"),
    (held(), replace(CASH_20, level_codes=("PLATINUM",)), SALE, "is not for level GOLD cards (only PLATINUM)"),
])
def test_each_rule_has_its_own_refusal(coupon: HeldCoupon, template: CouponTemplateTerms | None, sale: CouponSale,
                                       reason: str) -> None:
    assert check_redeemable(coupon, template, sale) == reason
    templates = {} if template is None else {"CASH-20": template}
    with pytest.raises(CouponRefused) as refused:
        apply_coupons([TEA, CAKE], [coupon], templates, sale)
    assert (refused.value.field, refused.value.index, refused.value.reason) == ("coupon_codes[0]", 0, reason)
    assert refused.value.precondition and f"coupon {CODE_A} {reason}" == refused.value.problem


@pytest.mark.parametrize(("template", "when"), [
    (CASH_20, WEDNESDAY_NOON),
    (replace(CASH_20, store_ids=("S-1",), weekdays=(3,), level_codes=("GOLD", "SILVER")), WEDNESDAY_NOON),
    (replace(CASH_20, exclude_holidays=True), WEDNESDAY_NOON),  # 2026-12-02 is not a holiday
    (replace(CASH_20, start_minute_of_day=12 * 60, end_minute_of_day=12 * 60 + 1), WEDNESDAY_NOON),  # start inclusive
    (replace(CASH_20, start_minute_of_day=22 * 60, end_minute_of_day=2 * 60), WEDNESDAY_NOON.replace(hour=1, minute=59)),
    (replace(CASH_20, start_minute_of_day=22 * 60, end_minute_of_day=2 * 60), WEDNESDAY_NOON.replace(hour=23)),
    (replace(CASH_20, start_minute_of_day=600, end_minute_of_day=0), WEDNESDAY_NOON.replace(hour=1)),  # end 0: all day
])
def test_a_coupon_within_its_rules_is_usable(template: CouponTemplateTerms, when: datetime) -> None:
    assert check_redeemable(held(), template, replace(SALE, local_time=when)) is None


def test_the_window_end_and_validity_end_are_exclusive() -> None:
    window = replace(CASH_20, start_minute_of_day=600, end_minute_of_day=720)
    assert check_redeemable(held(), window, SALE) is not None  # 12:00 is the end
    assert check_redeemable(held(valid_until=WEDNESDAY_NOON), CASH_20, SALE) is not None
    assert check_redeemable(held(valid_from=WEDNESDAY_NOON), CASH_20, SALE) is None


# ---- amounts --------------------------------------------------------------------------------------

def test_a_cash_voucher_is_spread_over_its_lines_to_the_fen() -> None:
    result = apply_coupons([TEA, CAKE], [held()], {"CASH-20": CASH_20}, SALE)
    # 2000 over 9000 : 3001 → 2000×9000/12001 = 1499.875 → 1500; 2000×3001/12001 = 500.125 → 500
    assert result.per_line == (1_500, 500)
    assert result.applied == (AppliedCouponTerms(CODE_A, "CASH-20", 2_000, "F-HQ"),)


def test_a_cash_voucher_never_takes_more_than_its_lines_cost() -> None:
    big = replace(CASH_20, face_value_fen=50_000, min_spend_fen=0, categories=("bakery",), issuer_franchisee_id="")
    result = apply_coupons([TEA, CAKE], [held()], {"CASH-20": big}, SALE)
    assert result.per_line == (0, 3_001)
    assert result.applied[0].issuer_franchisee_id == "F-CARD"  # no issuer on the template: the card's


def test_minimum_spend_counts_only_eligible_lines() -> None:
    tea_only = replace(CASH_20, categories=("tea",))
    with pytest.raises(CouponRefused) as refused:
        apply_coupons([TEA, CAKE], [held()], {"CASH-20": tea_only}, SALE)
    assert refused.value.reason == "needs a minimum spend of ¥100.00 on tea items; this sale has ¥90.00"
    assert apply_coupons([line("TEA", "tea", 1, 10_000)], [held()], {"CASH-20": tea_only}, SALE).per_line == (2_000,)


def test_a_discount_coupon_rounds_half_up_once_and_respects_its_cap() -> None:
    pct = CouponTemplateTerms(code="P15", name="15% off", kind=CouponKind.DISCOUNT, discount_bp=1_500)
    # 15% of 12001 = 1800.15 → 1800; spread 1800×9000/12001 = 1349.89 → 1350, 1800×3001/12001 = 450.11 → 450
    assert apply_coupons([TEA, CAKE], [held(template="P15")], {"P15": pct}, SALE).per_line == (1_350, 450)
    capped = replace(pct, max_discount_fen=1_000)
    assert sum(apply_coupons([TEA, CAKE], [held(template="P15")], {"P15": capped}, SALE).per_line) == 1_000
    # 15% of 3 fen = 0.45 → 0: nothing to take
    with pytest.raises(CouponRefused, match="takes nothing off this sale"):
        apply_coupons([line("GUM", "misc", 1, 3)], [held(template="P15")], {"P15": pct}, SALE)


def test_a_product_coupon_takes_the_most_expensive_unit() -> None:
    coffee = CouponTemplateTerms(code="FREE-COFFEE", name="free coffee", kind=CouponKind.PRODUCT,
                                 product_skus=("LATTE", "AMERICANO"))
    lines = [line("AMERICANO", "coffee", 3, 5_400), line("LATTE", "coffee", 2, 6_401), CAKE]
    # units: americano 5400/3 = 1800; latte 6401/2 = 3200.5 → 3201 (half-up): the latte's unit is free
    result = apply_coupons(lines, [held(template="FREE-COFFEE")], {"FREE-COFFEE": coffee}, SALE)
    assert result.per_line == (0, 3_201, 0)
    half = replace(coffee, discount_bp=5_000)  # 50% of 3201 = 1600.5 → 1601
    assert apply_coupons(lines, [held(template="FREE-COFFEE")], {"FREE-COFFEE": half}, SALE).per_line == (0, 1_601, 0)
    by_category = replace(coffee, product_skus=(), categories=("bakery",))
    assert apply_coupons(lines, [held(template="FREE-COFFEE")], {"FREE-COFFEE": by_category}, SALE).per_line == (0, 0, 3_001)
    with pytest.raises(CouponRefused, match=r"applies to nothing in this sale \(its products: LATTE, AMERICANO\)"):
        apply_coupons([CAKE], [held(template="FREE-COFFEE")], {"FREE-COFFEE": coffee}, SALE)


def test_ties_go_to_the_first_line() -> None:
    coffee = CouponTemplateTerms(code="FC", name="free", kind=CouponKind.PRODUCT, categories=("coffee",))
    lines = [line("A", "coffee", 1, 1_800), line("B", "coffee", 1, 1_800)]
    assert apply_coupons(lines, [held(template="FC")], {"FC": coffee}, SALE).per_line == (1_800, 0)


# ---- stacking -------------------------------------------------------------------------------------

def test_two_coupons_need_both_stackable_and_different_templates() -> None:
    pct = CouponTemplateTerms(code="P10", name="10% off", kind=CouponKind.DISCOUNT, discount_bp=1_000, stackable=True)
    cash = replace(CASH_20, stackable=True)
    templates = {"CASH-20": cash, "P10": pct}
    both = apply_coupons([TEA, CAKE], [held(CODE_A), held(CODE_B, "P10")], templates, SALE)
    # percentage first: 10% of 12001 = 1200.1 → 1200; then cash 2000 on 10801 left
    assert [coupon.discount_fen for coupon in both.applied] == [2_000, 1_200]
    assert sum(both.per_line) == 3_200
    # scan order does not change the total
    swapped = apply_coupons([TEA, CAKE], [held(CODE_B, "P10"), held(CODE_A)], templates, SALE)
    assert sorted(swapped.per_line) == sorted(both.per_line) and swapped.per_line == both.per_line

    with pytest.raises(CouponRefused) as same:
        apply_coupons([TEA, CAKE], [held(CODE_A), held(CODE_B, "P10"), held(CODE_C)], templates, SALE)
    assert (same.value.index, same.value.reason) == (
        2, f"cannot be combined with coupon {CODE_A} of the same template (CASH-20)")

    lone = {"CASH-20": CASH_20, "P10": pct}  # CASH-20 not stackable
    with pytest.raises(CouponRefused) as alone:
        apply_coupons([TEA, CAKE], [held(CODE_B, "P10"), held(CODE_A)], lone, SALE)
    assert (alone.value.field, alone.value.reason) == (
        "coupon_codes[1]", f"cannot be combined with coupon {CODE_B}: only stackable coupons may be used together")


def test_a_stacked_coupon_with_nothing_left_is_refused() -> None:
    free_cake = CouponTemplateTerms(code="FREE-CAKE", name="free cake", kind=CouponKind.PRODUCT, categories=("bakery",),
                                    stackable=True)
    cake_cash = CouponTemplateTerms(code="CAKE-5", name="cake 5 off", kind=CouponKind.CASH_VOUCHER, face_value_fen=500,
                                    categories=("bakery",), stackable=True)
    with pytest.raises(CouponRefused) as refused:
        apply_coupons([TEA, CAKE], [held(CODE_A, "CAKE-5"), held(CODE_B, "FREE-CAKE")],
                      {"FREE-CAKE": free_cake, "CAKE-5": cake_cash}, SALE)
    assert (refused.value.index, refused.value.reason) == (
        0, "has nothing left to take off bakery items after the other coupons")


def test_no_coupons_take_nothing() -> None:
    assert apply_coupons([TEA, CAKE], [], {}, SALE).per_line == (0, 0)


# ---- refunds --------------------------------------------------------------------------------------

def test_only_a_refund_of_the_whole_sale_restores_its_still_valid_coupons() -> None:
    used = [held(CODE_A, state="REDEEMED"), held(CODE_B, state="REDEEMED", valid_until=datetime(2026, 12, 1, tzinfo=UTC)),
            held(CODE_C, state="VOIDED")]
    assert coupons_restored(used, whole_sale=True, now=WEDNESDAY_NOON) == (CODE_A,)  # B has expired, C is not this sale's use
    assert coupons_restored(used, whole_sale=False, now=WEDNESDAY_NOON) == ()
