"""Hand-computed checkouts with coupons (issue 13): every figure below was worked out by hand in the
comment beside it, never by running the engine. Each case goes through the checkout core twice — as
a CheckoutRequest (checkout_fields → pricing_input → price) and as a QuoteCheckoutRequest
(quote_fields → pricing_input → quote) — and both must give the table's figures: a checkout that
refuses a coupon refuses it with the reason the quote lists, and the quote prices the rest exactly
as a checkout without that coupon does.

Program: GOLD takes 10% off (tobacco 0%), SILVER 5%; 1 point per ¥1 paid, floor per line; 100
points pay ¥1, at most 50% of the bill after coupons, at least 100 points. Rounding is half-up
(``apply_rate`` / ``split_proportionally``); a coupon's amount is spread over its lines in
proportion to what they cost, the rounding remainder to the largest line. The store's clock:
Wednesday 2025-03-05 14:30 in Shanghai, a holiday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chaincard.checkout.quote import quote, quote_fields, quote_response
from chaincard.checkout.request import PricingRefused, checkout_fields, price, pricing_input
from chaincard.checkout.response import checkout_response
from chaincard.coupons.rules import HeldCoupon
from chaincard.errors import ChainCardError
from chaincard.ids import luhn_check_digit
from chaincard.pricing import StoredValue
from chaincard.v1 import common_pb2, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc

SHANGHAI = timezone(timedelta(hours=8))
WEDNESDAY_1430 = datetime(2025, 3, 5, 14, 30, tzinfo=SHANGHAI)
CARD = "881234567890123"

TEA = ("TEA", "tea", 4_500)
LATTE = ("LATTE", "coffee", 3_200)
CAKE = ("CAKE", "bakery", 1_999)
CIG = ("CIG", "tobacco", 2_500)
A, B, C = ("A", "misc", 101), ("B", "misc", 102), ("C", "misc", 103)


def _template(code: str, kind: int, **rules: object) -> pc.CouponTemplate:
    return pc.CouponTemplate(code=code, name=code, kind=kind, validity_days=30, active=True, **rules)  # type: ignore[arg-type]


CASH, PCT, PRODUCT = pc.COUPON_KIND_CASH_VOUCHER, pc.COUPON_KIND_DISCOUNT, pc.COUPON_KIND_PRODUCT
SNAPSHOT = pc.ConfigSnapshot(
    levels=[pc.Level(code="GOLD", discount_bp=1_000, category_discount_bp={"tobacco": 0}),
            pc.Level(code="SILVER", discount_bp=500)],
    earn_rules=[pc.EarnRule(code="BASE", points_per_unit=1, spend_unit_fen=100, active=True)],
    points_deduction=pc.PointsDeductionPolicy(enabled=True, points_per_unit=100, unit_value_fen=100,
                                              max_bill_share_bp=5_000, min_points=100),
    settings=pc.ChainSettings(holidays=["2025-03-05"]),
    coupon_templates=[
        _template("CASH20", CASH, face_value_fen=2_000, min_spend_fen=10_000, issuer_franchisee_id="F-HQ"),
        _template("CASH50-TEA", CASH, face_value_fen=5_000, categories=["tea"]),
        _template("PCT15", PCT, discount_bp=1_500),
        _template("PCT20-CAP10", PCT, discount_bp=2_000, max_discount_fen=1_000),
        _template("PCT10-STACK", PCT, discount_bp=1_000, stackable=True),
        _template("CASH5-STACK", CASH, face_value_fen=500, stackable=True),
        _template("FREE-LATTE", PRODUCT, product_skus=["LATTE"]),
        _template("HALF-CAKE", PRODUCT, categories=["bakery"], discount_bp=5_000),
        _template("GOLD-ONLY", CASH, face_value_fen=1_000, level_codes=["GOLD"]),
        _template("TEA-HOUR", PCT, discount_bp=2_000, start_minute_of_day=15 * 60, end_minute_of_day=17 * 60),
        _template("WEEKEND", CASH, face_value_fen=1_000, weekdays=[6, 7]),
        _template("NOT-HOLIDAYS", CASH, face_value_fen=1_000, exclude_holidays=True),
    ],
)


def code(n: int) -> str:
    body = f"988{n:013d}"
    return body + luhn_check_digit(body)


@dataclass(frozen=True)
class Case:
    name: str
    lines: list[tuple[tuple[str, str, int], int]]  # (item, quantity)
    coupons: list[str]  # template codes; coupon i is code(i)
    discounts: list[int]  # per coupon used (after a refusal: the quote's), coupon_codes order
    line_coupon_fen: list[int]
    total_due_fen: int
    points_earned: int
    level: str = ""
    points: int = 0
    refused: tuple[int, str] | None = None  # (coupon index, reason) the checkout refuses with
    when: datetime = WEDNESDAY_1430
    discount_fen: int | None = None  # level + coupons, when a level applies
    issuers: list[str] = field(default_factory=list)


CASES = [
    # 1. 9000 + 1999 = 10999 ≥ 10000: 2000 off; 2000×9000/10999 = 1636.51 → 1637, 2000×1999/10999 = 363.49 → 363.
    #    Due 7363 + 1636 = 8999; points 73 + 16 = 89. Borne by the template's issuer F-HQ.
    Case("cash voucher over its minimum spend", [(TEA, 2), (CAKE, 1)], ["CASH20"], [2_000], [1_637, 363], 8_999, 89,
         issuers=["F-HQ"]),
    # 2. 9000 < 10000: refused; the quote prices 9000, 90 points.
    Case("cash voucher below its minimum spend", [(TEA, 2)], ["CASH20"], [], [0], 9_000, 90,
         refused=(0, "needs a minimum spend of ¥100.00 on the basket; this sale has ¥90.00")),
    # 3. GOLD: 9000 − 900 = 8100, 1999 − 199.9→200 = 1799; 9899 after the level discount < 10000: refused.
    #    Quote: 9899 due, points 81 + 17 = 98; discount 900 + 200 = 1100.
    Case("minimum spend counts after the level discount", [(TEA, 2), (CAKE, 1)], ["CASH20"], [], [0, 0], 9_899, 98,
         level="GOLD", discount_fen=1_100, refused=(0, "needs a minimum spend of ¥100.00 on the basket; this sale has ¥98.99")),
    # 4. GOLD: 8100 + (3998 − 399.8→400 = 3598) = 11698 ≥ 10000; 2000×8100/11698 = 1384.85 → 1385,
    #    2000×3598/11698 = 615.15 → 615. Due 6715 + 2983 = 9698; points 67 + 29 = 96; discount 900 + 400 + 2000.
    Case("cash voucher after a level discount", [(TEA, 2), (CAKE, 2)], ["CASH20"], [2_000], [1_385, 615], 9_698, 96,
         level="GOLD", discount_fen=3_300, issuers=["F-HQ"]),
    # 5. Tea only: ¥50 voucher on 4500 of tea takes 4500, never more. Due 1999; points 0 + 19.
    Case("cash voucher never takes more than its lines cost", [(TEA, 1), (CAKE, 1)], ["CASH50-TEA"], [4_500], [4_500, 0],
         1_999, 19, issuers=["F-CARD"]),
    # 6. 15% of 6499 = 974.85 → 975; 975×4500/6499 = 675.09 → 675, 975×1999/6499 = 299.91 → 300.
    #    Due 3825 + 1699 = 5524; points 38 + 16 = 54.
    Case("percentage coupon", [(TEA, 1), (CAKE, 1)], ["PCT15"], [975], [675, 300], 5_524, 54),
    # 7. 20% of 9000 = 1800, capped at 1000. Due 8000; points 80.
    Case("percentage coupon at its cap", [(TEA, 2)], ["PCT20-CAP10"], [1_000], [1_000], 8_000, 80),
    # 8. 20% of 1999 = 399.8 → 400 < cap. Due 1599; points 15.
    Case("percentage coupon under its cap, half-up", [(CAKE, 1)], ["PCT20-CAP10"], [400], [400], 1_599, 15),
    # 9. A latte unit: 6400 / 2 = 3200 free. Due 3200 + 1999 = 5199; points 32 + 19 = 51.
    Case("product coupon: one unit free", [(LATTE, 2), (CAKE, 1)], ["FREE-LATTE"], [3_200], [3_200, 0], 5_199, 51),
    # 10. GOLD: 9600 − 960 = 8640; unit 8640 / 3 = 2880 free → 5760; cake 1799. Due 7559; points 57 + 17 = 74;
    #     discount 960 + 200 + 2880 = 4040.
    Case("product coupon after a level discount", [(LATTE, 3), (CAKE, 1)], ["FREE-LATTE"], [2_880], [2_880, 0], 7_559, 74,
         level="GOLD", discount_fen=4_040),
    # 11. No latte: refused; quote 1999, 19 points.
    Case("product coupon with nothing to take", [(CAKE, 1)], ["FREE-LATTE"], [], [0], 1_999, 19,
         refused=(0, "applies to nothing in this sale (its products: LATTE)")),
    # 12. A cake unit 5997 / 3 = 1999, 50% off = 999.5 → 1000. Due 4997; points 49.
    Case("product coupon at half price, half-up", [(CAKE, 3)], ["HALF-CAKE"], [1_000], [1_000], 4_997, 49),
    # 13. Stackable: percentage first: 10% of 10999 = 1099.9 → 1100 (900.08 → 900, 199.92 → 200); then ¥5 on
    #     8100 + 1799 = 9899: 409.13 → 409, 90.87 → 91. Due 7691 + 1708 = 9399; points 76 + 17 = 93.
    Case("two stackable coupons", [(TEA, 2), (CAKE, 1)], ["PCT10-STACK", "CASH5-STACK"], [1_100, 500], [1_309, 291],
         9_399, 93),
    # 14. The same two scanned the other way round: the same sale; discounts listed in coupon_codes order.
    Case("scan order does not change the sale", [(TEA, 2), (CAKE, 1)], ["CASH5-STACK", "PCT10-STACK"], [500, 1_100],
         [1_309, 291], 9_399, 93),
    # 15. CASH20 is not stackable: the second coupon is refused; the quote is case 1.
    Case("a non-stackable coupon stays alone", [(TEA, 2), (CAKE, 1)], ["CASH20", "PCT10-STACK"], [2_000], [1_637, 363],
         8_999, 89, refused=(1, f"cannot be combined with coupon {code(0)}: only stackable coupons may be used together")),
    # 16. Two of one template: the second is refused. Quote: ¥5 alone, 500×9000/10999 = 409.13 → 409,
    #     500×1999/10999 = 90.87 → 91; due 8591 + 1908 = 10499; points 85 + 19 = 104.
    Case("never two of one template", [(TEA, 2), (CAKE, 1)], ["CASH5-STACK", "CASH5-STACK"], [500], [409, 91], 10_499, 104,
         refused=(1, f"cannot be combined with coupon {code(0)} of the same template (CASH5-STACK)")),
    # 17. SILVER: 4500 − 225 = 4275, points 42, discount 225; the GOLD coupon is refused.
    Case("a coupon for another level", [(TEA, 1)], ["GOLD-ONLY"], [], [0], 4_275, 42, level="SILVER", discount_fen=225,
         refused=(0, "is not for level SILVER cards (only GOLD)")),
    # 18. GOLD: 4500 − 450 = 4050 − 1000 = 3050; points 30; discount 1450.
    Case("a coupon for this level", [(TEA, 1)], ["GOLD-ONLY"], [1_000], [1_000], 3_050, 30, level="GOLD",
         discount_fen=1_450),
    # 19. 14:30 is outside 15:00–17:00: refused; quote 4500, 45 points.
    Case("outside the coupon's hours", [(TEA, 1)], ["TEA-HOUR"], [], [0], 4_500, 45,
         refused=(0, "cannot be used at this hour (only from 15:00 to 17:00)")),
    # 20. At 16:00: 20% of 4500 = 900. Due 3600; points 36.
    Case("within the coupon's hours", [(TEA, 1)], ["TEA-HOUR"], [900], [900], 3_600, 36,
         when=WEDNESDAY_1430.replace(hour=16)),
    # 21. A Wednesday: refused.
    Case("not on this weekday", [(TEA, 1)], ["WEEKEND"], [], [0], 4_500, 45,
         refused=(0, "cannot be used on a Wednesday (only Saturday, Sunday)")),
    # 22. 2025-03-05 is a holiday: refused.
    Case("not on a holiday", [(TEA, 1)], ["NOT-HOLIDAYS"], [], [0], 4_500, 45,
         refused=(0, "cannot be used on a holiday (2025-03-05)")),
    # 23. Points after coupons: case 1 leaves 7363 + 1636 = 8999; 4000 points = 4000 fen ≤ 50% (4499);
    #     4000×7363/8999 = 3272.81 → 3273, 4000×1636/8999 = 727.19 → 727. Due 4090 + 909 = 4999;
    #     points earned on what is paid: 40 + 9 = 49.
    Case("points pay after the coupon", [(TEA, 2), (CAKE, 1)], ["CASH20"], [2_000], [1_637, 363], 4_999, 49, points=4_000,
         issuers=["F-HQ"]),
    # 24. Rounding to the fen: 15% of 306 = 45.9 → 46; 46×101/306 = 15.18 → 15, 46×102/306 = 15.33 → 15,
    #     46×103/306 = 15.48 → 15; the 1 fen left goes to the largest line (103). Due 260; no whole yuan: 0 points.
    Case("rounding remainder to the largest line", [(A, 1), (B, 1), (C, 1)], ["PCT15"], [46], [15, 15, 16], 260, 0),
    # 25. GOLD, tobacco undiscounted: 2500 + (4500 − 450 = 4050) = 6550; 15% = 982.5 → 983 (half-up);
    #     983×2500/6550 = 375.19 → 375, 983×4050/6550 = 607.81 → 608. Due 2125 + 3442 = 5567; points 21 + 34 = 55;
    #     discount 450 + 983 = 1433.
    Case("percentage on a level-discounted basket, half-up", [(CIG, 1), (TEA, 1)], ["PCT15"], [983], [375, 608], 5_567, 55,
         level="GOLD", discount_fen=1_433),
    # 26. Held by the card but one coupon of three unusable: the quote keeps the two stackable ones (case 13).
    Case("a quote keeps the usable coupons", [(TEA, 2), (CAKE, 1)], ["PCT10-STACK", "WEEKEND", "CASH5-STACK"],
         [1_100, 500], [1_309, 291], 9_399, 93, refused=(1, "cannot be used on a Wednesday (only Saturday, Sunday)")),
]


def _lines(case: Case) -> list[transactions_pb2.BasketLine]:
    return [transactions_pb2.BasketLine(sku=sku, name=sku, category=category, quantity=quantity, unit_price_fen=price)
            for (sku, category, price), quantity in case.lines]


def _held(case: Case) -> list[HeldCoupon]:
    return [HeldCoupon(code(i), template, CARD, "AVAILABLE", datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
            for i, template in enumerate(case.coupons)]


def _input(fields, case: Case, coupons: list[HeldCoupon]):  # type: ignore[no-untyped-def]
    return pricing_input(fields, SNAPSHOT, store_id="S-1", local_time=case.when, level_code=case.level,
                         stored_value=StoredValue(1_000_000, 0), points_balance=100_000, coupons=coupons,
                         issuing_franchisee_id="F-CARD")


TENDERS = [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)]


def _checkout(case: Case, coupons: list[HeldCoupon]) -> transactions_pb2.CheckoutResponse:
    request = transactions_pb2.CheckoutRequest(request_id="r", store_id="S-1", card_number=CARD, lines=_lines(case),
                                               points_to_redeem=case.points, tenders=TENDERS,
                                               coupon_codes=[c.coupon_code for c in coupons])
    plan = price(_input(checkout_fields(request), case, coupons))
    return checkout_response(plan, transaction=common_pb2.Transaction(), balances_after=common_pb2.Balances(), receipt=[],
                             offline=False)


def _quote(case: Case) -> transactions_pb2.QuoteCheckoutResponse:
    coupons = _held(case)
    request = transactions_pb2.QuoteCheckoutRequest(store_id="S-1", card_number=CARD, lines=_lines(case),
                                                    points_to_redeem=case.points, tenders=TENDERS,
                                                    coupon_codes=[c.coupon_code for c in coupons])
    return quote_response(quote(_input(quote_fields(request), case, coupons)), balances=None)


def _figures(answer: transactions_pb2.CheckoutResponse | transactions_pb2.QuoteCheckoutResponse) -> tuple[object, ...]:
    return (answer.subtotal_fen, answer.discount_fen, answer.points_deduction_fen, answer.total_due_fen,
            answer.points_earned, answer.points_redeemed, list(answer.tenders), list(answer.lines), list(answer.coupons))


def test_the_table_has_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20 and len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_checkout_and_quote_agree_with_the_hand_computed_figures(case: Case) -> None:
    coupons = _held(case)
    quoted = _quote(case)
    if case.refused is not None:
        index, reason = case.refused
        with pytest.raises(PricingRefused) as refused:
            _checkout(case, coupons)
        assert str(refused.value) == f"coupon_codes[{index}]: coupon {code(index)} {reason}"
        assert [(r.coupon_code, r.reason) for r in quoted.rejected_coupons] == [(code(index), reason)]
        coupons = [coupon for i, coupon in enumerate(coupons) if i != index]
    else:
        assert not quoted.rejected_coupons
    checked_out = _checkout(case, coupons)
    assert _figures(checked_out) == _figures(quoted)

    assert [c.discount_fen for c in quoted.coupons] == case.discounts
    assert [line.coupon_discount_fen for line in quoted.lines] == case.line_coupon_fen
    assert sum(case.discounts) == sum(case.line_coupon_fen)
    assert (quoted.total_due_fen, quoted.points_earned) == (case.total_due_fen, case.points_earned)
    assert quoted.discount_fen == (case.discount_fen if case.discount_fen is not None else sum(case.discounts))
    assert quoted.total_due_fen == quoted.subtotal_fen - quoted.discount_fen - quoted.points_deduction_fen
    if case.issuers:
        assert [c.issuer_franchisee_id for c in quoted.coupons] == case.issuers


def test_points_are_capped_on_the_bill_after_coupons() -> None:
    # Case 23's bill after the coupon is 8999: 50% = 4499 fen, so 4500 points (4500 fen) are too many,
    # though without the coupon (10999: cap 5499) they would pass. The quote says the most: 4400.
    case = next(case for case in CASES if case.name == "points pay after the coupon")
    too_many = Case(case.name, case.lines, case.coupons, [], [], 0, 0, points=4_500)
    with pytest.raises(ChainCardError, match="points_to_redeem"):
        _checkout(too_many, _held(too_many))
    with pytest.raises(ChainCardError, match="points_to_redeem"):
        _quote(too_many)
    assert _quote(Case(case.name, case.lines, case.coupons, [], [], 0, 0)).max_points_redeemable == 4_400
