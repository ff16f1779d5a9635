"""The checkout pipeline: stages, hooks, and which field each refusal names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard.coupons.rules import AppliedCouponTerms, HeldCoupon
from chaincard.coupons.templates import CouponKind, CouponTemplateTerms
from chaincard.pricing import (
    MAX_LINES,
    BasketLine,
    CheckoutInput,
    EarnRule,
    ExternalTender,
    LevelTerms,
    PointsDeductionPolicy,
    PricingError,
    SaleContext,
    SplitRule,
    StoredValue,
    TenderIntent,
    TenderKind,
    price_checkout,
    split_stored_value,
)

SHANGHAI = timezone(timedelta(hours=8))
NOON = datetime(2025, 3, 5, 12, 0, tzinfo=SHANGHAI)
CARD = "8601000000000017"
OTHER_CARD = "8601000000000025"
COUPON = "98800000000000006"
TEA = BasketLine(sku="T", name="tea", category="tea", quantity=1, unit_price_fen=12_000)
POLICY = PointsDeductionPolicy(enabled=True, points_per_unit=100, unit_value_fen=100, max_bill_share_bp=5000,
                               min_points=200)


NO_LEVEL = LevelTerms()


def request(*lines: BasketLine, level: LevelTerms = NO_LEVEL, **fields) -> CheckoutInput:
    fields.setdefault("card_number", CARD)
    fields.setdefault("stored_value", StoredValue(50_000, 0))
    context = SaleContext(store_id="S1", level_code=level.code, local_time=fields.pop("local_time", NOON),
                          is_birthday=fields.pop("birthday", False))
    return CheckoutInput(lines=lines or (TEA,), context=context, level=level, **fields)


def refusal(checkout: CheckoutInput) -> PricingError:
    with pytest.raises(PricingError) as refused:
        price_checkout(checkout)
    return refused.value


def test_plain_spend_from_principal():
    plan = price_checkout(request())
    assert (plan.total_due_fen, plan.points_earned) == (12_000, 120)
    (tender,) = plan.tenders
    assert (tender.kind, tender.amount_fen, tender.principal_fen, tender.bonus_fen, tender.card_number) == (
        TenderKind.STORED_VALUE, 12_000, 12_000, 0, CARD)


def test_priced_line_carries_every_stage():
    level = LevelTerms(code="GOLD", discount_bp=1000)
    plan = price_checkout(request(BasketLine("S", "soap", "home", 3, 999), level=level, points_policy=POLICY,
                                  points_balance=1_000, points_to_redeem=1_000))
    (priced,) = plan.lines
    # 2997 gross, 299.7 → 300 off, 1000 fen of points, 1697 left, 16 points
    assert (priced.sku, priced.name, priced.category, priced.quantity, priced.unit_price_fen) == (
        "S", "soap", "home", 3, 999)
    assert (priced.gross_fen, priced.level_discount_fen, priced.coupon_discount_fen, priced.points_deduction_fen,
            priced.net_fen, priced.points_earned) == (2_997, 300, 0, 1_000, 1_697, 16)
    assert (plan.level_discount_fen, plan.coupon_discount_fen) == (300, 0)


def test_external_tender_alias_still_works():
    plan = price_checkout(request(stored_value=StoredValue(5_000, 0),
                                  tenders=(ExternalTender("CASH", 7_000), TenderIntent("STORED_VALUE"))))
    assert [(t.kind, t.amount_fen) for t in plan.tenders] == [("CASH", 7_000), ("STORED_VALUE", 5_000)]


# ---- the coupon and count-uses hooks --------------------------------------------------------------

def test_coupons_discount_before_points_and_earning():
    half_off_tea = CouponTemplateTerms(code="TEA-50", name="tea half off", kind=CouponKind.DISCOUNT, discount_bp=5000,
                                       categories=("tea",))
    coupon = HeldCoupon(COUPON, "TEA-50", CARD, "AVAILABLE", NOON - timedelta(days=1), NOON + timedelta(days=1))
    plan = price_checkout(request(TEA, BasketLine("B", "bun", "bakery", 1, 1_000), coupons=(coupon,),
                                  coupon_templates={"TEA-50": half_off_tea}, issuing_franchisee_id="F1"))
    # tea 12000 → coupon 6000 → 6000; bun 1000; due 7000; points 60 + 10
    assert [(line.coupon_discount_fen, line.net_fen, line.points_earned) for line in plan.lines] == [
        (6_000, 6_000, 60), (0, 1_000, 10)]
    assert (plan.discount_fen, plan.coupon_discount_fen, plan.total_due_fen) == (6_000, 6_000, 7_000)
    assert plan.applied_coupons == (AppliedCouponTerms(COUPON, "TEA-50", 6_000, "F1"),)


def test_count_uses_hook_pays_a_line_that_then_earns_nothing():
    wash = BasketLine("W", "car wash", "service", 1, 3_000)

    def wash_paid_by_uses(lines):
        return [line.net_fen if line.category == "service" else 0 for line in lines]

    plan = price_checkout(request(TEA, wash, count_uses_stage=wash_paid_by_uses))
    # due 15000: count uses 3000, stored value 12000; only tea earns (120)
    assert plan.total_due_fen == 15_000
    assert [(t.kind, t.amount_fen) for t in plan.tenders] == [(TenderKind.COUNT_USES, 3_000),
                                                               (TenderKind.STORED_VALUE, 12_000)]
    assert [line.points_earned for line in plan.lines] == [120, 0]


def test_count_uses_are_outside_the_points_cap():
    wash = BasketLine("W", "car wash", "service", 1, 10_000)
    plan_request = request(TEA, wash, count_uses_stage=lambda lines: [0, 10_000], points_policy=POLICY,
                           points_balance=100_000, points_to_redeem=6_100)
    # bill for points is tea's 12000 only: cap 6000 fen = 6000 points
    assert "at most 6000 points" in refusal(plan_request).problem


def test_count_uses_placeholder_tender_keeps_request_indexes():
    wash = BasketLine("W", "car wash", "service", 1, 3_000)
    plan = price_checkout(request(TEA, wash, count_uses_stage=lambda lines: [0, 3_000],
                                  tenders=(TenderIntent("COUNT_USES"), TenderIntent("CASH", 2_000),
                                           TenderIntent("STORED_VALUE", 0))))
    assert [(t.kind, t.amount_fen) for t in plan.tenders] == [
        ("COUNT_USES", 3_000), ("CASH", 2_000), ("STORED_VALUE", 10_000)]


@pytest.mark.parametrize("answer", [[], [0, 0], [-1], [12_001], [1.5]])
def test_broken_hook_is_a_bug_not_a_request_error(answer):
    with pytest.raises(ValueError) as broken:
        price_checkout(request(count_uses_stage=lambda lines: answer))
    assert not isinstance(broken.value, PricingError)


def test_an_unusable_coupon_is_refused_by_name():
    coupon = HeldCoupon(COUPON, "GONE", CARD, "AVAILABLE", NOON - timedelta(days=1), NOON + timedelta(days=1))
    refused = refusal(request(coupons=(coupon,)))
    assert (refused.field, refused.precondition) == ("coupon_codes[0]", True)
    assert COUPON in refused.problem and "template GONE" in refused.problem


# ---- which field a refusal names ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ((), "lines"),
        ((BasketLine("a", "a", "c", 1, 1), BasketLine("b", "b", "c", 0, 1)), "lines[1].quantity"),
        ((BasketLine("a", "a", "c", 1, -1),), "lines[0].unit_price_fen"),
        ((BasketLine("a", "a", "c", 1, 1),) * (MAX_LINES + 1), "lines"),
    ],
)
def test_bad_lines_name_their_field(lines, field):
    context = SaleContext(store_id="S1", level_code="", local_time=NOON)
    checkout = CheckoutInput(lines=lines, context=context, card_number=CARD)
    refused = refusal(checkout)
    assert (refused.field, refused.precondition) == (field, False)


def test_five_hundred_lines_are_fine():
    assert price_checkout(request(*(BasketLine("a", "a", "c", 1, 1),) * MAX_LINES)).total_due_fen == MAX_LINES


@pytest.mark.parametrize(
    ("points", "policy", "balance", "precondition", "mentions"),
    [
        (-100, POLICY, 1_000, False, "negative"),
        (100, PointsDeductionPolicy(), 1_000, True, "cannot be used"),
        (250, POLICY, 1_000, False, "multiple of 100"),
        (100, POLICY, 1_000, False, "at least 200"),
        (6_100, POLICY, 100_000, False, "at most 6000 points"),
        (1_100, POLICY, 1_000, True, "holds 1000 points"),
    ],
)
def test_points_refusals(points, policy, balance, precondition, mentions):
    refused = refusal(request(points_policy=policy, points_balance=balance, points_to_redeem=points))
    assert (refused.field, refused.precondition) == ("points_to_redeem", precondition)
    assert mentions in refused.problem


def test_points_cap_below_minimum_says_none_allowed():
    policy = PointsDeductionPolicy(enabled=True, points_per_unit=100, unit_value_fen=100, max_bill_share_bp=100,
                                   min_points=500)
    # cap 1% of 12000 = 120 fen = 100 points, under the 500 minimum
    assert "no points" in refusal(request(points_policy=policy, points_balance=9_999, points_to_redeem=500)).problem


def test_points_need_a_member_card():
    refused = refusal(request(card_number="", points_policy=POLICY, points_to_redeem=200,
                              tenders=(TenderIntent("CASH", 0),)))
    assert (refused.field, refused.precondition) == ("points_to_redeem", False)


def test_argument_errors_come_before_state_errors():
    # too many points for the card AND tenders that do not add up: the argument error wins
    refused = refusal(request(points_policy=POLICY, points_balance=0, points_to_redeem=1_000,
                              tenders=(TenderIntent("CASH", 1),)))
    assert (refused.field, refused.precondition) == ("tenders", False)


@pytest.mark.parametrize(
    ("tenders", "field", "mentions"),
    [
        ((TenderIntent("CHEQUE", 100),), "tenders[0].type", "unknown tender type"),
        ((TenderIntent("CASH", -1), TenderIntent("CASH", 0)), "tenders[0].amount_fen", "negative"),
        ((TenderIntent("CASH", 0), TenderIntent("STORED_VALUE", 100)), "tenders[0].amount_fen", "last tender"),
        ((TenderIntent("CASH", 13_000), TenderIntent("STORED_VALUE", 0)), "tenders",
         "cover 13000 fen of 12000 fen"),
        ((TenderIntent("CASH", 5_000),), "tenders", "cover 5000 fen of 12000 fen"),
        ((TenderIntent("STORED_VALUE", 100), TenderIntent("STORED_VALUE", 0)), "tenders[1].type",
         "already pays as tenders[0]"),
        ((TenderIntent("OTHER_MEMBER_CARD", 100, OTHER_CARD), TenderIntent("OTHER_MEMBER_CARD", 0, OTHER_CARD)),
         "tenders[1].card_number", "already pays as tenders[0]"),
        ((TenderIntent("OTHER_MEMBER_CARD", 0),), "tenders[0].card_number", "required"),
        ((TenderIntent("OTHER_MEMBER_CARD", 0, CARD),), "tenders[0].card_number", "own card"),
        ((TenderIntent("STORED_VALUE", 0, OTHER_CARD),), "tenders[0].card_number", "OTHER_MEMBER_CARD"),
        ((TenderIntent("CASH", 0, OTHER_CARD),), "tenders[0].card_number", "only stored-value tenders"),
        ((TenderIntent("COUNT_USES", 5), TenderIntent("CASH", 0)), "tenders[0].amount_fen", "leave 0"),
    ],
)
def test_tender_refusals(tenders, field, mentions):
    refused = refusal(request(tenders=tenders, other_cards={OTHER_CARD: StoredValue(99_999, 0)}))
    assert (refused.field, refused.precondition) == (field, False)
    assert mentions in refused.problem


def test_insufficient_balance_is_a_precondition_on_card_number():
    refused = refusal(request(stored_value=StoredValue(100, 0)))
    assert (refused.field, refused.precondition) == ("card_number", True)
    assert "12000 fen needed, 100 fen available" in refused.problem


def test_unknown_other_card_is_a_precondition():
    refused = refusal(request(tenders=(TenderIntent("OTHER_MEMBER_CARD", 0, OTHER_CARD),)))
    assert (refused.field, refused.precondition) == ("tenders[0].card_number", True)


def test_sale_without_card_needs_tenders():
    refused = refusal(request(card_number=""))
    assert (refused.field, refused.precondition) == ("tenders", False)
    refused = refusal(request(card_number="", tenders=(TenderIntent("STORED_VALUE", 0),)))
    assert refused.field == "card_number"


def test_rest_tender_that_finds_nothing_left_is_dropped():
    plan = price_checkout(request(tenders=(TenderIntent("CASH", 12_000), TenderIntent("STORED_VALUE", 0))))
    assert [(t.kind, t.amount_fen) for t in plan.tenders] == [("CASH", 12_000)]


# ---- configuration defects are ValueError, not request errors ----------------------------------

@pytest.mark.parametrize(
    "build",
    [
        lambda: LevelTerms(discount_bp=10_001),
        lambda: LevelTerms(category_discount_bp={"x": -1}),
        lambda: PointsDeductionPolicy(enabled=True, points_per_unit=0),
        lambda: PointsDeductionPolicy(enabled=True, max_bill_share_bp=20_000),
        lambda: EarnRule(code="X", spend_unit_fen=0),
        lambda: EarnRule(code="X", weekdays=(0,)),
        lambda: EarnRule(code="X", start_minute_of_day=600, end_minute_of_day=600),
        lambda: EarnRule(code="X", valid_from=datetime(2025, 1, 1)),
        lambda: SaleContext(store_id="S1", level_code="", local_time=datetime(2025, 1, 1)),
        lambda: StoredValue(-1, 0),
    ],
)
def test_configuration_defects_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


def test_unknown_split_rule_is_a_configuration_defect():
    with pytest.raises(ValueError):
        price_checkout(request(split_rule="RANDOM"))


# ---- earn rule filters ---------------------------------------------------------------------------

LATE_NIGHT = EarnRule(code="NIGHT", multiplier_bp=30_000, start_minute_of_day=22 * 60, end_minute_of_day=2 * 60,
                      priority=1)
MARCH_ONLY = EarnRule(code="MARCH", points_per_unit=5, priority=1, valid_from=datetime(2025, 3, 1, tzinfo=SHANGHAI),
                      valid_until=datetime(2025, 4, 1, tzinfo=SHANGHAI))
BASE = EarnRule(code="BASE")


@pytest.mark.parametrize(
    ("when", "rules", "points"),
    [
        (datetime(2025, 3, 5, 23, 0, tzinfo=SHANGHAI), (BASE, LATE_NIGHT), 360),  # window wraps midnight
        (datetime(2025, 3, 6, 1, 59, tzinfo=SHANGHAI), (BASE, LATE_NIGHT), 360),
        (datetime(2025, 3, 6, 2, 0, tzinfo=SHANGHAI), (BASE, LATE_NIGHT), 120),
        (datetime(2025, 3, 31, 23, 59, tzinfo=SHANGHAI), (BASE, MARCH_ONLY), 600),
        (datetime(2025, 4, 1, 0, 0, tzinfo=SHANGHAI), (BASE, MARCH_ONLY), 120),
        (datetime(2025, 2, 28, 23, 59, tzinfo=SHANGHAI), (BASE, MARCH_ONLY), 120),
        (NOON, (BASE, EarnRule(code="OFF", points_per_unit=9, priority=9, active=False)), 120),
        (NOON, (EarnRule(code="B", points_per_unit=2), EarnRule(code="A", points_per_unit=3)), 360),  # tie: code A
    ],
)
def test_earn_rule_time_filters(when, rules, points):
    assert price_checkout(request(local_time=when, earn_rules=rules)).points_earned == points


def test_earn_rule_level_filter_uses_the_sale_level():
    rules = (BASE, EarnRule(code="GOLD", points_per_unit=2, level_codes=("GOLD",), priority=1))
    assert price_checkout(request(level=LevelTerms(code="GOLD"), earn_rules=rules)).points_earned == 240
    assert price_checkout(request(level=LevelTerms(code="SILVER"), earn_rules=rules)).points_earned == 120


def test_birthday_rule_of_one_x_switches_birthday_bonus_off():
    rules = (EarnRule(code="BDAY", birthday_only=True, spend_unit_fen=0),)
    plan = price_checkout(request(birthday=True, earn_rules=rules))
    assert (plan.points_earned, plan.notes) == (120, ())


def test_level_code_must_agree_with_context():
    context = SaleContext(store_id="S1", level_code="SILVER", local_time=NOON)
    with pytest.raises(ValueError):
        price_checkout(CheckoutInput(lines=(TEA,), context=context, card_number=CARD, level=LevelTerms(code="GOLD")))


# ---- principal / bonus split -------------------------------------------------------------------

@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**9), st.sampled_from(list(SplitRule)))
def test_split_never_overdraws_either_side(principal, bonus, price, rule):
    held = StoredValue(principal, bonus)
    amount = min(price, held.total_fen)
    principal_used, bonus_used = split_stored_value(amount, held, rule)
    assert principal_used + bonus_used == amount
    assert 0 <= principal_used <= principal and 0 <= bonus_used <= bonus
