"""Level rules (L2), hand-computed: upgrades over rolling windows and thresholds, the nightly
review's keep thresholds and grace period (chaincard.levels, docs/adr/0027)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chaincard.levels import (
    CardFacts,
    DailyTotals,
    can_buy,
    longest_window,
    paid_until,
    review_target,
    upgrade_target,
)
from chaincard.v1 import program_config_pb2 as pc

TODAY = date(2026, 12, 3)
RANKS = {"NORMAL": 0, "SILVER": 1, "GOLD": 2, "DIAMOND": 3}
SILVER = pc.LevelRule(level_code="SILVER", window_days=30, upgrade_window_spend_fen=100_000, upgrade_single_recharge_fen=50_000,
                      keep_window_spend_fen=50_000, grace_days=7, active=True)
GOLD = pc.LevelRule(level_code="GOLD", window_days=90, upgrade_window_recharge_fen=300_000, upgrade_single_recharge_fen=100_000,
                    upgrade_points_balance=10_000, keep_window_recharge_fen=100_000, keep_points_balance=5_000, grace_days=30,
                    downgrade_to_level_code="SILVER", active=True)
# 满额变会员 (L3): a single sale of ¥300 makes a member of the SILVER level.
SILVER_BY_SALE = pc.LevelRule(level_code="SILVER", upgrade_single_spend_fen=30_000, active=True)
DIAMOND_OFF = pc.LevelRule(level_code="DIAMOND", upgrade_single_recharge_fen=1, keep_points_balance=1, active=False)
RULES = [SILVER, GOLD, DIAMOND_OFF]


def spend(day: date, fen: int) -> DailyTotals:
    return DailyTotals(day, spend_fen=fen)


def recharge(day: date, fen: int) -> DailyTotals:
    return DailyTotals(day, recharge_fen=fen)


# (current level, facts, expected level or None). 30-day window: 2026-11-04 … 12-03; 90-day: 09-05 … 12-03.
UPGRADES = [
    ("nothing done", "NORMAL", CardFacts(TODAY, 0), None),
    ("spend reaches the window threshold today", "NORMAL", CardFacts(TODAY, 0, [spend(TODAY, 100_000)]), "SILVER"),
    ("spend a day before the window", "NORMAL", CardFacts(TODAY, 0, [spend(date(2026, 11, 3), 100_000)]), None),
    ("spend on the window's first day counts", "NORMAL",
     CardFacts(TODAY, 0, [spend(date(2026, 11, 4), 60_000), spend(TODAY, 40_000)]), "SILVER"),
    ("one fen short of the spend", "NORMAL", CardFacts(TODAY, 0, [spend(TODAY, 99_999)]), None),
    ("a single recharge of 1000 yuan: the best level met wins", "NORMAL", CardFacts(TODAY, 0, single_recharge_fen=100_000), "GOLD"),
    ("a single recharge one fen under GOLD's", "NORMAL", CardFacts(TODAY, 0, single_recharge_fen=99_999), "SILVER"),
    ("points balance lifts SILVER to GOLD", "SILVER", CardFacts(TODAY, 10_000), "GOLD"),
    ("never sideways: GOLD meeting GOLD's rule", "GOLD", CardFacts(TODAY, 0, single_recharge_fen=100_000), None),
    ("recharges over 90 days, first day included", "NORMAL",
     CardFacts(TODAY, 0, [recharge(date(2026, 9, 5), 200_000), recharge(TODAY, 100_000)]), "GOLD"),
    ("recharges, one of them a day too old", "NORMAL",
     CardFacts(TODAY, 0, [recharge(date(2026, 9, 4), 200_000), recharge(TODAY, 100_000)]), None),
    ("an inactive rule lifts nobody", "GOLD", CardFacts(TODAY, 0, single_recharge_fen=1_000_000), None),
]
PURCHASES = [
    ("a single sale of the amount", "NORMAL", CardFacts(TODAY, 0, single_spend_fen=30_000), "SILVER"),
    ("a single sale one fen short", "NORMAL", CardFacts(TODAY, 0, [spend(TODAY, 60_000)], single_spend_fen=29_999), None),
    ("a recharge is no sale", "NORMAL", CardFacts(TODAY, 0, single_recharge_fen=30_000), None),
]


@pytest.mark.parametrize(("case", "current", "facts", "expected"), UPGRADES, ids=[case[0] for case in UPGRADES])
def test_upgrades(case: str, current: str, facts: CardFacts, expected: str | None) -> None:
    assert upgrade_target(RULES, RANKS, current, facts) == expected


@pytest.mark.parametrize(("case", "current", "facts", "expected"), PURCHASES, ids=[case[0] for case in PURCHASES])
def test_membership_on_a_qualifying_purchase(case: str, current: str, facts: CardFacts, expected: str | None) -> None:
    assert upgrade_target([SILVER_BY_SALE], RANKS, current, facts) == expected


def test_only_window_criteria_read_history() -> None:
    assert longest_window([SILVER_BY_SALE, DIAMOND_OFF]) == 0
    assert longest_window(RULES) == 90


# (current level, level since, facts, expected level or None). GOLD's grace: held 30 days; SILVER's: 7.
REVIEWS = [
    ("GOLD past its grace, nothing kept it", "GOLD", date(2026, 10, 1), CardFacts(TODAY, 0), "SILVER"),
    ("GOLD on the last day of grace", "GOLD", date(2026, 11, 4), CardFacts(TODAY, 0), None),
    ("GOLD on the first day after grace", "GOLD", date(2026, 11, 3), CardFacts(TODAY, 0), "SILVER"),
    ("GOLD kept by recharges in the window", "GOLD", date(2026, 10, 1),
     CardFacts(TODAY, 0, [recharge(date(2026, 9, 5), 100_000)]), None),
    ("GOLD's recharges fell out of the window", "GOLD", date(2026, 10, 1),
     CardFacts(TODAY, 0, [recharge(date(2026, 9, 4), 100_000)]), "SILVER"),
    ("GOLD kept by its points", "GOLD", date(2026, 10, 1), CardFacts(TODAY, 5_000), None),
    ("SILVER one fen short: to the card type's default", "SILVER", date(2026, 11, 1),
     CardFacts(TODAY, 0, [spend(TODAY, 49_999)]), "NORMAL"),
    ("SILVER kept by spend", "SILVER", date(2026, 11, 1), CardFacts(TODAY, 0, [spend(TODAY, 50_000)]), None),
    ("a level without a rule is kept", "NORMAL", date(2020, 1, 1), CardFacts(TODAY, 0), None),
    ("an inactive rule keeps its level", "DIAMOND", date(2020, 1, 1), CardFacts(TODAY, 0), None),
]


@pytest.mark.parametrize(("case", "current", "since", "facts", "expected"), REVIEWS, ids=[case[0] for case in REVIEWS])
def test_reviews(case: str, current: str, since: date, facts: CardFacts, expected: str | None) -> None:
    assert review_target(RULES, RANKS, current, level_since=since, facts=facts, default_level="NORMAL") == expected


def test_a_second_review_the_same_day_changes_nothing_even_without_grace() -> None:
    no_grace = pc.LevelRule(level_code="SILVER", window_days=30, keep_window_spend_fen=50_000, active=True)
    assert review_target([no_grace], RANKS, "SILVER", level_since=date(2026, 12, 2), facts=CardFacts(TODAY, 0),
                         default_level="NORMAL") == "NORMAL"
    # Moved down today (GOLD → SILVER): SILVER is not reviewed until tomorrow.
    assert review_target([no_grace], RANKS, "SILVER", level_since=TODAY, facts=CardFacts(TODAY, 0), default_level="NORMAL") is None


def test_never_down_to_a_level_ranked_as_high() -> None:
    odd = pc.LevelRule(level_code="SILVER", keep_points_balance=1, downgrade_to_level_code="GOLD", active=True)
    assert review_target([odd], RANKS, "SILVER", level_since=date(2026, 1, 1), facts=CardFacts(TODAY, 0), default_level="NORMAL") is None


def test_a_bought_level_is_kept_until_its_paid_validity_ends() -> None:
    no_grace = pc.LevelRule(level_code="SILVER", window_days=30, keep_window_spend_fen=50_000, active=True)
    old = date(2026, 1, 1)
    assert review_target([no_grace], RANKS, "SILVER", level_since=old, facts=CardFacts(TODAY, 0), default_level="NORMAL",
                         paid_until=TODAY + timedelta(days=1)) is None
    assert review_target([no_grace], RANKS, "SILVER", level_since=old, facts=CardFacts(TODAY, 0), default_level="NORMAL",
                         paid_until=TODAY) == "NORMAL"


def test_paid_until_and_who_can_buy() -> None:
    level = pc.Level(code="GOLD", rank=RANKS["GOLD"], price_fen=10_000, paid_validity_days=30)
    assert paid_until(level, TODAY) == TODAY + timedelta(days=30)
    assert paid_until(pc.Level(code="GOLD", price_fen=1), TODAY) is None
    assert can_buy(level, RANKS, "NORMAL") is None
    assert "not ranked above" in (can_buy(level, RANKS, "GOLD") or "")
    assert "price_fen" in (can_buy(pc.Level(code="GOLD", rank=RANKS["GOLD"]), RANKS, "NORMAL") or "")
