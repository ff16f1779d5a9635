"""Levels that move (L2): pure evaluation of HQ's level rules (program_config.proto LevelRule).

Upgrade: right after a qualifying transaction, the card moves to the best-ranked level above its own
whose rule it meets by ANY of the rule's set criteria (spend or recharge over the rule's rolling
window, a single recharge or sale, a points balance). Downgrade: the nightly review moves a card whose
level has a rule with keep thresholds, held for longer than the grace period, and meeting none of
them, one step to the rule's ``downgrade_to_level_code`` (else the card type's default level).
A level changed on the review's day is never reviewed that day, so a second run changes nothing
(docs/adr/0027). No I/O here: the region gathers the facts, this decides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from chaincard.v1 import program_config_pb2 as pc


@dataclass(frozen=True)
class DailyTotals:
    """What the card spent and recharged (in fen) on one business date of its home region."""

    business_date: date
    spend_fen: int = 0
    recharge_fen: int = 0


@dataclass(frozen=True)
class CardFacts:
    """The facts a rule reads. ``single_recharge_fen`` / ``single_spend_fen``: the qualifying recharge
    or sale just posted (0 for anything else); ``days``: per business date, at least as far back as the longest window."""

    today: date
    points: int
    days: Sequence[DailyTotals] = ()
    single_recharge_fen: int = 0
    single_spend_fen: int = 0

    def window(self, window_days: int) -> DailyTotals:
        """Totals over the last ``window_days`` business dates, today included."""
        first = self.today - timedelta(days=max(window_days, 1) - 1)
        chosen = [day for day in self.days if first <= day.business_date <= self.today]
        return DailyTotals(self.today, sum(day.spend_fen for day in chosen), sum(day.recharge_fen for day in chosen))


def _uses_window(rule: pc.LevelRule) -> bool:
    return any((rule.upgrade_window_spend_fen, rule.upgrade_window_recharge_fen, rule.keep_window_spend_fen,
                rule.keep_window_recharge_fen))


def longest_window(rules: Iterable[pc.LevelRule]) -> int:
    """The days of history the rules read (0: none, so no query)."""
    return max((rule.window_days for rule in rules if rule.active and _uses_window(rule)), default=0)


def meets_upgrade(rule: pc.LevelRule, facts: CardFacts) -> bool:
    """True when any criterion the rule sets (a threshold above zero) is met."""
    totals = facts.window(rule.window_days)
    return any((
        rule.upgrade_window_spend_fen > 0 and totals.spend_fen >= rule.upgrade_window_spend_fen,
        rule.upgrade_window_recharge_fen > 0 and totals.recharge_fen >= rule.upgrade_window_recharge_fen,
        rule.upgrade_single_recharge_fen > 0 and facts.single_recharge_fen >= rule.upgrade_single_recharge_fen,
        rule.upgrade_single_spend_fen > 0 and facts.single_spend_fen >= rule.upgrade_single_spend_fen,
        rule.upgrade_points_balance > 0 and facts.points >= rule.upgrade_points_balance,
    ))


def has_keep_thresholds(rule: pc.LevelRule) -> bool:
    return rule.keep_window_spend_fen > 0 or rule.keep_window_recharge_fen > 0 or rule.keep_points_balance > 0


def meets_keep(rule: pc.LevelRule, facts: CardFacts) -> bool:
    totals = facts.window(rule.window_days)
    return any((
        rule.keep_window_spend_fen > 0 and totals.spend_fen >= rule.keep_window_spend_fen,
        rule.keep_window_recharge_fen > 0 and totals.recharge_fen >= rule.keep_window_recharge_fen,
        rule.keep_points_balance > 0 and facts.points >= rule.keep_points_balance,
    ))


def upgrade_target(rules: Sequence[pc.LevelRule], ranks: Mapping[str, int], current: str, facts: CardFacts) -> str | None:
    """The level the card moves up to now, or None. Rules for unknown levels are ignored."""
    best: tuple[int, str] | None = None
    floor = ranks.get(current, -1)
    for rule in rules:
        rank = ranks.get(rule.level_code)
        if not rule.active or rank is None or rank <= floor or not meets_upgrade(rule, facts):
            continue
        if best is None or rank > best[0]:
            best = (rank, rule.level_code)
    return best[1] if best else None


def review_target(rules: Sequence[pc.LevelRule], ranks: Mapping[str, int], current: str, *, level_since: date,
                  facts: CardFacts, default_level: str, paid_until: date | None = None) -> str | None:
    """The level the nightly review moves the card down to, or None to keep it. ``level_since``:
    the business date its current level was set on; ``paid_until``: for a bought level with a paid
    validity, the business date from which the review's normal rules apply again."""
    if paid_until is not None and facts.today < paid_until:
        return None  # a bought level is kept for what was paid
    rule = next((rule for rule in rules if rule.active and rule.level_code == current and has_keep_thresholds(rule)), None)
    if rule is None:
        return None  # a level without keep thresholds is kept for good
    held_until = level_since + timedelta(days=max(rule.grace_days, 1))
    if facts.today < held_until or meets_keep(rule, facts):
        return None
    target = rule.downgrade_to_level_code or default_level
    if target not in ranks or ranks[target] >= ranks.get(current, 0):
        return None  # nothing lower to go to
    return target


def paid_until(level: pc.Level, bought_on: date) -> date | None:
    """The business date until which a level bought on ``bought_on`` is kept from the review; None
    when the level has no paid validity (the review's normal rules, grace included, apply)."""
    return bought_on + timedelta(days=level.paid_validity_days) if level.paid_validity_days > 0 else None


def can_buy(level: pc.Level, ranks: Mapping[str, int], current: str) -> str | None:
    """Why ``level`` cannot be bought by a card at ``current``, naming the field; None when it can."""
    if level.price_fen <= 0:
        return f"price_fen: level {level.code} is not for sale"
    if level.rank <= ranks.get(current, -1):
        return f"level_code: level {level.code} is not ranked above the card's level {current}"
    return None
