"""Properties of coupons over random baskets, levels and coupons: no coupon takes more than its lines
cost (or its face value, or its cap), the figures add up to the fen, a quote never raises for a
coupon, and the coupons a quote keeps are exactly what a checkout takes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from chaincard.checkout.quote import quote
from chaincard.coupons.rules import CouponRefused, HeldCoupon
from chaincard.coupons.templates import CouponKind, CouponTemplateTerms
from chaincard.ids import luhn_check_digit
from chaincard.pricing import BasketLine, CheckoutInput, LevelTerms, SaleContext, StoredValue, price_checkout

NOW = datetime(2025, 3, 5, 14, 30, tzinfo=timezone(timedelta(hours=8)))
CARD = "881234567890123"
CATEGORIES = ("tea", "bakery", "misc")
SKUS = ("S1", "S2", "S3", "S4")


def _code(n: int) -> str:
    body = f"988{n:013d}"
    return body + luhn_check_digit(body)


lines = st.lists(st.builds(BasketLine, sku=st.sampled_from(SKUS), name=st.just("x"), category=st.sampled_from(CATEGORIES),
                           quantity=st.integers(1, 5), unit_price_fen=st.integers(0, 20_000)), min_size=1, max_size=6)


@st.composite
def templates(draw: st.DrawFn, code: str) -> CouponTemplateTerms:
    kind = draw(st.sampled_from(list(CouponKind)))
    categories = tuple(draw(st.sets(st.sampled_from(CATEGORIES), max_size=2)))
    skus = tuple(draw(st.sets(st.sampled_from(SKUS), min_size=0 if categories else 1, max_size=2)))
    return CouponTemplateTerms(
        code=code, name=code, kind=kind, face_value_fen=draw(st.integers(1, 50_000)),
        discount_bp=draw(st.integers(1 if kind is CouponKind.DISCOUNT else 0, 9_999)),
        max_discount_fen=draw(st.integers(0, 5_000)), product_skus=skus if kind is CouponKind.PRODUCT else (),
        min_spend_fen=draw(st.integers(0, 20_000)), categories=categories, stackable=draw(st.booleans()),
    )


@st.composite
def sales(draw: st.DrawFn) -> CheckoutInput:
    terms = {f"T{n}": draw(templates(f"T{n}")) for n in range(3)}
    picks = draw(st.lists(st.sampled_from(sorted(terms)), max_size=4))
    coupons = tuple(HeldCoupon(_code(n), template, CARD, "AVAILABLE", datetime(2025, 1, 1, tzinfo=UTC),
                               datetime(2026, 1, 1, tzinfo=UTC)) for n, template in enumerate(picks))
    level = LevelTerms(code="L", discount_bp=draw(st.integers(0, 3_000)))
    return CheckoutInput(lines=draw(lines), context=SaleContext(store_id="S", level_code="L", local_time=NOW),
                         card_number=CARD, level=level, stored_value=StoredValue(10**9, 0), coupons=coupons,
                         coupon_templates=terms)


@settings(max_examples=150, deadline=None)
@given(sales())
def test_coupons_never_take_more_than_they_may_and_everything_adds_up(sale: CheckoutInput) -> None:
    quoted = quote(sale)  # never raises for a coupon
    plan = quoted.plan
    assert len(plan.applied_coupons) + len(quoted.rejected) == len(sale.coupons)
    for line in plan.lines:
        assert 0 <= line.coupon_discount_fen <= line.gross_fen - line.level_discount_fen
        assert line.net_fen == line.gross_fen - line.level_discount_fen - line.coupon_discount_fen - line.points_deduction_fen
    assert sum(c.discount_fen for c in plan.applied_coupons) == plan.coupon_discount_fen == sum(
        line.coupon_discount_fen for line in plan.lines)
    assert plan.discount_fen == plan.level_discount_fen + plan.coupon_discount_fen
    assert plan.total_due_fen == plan.subtotal_fen - plan.discount_fen - plan.points_deduction_fen >= 0
    for applied in plan.applied_coupons:
        template = sale.coupon_templates[applied.template_code]
        assert applied.discount_fen > 0
        if template.kind is CouponKind.CASH_VOUCHER:
            assert applied.discount_fen <= template.face_value_fen
        if template.kind is CouponKind.DISCOUNT and template.max_discount_fen:
            assert applied.discount_fen <= template.max_discount_fen
        if template.kind is CouponKind.PRODUCT:
            assert applied.discount_fen <= max(line.unit_price_fen for line in sale.lines)
    if len(plan.applied_coupons) > 1:
        used = [sale.coupon_templates[c.template_code] for c in plan.applied_coupons]
        assert all(t.stackable for t in used) and len({t.code for t in used}) == len(used)

    # The checkout of the coupons the quote kept: the same sale, no refusal.
    kept = {c.coupon_code for c in plan.applied_coupons}
    checked_out = price_checkout(CheckoutInput(**{**sale.__dict__, "coupons": tuple(
        c for c in sale.coupons if c.coupon_code in kept)}))
    assert replace(checked_out, tenders=()) == plan  # a quote without tenders shows none
    # And a checkout with every coupon succeeds exactly when the quote rejected none.
    try:
        price_checkout(sale)
    except CouponRefused as refused:
        assert refused.coupon_code in {r.coupon_code for r in quoted.rejected}
    else:
        assert not quoted.rejected
