"""Points earned by a sale (P1).

How rules combine, for each basket line (its category and the fen actually paid for it by tenders
other than points):

1. Base rule: among active rules that are not ``birthday_only`` and match the line (level, store,
   category, weekday, daily window, validity), the one with the highest priority (ties: lowest
   code). When the program has no active base rule at all, the default applies: 1 point per 100
   fen. When it has base rules but none matches, the line earns nothing — that is how a category
   is excluded from earning.
2. Base points = (paid fen // spend_unit_fen) × points_per_unit: floor, per line.
3. Multipliers: the base rule's multiplier_bp × a birthday multiplier × the level's
   points_multiplier_bp. On the member's birthday the birthday multiplier is the multiplier_bp of
   the highest-priority matching ``birthday_only`` rule (birthday rules do not stack; a line no
   birthday rule matches gets 1x); when the program has no active birthday rule at all, birthday
   points are doubled ("Birthday double points"). Configure a 1x birthday rule to switch that off.
4. Rounding, once per card: lines with the same combined multiplier are summed and the sum is
   multiplied with ``split_proportionally(base, combined_bp, 10000³)`` — half-up, no rounding in
   between. That total goes back to its lines by cumulative targets
   (``allocation.cumulative_shares``), so line points add up to the card's points exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from chaincard.money import BASIS_POINTS, split_proportionally
from chaincard.pricing.allocation import cumulative_shares
from chaincard.pricing.terms import EarnRule, SaleContext

DEFAULT_BASE_RULE = EarnRule(code="DEFAULT", points_per_unit=1, spend_unit_fen=100)
DEFAULT_BIRTHDAY_MULTIPLIER_BP = 2 * BASIS_POINTS


@dataclass(frozen=True)
class EarnedPoints:
    per_line: tuple[int, ...]
    total: int
    notes: tuple[str, ...]


def _highest_priority(rules: Iterable[EarnRule]) -> EarnRule | None:
    return min(rules, key=lambda rule: (-rule.priority, rule.code), default=None)


def _birthday_note(multiplier_bp: int) -> str:
    if multiplier_bp == DEFAULT_BIRTHDAY_MULTIPLIER_BP:
        return "Birthday double points"
    factor = (Decimal(multiplier_bp) / Decimal(BASIS_POINTS)).normalize()
    return f"Birthday ×{factor:f} points"


def earn_points(
    lines: Sequence[tuple[str, int]],
    rules: Sequence[EarnRule],
    context: SaleContext,
    *,
    level_multiplier_bp: int,
) -> EarnedPoints:
    """Points for ``lines`` given as (category, fen paid); see the module docstring for the rules."""
    active = [rule for rule in rules if rule.active]
    base_rules = [rule for rule in active if not rule.birthday_only] or [DEFAULT_BASE_RULE]
    birthday_rules = [rule for rule in active if rule.birthday_only]

    base_points: list[int] = []
    combined_bp: list[int] = []
    birthday_multipliers: set[int] = set()
    for category, paid_fen in lines:
        base = _highest_priority(rule for rule in base_rules if rule.applies_to(category, context))
        if base is None:
            base_points.append(0)
            combined_bp.append(0)
            continue
        points = (paid_fen // base.spend_unit_fen) * base.points_per_unit
        birthday_bp = BASIS_POINTS
        if context.is_birthday:
            if not birthday_rules:
                birthday_bp = DEFAULT_BIRTHDAY_MULTIPLIER_BP
            else:
                birthday = _highest_priority(rule for rule in birthday_rules if rule.applies_to(category, context))
                birthday_bp = birthday.multiplier_bp if birthday is not None else BASIS_POINTS
        if points and birthday_bp != BASIS_POINTS:
            birthday_multipliers.add(birthday_bp)
        base_points.append(points)
        combined_bp.append(base.multiplier_bp * birthday_bp * level_multiplier_bp)

    per_line = [0] * len(lines)
    for rate in sorted(set(combined_bp)):
        members = [index for index, line_rate in enumerate(combined_bp) if line_rate == rate]
        group_base = sum(base_points[index] for index in members)
        group_points = split_proportionally(group_base, rate, BASIS_POINTS**3)
        shares = cumulative_shares(group_points, [base_points[index] for index in members])
        for index, share in zip(members, shares, strict=True):
            per_line[index] = share

    notes = tuple(_birthday_note(bp) for bp in sorted(birthday_multipliers))
    return EarnedPoints(per_line=tuple(per_line), total=sum(per_line), notes=notes)
