"""Hand-computed pricing cases: every expected number below was worked out by hand in the comment
next to it, never by running the engine. Rounding is half-up (``apply_rate`` /
``split_proportionally``) unless a comment says floor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from chaincard.pricing import (
    AppliedTender,
    BasketLine,
    CheckoutInput,
    EarnRule,
    LevelTerms,
    PointsDeductionPolicy,
    PricingError,
    RechargePromotionTerms,
    RechargeTierTerms,
    SaleContext,
    SaleRecord,
    SplitRule,
    StoredValue,
    TenderIntent,
    TenderKind,
    plan_refund,
    plan_void,
    price_checkout,
    select_recharge_bonus,
)

SHANGHAI = timezone(timedelta(hours=8))
WEDNESDAY_AFTERNOON = datetime(2025, 3, 5, 14, 30, tzinfo=SHANGHAI)  # isoweekday 3
CARD = "8601000000000017"
OTHER_CARD = "8601000000000025"

PLAIN = LevelTerms()
GOLD = LevelTerms(
    code="GOLD",
    discount_bp=1000,  # 10% off
    category_discount_bp={"tobacco": 0, "fresh": 500},  # tobacco never discounted, fresh 5%
    points_multiplier_bp=15_000,  # 1.5x points
)
GIFTS_FREE = LevelTerms(code="VIP", category_discount_bp={"gift": 10_000})
POINTS_1_YUAN_PER_100 = PointsDeductionPolicy(
    enabled=True, points_per_unit=100, unit_value_fen=100, max_bill_share_bp=5000, min_points=100
)
POINTS_1_FEN_EACH = PointsDeductionPolicy(enabled=True, points_per_unit=1, unit_value_fen=1, max_bill_share_bp=5000)
POINTS_30_PERCENT = PointsDeductionPolicy(
    enabled=True, points_per_unit=100, unit_value_fen=100, max_bill_share_bp=3000, min_points=500
)
POINTS_HALF_YUAN_PER_100 = PointsDeductionPolicy(
    enabled=True, points_per_unit=100, unit_value_fen=50, max_bill_share_bp=10_000
)

PLENTY = StoredValue(1_000_000, 0)
SV = TenderKind.STORED_VALUE
OTHER = TenderKind.OTHER_MEMBER_CARD
CASH = TenderKind.CASH
BANK = TenderKind.BANK_CARD
MOBILE = TenderKind.MOBILE_PAY


def line(category: str, quantity: int, unit_price_fen: int) -> BasketLine:
    return BasketLine(sku=f"{category}-{unit_price_fen}", name=category, category=category, quantity=quantity,
                      unit_price_fen=unit_price_fen)


def checkout(*lines: BasketLine, level: LevelTerms = PLAIN, birthday: bool = False, store_id: str = "S1",
             local_time: datetime = WEDNESDAY_AFTERNOON, card_number: str = CARD,
             stored_value: StoredValue = PLENTY, **fields) -> CheckoutInput:
    context = SaleContext(store_id=store_id, level_code=level.code, local_time=local_time, is_birthday=birthday)
    return CheckoutInput(lines=lines, context=context, card_number=card_number, level=level,
                         stored_value=stored_value, **fields)


@dataclass(frozen=True)
class Case:
    id: str
    request: CheckoutInput
    subtotal: int
    discount: int
    total_due: int
    tenders: tuple[tuple[TenderKind, int, int, int, str], ...]  # kind, amount, principal, bonus, card
    points_earned: int
    points_redeemed: int = 0
    deduction: int = 0
    line_nets: tuple[int, ...] | None = None
    line_points: tuple[int, ...] | None = None
    notes: tuple[str, ...] = ()
    max_points: int | None = None


BIRTHDAY_COSMETICS_3X = EarnRule(code="BDAY-COSMETICS", birthday_only=True, categories=("cosmetics",),
                                 multiplier_bp=30_000)
BASE_GROCERY_FRESH = EarnRule(code="BASE", categories=("grocery", "fresh"))
BASE_ALL = EarnRule(code="BASE")
NO_TOBACCO_POINTS = EarnRule(code="NO-TOBACCO", points_per_unit=0, categories=("tobacco",), priority=10)
S1_DOUBLE_RATE = EarnRule(code="S1-PROMO", points_per_unit=2, store_ids=("S1",), priority=5)
WEDNESDAY_HAPPY_HOUR = EarnRule(code="HAPPY", weekdays=(3,), start_minute_of_day=14 * 60, end_minute_of_day=16 * 60,
                                multiplier_bp=20_000, priority=5)
THREE_PER_TEN_YUAN = EarnRule(code="TEN", points_per_unit=3, spend_unit_fen=1000, multiplier_bp=12_500)
GOLD_ONLY_DOUBLE = EarnRule(code="GOLD-2X", level_codes=("GOLD",), multiplier_bp=20_000, priority=5)

CASES = [
    Case(
        "plain spend from principal",
        checkout(line("tea", 1, 12_000), stored_value=StoredValue(50_000, 0)),
        # 12000 fen, no discount; points 12000 // 100 = 120
        subtotal=12_000, discount=0, total_due=12_000,
        tenders=((SV, 12_000, 12_000, 0, CARD),), points_earned=120,
    ),
    Case(
        "proportional split 4:1",
        checkout(line("tea", 1, 12_000), stored_value=StoredValue(40_000, 10_000)),
        # bonus = 12000 × 10000 / 50000 = 2400, principal 9600
        subtotal=12_000, discount=0, total_due=12_000,
        tenders=((SV, 12_000, 9_600, 2_400, CARD),), points_earned=120,
    ),
    Case(
        "proportional split, odd fen rounds down",
        checkout(line("tea", 1, 10_001), stored_value=StoredValue(20_001, 9_999)),
        # bonus = 10001 × 9999 / 30000 = 3333.33 → 3333; principal 10001 − 3333 = 6668; points 100
        subtotal=10_001, discount=0, total_due=10_001,
        tenders=((SV, 10_001, 6_668, 3_333, CARD),), points_earned=100,
    ),
    Case(
        "proportional split, half a fen rounds up to bonus",
        checkout(line("tea", 1, 5), stored_value=StoredValue(7, 3)),
        # bonus = 5 × 3 / 10 = 1.5 → 2; principal 3; points 5 // 100 = 0
        subtotal=5, discount=0, total_due=5,
        tenders=((SV, 5, 3, 2, CARD),), points_earned=0,
    ),
    Case(
        "one fen from half principal half bonus",
        checkout(line("tea", 1, 1), stored_value=StoredValue(1, 1)),
        # bonus = 1 × 1 / 2 = 0.5 → 1; principal 0
        subtotal=1, discount=0, total_due=1,
        tenders=((SV, 1, 0, 1, CARD),), points_earned=0,
    ),
    Case(
        "gold level with category overrides",
        checkout(line("grocery", 3, 1999), line("tobacco", 1, 2500), line("fresh", 2, 1234), level=GOLD),
        # grocery 5997 × 10% = 599.7 → 600 → 5397; tobacco 0% → 2500; fresh 2468 × 5% = 123.4 → 123 → 2345
        # subtotal 10965, discount 723, due 10242
        # points: 53 + 25 + 23 = 101 base × 1.5 = 151.5 → 152 for the card;
        # per line by cumulative targets: 152×53/101 = 79.8 → 80; 152×78/101 = 117.4 → 117 (37); 152 (35)
        subtotal=10_965, discount=723, total_due=10_242,
        tenders=((SV, 10_242, 10_242, 0, CARD),), points_earned=152,
        line_nets=(5_397, 2_500, 2_345), line_points=(80, 37, 35),
    ),
    Case(
        "level multiplier rounds once on the card total",
        checkout(line("grocery", 1, 1100), line("grocery", 1, 1100), level=GOLD),
        # each 1100 − 110 = 990 → 9 base points; card 18 × 1.5 = 27 (per-line rounding would give 14 + 14)
        # per line: 27 × 9 / 18 = 13.5 → 14, then 27 − 14 = 13
        subtotal=2_200, discount=220, total_due=1_980,
        tenders=((SV, 1_980, 1_980, 0, CARD),), points_earned=27, line_points=(14, 13),
    ),
    Case(
        "category discounted 100%",
        checkout(line("gift", 1, 500), line("grocery", 1, 1000), level=GIFTS_FREE),
        # gift 500 × 100% = 500 off → 0; grocery no discount; due 1000; points 0 + 10
        subtotal=1_500, discount=500, total_due=1_000,
        tenders=((SV, 1_000, 1_000, 0, CARD),), points_earned=10, line_nets=(0, 1_000),
    ),
    Case(
        "points deduction below the cap",
        checkout(line("tea", 1, 10_000), points_policy=POINTS_1_YUAN_PER_100, points_balance=5_000,
                 points_to_redeem=3_000, stored_value=StoredValue(10_000, 0)),
        # 3000 points = 30 units × 100 fen = 3000 fen; cap 10000 × 50% = 5000; due 7000; points 70
        # max redeemable: cap 5000 fen = 50 units = 5000 points, balance 5000 → 5000
        subtotal=10_000, discount=0, total_due=7_000, points_redeemed=3_000, deduction=3_000,
        tenders=((SV, 7_000, 7_000, 0, CARD),), points_earned=70, max_points=5_000,
        notes=("3000 points used as ¥30.00",),
    ),
    Case(
        "points deduction exactly at the cap",
        checkout(line("tea", 1, 10_000), points_policy=POINTS_1_YUAN_PER_100, points_balance=9_900,
                 points_to_redeem=5_000),
        # 5000 points = 5000 fen = cap (floor(10000 × 5000 / 10000)); due 5000; points 50
        subtotal=10_000, discount=0, total_due=5_000, points_redeemed=5_000, deduction=5_000,
        tenders=((SV, 5_000, 5_000, 0, CARD),), points_earned=50, max_points=5_000,
        notes=("5000 points used as ¥50.00",),
    ),
    Case(
        "points deduction remainder to the largest line",
        checkout(line("a", 1, 3333), line("b", 1, 3333), line("c", 1, 3334), points_policy=POINTS_1_YUAN_PER_100,
                 points_balance=1_000, points_to_redeem=1_000),
        # 1000 fen over 3333/3333/3334: 333.3 → 333, 333, 333.4 → 333; 1 fen left → largest (c) 334
        # nets 3000, 3000, 3000; points 30 each
        subtotal=10_000, discount=0, total_due=9_000, points_redeemed=1_000, deduction=1_000,
        tenders=((SV, 9_000, 9_000, 0, CARD),), points_earned=90,
        line_nets=(3_000, 3_000, 3_000), line_points=(30, 30, 30), max_points=1_000,
        notes=("1000 points used as ¥10.00",),
    ),
    Case(
        "points deduction rounding excess taken from the largest line",
        checkout(line("a", 1, 15), line("b", 1, 15), line("c", 1, 70), points_policy=POINTS_1_FEN_EACH,
                 points_balance=1_000, points_to_redeem=50),
        # 50 fen over 15/15/70: 7.5 → 8, 7.5 → 8, 35 → 51; 1 fen too many → largest (c) 34
        # nets 7, 7, 36 = 50; no line reaches 100 fen → 0 points; cap 100 × 50% = 50 points
        subtotal=100, discount=0, total_due=50, points_redeemed=50, deduction=50,
        tenders=((SV, 50, 50, 0, CARD),), points_earned=0, line_nets=(7, 7, 36), max_points=50,
        notes=("50 points used as ¥0.50",),
    ),
    Case(
        "points worth half a yuan per hundred",
        checkout(line("tea", 1, 1000), points_policy=POINTS_HALF_YUAN_PER_100, points_balance=300,
                 points_to_redeem=300),
        # 300 points = 3 units × 50 fen = 150 fen; due 850; points 8
        # max redeemable: cap 1000 fen = 20 units = 2000 points, balance 300 → 300
        subtotal=1_000, discount=0, total_due=850, points_redeemed=300, deduction=150,
        tenders=((SV, 850, 850, 0, CARD),), points_earned=8, max_points=300,
        notes=("300 points used as ¥1.50",),
    ),
    Case(
        "level, points, cash and stored value together",
        checkout(line("grocery", 2, 2550), line("tobacco", 1, 3000), level=GOLD, points_policy=POINTS_30_PERCENT,
                 points_balance=10_000, points_to_redeem=2_200, stored_value=StoredValue(3_000, 3_000),
                 tenders=(TenderIntent(CASH, 1_000), TenderIntent(SV, 0))),
        # grocery 5100 − 510 = 4590; tobacco 3000; bill 7590, cap floor(7590 × 30%) = 2277 ≥ 2200
        # deduction 2200: 2200×4590/7590 = 1330.4 → 1330; 2200×3000/7590 = 869.6 → 870; sum 2200
        # nets 3260, 2130; due 5390; cash 1000; stored value 4390: bonus 4390 × 3000/6000 = 2195
        # points 32 + 21 = 53 × 1.5 = 79.5 → 80; line 1: 80 × 32/53 = 48.3 → 48, line 2: 32
        # max redeemable: 2277 fen → 22 units → 2200 points
        subtotal=8_100, discount=510, total_due=5_390, points_redeemed=2_200, deduction=2_200,
        tenders=((CASH, 1_000, 0, 0, ""), (SV, 4_390, 2_195, 2_195, CARD)), points_earned=80,
        line_nets=(3_260, 2_130), line_points=(48, 32), max_points=2_200,
        notes=("2200 points used as ¥22.00",),
    ),
    Case(
        "cash then stored value for the rest",
        checkout(line("tea", 1, 12_000), stored_value=StoredValue(5_000, 0),
                 tenders=(TenderIntent(CASH, 7_000), TenderIntent(SV, 0))),
        # cash 7000, stored value 12000 − 7000 = 5000 (all it holds); points 120
        subtotal=12_000, discount=0, total_due=12_000,
        tenders=((CASH, 7_000, 0, 0, ""), (SV, 5_000, 5_000, 0, CARD)), points_earned=120,
    ),
    Case(
        "stored value first, cash for the rest",
        checkout(line("tea", 1, 8_000), stored_value=StoredValue(4_000, 2_000),
                 tenders=(TenderIntent(SV, 5_000), TenderIntent(CASH, 0))),
        # stored value 5000: bonus 5000 × 2000/6000 = 1666.7 → 1667, principal 3333; cash 3000; points 80
        subtotal=8_000, discount=0, total_due=8_000,
        tenders=((SV, 5_000, 3_333, 1_667, CARD), (CASH, 3_000, 0, 0, "")), points_earned=80,
    ),
    Case(
        "other member card then own stored value",
        checkout(line("tea", 1, 20_000), stored_value=StoredValue(10_000, 2_000),
                 other_cards={OTHER_CARD: StoredValue(6_000, 4_000)},
                 tenders=(TenderIntent(OTHER, 8_000, OTHER_CARD), TenderIntent(SV, 0))),
        # other card 8000: bonus 8000 × 4000/10000 = 3200, principal 4800
        # own card 12000 of 12000: bonus 2000, principal 10000; points 200
        subtotal=20_000, discount=0, total_due=20_000,
        tenders=((OTHER, 8_000, 4_800, 3_200, OTHER_CARD), (SV, 12_000, 10_000, 2_000, CARD)), points_earned=200,
    ),
    Case(
        "other member card bonus first, bank card the rest",
        checkout(line("tea", 1, 9_000), split_rule=SplitRule.BONUS_FIRST,
                 other_cards={OTHER_CARD: StoredValue(5_000, 1_500)},
                 tenders=(TenderIntent(OTHER, 6_000, OTHER_CARD), TenderIntent(BANK, 0))),
        # bonus first: 1500 bonus, 4500 principal; bank card 3000; points 90
        subtotal=9_000, discount=0, total_due=9_000,
        tenders=((OTHER, 6_000, 4_500, 1_500, OTHER_CARD), (BANK, 3_000, 0, 0, "")), points_earned=90,
    ),
    Case(
        "three external tenders, last one pays the rest, no member card",
        checkout(line("tea", 1, 9_999), card_number="",
                 tenders=(TenderIntent(MOBILE, 3_000), TenderIntent(BANK, 2_000), TenderIntent(CASH, 0))),
        # 9999 − 3000 − 2000 = 4999 cash; a sale without a card earns nothing
        subtotal=9_999, discount=0, total_due=9_999,
        tenders=((MOBILE, 3_000, 0, 0, ""), (BANK, 2_000, 0, 0, ""), (CASH, 4_999, 0, 0, "")), points_earned=0,
    ),
    Case(
        "principal first, spills into bonus",
        checkout(line("tea", 1, 4_000), stored_value=StoredValue(3_000, 5_000), split_rule=SplitRule.PRINCIPAL_FIRST),
        # principal 3000 (all of it), bonus 1000; points 40
        subtotal=4_000, discount=0, total_due=4_000,
        tenders=((SV, 4_000, 3_000, 1_000, CARD),), points_earned=40,
    ),
    Case(
        "principal first, principal enough",
        checkout(line("tea", 1, 4_000), stored_value=StoredValue(5_000, 5_000), split_rule="PRINCIPAL_FIRST"),
        subtotal=4_000, discount=0, total_due=4_000,
        tenders=((SV, 4_000, 4_000, 0, CARD),), points_earned=40,
    ),
    Case(
        "bonus first",
        checkout(line("tea", 1, 4_000), stored_value=StoredValue(3_000, 5_000), split_rule=SplitRule.BONUS_FIRST),
        subtotal=4_000, discount=0, total_due=4_000,
        tenders=((SV, 4_000, 0, 4_000, CARD),), points_earned=40,
    ),
    Case(
        "birthday double points by default",
        checkout(line("tea", 1, 12_345), birthday=True),
        # 12345 // 100 = 123 × 2 = 246
        subtotal=12_345, discount=0, total_due=12_345,
        tenders=((SV, 12_345, 12_345, 0, CARD),), points_earned=246, notes=("Birthday double points",),
    ),
    Case(
        "birthday double points with a gold multiplier",
        checkout(line("grocery", 1, 10_000), level=GOLD, birthday=True),
        # 10000 − 1000 = 9000 → 90 × 2 × 1.5 = 270
        subtotal=10_000, discount=1_000, total_due=9_000,
        tenders=((SV, 9_000, 9_000, 0, CARD),), points_earned=270, notes=("Birthday double points",),
    ),
    Case(
        "birthday rule triples one category, others 1x",
        checkout(line("cosmetics", 1, 5_000), line("grocery", 1, 5_000), birthday=True,
                 earn_rules=(BIRTHDAY_COSMETICS_3X,)),
        # no base rule configured → default 1 per 100: 50 + 50; cosmetics × 3 = 150, grocery × 1 = 50
        subtotal=10_000, discount=0, total_due=10_000,
        tenders=((SV, 10_000, 10_000, 0, CARD),), points_earned=200, line_points=(150, 50),
        notes=("Birthday ×3 points",),
    ),
    Case(
        "birthday rule not for this category and not the birthday: 1x",
        checkout(line("cosmetics", 1, 5_000), earn_rules=(BIRTHDAY_COSMETICS_3X,)),
        subtotal=5_000, discount=0, total_due=5_000,
        tenders=((SV, 5_000, 5_000, 0, CARD),), points_earned=50,
    ),
    Case(
        "category excluded from earning by not being listed",
        checkout(line("grocery", 1, 5_000), line("tobacco", 1, 3_000), earn_rules=(BASE_GROCERY_FRESH,)),
        # grocery 50; tobacco matches no base rule → 0
        subtotal=8_000, discount=0, total_due=8_000,
        tenders=((SV, 8_000, 8_000, 0, CARD),), points_earned=50, line_points=(50, 0),
    ),
    Case(
        "category excluded from earning by a zero rule, on a birthday",
        checkout(line("grocery", 1, 5_000), line("tobacco", 1, 3_000), birthday=True,
                 earn_rules=(BASE_ALL, NO_TOBACCO_POINTS)),
        # grocery 50 × 2 (default birthday) = 100; tobacco: NO-TOBACCO (priority 10) gives 0 points
        subtotal=8_000, discount=0, total_due=8_000,
        tenders=((SV, 8_000, 8_000, 0, CARD),), points_earned=100, line_points=(100, 0),
        notes=("Birthday double points",),
    ),
    Case(
        "store promotion outranks the base rule",
        checkout(line("tea", 1, 10_050), earn_rules=(BASE_ALL, S1_DOUBLE_RATE)),
        # S1-PROMO: 10050 // 100 = 100 units × 2 = 200
        subtotal=10_050, discount=0, total_due=10_050,
        tenders=((SV, 10_050, 10_050, 0, CARD),), points_earned=200,
    ),
    Case(
        "store promotion elsewhere: base rule",
        checkout(line("tea", 1, 10_050), store_id="S2", earn_rules=(BASE_ALL, S1_DOUBLE_RATE)),
        subtotal=10_050, discount=0, total_due=10_050,
        tenders=((SV, 10_050, 10_050, 0, CARD),), points_earned=100,
    ),
    Case(
        "happy hour on Wednesday 14:30",
        checkout(line("tea", 1, 5_000), earn_rules=(BASE_ALL, WEDNESDAY_HAPPY_HOUR)),
        # 50 × 2 = 100
        subtotal=5_000, discount=0, total_due=5_000,
        tenders=((SV, 5_000, 5_000, 0, CARD),), points_earned=100,
    ),
    Case(
        "happy hour is over at 16:00",
        checkout(line("tea", 1, 5_000), local_time=datetime(2025, 3, 5, 16, 0, tzinfo=SHANGHAI),
                 earn_rules=(BASE_ALL, WEDNESDAY_HAPPY_HOUR)),
        subtotal=5_000, discount=0, total_due=5_000,
        tenders=((SV, 5_000, 5_000, 0, CARD),), points_earned=50,
    ),
    Case(
        "three points per ten yuan at 1.25x",
        checkout(line("tea", 1, 9_999), earn_rules=(THREE_PER_TEN_YUAN,)),
        # 9999 // 1000 = 9 units × 3 = 27 × 1.25 = 33.75 → 34
        subtotal=9_999, discount=0, total_due=9_999,
        tenders=((SV, 9_999, 9_999, 0, CARD),), points_earned=34,
    ),
    Case(
        "gold-only rule times the gold multiplier",
        checkout(line("tobacco", 1, 3_333), level=GOLD, earn_rules=(BASE_ALL, GOLD_ONLY_DOUBLE)),
        # tobacco not discounted; 33 × 2 × 1.5 = 99
        subtotal=3_333, discount=0, total_due=3_333,
        tenders=((SV, 3_333, 3_333, 0, CARD),), points_earned=99,
    ),
    Case(
        "free basket needs no tender",
        checkout(line("sample", 2, 0)),
        subtotal=0, discount=0, total_due=0, tenders=(), points_earned=0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_checkout_case(case: Case):
    plan = price_checkout(case.request)
    assert (plan.subtotal_fen, plan.discount_fen, plan.points_redeemed, plan.points_deduction_fen,
            plan.total_due_fen) == (case.subtotal, case.discount, case.points_redeemed, case.deduction,
                                    case.total_due)
    assert [(t.kind, t.amount_fen, t.principal_fen, t.bonus_fen, t.card_number) for t in plan.tenders] == list(
        case.tenders)
    assert plan.points_earned == case.points_earned
    if case.line_nets is not None:
        assert tuple(priced.net_fen for priced in plan.lines) == case.line_nets
    if case.line_points is not None:
        assert tuple(priced.points_earned for priced in plan.lines) == case.line_points
    assert plan.notes == case.notes
    if case.max_points is not None:
        assert plan.max_points_redeemable == case.max_points


def test_there_are_enough_checkout_cases():
    assert len(CASES) >= 24


@dataclass(frozen=True)
class RefusedCase:
    id: str
    request: CheckoutInput
    field: str
    precondition: bool
    problem_mentions: str


REFUSED = [
    RefusedCase(
        "points above the cap name the most allowed",
        checkout(line("tea", 1, 10_000), points_policy=POINTS_1_YUAN_PER_100, points_balance=9_000,
                 points_to_redeem=6_000),
        # cap floor(10000 × 50%) = 5000 fen = 50 units = 5000 points
        "points_to_redeem", False, "at most 5000 points",
    ),
    RefusedCase(
        "points cap with odd bill",
        checkout(line("tea", 1, 9_999), points_policy=POINTS_1_YUAN_PER_100, points_balance=9_000,
                 points_to_redeem=5_000),
        # cap floor(9999 × 50%) = floor(4999.5) = 4999 fen → 49 units → 4900 points
        "points_to_redeem", False, "at most 4900 points",
    ),
    RefusedCase(
        "points not a whole unit",
        checkout(line("tea", 1, 10_000), points_policy=POINTS_1_YUAN_PER_100, points_balance=9_000,
                 points_to_redeem=150),
        "points_to_redeem", False, "multiple of 100",
    ),
    RefusedCase(
        "more points than the card holds",
        checkout(line("tea", 1, 10_000), points_policy=POINTS_1_YUAN_PER_100, points_balance=200,
                 points_to_redeem=300),
        "points_to_redeem", True, "holds 200 points",
    ),
    RefusedCase(
        "tenders short of the total",
        checkout(line("tea", 1, 10_000), tenders=(TenderIntent(CASH, 3_000), TenderIntent(SV, 5_000))),
        "tenders", False, "cover 8000 fen of 10000 fen",
    ),
    RefusedCase(
        "other card short of stored value",
        checkout(line("tea", 1, 10_000), other_cards={OTHER_CARD: StoredValue(1_000, 999)},
                 tenders=(TenderIntent(OTHER, 2_000, OTHER_CARD), TenderIntent(SV, 0))),
        "tenders[0].card_number", True, "2000 fen needed, 1999 fen available",
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.id for case in REFUSED])
def test_refused_case(case: RefusedCase):
    with pytest.raises(PricingError) as refused:
        price_checkout(case.request)
    assert (refused.value.field, refused.value.precondition) == (case.field, case.precondition)
    assert case.problem_mentions in refused.value.problem


# ---- Refunds (V6) -------------------------------------------------------------------------------

# total 10000: cash 3000, stored value 7000 (principal 4667, bonus 2333); 150 points earned, 500 redeemed
MIXED_SALE = SaleRecord(
    total_due_fen=10_000,
    tenders=(AppliedTender(CASH, 3_000), AppliedTender(SV, 7_000, 4_667, 2_333, CARD)),
    points_earned=150,
    points_redeemed=500,
)
# total 3 paid 1 fen each: cash, mobile, stored value (all bonus)
THREE_FEN_SALE = SaleRecord(
    total_due_fen=3,
    tenders=(AppliedTender(CASH, 1), AppliedTender(MOBILE, 1), AppliedTender(SV, 1, 0, 1, CARD)),
)
# total 999: own card 500 (principal 333, bonus 167), other card 499 (principal 250, bonus 249); 9 points
TWO_CARD_SALE = SaleRecord(
    total_due_fen=999,
    tenders=(AppliedTender(SV, 500, 333, 167, CARD), AppliedTender(OTHER, 499, 250, 249, OTHER_CARD)),
    points_earned=9,
)


@dataclass(frozen=True)
class RefundCase:
    id: str
    sale: SaleRecord
    already: int
    refund: int
    tenders: tuple[tuple[TenderKind, int, int, int, str], ...]
    points_clawback: int
    points_returned: int


REFUND_CASES = [
    RefundCase(
        "first third",
        MIXED_SALE, 0, 3_333,
        # c = 3333: cash 3000 × .3333 = 999.9 → 1000; sv 7000 × .3333 = 2333.1 → 2333 (sum 3333)
        # bonus 2333 × 2333 / 7000 = 777.55 → 778, principal 1555
        # points earned 150 × .3333 = 49.995 → 50; redeemed 500 × .3333 = 166.65 → 167
        ((CASH, 1_000, 0, 0, ""), (SV, 2_333, 1_555, 778, CARD)), 50, 167,
    ),
    RefundCase(
        "second third",
        MIXED_SALE, 3_333, 3_333,
        # c = 6666: cash 1999.8 → 2000 (step 1000); sv 4666.2 → 4666 (step 2333)
        # bonus target 4666 × 2333/7000 = 1555.1 → 1555, step 777; principal 2333 − 777 = 1556
        # earned 99.99 → 100 (step 50); redeemed 333.3 → 333 (step 166)
        ((CASH, 1_000, 0, 0, ""), (SV, 2_333, 1_556, 777, CARD)), 50, 166,
    ),
    RefundCase(
        "the rest restores exactly",
        MIXED_SALE, 6_666, 3_334,
        # c = 10000: cash 3000 − 2000 = 1000; sv 7000 − 4666 = 2334; bonus 2333 − 1555 = 778, principal 1556
        # totals: principal 1555 + 1556 + 1556 = 4667, bonus 778 + 777 + 778 = 2333
        # earned 150 − 100 = 50; redeemed 500 − 333 = 167 (167 + 166 + 167 = 500)
        ((CASH, 1_000, 0, 0, ""), (SV, 2_334, 1_556, 778, CARD)), 50, 167,
    ),
    RefundCase(
        "void of the whole sale",
        MIXED_SALE, 0, 10_000,
        ((CASH, 3_000, 0, 0, ""), (SV, 7_000, 4_667, 2_333, CARD)), 150, 500,
    ),
    RefundCase(
        "one fen of three goes to the first tender",
        THREE_FEN_SALE, 0, 1,
        # each 1 × 1/3 = 0.33 → 0, one fen short; size/(0 + ½) = 2 for all, tie → first tender (cash)
        ((CASH, 1, 0, 0, ""), (MOBILE, 0, 0, 0, ""), (SV, 0, 0, 0, CARD)), 0, 0,
    ),
    RefundCase(
        "second fen of three goes to the second tender",
        THREE_FEN_SALE, 1, 1,
        # c = 2: each 0.67 → 1, one fen too many; size/(1 − ½) = 2 for all, tie → take from the last
        # cumulative (1, 1, 0) against (1, 0, 0) before: mobile pay
        ((CASH, 0, 0, 0, ""), (MOBILE, 1, 0, 0, ""), (SV, 0, 0, 0, CARD)), 0, 0,
    ),
    RefundCase(
        "last fen of three is the bonus",
        THREE_FEN_SALE, 2, 1,
        ((CASH, 0, 0, 0, ""), (MOBILE, 0, 0, 0, ""), (SV, 1, 0, 1, CARD)), 0, 0,
    ),
    RefundCase(
        "two cards, odd totals",
        TWO_CARD_SALE, 0, 100,
        # own 500 × 100/999 = 50.05 → 50; other 499 × 100/999 = 49.95 → 50 (sum 100)
        # own bonus 50 × 167/500 = 16.7 → 17, principal 33; other bonus 50 × 249/499 = 24.95 → 25, principal 25
        # points 9 × 100/999 = 0.9 → 1
        ((SV, 50, 33, 17, CARD), (OTHER, 50, 25, 25, OTHER_CARD)), 1, 0,
    ),
]


@pytest.mark.parametrize("case", REFUND_CASES, ids=[case.id for case in REFUND_CASES])
def test_refund_case(case: RefundCase):
    plan = plan_refund(case.sale, case.already, case.refund)
    assert plan.refund_fen == case.refund
    assert [(t.kind, t.amount_fen, t.principal_fen, t.bonus_fen, t.card_number) for t in plan.tenders] == list(
        case.tenders)
    assert (plan.points_clawback, plan.points_returned) == (case.points_clawback, case.points_returned)


def test_refund_above_what_is_left_names_amount_fen():
    with pytest.raises(PricingError) as refused:
        plan_refund(MIXED_SALE, 6_666, 3_335)  # 10000 − 6666 = 3334 left
    assert (refused.value.field, refused.value.precondition) == ("amount_fen", False)
    assert "1..3334" in refused.value.problem


def test_void_after_a_partial_refund_takes_the_rest():
    plan = plan_void(MIXED_SALE, 3_333)
    # c 3333 → 10000: cash 3000 − 1000 = 2000; sv 7000 − 2333 = 4667; bonus 2333 − 778 = 1555, principal 3112
    # earned 150 − 50 = 100; redeemed 500 − 167 = 333
    assert [(t.kind, t.amount_fen, t.principal_fen, t.bonus_fen) for t in plan.tenders] == [
        (CASH, 2_000, 0, 0), (SV, 4_667, 3_112, 1_555)]
    assert (plan.refund_fen, plan.points_clawback, plan.points_returned) == (6_667, 100, 333)


# ---- Recharge promotions (V2) -------------------------------------------------------------------

MARCH_15 = datetime(2025, 3, 15, 10, 0, tzinfo=SHANGHAI)
SPRING = RechargePromotionTerms(
    code="R2025-SPRING", name="充 500 送 50, 充 1000 送 150", priority=10,
    tiers=(RechargeTierTerms(100_000, 15_000, 500, ("C-TEA",)), RechargeTierTerms(50_000, 5_000)),
    valid_from=datetime(2025, 3, 1, tzinfo=SHANGHAI), valid_until=datetime(2025, 4, 1, tzinfo=SHANGHAI),
    card_type_codes=("GOLD-SV",),
)
EVERGREEN = RechargePromotionTerms(code="EVERGREEN", tiers=(RechargeTierTerms(10_000, 500),))
STORE_S2_ONLY = RechargePromotionTerms(code="S2-OPENING", priority=20, store_ids=("S2",),
                                       tiers=(RechargeTierTerms(10_000, 2_000, 100),))
EXPIRED = RechargePromotionTerms(code="NEW-YEAR", priority=30, valid_until=datetime(2025, 1, 1, tzinfo=SHANGHAI),
                                 tiers=(RechargeTierTerms(10_000, 9_999),))
SWITCHED_OFF = RechargePromotionTerms(code="OFF", priority=40, active=False, tiers=(RechargeTierTerms(1, 1),))
ALL_PROMOTIONS = (EVERGREEN, SPRING, STORE_S2_ONLY, EXPIRED, SWITCHED_OFF)


@dataclass(frozen=True)
class RechargeCase:
    id: str
    amount_fen: int
    card_type_code: str
    store_id: str
    now: datetime
    expected: tuple[str, int, int, tuple[str, ...]]


RECHARGE_CASES = [
    # spring's highest tier reached is 100000 (not both tiers: they are not cumulative)
    RechargeCase("top tier", 120_000, "GOLD-SV", "S1", MARCH_15, ("R2025-SPRING", 15_000, 500, ("C-TEA",))),
    RechargeCase("lower tier", 60_000, "GOLD-SV", "S1", MARCH_15, ("R2025-SPRING", 5_000, 0, ())),
    # spring (priority 10) has no tier ≤ 20000, so evergreen applies
    RechargeCase("below every spring tier", 20_000, "GOLD-SV", "S1", MARCH_15, ("EVERGREEN", 500, 0, ())),
    # store S2: S2-OPENING (priority 20) outranks spring (10)
    RechargeCase("store promotion by priority", 120_000, "GOLD-SV", "S2", MARCH_15, ("S2-OPENING", 2_000, 100, ())),
    # spring ends (exclusive) at 2025-04-01 00:00; NEW-YEAR expired 2025-01-01
    RechargeCase("spring has ended", 120_000, "GOLD-SV", "S1", datetime(2025, 4, 1, tzinfo=SHANGHAI),
                 ("EVERGREEN", 500, 0, ())),
    RechargeCase("expired promotion still valid on new year's eve", 20_000, "GOLD-SV", "S1",
                 datetime(2024, 12, 31, 23, 59, tzinfo=SHANGHAI), ("NEW-YEAR", 9_999, 0, ())),
    RechargeCase("card type not covered", 120_000, "SILVER-SV", "S1", MARCH_15, ("EVERGREEN", 500, 0, ())),
    RechargeCase("no tier reached anywhere", 5_000, "GOLD-SV", "S1", MARCH_15, ("", 0, 0, ())),
]


@pytest.mark.parametrize("case", RECHARGE_CASES, ids=[case.id for case in RECHARGE_CASES])
def test_recharge_case(case: RechargeCase):
    bonus = select_recharge_bonus(case.amount_fen, ALL_PROMOTIONS, card_type_code=case.card_type_code,
                                  store_id=case.store_id, now=case.now)
    assert (bonus.promotion_code, bonus.bonus_fen, bonus.bonus_points, bonus.coupon_template_codes) == case.expected
