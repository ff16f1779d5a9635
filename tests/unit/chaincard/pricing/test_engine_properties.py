"""Properties of every checkout that prices: tenders add up, no card overdrawn, discounts within
gross, points deduction within its cap, line figures add up to the plan's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import event, given, settings
from hypothesis import strategies as st

from chaincard.money import BASIS_POINTS, apply_rate
from chaincard.pricing import (
    BasketLine,
    CheckoutInput,
    CheckoutPlan,
    LevelTerms,
    PointsDeductionPolicy,
    PricingError,
    SaleContext,
    SplitRule,
    StoredValue,
    TenderIntent,
    TenderKind,
    apportion,
    cumulative_shares,
    price_checkout,
    spread_to_largest,
)

CARD = "8601000000000017"
NOON = datetime(2025, 3, 5, 12, 0, tzinfo=timezone(timedelta(hours=8)))
CATEGORIES = st.sampled_from(["tea", "tobacco", "fresh", "grocery"])
LINES = st.lists(
    st.builds(BasketLine, sku=st.just("x"), name=st.just("x"), category=CATEGORIES,
              quantity=st.integers(1, 5), unit_price_fen=st.integers(0, 50_000)),
    min_size=1, max_size=6,
)
LEVELS = st.builds(
    LevelTerms, code=st.just(""), discount_bp=st.integers(0, BASIS_POINTS),
    category_discount_bp=st.dictionaries(CATEGORIES, st.integers(0, BASIS_POINTS), max_size=3),
    points_multiplier_bp=st.integers(0, 30_000),
)
POLICIES = st.builds(
    PointsDeductionPolicy, enabled=st.sampled_from([True, True, True, False]), points_per_unit=st.sampled_from([1, 10, 100]),
    unit_value_fen=st.sampled_from([1, 7, 100]), max_bill_share_bp=st.integers(0, BASIS_POINTS),
    min_points=st.integers(0, 300),
)
BALANCES = st.builds(StoredValue, st.integers(0, 400_000), st.integers(0, 400_000))
MONEY_KINDS = st.sampled_from([kind for kind in TenderKind if kind is not TenderKind.COUNT_USES])


@st.composite
def checkouts(draw: st.DrawFn) -> CheckoutInput:
    policy = draw(POLICIES)
    units = draw(st.sampled_from([0, 0, 1, 2, 5, 20, 60]))
    tender_count = draw(st.integers(0, 4))
    tenders = []
    other_cards = {}
    used_own_card = False
    for index in range(tender_count):
        kind = draw(MONEY_KINDS)
        if kind is TenderKind.STORED_VALUE and used_own_card:
            kind = TenderKind.CASH
        used_own_card |= kind is TenderKind.STORED_VALUE
        last = index == tender_count - 1
        amount = 0 if last and draw(st.integers(0, 4)) else draw(st.integers(1, 20_000))
        card = f"OTHER-{index}" if kind is TenderKind.OTHER_MEMBER_CARD else ""
        if card:
            other_cards[card] = draw(BALANCES)
        tenders.append(TenderIntent(kind, amount, card))
    return CheckoutInput(
        lines=draw(LINES),
        context=SaleContext(store_id="S1", level_code="", local_time=NOON, is_birthday=draw(st.booleans())),
        card_number=CARD,
        level=draw(LEVELS),
        stored_value=draw(BALANCES),
        points_balance=draw(st.sampled_from([500, 10**6, 10**6])),
        points_to_redeem=units * policy.points_per_unit,
        points_policy=policy,
        tenders=tuple(tenders),
        other_cards=other_cards,
        split_rule=draw(st.sampled_from(list(SplitRule))),
    )


def check_plan(request: CheckoutInput, plan: CheckoutPlan) -> None:
    assert sum(tender.amount_fen for tender in plan.tenders) == plan.total_due_fen
    for tender in plan.tenders:
        assert tender.amount_fen > 0
        if tender.kind is TenderKind.STORED_VALUE:
            held = request.stored_value
        elif tender.kind is TenderKind.OTHER_MEMBER_CARD:
            held = request.other_cards[tender.card_number]
        else:
            assert (tender.principal_fen, tender.bonus_fen) == (0, 0)
            continue
        assert tender.principal_fen + tender.bonus_fen == tender.amount_fen
        assert 0 <= tender.principal_fen <= held.principal_fen
        assert 0 <= tender.bonus_fen <= held.bonus_fen
    assert len({tender.card_number for tender in plan.tenders if tender.card_number}) == len(
        [tender for tender in plan.tenders if tender.card_number])

    for priced in plan.lines:
        assert 0 <= priced.level_discount_fen + priced.coupon_discount_fen <= priced.gross_fen
        assert priced.points_deduction_fen >= 0 and priced.net_fen >= 0 and priced.points_earned >= 0
        assert priced.net_fen == (priced.gross_fen - priced.level_discount_fen - priced.coupon_discount_fen
                                  - priced.points_deduction_fen)
    assert plan.subtotal_fen == sum(priced.gross_fen for priced in plan.lines)
    assert 0 <= plan.discount_fen <= plan.subtotal_fen
    assert plan.points_deduction_fen == sum(priced.points_deduction_fen for priced in plan.lines)
    assert plan.total_due_fen == plan.subtotal_fen - plan.discount_fen - plan.points_deduction_fen
    assert plan.points_earned == sum(priced.points_earned for priced in plan.lines)

    policy = request.points_policy
    cap_fen = (plan.subtotal_fen - plan.discount_fen) * policy.max_bill_share_bp // BASIS_POINTS
    assert plan.points_deduction_fen <= cap_fen or plan.points_redeemed == 0
    if plan.points_redeemed:
        assert plan.points_redeemed <= request.points_balance
        assert plan.points_deduction_fen == plan.points_redeemed // policy.points_per_unit * policy.unit_value_fen
        assert plan.points_redeemed <= plan.max_points_redeemable

    # no earn rules: 1 point per 100 fen per line, ×2 on a birthday, × level, rounded once
    base = sum(priced.net_fen // 100 for priced in plan.lines)
    birthday_bp = 2 * BASIS_POINTS if request.context.is_birthday else BASIS_POINTS
    assert plan.points_earned == apply_rate(apply_rate(base, birthday_bp), request.level.points_multiplier_bp)


@settings(max_examples=600)
@given(checkouts())
def test_every_priced_checkout_is_consistent(request: CheckoutInput):
    try:
        plan = price_checkout(request)
    except PricingError as refused:
        event(f"refused: {refused.field} precondition={refused.precondition}")
        return
    event("priced")
    check_plan(request, plan)


@settings(max_examples=200)
@given(LINES, LEVELS, BALANCES, st.sampled_from(list(SplitRule)), st.integers(0, 3_000))
def test_stored_value_that_suffices_always_prices(lines, level, balance, rule, cash):
    request = CheckoutInput(
        lines=lines, context=SaleContext(store_id="S1", level_code="", local_time=NOON), card_number=CARD,
        level=level, stored_value=StoredValue(balance.principal_fen + 10**7, balance.bonus_fen), split_rule=rule,
        tenders=(TenderIntent("CASH", cash), TenderIntent("STORED_VALUE", 0)) if cash else (),
    )
    try:
        plan = price_checkout(request)
    except PricingError as refused:
        # only a cash tender larger than the bill can be refused here
        assert refused.field == "tenders" and cash > 0
        return
    check_plan(request, plan)


@given(st.integers(0, 10**6), st.lists(st.integers(0, 10**5), min_size=1, max_size=8))
def test_spread_to_largest_adds_up_within_weights(fraction_bp, weights):
    total = sum(weights) * (fraction_bp % (BASIS_POINTS + 1)) // BASIS_POINTS
    shares = spread_to_largest(total, weights)
    assert sum(shares) == total
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**5), min_size=1, max_size=8))
def test_cumulative_shares_add_up(total, weights):
    shares = cumulative_shares(total, weights)
    assert all(share >= 0 for share in shares)
    assert sum(shares) == (total if sum(weights) else 0)
    assert all(share == 0 for share, weight in zip(shares, weights, strict=True) if weight == 0)


@given(st.lists(st.integers(0, 60), min_size=1, max_size=6))
def test_apportion_is_monotone_and_exact(sizes):
    previous = [0] * len(sizes)
    for count in range(sum(sizes) + 1):
        units = apportion(count, sizes)
        assert sum(units) == count
        assert all(was <= now <= size for was, now, size in zip(previous, units, sizes, strict=True))
        previous = units
    assert previous == sizes
