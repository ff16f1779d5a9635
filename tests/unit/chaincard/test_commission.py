"""Staff commission (C7, S2; docs/adr/0043): a hand-computed table of plans and events, and the
proportional clawback of refunds."""

from __future__ import annotations

from datetime import date

import pytest

from chaincard.commission import CommissionEventFacts, clawback_fen, commission_fen, earned
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc

DAY = date(2026, 12, 3)
CASHIER, MANAGER = directory_pb2.STAFF_ROLE_CASHIER, directory_pb2.STAFF_ROLE_STORE_MANAGER
OPEN, RECHARGE, SPEND = pc.COMMISSION_EVENT_CARD_OPENING, pc.COMMISSION_EVENT_RECHARGE, pc.COMMISSION_EVENT_SPEND


def plan(event: int, *, fixed: int = 0, bp: int = 0, levels: tuple[str, ...] = (), roles: tuple[int, ...] = (),
         start: str = "", end: str = "", active: bool = True) -> pc.CommissionPlan:
    return pc.CommissionPlan(code="P", name="plan", event=event, fixed_fen=fixed, rate_bp=bp,  # type: ignore[arg-type]
                             level_codes=levels, staff_roles=roles, valid_from_business_date=start,  # type: ignore[arg-type]
                             valid_until_business_date=end, active=active)


def facts(event: int, amount: int = 0, *, level: str = "NORMAL", role: int = CASHIER, day: date = DAY) -> CommissionEventFacts:
    return CommissionEventFacts(event, amount, day, level, role)


# (case, plan, event, commission in fen) — each worked out by hand.
TABLE = [
    ("card opening, fixed ¥5", plan(OPEN, fixed=500), facts(OPEN), 500),
    ("recharge ¥500 at 1% = ¥5.00", plan(RECHARGE, bp=100), facts(RECHARGE, 50_000), 500),
    ("recharge ¥333.33 at 1.5% = 499.995 fen, floored", plan(RECHARGE, bp=150), facts(RECHARGE, 33_333), 499),
    ("spend ¥120 at 2% = ¥2.40", plan(SPEND, bp=200), facts(SPEND, 12_000), 240),
    ("spend ¥0.49 at 2% = 0.98 fen, floored to 0", plan(SPEND, bp=200), facts(SPEND, 49), 0),
    ("spend, fixed ¥1 per sale whatever the amount", plan(SPEND, fixed=100), facts(SPEND, 987_654), 100),
    ("recharge plan does not pay on a spend", plan(RECHARGE, bp=100), facts(SPEND, 50_000), 0),
    ("GOLD-only plan, SILVER card", plan(SPEND, bp=500, levels=("GOLD",)), facts(SPEND, 10_000, level="SILVER"), 0),
    ("GOLD-only plan, GOLD card: 5% of ¥100", plan(SPEND, bp=500, levels=("GOLD",)), facts(SPEND, 10_000, level="GOLD"), 500),
    ("managers-only plan, cashier", plan(RECHARGE, fixed=300, roles=(MANAGER,)), facts(RECHARGE, 10_000), 0),
    ("managers-only plan, manager", plan(RECHARGE, fixed=300, roles=(MANAGER,)), facts(RECHARGE, 10_000, role=MANAGER), 300),
    ("role plan, operator HQ lists no staff for (role 0)", plan(RECHARGE, fixed=300, roles=(CASHIER,)), facts(RECHARGE, 10_000, role=0), 0),
    ("before valid_from", plan(SPEND, bp=100, start="2026-12-04"), facts(SPEND, 10_000), 0),
    ("on valid_from", plan(SPEND, bp=100, start="2026-12-03"), facts(SPEND, 10_000), 100),
    ("on valid_until (exclusive)", plan(SPEND, bp=100, end="2026-12-03"), facts(SPEND, 10_000), 0),
    ("switched off", plan(SPEND, bp=100, active=False), facts(SPEND, 10_000), 0),
    ("100% of ¥0.01", plan(SPEND, bp=10_000), facts(SPEND, 1), 1),
]


@pytest.mark.parametrize(("case", "the_plan", "the_event", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_hand_computed_commission(case: str, the_plan: pc.CommissionPlan, the_event: CommissionEventFacts, expected: int) -> None:
    assert commission_fen(the_plan, the_event) == expected


def test_plans_add_up_and_a_plan_paying_nothing_still_counts_the_event() -> None:
    one = pc.CommissionPlan(code="A", name="a", event=SPEND, rate_bp=100, active=True)
    two = pc.CommissionPlan(code="B", name="b", event=SPEND, fixed_fen=50, active=True)
    other = pc.CommissionPlan(code="C", name="c", event=RECHARGE, fixed_fen=50, active=True)
    assert earned([one, two, other], facts(SPEND, 12_345)) == {"A": 123, "B": 50}
    assert earned([one], facts(SPEND, 99)) == {"A": 0}


# (case, earned, original amount, refunded before, refunded now, clawback) — by hand.
CLAWBACKS = [
    ("full refund takes it all back", 240, 12_000, 0, 12_000, -240),
    ("half refunded: half back", 240, 12_000, 0, 6_000, -120),
    ("a third of 10 fen: floor(10/3) = 3", 10, 3_000, 0, 1_000, -3),
    ("second third: floor(20/3) - 3 = 3", 10, 3_000, 1_000, 1_000, -3),
    ("last third: 10 - 6 = 4, all of it back in all", 10, 3_000, 2_000, 1_000, -4),
    ("refund beyond the original is capped", 500, 50_000, 40_000, 20_000, -100),
    ("nothing earned: nothing back", 0, 50_000, 0, 50_000, 0),
    ("fixed ¥1 on a sale, a quarter refunded: 25 fen", 100, 8_000, 0, 2_000, -25),
]


@pytest.mark.parametrize(("case", "earned_fen", "original", "before", "now", "expected"), CLAWBACKS,
                         ids=[row[0] for row in CLAWBACKS])
def test_hand_computed_clawback(case: str, earned_fen: int, original: int, before: int, now: int, expected: int) -> None:
    assert clawback_fen(earned_fen, original, before, now) == expected


def test_refunds_in_parts_claw_back_exactly_what_was_earned() -> None:
    for earned_fen, original, parts in ((7, 1_000, [1, 333, 333, 333]), (499, 33_333, [11_111] * 3), (1, 3, [1, 1, 1])):
        before, total = 0, 0
        for part in parts:
            total += clawback_fen(earned_fen, original, before, part)
            before += part
        assert total == -earned_fen
