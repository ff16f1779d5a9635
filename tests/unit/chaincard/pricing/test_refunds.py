"""Refund plans (V6): repeated partial refunds never overshoot and a final one restores exactly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincard.pricing import (
    AppliedTender,
    BasketLine,
    CheckoutInput,
    PointsDeductionPolicy,
    PricingError,
    SaleContext,
    SaleRecord,
    StoredValue,
    TenderIntent,
    TenderKind,
    plan_refund,
    plan_void,
    price_checkout,
)

CARD = "8601000000000017"
STORED_VALUE_KINDS = (TenderKind.STORED_VALUE, TenderKind.OTHER_MEMBER_CARD)


@st.composite
def sales(draw: st.DrawFn) -> SaleRecord:
    tenders = []
    for index in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(list(TenderKind)))
        amount = draw(st.integers(0, 100_000))
        principal = bonus = 0
        if kind in STORED_VALUE_KINDS:
            bonus = draw(st.integers(0, amount))
            principal = amount - bonus
        tenders.append(AppliedTender(kind, amount, principal, bonus, f"CARD-{index}" if principal + bonus else ""))
    total = sum(tender.amount_fen for tender in tenders)
    if total == 0:
        tenders[0] = AppliedTender(TenderKind.CASH, 1)
        total = 1
    return SaleRecord(total, tuple(tenders), draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)))


@st.composite
def sales_and_refund_steps(draw: st.DrawFn) -> tuple[SaleRecord, list[int]]:
    sale = draw(sales())
    total = sale.total_due_fen
    cuts = draw(st.lists(st.integers(1, total - 1), unique=True, max_size=12)) if total > 1 else []
    boundaries = [0, *sorted(cuts), total]
    return sale, [after - before for before, after in zip(boundaries, boundaries[1:], strict=False)]


@settings(max_examples=300)
@given(sales_and_refund_steps())
def test_partial_refunds_restore_each_quantity_exactly_once(sale_and_steps):
    sale, steps = sale_and_steps
    refunded = [[0, 0, 0] for _ in sale.tenders]  # amount, principal, bonus
    clawed_back = returned = already = 0
    for refund in steps:
        plan = plan_refund(sale, already, refund)
        assert plan.refund_fen == refund
        assert len(plan.tenders) == len(sale.tenders)
        assert sum(tender.amount_fen for tender in plan.tenders) == refund
        assert plan.points_clawback >= 0 and plan.points_returned >= 0
        for totals, original, step in zip(refunded, sale.tenders, plan.tenders, strict=True):
            assert (step.kind, step.card_number) == (original.kind, original.card_number)
            assert step.amount_fen >= 0 and step.principal_fen >= 0 and step.bonus_fen >= 0
            if original.kind in STORED_VALUE_KINDS:
                assert step.principal_fen + step.bonus_fen == step.amount_fen
            else:
                assert (step.principal_fen, step.bonus_fen) == (0, 0)
            totals[0] += step.amount_fen
            totals[1] += step.principal_fen
            totals[2] += step.bonus_fen
            assert totals[0] <= original.amount_fen
            assert totals[1] <= original.principal_fen and totals[2] <= original.bonus_fen
        clawed_back += plan.points_clawback
        returned += plan.points_returned
        assert clawed_back <= sale.points_earned and returned <= sale.points_redeemed
        already += refund
    assert refunded == [[t.amount_fen, t.principal_fen, t.bonus_fen] for t in sale.tenders]
    assert (clawed_back, returned) == (sale.points_earned, sale.points_redeemed)


@given(sales(), st.data())
def test_refund_depends_only_on_the_cumulative_amount(sale, data):
    """Two refunds of a and b take the same as one refund of a + b."""
    total = sale.total_due_fen
    first = data.draw(st.integers(1, total))
    if first == total:
        return
    second = data.draw(st.integers(1, total - first))
    one, two = plan_refund(sale, 0, first), plan_refund(sale, first, second)
    both = plan_refund(sale, 0, first + second)
    for a, b, c in zip(one.tenders, two.tenders, both.tenders, strict=True):
        assert (a.amount_fen + b.amount_fen, a.principal_fen + b.principal_fen, a.bonus_fen + b.bonus_fen) == (
            c.amount_fen, c.principal_fen, c.bonus_fen)
    assert one.points_clawback + two.points_clawback == both.points_clawback


def test_void_of_a_priced_sale_gives_back_what_it_took():
    context = SaleContext(store_id="S1", level_code="", local_time=datetime(2025, 3, 5, tzinfo=timezone(timedelta(hours=8))))
    plan = price_checkout(CheckoutInput(
        lines=(BasketLine("T", "tea", "tea", 3, 3_333),), context=context, card_number=CARD,
        stored_value=StoredValue(7_000, 3_001), points_balance=500, points_to_redeem=500,
        points_policy=PointsDeductionPolicy(enabled=True, points_per_unit=100, unit_value_fen=100,
                                            max_bill_share_bp=5000),
        tenders=(TenderIntent("CASH", 999), TenderIntent("STORED_VALUE", 0)),
    ))
    sale = SaleRecord.from_plan(plan)
    void = plan_void(sale)
    assert void.tenders == plan.tenders
    assert (void.refund_fen, void.points_clawback, void.points_returned) == (
        plan.total_due_fen, plan.points_earned, plan.points_redeemed)


def test_void_of_a_sale_paid_with_points_only_returns_the_points():
    sale = SaleRecord(total_due_fen=0, tenders=(), points_earned=0, points_redeemed=800)
    void = plan_void(sale)
    assert (void.refund_fen, void.tenders, void.points_clawback, void.points_returned) == (0, (), 0, 800)


SALE = SaleRecord(100, (AppliedTender(TenderKind.CASH, 40), AppliedTender(TenderKind.STORED_VALUE, 60, 50, 10, CARD)))


@pytest.mark.parametrize(("already", "refund", "precondition"), [(0, 0, False), (0, -5, False), (30, 71, False),
                                                                 (100, 1, True)])
def test_refund_out_of_range_names_amount_fen(already, refund, precondition):
    with pytest.raises(PricingError) as refused:
        plan_refund(SALE, already, refund)
    assert (refused.value.field, refused.value.precondition) == ("amount_fen", precondition)


def test_void_of_a_fully_refunded_sale_is_a_precondition():
    with pytest.raises(PricingError) as refused:
        plan_void(SALE, 100)
    assert refused.value.precondition


@pytest.mark.parametrize(
    "build",
    [
        lambda: SaleRecord(100, (AppliedTender(TenderKind.CASH, 99),)),
        lambda: SaleRecord(100, (AppliedTender(TenderKind.STORED_VALUE, 100, 50, 49, CARD),)),
        lambda: SaleRecord(100, (AppliedTender(TenderKind.CASH, 100, 100, 0),)),
        lambda: SaleRecord(-1, ()),
        lambda: plan_refund(SALE, 101, 1),
    ],
)
def test_inconsistent_sale_records_are_defects(build):
    with pytest.raises(ValueError) as defect:
        build()
    assert not isinstance(defect.value, PricingError)
